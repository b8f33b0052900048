import { describe, expect, it } from 'vitest';
import { alignLayers } from '../../compiler/diff/align.js';
import { diffModels } from '../../compiler/diff/diff.js';
import { model, type L } from './build-ir.js';

const mnist: L[] = [
  { kind: 'conv2d', out: 32, k: 3 },
  { kind: 'relu' },
  { kind: 'conv2d', out: 64, k: 3 },
  { kind: 'relu' },
  { kind: 'maxpool2d', k: 2 },
  { kind: 'flatten' },
  { kind: 'linear', out: 128 },
  { kind: 'relu' },
  { kind: 'linear', out: 10 },
  { kind: 'log_softmax' },
];

/** The alignment as `old-new` index pairs, `-` for a gap: easy to read in a failure. */
function pairs(a: L[], b: L[]): string[] {
  return alignLayers(model(a).nodes, model(b).nodes).map((r) => `${r.old ?? '-'}:${r.new ?? '-'}`);
}

describe('alignLayers', () => {
  it('shows one inserted unnamed layer as one insertion, every later layer paired with itself', () => {
    const b = [...mnist.slice(0, 2), { kind: 'batchnorm2d' } as L, ...mnist.slice(2)];
    // Names of later unnamed layers do not shift here, but their positions do.
    expect(pairs(mnist, b)).toEqual(['0:0', '1:1', '-:2', '2:3', '3:4', '4:5', '5:6', '6:7', '7:8', '8:9', '9:10']);
  });

  it('pairs a conv with the conv that has its attributes when a same-kind block is inserted before it', () => {
    // Inserting conv(48)+relu between the two convs: the old conv(64) must pair with the new conv(64),
    // not with the inserted conv(48) that now stands at its position.
    const b = [...mnist.slice(0, 2), { kind: 'conv2d', out: 48, k: 3 } as L, { kind: 'relu' } as L, ...mnist.slice(2)];
    const rows = pairs(mnist, b);
    expect(rows.filter((r) => r.startsWith('-'))).toEqual(['-:2', '-:3']);
    expect(rows).toContain('2:4');
  });

  it('shows a removed layer as one removal', () => {
    const b = mnist.filter((_, i) => i !== 4); // drop the maxpool
    expect(pairs(mnist, b)).toEqual(['0:0', '1:1', '2:2', '3:3', '4:-', '5:4', '6:5', '7:6', '8:7', '9:8']);
  });

  it('matches named layers by name even when they moved', () => {
    const a: L[] = [{ kind: 'conv2d', name: 'c1', out: 8, k: 3 }, { kind: 'conv2d', name: 'c2', out: 8, k: 3 }];
    const b: L[] = [{ kind: 'conv2d', name: 'c0', out: 8, k: 3 }, { kind: 'conv2d', name: 'c1', out: 8, k: 3 }, { kind: 'conv2d', name: 'c2', out: 8, k: 3 }];
    // c0 is new; c1 and c2 keep their partners although attributes alone would pair c1 with c0.
    expect(pairs(a, b)).toEqual(['-:0', '0:1', '1:2']);
  });

  it('never pairs layers of different kinds', () => {
    expect(pairs([{ kind: 'relu' }], [{ kind: 'flatten' }])).toEqual(['0:-', '-:0']);
  });
});

describe('diffModels: layers', () => {
  it('reports a renamed, otherwise identical layer as a rename, and its tensors as renamed', () => {
    const a = model([{ kind: 'flatten' }, { kind: 'linear', name: 'fc1', out: 10 }]);
    const b = model([{ kind: 'flatten' }, { kind: 'linear', name: 'head', out: 10 }]);
    const d = diffModels(a, b);
    expect(d.layers.map((l) => [l.status, l.rename])).toEqual([
      ['unchanged', null],
      ['unchanged', { old: 'fc1', new: 'head' }],
    ]);
    expect(d.identical).toBe(false);
    expect(d.checkpoint.tensors.map((t) => [t.status, t.name, t.oldName])).toEqual([
      ['renamed', 'head.weight', 'fc1.weight'],
      ['renamed', 'head.bias', 'fc1.bias'],
    ]);
    expect(d.checkpoint.verdict.kind).toBe('none');
  });

  it('marks a widened conv changed and the next conv affected, with its inferred in_channels', () => {
    const wide = mnist.map((l, i) => (i === 0 ? { kind: 'conv2d', out: 64, k: 3 } as L : l));
    const d = diffModels(model(mnist), model(wide));
    expect(d.layers.slice(0, 3).map((l) => l.status)).toEqual(['changed', 'affected', 'affected']);
    expect(d.layers[0]!.attrs).toEqual([{ attr: 'out_channels', old: 32, new: 64, inferred: false }]);
    expect(d.layers[2]!.attrs).toEqual([{ attr: 'in_channels', old: 32, new: 64, inferred: true }]);
    expect(d.checkpoint.verdict.kind).toBe('partial');
    expect(d.checkpoint.verdict.notLoaded).toEqual(['conv2d_1.weight', 'conv2d_1.bias', 'conv2d_2.weight']);
  });

  it('flags a tensor that loads by name into a layer it did not come from', () => {
    // An unnamed conv inserted second: the old conv2d_2 (padding 0) is now conv2d_3, and the new
    // conv2d_2 has the old conv2d_2's name and weight shape, so a by-name load puts them there.
    const a = model([{ kind: 'conv2d', out: 8, k: 3, pad: 1 }, { kind: 'conv2d', out: 8, k: 3 }], [8, 10, 10]);
    const b = model([{ kind: 'conv2d', out: 8, k: 3, pad: 1 }, { kind: 'conv2d', out: 8, k: 3, pad: 1 }, { kind: 'conv2d', out: 8, k: 3 }], [8, 10, 10]);
    const d = diffModels(a, b);
    expect(d.layers.map((l) => [l.status, l.rename?.old ?? null])).toEqual([['unchanged', null], ['added', null], ['unchanged', 'conv2d_2']]);
    expect(d.checkpoint.tensors.map((t) => `${t.status} ${t.name}${t.oldName ? ` < ${t.oldName}` : ''}`)).toEqual([
      'kept conv2d_1.weight',
      'kept conv2d_1.bias',
      'misplaced conv2d_2.weight',
      'misplaced conv2d_2.bias',
      'renamed conv2d_3.weight < conv2d_2.weight',
      'renamed conv2d_3.bias < conv2d_2.bias',
    ]);
    expect(d.checkpoint.verdict).toMatchObject({ kind: 'partial', misplaced: ['conv2d_2.weight', 'conv2d_2.bias'], unused: [] });
  });

  it('finds no difference between a model and itself', () => {
    const d = diffModels(model(mnist), model(mnist));
    expect(d.identical).toBe(true);
    expect(d.checkpoint.verdict.kind).toBe('full');
    expect(d.settings).toEqual([]);
  });
});

// `cnnc diff` and `cnnc inspect` on graphs: re-wiring a skip shows as a change of `inputs` on the layer
// that reads it, while a chain (whose layers read the previous one) shows no `inputs` at all; the
// inspect table gets an Inputs column only for a graph.
import { describe, expect, it } from 'vitest';
import { checkSource, formatSummary, summarize } from '../../compiler/index.js';
import { diffSources, formatDiffText } from '../../compiler/diff/index.js';
import { specYaml } from '../codegen/helpers.js';

const block = (skip: string, extra: string[] = []) => specYaml({
  input: [1, 8, 8],
  layers: [
    '{ kind: conv2d, name: stem, out_channels: 4, kernel_size: 3, padding: 1 }',
    '{ kind: relu, name: r0 }',
    ...extra,
    '{ kind: conv2d, name: c1, out_channels: 4, kernel_size: 3, padding: 1 }',
    `{ kind: add, name: skip, inputs: [c1, ${skip}] }`,
    'flatten',
    '{ kind: linear, name: fc, out_features: 3 }',
  ],
});

function diffText(a: string, b: string): string {
  const r = diffSources({ source: a, file: 'old.yaml' }, { source: b, file: 'new.yaml' });
  if (!r.ok) throw new Error(JSON.stringify(r.invalid));
  return formatDiffText(r.diff, { color: false });
}

describe('cnnc diff on graphs', () => {
  it('a skip moved from r0 to stem: skip is changed, inputs [c1, r0] → [c1, stem]', () => {
    const r = diffSources({ source: block('r0'), file: 'old.yaml' }, { source: block('stem'), file: 'new.yaml' });
    if (!r.ok) throw new Error('invalid');
    const skip = r.diff.layers.find((l) => l.new?.name === 'skip')!;
    expect(skip.status).toBe('changed');
    expect(skip.attrs.map((a) => [a.attr, a.old, a.new])).toEqual([['inputs', ['c1', 'r0'], ['c1', 'stem']]]);
    expect(r.diff.layers.filter((l) => l.status !== 'unchanged').map((l) => l.new?.name)).toEqual(['skip']);
    expect(diffText(block('r0'), block('stem'))).toMatch(/~ skip \(add\)\n\s+inputs\s+\[c1, r0\] → \[c1, stem\]/);
  });

  it('a layer inserted into the chain part of a graph: no `inputs` noise on the layers after it', () => {
    const r = diffSources({ source: block('r0'), file: 'old.yaml' }, { source: block('r0', ['{ kind: batchnorm2d, name: bn }']), file: 'new.yaml' });
    if (!r.ok) throw new Error('invalid');
    expect(r.diff.layers.filter((l) => l.status === 'added').map((l) => l.new?.name)).toEqual(['bn']);
    expect(r.diff.layers.flatMap((l) => l.attrs.map((a) => a.attr))).not.toContain('inputs');
  });
});

describe('cnnc inspect on graphs', () => {
  it('shows an Inputs column for a graph, and none for a chain', () => {
    const graph = formatSummary(summarize(checkSource(block('r0'), 'g.yaml').ir!));
    expect(graph).toMatch(/^Layer\s+Kind\s+Inputs\s+Output shape\s+Params\s+MACs$/m);
    expect(graph).toMatch(/^skip\s+add\s+c1, r0\s+\[-1, 4, 8, 8\]\s+0\s+0$/m);
    expect(graph).toMatch(/^stem\s+conv2d\s+input\s+/m);
    const chain = formatSummary(summarize(checkSource(specYaml({ input: [1, 4, 4], layers: ['flatten', '{ kind: linear, out_features: 3 }'] }), 'c.yaml').ir!));
    expect(chain).not.toContain('Inputs');
    expect(summarize(checkSource(block('r0'), 'g.yaml').ir!).rows.find((r) => r.name === 'skip')!.inputs).toEqual(['c1', 'r0']);
  });
});

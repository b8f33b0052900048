// The lowering of a spec's `data:` (compiler/3-lower/data.ts): the pipelines as the runtime gets them
// (bare words resolved, a resize to the input appended where the size depends on the image), and each
// error E0801–E0804 with the exact line:col it points at. Then `cnnc diff` on a changed pipeline.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDiff, type DiffIo } from '../../bin/commands/diff.js';
import { brief, lowerYaml, ok, pos, spec } from './helpers.js';

const LAYERS = ['flatten', '{ kind: linear, out_features: 10 }'];

/** A spec over `input` whose `data:` block is `lines` (indented under data:). */
function withData(lines: readonly string[], input = '[1, 28, 28]'): string {
  return spec(LAYERS, { input, tail: ['data:', ...lines.map((l) => `  ${l}`)].join('\n') });
}

function errors(source: string): string[] {
  const { ir, diagnostics } = lowerYaml(source);
  expect(ir).toBeNull();
  return brief(diagnostics);
}

describe('data: pipelines as lowered', () => {
  it('a folder without transforms gets a resize to the input, for eval and train alike', () => {
    const ir = ok(withData(['source: folder', 'path: imgs'], '[3, 32, 24]'));
    expect(ir.data).toEqual({
      source: 'folder', path: 'imgs', task: 'classification', classes: null, valSplit: null,
      transforms: { eval: [{ kind: 'resize', size: [32, 24] }], train: [{ kind: 'resize', size: [32, 24] }] },
    });
  });

  it('a resize by the smaller edge (its size depends on the image) is followed by a resize to [H, W], placed before normalize', () => {
    const ir = ok(withData(['source: folder', 'path: imgs', 'transforms:', '  - { kind: resize, size: 40 }', '  - { kind: normalize, mean: [0.5], std: [0.25] }']));
    expect(ir.data.transforms.eval).toEqual([
      { kind: 'resize', size: 40 }, { kind: 'resize', size: [28, 28] }, { kind: 'normalize', mean: [0.5], std: [0.25] }]);
    // without train_transforms, training uses the same pipeline
    expect(ir.data.transforms.train).toEqual(ir.data.transforms.eval);
  });

  it('a pipeline already ending at the input is kept as written; bare words become records; train_transforms is its own list', () => {
    const ir = ok(withData([
      'source: folder', 'path: imgs', 'classes: [cat, dog]', 'val_split: 0.2',
      'transforms: [ { kind: resize, size: 36 }, { kind: center_crop, size: 32 } ]',
      'train_transforms: [ { kind: random_resized_crop, size: [32, 32] }, random_horizontal_flip ]',
    ], '[3, 32, 32]'));
    expect(ir.data).toMatchObject({ classes: ['cat', 'dog'], valSplit: 0.2 });
    expect(ir.data.transforms.eval).toEqual([{ kind: 'resize', size: 36 }, { kind: 'center_crop', size: 32 }]);
    expect(ir.data.transforms.train).toEqual([{ kind: 'random_resized_crop', size: [32, 32] }, { kind: 'random_horizontal_flip' }]);
  });

  it('a flip alone in train_transforms (size unchanged) gets the resize after it', () => {
    const ir = ok(withData(['source: folder', 'path: imgs', 'train_transforms: [ random_horizontal_flip ]']));
    expect(ir.data.transforms.train).toEqual([{ kind: 'random_horizontal_flip' }, { kind: 'resize', size: [28, 28] }]);
  });

  it('normalize on the embedded digits and IDX files is kept, with no resize added', () => {
    const ir = ok(withData(['source: mnist', 'transforms: [ { kind: normalize, mean: [0.1307], std: [0.3081] } ]']));
    expect(ir.data.transforms).toEqual({ eval: [{ kind: 'normalize', mean: [0.1307], std: [0.3081] }], train: [{ kind: 'normalize', mean: [0.1307], std: [0.3081] }] });
    expect(ok(withData(['source: idx', 'path: /d'])).data.transforms).toEqual({ eval: [], train: [] });
  });

  it('a csv source keeps its manifests as written and val: null when absent', () => {
    const ir = ok(withData(['source: csv', 'train: m/train.csv', 'test: m/test.csv']));
    expect(ir.data).toMatchObject({ source: 'csv', train: 'm/train.csv', test: 'm/test.csv', val: null });
  });
});

describe('data: errors point at the place', () => {
  it('E0801 a random transform in `transforms` (eval, test, predict): at the item', () => {
    const src = withData(['source: folder', 'path: imgs', 'transforms:', '  - { kind: resize, size: [28, 28] }', '  - { kind: random_crop, size: 28, padding: 2 }']);
    expect(errors(src)).toEqual([
      `${pos(src, '{ kind: random_crop')} E0801 \`random_crop\` is random augmentation: testing, validation and predict use \`transforms\`, which must be deterministic`]);
    const bare = withData(['source: folder', 'path: imgs', 'transforms: [ color_jitter ]']);
    expect(errors(bare)).toEqual([
      `${pos(bare, 'color_jitter')} E0801 \`color_jitter\` is random augmentation: testing, validation and predict use \`transforms\`, which must be deterministic`]);
  });

  it('E0801 normalize not last, in either list: at the normalize', () => {
    const src = withData(['source: folder', 'path: imgs',
      'train_transforms:', '  - { kind: normalize, mean: [0.5], std: [0.5] }', '  - random_horizontal_flip']);
    expect(errors(src)).toEqual([`${pos(src, '{ kind: normalize')} E0801 \`normalize\` works on the tensor: it comes last`]);
  });

  it('E0804 normalize with a mean or std count that is neither 1 nor the channels: each at the item', () => {
    const src = withData(['source: folder', 'path: imgs', 'transforms: [ { kind: normalize, mean: [0.5, 0.5], std: [0.2, 0.2, 0.2, 0.2] } ]'], '[3, 28, 28]');
    expect(errors(src)).toEqual([
      `${pos(src, '{ kind: normalize')} E0804 normalize: mean has 2 values; the input has 3 channels (give 1 or 3)`,
      `${pos(src, '{ kind: normalize')} E0804 normalize: std has 4 values; the input has 3 channels (give 1 or 3)`]);
    // one value, or three, is fine for RGB; three is not for gray
    ok(withData(['source: folder', 'path: imgs', 'transforms: [ { kind: normalize, mean: [0.5], std: [0.2, 0.3, 0.4] } ]'], '[3, 28, 28]'));
    const gray = withData(['source: mnist', 'transforms: [ { kind: normalize, mean: [0.1, 0.2, 0.3], std: [0.3] } ]']);
    expect(errors(gray)).toEqual([expect.stringMatching(new RegExp(`^${pos(gray, '{ kind: normalize')} E0804 normalize: mean has 3 values; the input has 1 channel \\(give one value\\)$`))]);
  });

  it('W0613 when transforms and train_transforms normalize differently (one without, or other values), at train_transforms', () => {
    const head = ['source: folder', 'path: imgs', 'transforms: [ { kind: normalize, mean: [0.5], std: [0.5] } ]'];
    for (const train of ['train_transforms: [ random_horizontal_flip ]', 'train_transforms: [ { kind: normalize, mean: [0.5], std: [0.25] } ]']) {
      const src = withData([...head, train]);
      const { diagnostics } = lowerYaml(src);
      expect(brief(diagnostics)).toEqual([`${pos(src, 'train_transforms: [', '[')} W0613 transforms and train_transforms normalize differently: the model is trained on inputs scaled otherwise than those it is tested on`]);
    }
    const same = lowerYaml(withData([...head, 'train_transforms: [ random_horizontal_flip, { kind: normalize, mean: [0.5], std: [0.5] } ]']));
    expect(same.diagnostics).toEqual([]);
    expect(lowerYaml(withData(head)).diagnostics).toEqual([]); // no train_transforms: the same list
  });

  it('E0804 out-of-range arguments: a zero std, a crop size of 0 (and no E0803 for the size that follows from it)', () => {
    const src = withData(['source: folder', 'path: imgs', 'transforms:', '  - { kind: center_crop, size: 0 }', '  - { kind: normalize, mean: [0.5], std: [0] }']);
    expect(errors(src)).toEqual([
      `${pos(src, '{ kind: center_crop')} E0804 center_crop: size must be a positive integer or [h, w] of positive integers, got 0`,
      `${pos(src, '{ kind: normalize')} E0804 normalize: std must not be 0 (division by zero)`]);
  });

  it('E0803 a pipeline ending at a fixed size other than the input: at the list, naming both sizes, once (not again for training)', () => {
    const src = withData(['source: folder', 'path: imgs', 'transforms:', '  - { kind: resize, size: 40 }', '  - { kind: center_crop, size: [30, 28] }']);
    expect(errors(src)).toEqual([
      `${pos(src, '- { kind: resize')} E0803 \`transforms\` ends at 30×28, but the input is [1, 28, 28]`]);
    const train = withData(['source: folder', 'path: imgs', 'train_transforms: [ { kind: random_crop, size: 24 } ]']);
    expect(errors(train)).toEqual([`${pos(train, '[ { kind: random_crop')} E0803 \`train_transforms\` ends at 24×24, but the input is [1, 28, 28]`]);
  });

  it('E0802 folder or csv data with an input that is not [1|3, H, W]: at input.shape', () => {
    const two = withData(['source: folder', 'path: imgs'], '[2, 28, 28]');
    expect(errors(two)).toEqual([`${pos(two, '[2, 28, 28]')} E0802 images load as [C, H, W] with C 1 (gray) or 3 (RGB), but the input is [2, 28, 28]`]);
    const flat = spec(['{ kind: linear, out_features: 10 }'], { input: '[784]', tail: 'data: { source: csv, train: a.csv, test: b.csv }' });
    expect(errors(flat)).toContainEqual(`${pos(flat, '[784]')} E0802 images load as [C, H, W] with C 1 (gray) or 3 (RGB), but the input is [784]`);
  });

  it('E0801 a transform other than normalize on mnist or idx data: at the item', () => {
    const src = withData(['source: mnist', 'transforms: [ { kind: resize, size: [28, 28] } ]']);
    expect(errors(src)).toEqual([
      `${pos(src, '{ kind: resize')} E0801 \`resize\` applies to image folders and CSV manifests; the embedded digits and IDX files take only normalize`]);
    const idx = withData(['source: idx', 'path: /d', 'train_transforms: [ random_horizontal_flip ]']);
    expect(errors(idx)).toEqual([
      `${pos(idx, 'random_horizontal_flip')} E0801 \`random_horizontal_flip\` applies to image folders and CSV manifests; the embedded digits and IDX files take only normalize`]);
  });

  it('E0801 a csv spec with both a val manifest and val_split: at val_split', () => {
    const src = withData(['source: csv', 'train: a.csv', 'test: b.csv', 'val: c.csv', 'val_split: 0.1']);
    expect(errors(src)).toEqual([
      `${pos(src, 'val_split: 0.1', '0.1')} E0801 both a val manifest and val_split: the validation images would come from two places`]);
  });
});

describe('cnnc diff: the data pipeline is part of the recipe', () => {
  function diffJson(a: string, b: string): { identical: boolean; settings: Array<{ section: string; key: string; old: unknown; new: unknown; note: string | null }> } {
    const dir = mkdtempSync(join(tmpdir(), 'cnnc-lower-data-'));
    writeFileSync(join(dir, 'old.yaml'), a);
    writeFileSync(join(dir, 'new.yaml'), b);
    let stdout = '';
    let stderr = '';
    const io: DiffIo = { stdout: { write: (s: string) => (stdout += s), isTTY: false }, stderr: { write: (s: string) => (stderr += s), isTTY: false }, cwd: dir, env: {} };
    const code = runDiff('old.yaml', 'new.yaml', { format: 'json' }, io);
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    return JSON.parse(stdout);
  }
  const base = ['source: folder', 'path: imgs'];

  it('a changed eval transform and an added augmentation are data settings with their notes', () => {
    const d = diffJson(
      withData([...base, 'transforms: [ { kind: resize, size: 32 } ]']),
      withData([...base, 'transforms: [ { kind: resize, size: 36 } ]', 'train_transforms: [ { kind: random_crop, size: 28, padding: 4 } ]']));
    expect(d.identical).toBe(false);
    expect(d.settings.map((s) => [s.section, s.key])).toEqual([['data', 'transforms'], ['data', 'train_transforms']]);
    const [t, tt] = d.settings;
    expect(t!.old).not.toEqual(t!.new);
    expect(JSON.stringify(t!.new)).toContain('36');
    expect(t!.note).toContain('preprocessed differently');
    expect(JSON.stringify(tt!.new)).toContain('random_crop');
    expect(tt!.note).toContain('the training augmentation changed');
  });

  it('a changed flip probability alone is reported; the same pipeline written as a bare word or a record is not', () => {
    const p = diffJson(withData([...base, 'train_transforms: [ random_horizontal_flip ]']), withData([...base, 'train_transforms: [ { kind: random_horizontal_flip, p: 0.2 } ]']));
    expect(p.settings.map((s) => s.key)).toEqual(['train_transforms']);
    const same = diffJson(withData([...base, 'train_transforms: [ random_horizontal_flip ]']), withData([...base, 'train_transforms: [ { kind: random_horizontal_flip } ]']));
    expect(same.identical).toBe(true);
    expect(same.settings).toEqual([]);
  });
});

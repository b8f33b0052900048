// The losses in 3-lower and 4-passes: PyTorch's defaults for every kind, the label layout each reads,
// and every loss-fit error and loss lint, at the line:col it points at, with its message.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brief, lowerYaml, ok, pos, spec } from './helpers.js';

const flat = (out: number) => ['flatten', `{ kind: linear, name: fc, out_features: ${out} }`];
const map = (out: number) => [`{ kind: conv2d, name: head, out_channels: ${out}, kernel_size: 3, padding: 1 }`];

function errors(source: string): string[] {
  const { ir, diagnostics } = lowerYaml(source);
  expect(ir).toBeNull();
  return brief(diagnostics.filter((d) => d.severity === 'error'));
}
function warnings(source: string): string[] {
  const { ir, diagnostics, warnings: ws } = lowerYaml(source);
  expect(brief(diagnostics.filter((d) => d.severity === 'error'))).toEqual([]);
  expect(ir).not.toBeNull();
  return brief([...diagnostics, ...ws]);
}

describe('defaults and label layouts', () => {
  it('every kind gets PyTorch 1.13 (torchvision for focal) defaults; scale 1', () => {
    const terms = ok(spec(flat(1), { loss: '[{ kind: bce_with_logits }, { kind: focal }, { kind: dice, from_logits: true }]' })).loss.terms;
    expect(terms).toMatchObject([
      { kind: 'bce_with_logits', posWeight: null, reduction: 'mean', scale: 1 },
      { kind: 'focal', mode: 'binary', gamma: 2, alpha: 0.25, reduction: 'mean', scale: 1 },
      { kind: 'dice', mode: 'binary', smooth: 1, fromLogits: true, ignoreIndex: -100, scale: 1 },
    ]);
    expect(ok(spec([...flat(1), 'sigmoid'], { loss: '{ kind: bce }' })).loss.terms).toMatchObject([{ kind: 'bce', reduction: 'mean' }]);
    expect(ok(spec(flat(4), { loss: '{ kind: nll }' })).loss.terms).toMatchObject([{ kind: 'nll', weight: null, ignoreIndex: -100, reduction: 'mean' }]);
  });

  it('a one-channel output makes focal and dice binary; several channels, softmax over classes', () => {
    expect(ok(spec(flat(3), { loss: '{ kind: focal }' })).loss).toMatchObject({ targets: 'softmax', labelShape: [], terms: [{ mode: 'softmax' }] });
    expect(ok(spec(map(1), { loss: '{ kind: focal }' })).loss).toMatchObject({ targets: 'binary', labelShape: [1, 28, 28], terms: [{ mode: 'binary' }] });
  });

  it('label maps [H, W] for per-pixel class losses; the output\'s shape for 0/1 targets', () => {
    expect(ok(spec(map(11), { loss: '[{ kind: cross_entropy }, { kind: dice, from_logits: true, scale: 0.5 }]' })).loss)
      .toMatchObject({ targets: 'softmax', labelShape: [28, 28], ignoreIndex: -100, terms: [{ scale: 1 }, { scale: 0.5 }] });
    expect(ok(spec(flat(3), { loss: '{ kind: bce_with_logits, pos_weight: [1, 2, 3] }' })).loss)
      .toMatchObject({ targets: 'binary', labelShape: [3], ignoreIndex: null, terms: [{ posWeight: [1, 2, 3] }] });
    expect(ok(spec(flat(1), { loss: '{ kind: bce_with_logits, pos_weight: 2 }' })).loss.terms).toMatchObject([{ posWeight: [2] }]);
  });
});

describe('loss fit (E05xx)', () => {
  it('E0502 class weights of one term of a sum, at that term', () => {
    const src = spec(map(3), { loss: '[{ kind: cross_entropy }, { kind: nll, weight: [1, 2] }]' });
    expect(errors(src)).toEqual([`${pos(src, '[1, 2]')} E0502 loss weight has 2 class weights, but the model's output has 3 classes`]);
  });

  it('E0503 bce on logits: suggests bce_with_logits', () => {
    const src = spec(flat(1), { loss: '{ kind: bce }' });
    const { diagnostics } = lowerYaml(src);
    expect(brief(diagnostics)).toEqual([`${pos(src, 'bce')} E0503 bce reads probabilities in [0, 1], but the model's output comes from fc (linear), which can leave [0, 1]`]);
    expect(diagnostics[0]!.hint).toContain('bce_with_logits');
  });

  it('E0503 dice on probabilities after a layer that can leave [0, 1] (dropout rescales)', () => {
    const src = spec([...flat(1), 'sigmoid', '{ kind: dropout, p: 0.2 }'], { loss: '{ kind: dice }' });
    const { diagnostics } = lowerYaml(src);
    expect(brief(diagnostics)).toEqual([`${pos(src, 'dice')} E0503 dice reads probabilities in [0, 1], but the model's output comes from dropout_1 (dropout), which can leave [0, 1]`]);
    expect(diagnostics[0]!.hint).toContain('from_logits: true');
  });

  it('bce after sigmoid and then flatten or pooling is a probability', () => {
    ok(spec(['{ kind: conv2d, out_channels: 1, kernel_size: 3 }', 'sigmoid', '{ kind: maxpool2d, kernel_size: 2 }', 'flatten'], { loss: '{ kind: bce }' }));
  });

  it('E0504 terms of a sum that read different targets, at the one that disagrees', () => {
    const src = spec(flat(3), { loss: '[{ kind: cross_entropy }, { kind: bce_with_logits }]' });
    expect(errors(src)).toEqual([
      `${pos(src, 'bce_with_logits')} E0504 bce_with_logits reads 0/1 targets of the output's shape, but cross_entropy reads class indices: the terms of a sum read one label array`]);
  });

  it('E0505 terms that ignore different labels', () => {
    const src = spec(map(3), { loss: '[{ kind: cross_entropy, ignore_index: 255 }, { kind: dice, from_logits: true }]' });
    expect(errors(src)).toEqual([`${pos(src, 'dice')} E0505 dice ignores label -100, but an earlier term ignores 255: the terms read one label array`]);
  });

  it('E0506 pos_weight that fits neither one number nor one per output', () => {
    const src = spec(flat(3), { loss: '{ kind: bce_with_logits, pos_weight: [1, 2] }' });
    expect(errors(src)).toEqual([`${pos(src, '[1, 2]')} E0506 pos_weight has 2 entries, but the output [3] takes 1 or 3`]);
    const px = spec(map(2), { loss: '{ kind: bce_with_logits, pos_weight: [1, 2] }' });
    expect(errors(px)).toEqual([`${pos(px, '[1, 2]')} E0506 pos_weight has 2 entries, but the output [2, 28, 28] takes 1 (one number for every pixel)`]);
  });

  it('E0501 a data task whose labels the loss cannot read, at the task', () => {
    const gan = spec(flat(10), { tail: 'data: { source: mnist, task: real-vs-fake }' });
    expect(errors(gan)).toEqual([`${pos(gan, 'real-vs-fake')} E0501 data task real-vs-fake gives one 0/1 target per image (1 real, 0 fake), ` +
      'but the loss reads one class index per sample for the output [10]']);
    const seg = spec(map(11), { loss: '{ kind: cross_entropy }', tail: 'data: { source: mnist, task: segmentation }' });
    expect(lowerYaml(seg).ir).not.toBeNull();
    const small = spec(['{ kind: maxpool2d, kernel_size: 2 }', ...map(11)], { tail: 'data: { source: mnist, task: segmentation }' });
    expect(errors(small)).toEqual([`${pos(small, 'segmentation')} E0501 data task segmentation gives a [28, 28] label map per image, 11 classes (10 and background), ` +
      'but the loss reads a [14, 14] label map per sample for the output [11, 14, 14]']);
  });
});

describe('loss lints (W06xx)', () => {
  it('W0610 sigmoid before bce_with_logits: a double sigmoid', () => {
    const src = spec([...flat(1), 'sigmoid'], { loss: '{ kind: bce_with_logits }' });
    expect(warnings(src)).toEqual([`${pos(src, '- sigmoid', 'sigmoid')} W0610 sigmoid_1 feeds probabilities to bce_with_logits, which applies its own sigmoid: sigmoid is applied twice`]);
  });

  it('W0610 softmax before focal and before dice from logits', () => {
    const src = spec([...flat(3), 'softmax'], { loss: '[{ kind: focal }, { kind: dice, from_logits: true }]' });
    expect(warnings(src)).toEqual([
      `${pos(src, '- softmax', 'softmax')} W0610 softmax_1 feeds probabilities to focal, which applies its own softmax: softmax is applied twice`,
      `${pos(src, '- softmax', 'softmax')} W0610 softmax_1 feeds probabilities to dice, which applies its own softmax: softmax is applied twice`,
    ]);
  });

  it('W0611 an ignore_index that is one of the classes, at the key', () => {
    const src = spec(map(11), { loss: '{ kind: cross_entropy, ignore_index: 10 }' });
    expect(warnings(src)).toEqual([`${pos(src, 'ignore_index: 10', '10')} W0611 ignore_index 10 is one of the 11 classes: class 10 is never a target, so its output is only ever pushed down`]);
  });

  it('W0612 reduction none in training, and what it means with class weights', () => {
    const src = spec(flat(3), { loss: '{ kind: cross_entropy, weight: [1, 2, 3], reduction: none }' });
    const { warnings: ws } = lowerYaml(src);
    expect(brief(ws)).toEqual([`${pos(src, 'cross_entropy')} W0612 reduction none gives one cross_entropy loss per element; a gradient needs one number, so training back-propagates their plain mean (loss.mean().backward() in PyTorch)`]);
    expect(ws[0]!.hint).toContain('divides by Σ w[y]');
  });

  it('W0609 cross_entropy on one channel suggests bce_with_logits', () => {
    const { warnings: ws } = lowerYaml(spec(flat(1)));
    expect(ws.map((w) => [w.code, w.hint])).toEqual([['W0609', 'for two classes, give the last layer 2 outputs; for one logit, use `bce_with_logits`']]);
  });

  it('no loss warning for the shipped task specs', () => {
    for (const f of ['gan-discriminator', 'segmentation', 'mnist-focal']) {
      const { ir, diagnostics, warnings: ws } = lowerYaml(readSpec(f));
      expect(ir, f).not.toBeNull();
      expect([...diagnostics, ...ws], f).toEqual([]);
    }
  });
});

function readSpec(name: string): string {
  return readFileSync(new URL(`../../specs/${name}.yaml`, import.meta.url), 'utf8');
}

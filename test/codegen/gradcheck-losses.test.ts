// Finite-difference gradient checks for every loss kind, every reduction, label maps with ignore_index,
// and sums of losses: float64 modules, central differences, as gradcheck.test.ts does for the layers.
// Each model starts with a convolution whose weight gradient carries the loss's gradient (the loss's
// dZ reaches it through every later layer); labels are random class indices (some set to ignore_index)
// or random 0/1 targets.
import { describe, it } from 'vitest';
import { compile64, randomInputs, type SpecParts } from './helpers.js';
import { compareWithFiniteDifferences } from './fd.js';


interface Case extends SpecParts {
  readonly title: string;
  /** Classes of random labels (2 for 0/1 targets); labels per sample. */
  readonly classes: number;
  readonly labelSize: number;
  /** Labels set to this value at every 5th position (ignore_index). */
  readonly ignore?: number;
}

const conv = (out: number, rest = '') => `{ kind: conv2d, name: c1, out_channels: ${out}, kernel_size: 3, padding: 1${rest} }`;
const flat = (out: number) => ['{ kind: conv2d, name: c1, out_channels: 2, kernel_size: 3 }', 'flatten', `{ kind: linear, name: fc, out_features: ${out} }`];
const img = [1, 4, 5]; // per-pixel cases: 4×5 = 20 pixels per sample

const CASES: Case[] = [
  // cross_entropy / nll on label maps
  { title: 'cross_entropy per pixel, ignore_index', input: img, layers: [conv(3)], loss: '{ kind: cross_entropy }', classes: 3, labelSize: 20, ignore: -100 },
  { title: 'cross_entropy per pixel, weights, smoothing, ignore_index 255, sum', input: img, layers: [conv(3)],
    loss: '{ kind: cross_entropy, weight: [0.5, 2, 1], label_smoothing: 0.2, ignore_index: 255, reduction: sum }', classes: 3, labelSize: 20, ignore: 255 },
  { title: 'cross_entropy, weights, reduction none (training: the plain mean)', input: [1, 5, 5], layers: flat(4),
    loss: '{ kind: cross_entropy, weight: [0.5, 2, 1, 0.25], reduction: none }', classes: 4, labelSize: 1, ignore: -100 },
  { title: 'log_softmax + nll (fused), weights, ignore_index', input: [1, 5, 5], layers: [...flat(3), 'log_softmax'],
    loss: '{ kind: nll, weight: [1, 3, 0.5] }', classes: 3, labelSize: 1, ignore: -100 },
  { title: 'nll per pixel (on the raw output), ignore_index 7', input: img, layers: [conv(3)], loss: '{ kind: nll, ignore_index: 7 }', classes: 3, labelSize: 20, ignore: 7 },
  // log_softmax / softmax over the channels of [C, H, W] (dim 1, per pixel), as nn.LogSoftmax(dim=1) on NCHW
  { title: 'log_softmax per pixel + nll (fused), class weights, ignore_index 255', input: img, layers: [conv(3), 'log_softmax'],
    loss: '{ kind: nll, weight: [0.5, 2, 1], ignore_index: 255 }', classes: 3, labelSize: 20, ignore: 255 },
  { title: 'log_softmax per pixel + nll, weights, sum reduction (fused), 4 classes', input: img, layers: [conv(4), 'log_softmax'],
    loss: '{ kind: nll, weight: [1, 3, 0.5, 2], reduction: sum }', classes: 4, labelSize: 20, ignore: -100 },
  { title: 'log_softmax per pixel + two nll terms (not fused: log_softmax_backward per pixel), ignore_index', input: img, layers: [conv(3), 'log_softmax'],
    loss: '[{ kind: nll, weight: [0.5, 2, 1] }, { kind: nll, scale: 0.25, reduction: sum }]', classes: 3, labelSize: 20, ignore: -100 },
  { title: 'softmax per pixel + dice (probabilities), smooth 0.5, ignore_index', input: img, layers: [conv(3), 'softmax'],
    loss: '{ kind: dice, smooth: 0.5 }', classes: 3, labelSize: 20, ignore: -100 },
  { title: 'softmax per pixel inside the network (a conv reads it) + cross_entropy per pixel', input: img,
    layers: [conv(3), 'softmax', '{ kind: conv2d, name: c2, out_channels: 3, kernel_size: 1 }'], loss: '{ kind: cross_entropy }', classes: 3, labelSize: 20 },
  { title: 'nll without log_softmax (not fused), sum', input: [1, 5, 5], layers: flat(3), loss: '{ kind: nll, reduction: sum }', classes: 3, labelSize: 1 },
  // binary cross-entropies
  { title: 'bce on sigmoid, 3 independent outputs, mean', input: [1, 5, 5], layers: [...flat(3), 'sigmoid'], loss: '{ kind: bce }', classes: 2, labelSize: 3 },
  { title: 'bce per pixel, sum', input: img, layers: [conv(1), 'sigmoid'], loss: '{ kind: bce, reduction: sum }', classes: 2, labelSize: 20 },
  { title: 'bce, none', input: [1, 5, 5], layers: [...flat(1), 'sigmoid'], loss: '{ kind: bce, reduction: none }', classes: 2, labelSize: 1 },
  { title: 'bce_with_logits, one logit', input: [1, 5, 5], layers: flat(1), loss: '{ kind: bce_with_logits }', classes: 2, labelSize: 1 },
  { title: 'bce_with_logits, pos_weight per output, sum', input: [1, 5, 5], layers: flat(3),
    loss: '{ kind: bce_with_logits, pos_weight: [0.5, 3, 1.5], reduction: sum }', classes: 2, labelSize: 3 },
  { title: 'bce_with_logits per pixel, pos_weight 2.5, none', input: img, layers: [conv(1)],
    loss: '{ kind: bce_with_logits, pos_weight: 2.5, reduction: none }', classes: 2, labelSize: 20 },
  // focal
  { title: 'focal binary (torchvision defaults γ 2, α 0.25)', input: [1, 5, 5], layers: flat(1), loss: '{ kind: focal }', classes: 2, labelSize: 1 },
  { title: 'focal binary per pixel, γ 0.5, α off, sum', input: img, layers: [conv(1)], loss: '{ kind: focal, gamma: 0.5, alpha: -1, reduction: sum }', classes: 2, labelSize: 20 },
  { title: 'focal softmax, 4 classes, γ 2', input: [1, 5, 5], layers: flat(4), loss: '{ kind: focal }', classes: 4, labelSize: 1 },
  { title: 'focal softmax per pixel, γ 1.5, α 0.6, none', input: img, layers: [conv(3)], loss: '{ kind: focal, gamma: 1.5, alpha: 0.6, reduction: none }', classes: 3, labelSize: 20 },
  { title: 'focal softmax, γ 0 (cross-entropy), sum', input: [1, 5, 5], layers: flat(3), loss: '{ kind: focal, gamma: 0, reduction: sum }', classes: 3, labelSize: 1 },
  // dice
  { title: 'dice from logits per pixel, ignore_index', input: img, layers: [conv(3)], loss: '{ kind: dice, from_logits: true }', classes: 3, labelSize: 20, ignore: -100 },
  { title: 'dice on softmax probabilities, smooth 0.5', input: [1, 5, 5], layers: [...flat(3), 'softmax'], loss: '{ kind: dice, smooth: 0.5 }', classes: 3, labelSize: 1 },
  { title: 'dice binary from logits per pixel', input: img, layers: [conv(1)], loss: '{ kind: dice, from_logits: true }', classes: 2, labelSize: 20 },
  { title: 'dice binary on sigmoid probabilities, one output', input: [1, 5, 5], layers: [...flat(1), 'sigmoid'], loss: '{ kind: dice, smooth: 0.1 }', classes: 2, labelSize: 1 },
  // sums
  { title: 'cross_entropy + 0.5·dice per pixel, ignore_index (the segmentation loss)', input: img, layers: [conv(3)],
    loss: '[{ kind: cross_entropy, weight: [1, 2, 0.5] }, { kind: dice, from_logits: true, scale: 0.5 }]', classes: 3, labelSize: 20, ignore: -100 },
  { title: 'bce_with_logits + 2·dice + focal, binary per pixel', input: img, layers: [conv(1)],
    loss: '[{ kind: bce_with_logits }, { kind: dice, from_logits: true, scale: 2 }, { kind: focal, scale: 0.3 }]', classes: 2, labelSize: 20 },
  { title: 'nll twice (a sum is never fused)', input: [1, 5, 5], layers: [...flat(3), 'log_softmax'],
    loss: '[{ kind: nll }, { kind: nll, weight: [1, 2, 3], scale: 0.25, reduction: sum }]', classes: 3, labelSize: 1 },
];

describe('loss gradients by finite differences (float64, central, relative error < 1e-6)', () => {
  for (const c of CASES) {
    it(c.title, async () => {
      const mod = await compile64({ ...c, seed: 7 });
      const model = mod.createModel({ seed: 5 });
      const n = 3;
      const size = c.input.reduce((a, b) => a * b, 1);
      const { x, y } = randomInputs(n, size, c.classes, c.labelSize);
      if (c.ignore !== undefined) for (let i = 2; i < y.length; i += 5) y[i] = c.ignore;
      const loss = (): number => model.computeGradients(x, y, n);
      // The first 10 entries of each tensor (these tensors are small).
      compareWithFiniteDifferences(c.title, model.parameters().filter((p) => p.trainable), loss, (len) => Array.from({ length: Math.min(len, 10) }, (_, i) => i));
    });
  }
});

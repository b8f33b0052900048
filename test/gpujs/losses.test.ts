// Every loss on gpu.js against the TypeScript target (cpu and webasm modes), with the same weights and
// inputs: loss and every parameter gradient (helpers.ts's tolerance). Each term kind, each reduction,
// class weights, label smoothing, ignore_index (some labels 255), per sample and per pixel, binary and
// class-index targets, and weighted sums of terms (`scale`).
import { describe, it } from 'vitest';
import { specYaml } from '../codegen/helpers.js';
import { expectParity, inputs } from './helpers.js';

interface Case {
  readonly title: string;
  readonly layers: readonly string[];
  readonly loss: string;
  /** Labels per sample and their range [0, classes). */
  readonly labels: number;
  readonly classes: number;
  /** Every fifth label becomes 255 (ignore_index). */
  readonly ignore?: boolean;
}

const INPUT = [1, 4, 5];
const conv = (k: number): string => `{ kind: conv2d, name: c1, out_channels: ${k}, kernel_size: 3, padding: 1 }`;
const flat = (k: number): string[] => [conv(2), 'flatten', `{ kind: linear, name: fc, out_features: ${k} }`];
const PIXELS = 20;

const CASES: Case[] = [
  // class indices, one per sample
  { title: 'cross_entropy, class weights, reduction sum', layers: flat(4), loss: '{ kind: cross_entropy, weight: [0.5, 2, 1, 0.25], reduction: sum }', labels: 1, classes: 4 },
  { title: 'cross_entropy, label smoothing, reduction none', layers: flat(4), loss: '{ kind: cross_entropy, label_smoothing: 0.2, reduction: none }', labels: 1, classes: 4 },
  { title: 'log_softmax + nll (fused), class weights, reduction sum', layers: [...flat(4), 'log_softmax'], loss: '{ kind: nll, weight: [0.5, 2, 1, 0.25], reduction: sum }', labels: 1, classes: 4 },
  { title: 'focal (softmax), γ 2, α 0.25', layers: flat(4), loss: '{ kind: focal }', labels: 1, classes: 4 },
  { title: 'focal (softmax), γ 1.5, no α, reduction sum', layers: flat(4), loss: '{ kind: focal, gamma: 1.5, alpha: -1, reduction: sum }', labels: 1, classes: 4 },
  // class indices, one per pixel
  { title: 'per pixel: cross_entropy, class weights, ignore_index 255', layers: [conv(3)], loss: '{ kind: cross_entropy, weight: [1, 2, 0.5], ignore_index: 255 }', labels: PIXELS, classes: 3, ignore: true },
  { title: 'per pixel: log_softmax + nll (fused), ignore_index 255, reduction none', layers: [conv(3), 'log_softmax'], loss: '{ kind: nll, ignore_index: 255, reduction: none }', labels: PIXELS, classes: 3, ignore: true },
  { title: 'per pixel: focal (softmax), γ 2, reduction none', layers: [conv(3)], loss: '{ kind: focal, reduction: none }', labels: PIXELS, classes: 3 },
  { title: 'per pixel: dice from logits, ignore_index 255', layers: [conv(3)], loss: '{ kind: dice, from_logits: true, ignore_index: 255 }', labels: PIXELS, classes: 3, ignore: true },
  { title: 'per pixel: softmax then dice on probabilities, smooth 0.5', layers: [conv(3), 'softmax'], loss: '{ kind: dice, smooth: 0.5 }', labels: PIXELS, classes: 3 },
  { title: 'per pixel: cross_entropy + 0.5 · dice (specs/segmentation.yaml), ignore_index 255', layers: [conv(3)], loss: '[{ kind: cross_entropy, ignore_index: 255 }, { kind: dice, from_logits: true, scale: 0.5, ignore_index: 255 }]', labels: PIXELS, classes: 3, ignore: true },
  { title: 'per pixel: cross_entropy + 0.5 · dice + 2 · focal', layers: [conv(3)], loss: '[{ kind: cross_entropy }, { kind: dice, from_logits: true, scale: 0.5 }, { kind: focal, scale: 2 }]', labels: PIXELS, classes: 3 },
  // binary targets, one per output element
  { title: 'sigmoid then bce', layers: [...flat(1), 'sigmoid'], loss: '{ kind: bce }', labels: 1, classes: 2 },
  { title: 'per pixel: sigmoid then bce, reduction sum', layers: [conv(1), 'sigmoid'], loss: '{ kind: bce, reduction: sum }', labels: PIXELS, classes: 2 },
  { title: 'bce_with_logits, pos_weight 3', layers: flat(1), loss: '{ kind: bce_with_logits, pos_weight: 3 }', labels: 1, classes: 2 },
  { title: 'bce_with_logits on 4 independent outputs, a pos_weight each, reduction none', layers: flat(4), loss: '{ kind: bce_with_logits, pos_weight: [0.5, 1, 2, 4], reduction: none }', labels: 4, classes: 2 },
  { title: 'per pixel: focal (binary), γ 2, α 0.25', layers: [conv(1)], loss: '{ kind: focal }', labels: PIXELS, classes: 2 },
  { title: 'per pixel: focal (binary), γ 0.5, no α, reduction sum', layers: [conv(1)], loss: '{ kind: focal, gamma: 0.5, alpha: -1, reduction: sum }', labels: PIXELS, classes: 2 },
  { title: 'per pixel: dice (binary) from logits', layers: [conv(1)], loss: '{ kind: dice, from_logits: true }', labels: PIXELS, classes: 2 },
  { title: 'per pixel: bce_with_logits + 0.5 · dice (binary)', layers: [conv(1)], loss: '[{ kind: bce_with_logits }, { kind: dice, from_logits: true, scale: 0.5 }]', labels: PIXELS, classes: 2 },
];

const N = 3;

for (const backend of ['cpu', 'webasm'] as const) {
  describe(`gpu.js ${backend}: every loss agrees with the TypeScript target`, () => {
    for (const c of CASES) {
      it(c.title, async () => {
        const { x, y } = inputs(N, INPUT.reduce((p, q) => p * q, 1), c.labels, c.classes);
        if (c.ignore === true) for (let i = 0; i < y.length; i += 5) y[i] = 255;
        await expectParity({ title: c.title, yaml: specYaml({ input: INPUT, layers: c.layers, loss: c.loss }), mode: 'train', backend, n: N, x, y });
      });
    }
  });
}

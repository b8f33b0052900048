// The host loss (runtime/train/losses.ts: the test loss of cnnc train and eval, and reduction none's
// per-element values) against the generated kernels: two implementations of every formula, float64,
// on the same outputs. Batches added one by one must give the loss of the whole as one batch.
import { describe, expect, it } from 'vitest';
import { compile64, randomInputs, specYaml } from '../codegen/helpers.js';
import { checkSource } from '../../compiler/index.js';
import { lossAccumulator, lossElements } from '../../runtime/train/losses.js';

const flat = (out: number) => ['{ kind: conv2d, name: c1, out_channels: 2, kernel_size: 3 }', 'flatten', `{ kind: linear, name: fc, out_features: ${out} }`];
const map = (out: number) => [`{ kind: conv2d, name: c1, out_channels: ${out}, kernel_size: 3, padding: 1 }`];

const CASES: ReadonlyArray<readonly [string, readonly string[], string, number]> = [
  ['cross_entropy, weights, smoothing, ignore_index, label maps', map(3), '{ kind: cross_entropy, weight: [1, 2, 0.5], label_smoothing: 0.1 }', 3],
  ['nll, sum, label maps', map(3), '{ kind: nll, reduction: sum }', 3],
  ['bce on sigmoid, none', [...flat(3), 'sigmoid'], '{ kind: bce, reduction: none }', 2],
  ['bce_with_logits, pos_weight per output', flat(3), '{ kind: bce_with_logits, pos_weight: [0.5, 2, 3] }', 2],
  ['focal binary per pixel, sum', map(1), '{ kind: focal, gamma: 1.5, reduction: sum }', 2],
  ['focal softmax', flat(4), '{ kind: focal, alpha: -1 }', 4],
  ['cross_entropy + dice from logits, label maps', map(3), '[{ kind: cross_entropy }, { kind: dice, from_logits: true, scale: 0.5 }]', 3],
  ['dice binary on probabilities', [...map(1), 'sigmoid'], '{ kind: dice, smooth: 0.3 }', 2],
];

describe('host loss = generated loss (float64)', () => {
  it.each(CASES)('%s', async (_title, layers, loss, classes) => {
    const parts = { input: [1, 4, 5], layers, loss };
    const ir = checkSource(specYaml(parts), 't.yaml').ir!;
    const model = (await compile64(parts)).createModel({ seed: 2 });
    const n = 6;
    const labelSize = ir.loss.labelShape.reduce((a, b) => a * b, 1);
    const { x, y } = randomInputs(n, 20, classes, labelSize);
    if (ir.loss.ignoreIndex !== null) for (let i = 3; i < y.length; i += 7) y[i] = ir.loss.ignoreIndex;
    const out = Float64Array.from(model.forward(x, n));
    const generated = model.computeGradients(x, y, n);
    const whole = lossAccumulator(ir.loss, model.outputShape);
    whole.add(out, y, n);
    expect(whole.value()).toBeCloseTo(generated, 12);
    // Two batches added make the same number as one.
    const split = lossAccumulator(ir.loss, model.outputShape);
    const per = out.length / n;
    split.add(out.subarray(0, 2 * per), y.subarray(0, 2 * labelSize), 2);
    split.add(out.subarray(2 * per), y.subarray(2 * labelSize), n - 2);
    expect(split.value()).toBeCloseTo(generated, 12);
  });

  it('reduction none: the elements are PyTorch\'s, their mean is what the model trains on, ignored ones are 0', async () => {
    const parts = { input: [1, 4, 5], layers: map(3), loss: '{ kind: cross_entropy, weight: [1, 2, 0.5], reduction: none }' };
    const ir = checkSource(specYaml(parts), 't.yaml').ir!;
    const model = (await compile64(parts)).createModel({ seed: 2 });
    const { x, y } = randomInputs(2, 20, 3, 20);
    y[5] = -100;
    const out = Float64Array.from(model.forward(x, 2));
    const elements = lossElements(ir.loss.terms[0]!, model.outputShape, out, y, 2);
    expect(elements).toHaveLength(40);
    expect(elements[5]).toBe(0);
    const mean = elements.reduce((a, b) => a + b, 0) / elements.length;
    expect(model.computeGradients(x, y, 2)).toBeCloseTo(mean, 12);
    expect(() => lossElements({ ...ir.loss.terms[0]!, kind: 'dice', mode: 'softmax', smooth: 1, fromLogits: true, ignoreIndex: -100 }, [3, 4, 5], out, y, 2))
      .toThrow(/no per-element losses/);
  });

  it('labels that fit no loss are refused before anything is written', async () => {
    const model = (await compile64({ input: [1, 4, 5], layers: flat(1), loss: '{ kind: bce_with_logits }' })).createModel({ seed: 2 });
    const { x } = randomInputs(2, 20, 2);
    expect(() => model.computeGradients(x, Int32Array.from([1, 2]), 2)).toThrow('target 2 at index 1 is not 0 or 1');
    const ce = (await compile64({ input: [1, 4, 5], layers: map(3), loss: '{ kind: cross_entropy, ignore_index: 255 }' })).createModel({ seed: 2 });
    const labels = new Int32Array(20).fill(255);
    labels[7] = 3;
    expect(() => ce.computeGradients(x.subarray(0, 20), labels, 1)).toThrow('label 3 at index 7 is not a class in [0, 3) nor ignore_index 255');
  });
});

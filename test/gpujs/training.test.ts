// Training on the gpu.js target: a few trainSteps of each optimizer (update rules of runtime/optim.ts,
// torch.optim 1.13) end with the TypeScript target's weights and optimizer state; the async contract
// gives the sync one's numbers; weights and training state round-trip between the targets.
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../runtime/safetensors.js';
import { specYaml } from '../codegen/helpers.js';
import { bothTargets, compare, inputs } from './helpers.js';

const LAYERS = [
  // No conv bias before a training-mode batchnorm: its true gradient is exactly 0 (the batch mean
  // absorbs it), so both targets compute rounding noise there, which Adam's m/√v blows up to ±lr.
  '{ kind: conv2d, name: c1, out_channels: 3, kernel_size: 3, padding: 1, bias: false }',
  '{ kind: batchnorm2d, name: bn1 }',
  'relu',
  '{ kind: maxpool2d, kernel_size: 2 }',
  '{ kind: dropout2d, p: 0.25 }',
  'flatten',
  '{ kind: linear, name: fc1, out_features: 6 }',
  'tanh',
  '{ kind: linear, name: fc2, out_features: 4 }',
  'log_softmax',
];
const OPTIMIZERS = [
  '{ kind: sgd, lr: 0.1 }',
  '{ kind: sgd, lr: 0.05, momentum: 0.9, dampening: 0.1, weight_decay: 0.01 }',
  '{ kind: sgd, lr: 0.05, momentum: 0.8, nesterov: true }',
  '{ kind: adam, lr: 0.01, weight_decay: 0.02 }',
  '{ kind: adamw, lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weight_decay: 0.1 }',
  '{ kind: adam, lr: 0.01, amsgrad: true }',
  '{ kind: adamw, lr: 0.01, weight_decay: 0.1, amsgrad: true }',
  '{ kind: rmsprop, lr: 0.01 }',
  '{ kind: rmsprop, lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weight_decay: 0.01 }',
  '{ kind: rmsprop, lr: 0.005, momentum: 0.9 }',
  '{ kind: adagrad, lr: 0.05, lr_decay: 0.1, weight_decay: 0.01, initial_accumulator_value: 0.1 }',
  '{ kind: adagrad }',
  '{ kind: adadelta, rho: 0.8, weight_decay: 0.01 }',
  // Gradient clipping, on the host between the gradients and the optimizer's kernels (tight enough to clip every step).
  '{ kind: sgd, lr: 0.1, momentum: 0.9 } + clip_grad_norm: { max_norm: 0.05 }',
  '{ kind: adam, lr: 0.01 } + clip_grad_norm: { max_norm: 0.05, norm_type: inf }',
  '{ kind: sgd, lr: 0.1 } + clip_grad_value: { clip_value: 0.01 }',
];
/** `optimizer + train-key: value`: the optimizer, and a train key put into the spec's train line. */
function withRecipe(yaml: string, entry: string): string {
  const [, extra] = entry.split(' + ');
  return extra === undefined ? yaml : yaml.replace(/^train: \{ (.*) \}$/m, `train: { $1, ${extra} }`);
}
const STEPS = 3;
const N = 4;

describe('trainStep on gpu.js (webasm) matches the TypeScript target', () => {
  for (const optimizer of OPTIMIZERS) {
    it(optimizer, async () => {
      const { ts, gj } = await bothTargets(withRecipe(specYaml({ input: [1, 6, 6], layers: LAYERS, loss: '{ kind: nll }', optimizer: optimizer.split(' + ')[0]! }), optimizer));
      const a = ts.createModel({ seed: 2 });
      const b = gj.createModel({ seed: 2, backend: 'webasm' });
      try {
        a.train();
        b.train();
        // Before any step the slots already agree (adagrad's sum starts at initial_accumulator_value on both).
        const s0 = a.getTrainingState().slots;
        expect(b.getTrainingState().slots.map((s) => [s.name, Array.from(s.data)])).toEqual(s0.map((s) => [s.name, Array.from(s.data)]));
        const losses: [number, number][] = [];
        for (let s = 0; s < STEPS; s++) {
          const { x, y } = inputs(N, 36, 1, 4, 100 + s);
          losses.push([a.trainStep(x, y, N), b.trainStep(x, y, N)]);
        }
        const rows = losses.map(([la, lb], i) => compare(`loss ${i + 1}`, [lb], [la]));
        const pa = a.parameters();
        const pb = b.parameters();
        for (let i = 0; i < pa.length; i++) rows.push(compare(pa[i]!.name, pb[i]!.data, pa[i]!.data));
        const sa = a.getTrainingState();
        const sb = b.getTrainingState();
        expect(sb.step).toBe(sa.step);
        expect(sb.rng).toEqual(sa.rng);
        expect(sb.slots.map((s) => s.name)).toEqual(sa.slots.map((s) => s.name));
        for (let i = 0; i < sa.slots.length; i++) rows.push(compare(sa.slots[i]!.name, sb.slots[i]!.data, sa.slots[i]!.data));
        console.log(`${optimizer}, ${STEPS} steps\n${rows.map((r) => `  ${r.name.padEnd(28)} max |Δ| ${r.maxAbs.toExponential(2)}  (${r.worst.toFixed(3)} of tolerance)`).join('\n')}`);
        for (const r of rows) expect(r.worst, r.name).toBeLessThanOrEqual(1);
      } finally {
        b.dispose();
      }
    });
  }
});

describe('gpu.js model contract', () => {
  const yaml = specYaml({ input: [1, 6, 6], layers: LAYERS, loss: '{ kind: nll }', optimizer: '{ kind: adam, lr: 0.01 }' });

  it('the async methods give the sync numbers (cpu, asyncMode on)', async () => {
    const { gj } = await bothTargets(yaml);
    const a = gj.createModel({ seed: 4, backend: 'cpu' });
    const b = gj.createModel({ seed: 4, backend: 'cpu', async: true });
    a.train();
    b.train();
    const { x, y } = inputs(N, 36, 1, 4);
    expect(await b.trainStepAsync(x, y, N)).toBe(a.trainStep(x, y, N));
    a.eval();
    b.eval();
    expect(Array.from(await b.forwardAsync(x, N))).toEqual(Array.from(a.forward(x, N)));
    a.dispose();
    b.dispose();
  });

  it('weights and training state move between the targets', async () => {
    const { ts, gj } = await bothTargets(yaml);
    const a = ts.createModel({ seed: 1 });
    const b = gj.createModel({ seed: 9, backend: 'webasm' });
    a.train();
    const { x, y } = inputs(N, 36, 1, 4);
    a.trainStep(x, y, N);
    b.loadWeights(a.saveWeights());
    b.setTrainingState(a.getTrainingState());
    expect(Array.from(b.saveWeights())).toEqual(Array.from(a.saveWeights()));
    // Both write num_batches_tracked as PyTorch's int64 (the bytes above are equal; this says which they are).
    expect(decodeSafetensors(b.saveWeights()).tensors.get('bn1.num_batches_tracked')?.dtype).toBe('I64');
    b.train();
    const { x: x2, y: y2 } = inputs(N, 36, 1, 4, 11);
    const r = compare('loss after restore', [b.trainStep(x2, y2, N)], [a.trainStep(x2, y2, N)]);
    expect(r.worst).toBeLessThanOrEqual(1);
    // Writes through parameters() reach the device before the next step (a checkpoint restore does this).
    const pb = b.parameters();
    for (const p of pb) p.data.fill(0);
    b.eval();
    const out = b.forward(x, N);
    expect(Array.from(out.subarray(0, 4)).every((v) => Math.abs(v - Math.log(0.25)) < 1e-6)).toBe(true);
    b.dispose();
  });

  it('refuses bad inputs and labels as the TypeScript target does, and an unknown backend', async () => {
    const { gj } = await bothTargets(yaml);
    const b = gj.createModel({ backend: 'cpu' });
    const { x, y } = inputs(N, 36, 1, 4);
    expect(() => b.forward(x, 0)).toThrow(/batch size must be a positive integer/);
    expect(() => b.forward(x.subarray(1), N)).toThrow(/input: expected 144 values/);
    expect(() => b.computeGradients(x, new Int32Array([0, 1, 9, 2]), N)).toThrow(/label 9 at index 2 is not a class in \[0, 4\)/);
    expect(() => b.computeGradients(x, y.subarray(1), N)).toThrow(/labels: expected 4 values/);
    expect(() => gj.createModel({ backend: 'webgl2' })).toThrow(/gpu.js backend "webgl2" is not available here/);
    expect(() => gj.createModel({ backend: 'vulkan' as 'cpu' })).toThrow(/unknown gpu.js backend "vulkan"/);
    b.dispose();
  });

  it('findNonFinite names the first layer whose output went non-finite', async () => {
    const { gj } = await bothTargets(yaml);
    const b = gj.createModel({ backend: 'cpu' });
    b.train();
    const { x, y } = inputs(N, 36, 1, 4);
    b.computeGradients(x, y, N);
    expect(b.findNonFinite()).toBeNull();
    x[3] = Number.NaN;
    expect(Number.isNaN(b.computeGradients(x, y, N))).toBe(true);
    expect(b.findNonFinite()).toEqual({ layer: 'c1', tensor: 'output' });
    b.dispose();
  });
});

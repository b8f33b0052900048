// The generated module's contract (runtime/model.ts) on small models: modes, training, weights files,
// reproducibility, non-finite detection, allocation.
import { describe, expect, it } from 'vitest';
import { generateOrThrow, importGenerated, specYaml, type SpecParts } from './helpers.js';
import type { CompiledModel } from '../../runtime/model.js';

const SMALL: SpecParts = {
  name: 'Small',
  input: [1, 6, 6],
  layers: [
    '{ kind: conv2d, name: conv1, out_channels: 4, kernel_size: 3, bias: false }',
    '{ kind: batchnorm2d, name: bn1 }',
    'relu',
    '{ kind: maxpool2d, kernel_size: 2 }',
    '{ kind: dropout2d, p: 0.25 }',
    'flatten',
    '{ kind: linear, name: fc1, out_features: 8 }',
    'relu',
    '{ kind: dropout, p: 0.5 }',
    '{ kind: linear, name: fc2, out_features: 2 }',
    'log_softmax',
  ],
  loss: '{ kind: nll }',
  optimizer: '{ kind: adam, lr: 0.01 }',
};

async function small(seed = 1): Promise<CompiledModel<Float32Array>> {
  const mod = await importGenerated<Float32Array>(generateOrThrow(specYaml(SMALL), 'float32'));
  return mod.createModel({ seed });
}

/** Two classes: the brighter half of the image (left or right), plus noise. */
function halves(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  let s = seed;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  const x = new Float32Array(n * 36);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rnd() < 0.5 ? 0 : 1;
    for (let h = 0; h < 6; h++) for (let w = 0; w < 6; w++) x[i * 36 + h * 6 + w] = ((w < 3) === (y[i] === 0) ? 1 : 0) + 0.3 * (rnd() - 0.5);
  }
  return { x, y };
}

const snapshot = (m: CompiledModel<Float32Array>): Float32Array[] => m.parameters().map((p) => Float32Array.from(p.data));

describe('modes', () => {
  it('a new model is in eval mode; eval forward is deterministic and draws nothing from the RNG', async () => {
    const m = await small();
    expect(m.training).toBe(false);
    const { x } = halves(4, 9);
    const rng = m.getTrainingState().rng;
    const a = Float32Array.from(m.forward(x, 4));
    const b = Float32Array.from(m.forward(x, 4));
    expect(b).toEqual(a);
    expect(m.getTrainingState().rng).toEqual(rng);
  });

  it('training mode draws dropout masks (the RNG moves, outputs differ) and updates batchnorm statistics', async () => {
    const m = await small();
    const { x } = halves(4, 9);
    m.train();
    expect(m.training).toBe(true);
    const rng = m.getTrainingState().rng;
    const a = Float32Array.from(m.forward(x, 4));
    const b = Float32Array.from(m.forward(x, 4));
    expect(b).not.toEqual(a);
    expect(m.getTrainingState().rng).not.toEqual(rng);
    const p = Object.fromEntries(m.parameters().map((v) => [v.name, v]));
    expect(p['bn1.num_batches_tracked']?.data[0]).toBe(2);
    expect(Array.from(p['bn1.running_mean']?.data ?? []).some((v) => v !== 0)).toBe(true);
  });

  it('batchnorm: running_mean/var move by momentum toward the batch mean and the unbiased variance', async () => {
    const mod = await importGenerated<Float64Array>(
      generateOrThrow(specYaml({ input: [2, 3, 3], layers: ['{ kind: batchnorm2d, name: bn }', 'flatten', '{ kind: linear, name: fc, out_features: 2 }'] }), 'float64'),
    );
    const m = mod.createModel({ seed: 1 });
    const n = 3;
    const x = Float64Array.from({ length: n * 18 }, (_, i) => Math.sin(i * 1.7) * 2 + (i % 18 < 9 ? 1 : -1));
    m.train();
    m.forward(x, n);
    const p = Object.fromEntries(m.parameters().map((v) => [v.name, v]));
    for (let c = 0; c < 2; c++) {
      const vals: number[] = [];
      for (let s = 0; s < n; s++) for (let j = 0; j < 9; j++) vals.push(x[s * 18 + c * 9 + j]!);
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const unbiased = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1);
      expect(p['bn.running_mean']?.data[c]).toBeCloseTo(0.1 * mean, 12);
      expect(p['bn.running_var']?.data[c]).toBeCloseTo(0.9 + 0.1 * unbiased, 12);
    }
    // Eval mode normalizes with those running statistics.
    m.eval();
    const out = Float64Array.from(m.forward(x, n));
    p['bn.running_mean']!.data.fill(0);
    p['bn.running_var']!.data.fill(1);
    expect(Float64Array.from(m.forward(x, n))).not.toEqual(out);
  });
});

describe('training', () => {
  it('loss decreases on a tiny synthetic problem', async () => {
    const m = await small(3);
    m.train();
    const losses: number[] = [];
    for (let step = 0; step < 80; step++) {
      const { x, y } = halves(16, step + 1);
      losses.push(m.trainStep(x, y, 16));
    }
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(first).toBeGreaterThan(0.5);
    expect(last).toBeLessThan(0.25);
    m.eval();
    const { x, y } = halves(64, 999);
    const out = m.forward(x, 64);
    let correct = 0;
    for (let i = 0; i < 64; i++) if ((out[i * 2 + 1]! > out[i * 2]! ? 1 : 0) === y[i]) correct++;
    expect(correct).toBeGreaterThanOrEqual(60);
  });

  it('a seed reproduces a run bit for bit, and a saved training state continues it exactly', async () => {
    const a = await small(11);
    const b = await small(11);
    a.train();
    b.train();
    for (let step = 0; step < 3; step++) {
      const { x, y } = halves(8, step + 50);
      expect(b.trainStep(x, y, 8)).toBe(a.trainStep(x, y, 8));
    }
    expect(snapshot(b)).toEqual(snapshot(a));
    const c = await small(99);
    c.train();
    c.loadWeights(a.saveWeights());
    c.setTrainingState(a.getTrainingState());
    for (let step = 3; step < 6; step++) {
      const { x, y } = halves(8, step + 50);
      expect(c.trainStep(x, y, 8)).toBe(a.trainStep(x, y, 8));
    }
    expect(snapshot(c)).toEqual(snapshot(a));
  });

  it('computeGradients zeroes, then accumulates: the same batch twice gives the same gradients', async () => {
    const m = await small(4);
    const { x, y } = halves(8, 3);
    m.computeGradients(x, y, 8);
    const g1 = m.parameters().map((p) => Float32Array.from(p.grad));
    m.computeGradients(x, y, 8);
    expect(m.parameters().map((p) => Float32Array.from(p.grad))).toEqual(g1);
    expect(m.parameters().filter((p) => !p.trainable).every((p) => p.grad.every((v) => v === 0))).toBe(true);
  });

  it('findNonFinite names the first layer whose output holds a NaN', async () => {
    const m = await small(4);
    const { x, y } = halves(4, 3);
    m.computeGradients(x, y, 4);
    expect(m.findNonFinite()).toBeNull();
    const fc1 = m.parameters().find((p) => p.name === 'fc1.weight')!;
    fc1.data[0] = Number.NaN;
    expect(Number.isNaN(m.computeGradients(x, y, 4))).toBe(true);
    expect(m.findNonFinite()).toEqual({ layer: 'fc1', tensor: 'output' });
  });

  it('a smaller batch after a larger one reuses the arena; heap stays flat over 200 steps', async () => {
    const m = await small(4);
    m.train();
    const { x, y } = halves(16, 3);
    for (let i = 0; i < 20; i++) m.trainStep(x, y, 16);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 200; i++) m.trainStep(x, y, i % 2 === 0 ? 16 : 5);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('refuses a bad batch size, a short input and out-of-range labels with a RangeError', async () => {
    const m = await small();
    const { x, y } = halves(4, 1);
    expect(() => m.forward(x, 0)).toThrow(RangeError);
    expect(() => m.forward(x, 5)).toThrow(/input: expected 180 values/);
    expect(() => m.computeGradients(x, Int32Array.from([0, 1, 2, 0]), 4)).toThrow(/label 2 at index 2/);
  });
});

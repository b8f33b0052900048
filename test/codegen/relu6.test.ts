// relu6 (nn.ReLU6 = Hardtanh(0, 6)) on inputs that reach both clamps: the every-activation cases feed it
// small values (conv outputs of inputs in [-1, 1]), which never reach 6. Here a linear layer with weight 10·I
// spreads them over [-10, 10]: the forward is min(max(x, 0), 6) exactly, and the gradient matches finite
// differences through both flat parts and the slope.
import { describe, expect, it } from 'vitest';
import { compile64, randomInputs } from './helpers.js';
import { compareWithFiniteDifferences } from './fd.js';

const spec = { input: [1, 1, 8], layers: ['flatten', '{ kind: linear, name: fc, out_features: 8 }', 'relu6'], loss: '{ kind: cross_entropy }' };

async function scaledModel() {
  const mod = await compile64(spec);
  const model = mod.createModel({ seed: 1 });
  const [w, b] = model.parameters();
  w!.data.fill(0);
  for (let i = 0; i < 8; i++) w!.data[i * 8 + i] = 10;
  b!.data.fill(0);
  return model;
}

describe('relu6', () => {
  it('forward: min(max(x, 0), 6) on both sides of both clamps', async () => {
    const model = await scaledModel();
    model.eval();
    const x = Float64Array.from([-0.9, -0.05, 0.01, 0.3, 0.59, 0.61, 0.95, 0.6]);
    const y = model.forward(x, 1);
    expect(Array.from(y)).toEqual(Array.from(x, (v) => Math.min(Math.max(10 * v, 0), 6)));
    expect(Array.from(y)).toContain(6);
    expect(Array.from(y)).toContain(0);
  });

  it('backward: the gradient matches finite differences where inputs lie below 0, between, and above 6', async () => {
    const model = await scaledModel();
    const n = 4;
    const { x, y } = randomInputs(n, 8, 8);
    const pre = Array.from(x, (v) => v * 10);
    expect(pre.some((v) => v < 0) && pre.some((v) => v > 0 && v < 6) && pre.some((v) => v > 6)).toBe(true);
    const state = model.getTrainingState();
    const loss = (): number => {
      model.setTrainingState(state);
      return model.computeGradients(x, y, n);
    };
    // The weight's diagonal and the bias: entries whose gradient goes through relu6 at each of its parts.
    const lines = compareWithFiniteDifferences('relu6 over [-10, 10]', model.parameters(), loss, (len) =>
      len === 64 ? Array.from({ length: 8 }, (_, i) => i * 9) : Array.from({ length: len }, (_, i) => i));
    expect(lines).toHaveLength(2);
  });
});

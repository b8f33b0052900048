// A hand-written CompiledModel for testing the loop before (and independently of) generated code:
// softmax regression (linear [classes × features] + cross-entropy) trained by SGD with momentum,
// so checkpoints carry optimizer slots. Its gradient is the textbook p - y.
import type { CompiledModel, ParameterView, TrainingState } from '../../runtime/model.js';
import { encodeSafetensors } from '../../runtime/safetensors.js';
import { predictOutput, type ModelMetadata } from '../../runtime/app.js';

export function createSoftmaxRegression(o: { seed?: number; inputShape?: number[]; classes?: number; lr?: number; momentum?: number } = {}): CompiledModel {
  const inputShape = o.inputShape ?? [1, 28, 28];
  const F = inputShape.reduce((a, b) => a * b, 1);
  const C = o.classes ?? 10;
  const W = new Float32Array(C * F);
  const b = new Float32Array(C);
  const dW = new Float32Array(C * F);
  const db = new Float32Array(C);
  const vW = new Float32Array(C * F);
  const vb = new Float32Array(C);
  let lr = o.lr ?? 0.1;
  const momentum = o.momentum ?? 0.9;
  let step = 0;
  let out = new Float32Array(0);
  let training = true;
  let lastNonFinite: { layer: string; tensor: string } | null = null;
  // A tiny LCG so the fake does not depend on runtime/rng.ts.
  let s = (o.seed ?? 0) * 2654435761 + 1;
  const rand = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const bound = 1 / Math.sqrt(F);
  for (let i = 0; i < W.length; i++) W[i] = (rand() * 2 - 1) * bound;

  const forward = (x: Float32Array, n: number): Float32Array => {
    if (out.length < n * C) out = new Float32Array(n * C);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < C; c++) {
        let acc = b[c]!;
        for (let f = 0; f < F; f++) acc += W[c * F + f]! * x[i * F + f]!;
        out[i * C + c] = acc;
      }
    }
    return out.subarray(0, n * C);
  };

  const computeGradients = (x: Float32Array, y: Int32Array, n: number): number => {
    const logits = forward(x, n);
    dW.fill(0);
    db.fill(0);
    let loss = 0;
    lastNonFinite = null;
    for (let i = 0; i < n; i++) {
      const row = logits.subarray(i * C, (i + 1) * C);
      if (!lastNonFinite && row.some((v) => !Number.isFinite(v))) lastNonFinite = { layer: 'fc', tensor: 'output' };
      const max = Math.max(...row);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(row[c]! - max);
      loss += -(row[y[i]!]! - max - Math.log(sum));
      for (let c = 0; c < C; c++) {
        const g = (Math.exp(row[c]! - max) / sum - (c === y[i] ? 1 : 0)) / n;
        db[c]! += g;
        for (let f = 0; f < F; f++) dW[c * F + f]! += g * x[i * F + f]!;
      }
    }
    return loss / n;
  };

  const params: ParameterView[] = [
    { name: 'fc.weight', shape: [C, F], data: W, grad: dW, trainable: true },
    { name: 'fc.bias', shape: [C], data: b, grad: db, trainable: true },
  ];

  const metadata: ModelMetadata = { name: 'SoftmaxRegression', specHash: 'f'.repeat(64), inputShape, outputShape: [C], output: 'logits', classes: null, transforms: [], parameters: C * F + C, dtype: 'float32', cnncVersion: '0.1.0', target: 'ts' };
  return {
    name: 'SoftmaxRegression',
    specHash: 'f'.repeat(64),
    inputShape,
    outputShape: [C],
    metadata,
    classNames: null,
    predict: (x, n) => predictOutput(forward(x, n), n, metadata, null),
    forward,
    train: () => void (training = true),
    eval: () => void (training = false),
    get training() {
      return training;
    },
    computeGradients,
    trainStep(x, y, n) {
      const loss = computeGradients(x, y, n);
      // torch.optim.SGD: v = μ·v + g (v = g on the first step); p -= lr·v
      for (const [p, g, v] of [[W, dW, vW], [b, db, vb]] as const) {
        for (let i = 0; i < p.length; i++) {
          v[i] = step === 0 ? g[i]! : momentum * v[i]! + g[i]!;
          p[i]! -= lr * v[i]!;
        }
      }
      step++;
      return loss;
    },
    parameters: () => params,
    saveWeights: () => encodeSafetensors(params.map((p) => ({ name: p.name, shape: p.shape, data: p.data }))),
    loadWeights: () => {
      throw new Error('fake model: loadWeights not implemented');
    },
    getTrainingState: (): TrainingState => ({ step, slots: [{ name: 'fc.weight.momentum_buffer', data: vW }, { name: 'fc.bias.momentum_buffer', data: vb }], rng: [s] }),
    setTrainingState(state) {
      step = state.step;
      for (const slot of state.slots) (slot.name.startsWith('fc.weight') ? vW : vb).set(slot.data);
      s = state.rng[0]!;
    },
    setLearningRate: (v) => void (lr = v),
    findNonFinite: () => lastNonFinite,
  };
}

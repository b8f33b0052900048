// Shared by the training tests: a minimal IR for the hand-written model, and captured output.
import type { ModelIR } from '../../compiler/ir/types.js';

/** Just the fields `train()` reads, for the softmax-regression fake (logits + cross_entropy). */
export function fakeIr(o: { specHash?: string; lr?: number; epochs?: number; batchSize?: number } = {}): ModelIR {
  return {
    name: 'SoftmaxRegression',
    specHash: o.specHash ?? 'f'.repeat(64),
    input: { shape: [1, 28, 28] },
    nodes: [{ name: 'fc', kind: 'linear', outShape: [10] }],
    output: 'fc',
    loss: {
      terms: [{ kind: 'cross_entropy', labelSmoothing: 0, weight: null, ignoreIndex: -100, reduction: 'mean', scale: 1 }],
      targets: 'softmax',
      labelShape: [],
      ignoreIndex: -100,
    },
    optimizer: { kind: 'sgd', lr: o.lr ?? 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
    scheduler: null,
    train: { batchSize: o.batchSize ?? 32, epochs: o.epochs ?? 2, seed: 7, clip: null, earlyStopping: null },
    data: { source: 'mnist', task: 'classification', valSplit: null, transforms: { eval: [], train: [] } },
  } as unknown as ModelIR;
}

export interface Captured {
  readonly stdout: { write(t: string): void };
  readonly stderr: { write(t: string): void; isTTY: boolean };
  out(): string;
  err(): string;
}

export function capture(): Captured {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => void (out += t) },
    stderr: { write: (t: string) => void (err += t), isTTY: false },
    out: () => out,
    err: () => err,
  };
}

// Test-split evaluation: the spec's loss computed from the model's outputs, top-1 accuracy and a
// confusion matrix. Mirrors the seed's PyTorch test loop: model.eval(), forward in batches,
// loss summed over samples then divided once (F.nll_loss(..., reduction='sum') / len(dataset)).
import type { LossIR } from '../../compiler/ir/types.js';
import { assertNever } from '../../compiler/ir/types.js';
import type { LabeledImages } from '../data/idx.js';
import type { CompiledModel } from '../model.js';

export interface Evaluation {
  /** The spec's loss, mean over the split (weighted mean when the loss has class weights). */
  readonly loss: number;
  /** Top-1 accuracy in [0, 1]. */
  readonly accuracy: number;
  readonly correct: number;
  readonly n: number;
  /** confusion[truth][predicted], classes × classes. */
  readonly confusion: number[][];
}

export function evaluate(model: CompiledModel, data: LabeledImages, loss: LossIR, batchSize: number): Evaluation {
  const classes = model.outputShape[0]!;
  const sampleSize = data.images.length / data.n;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let weightSum = 0;
  let correct = 0;
  try {
    for (let start = 0; start < data.n; start += batchSize) {
      const n = Math.min(batchSize, data.n - start);
      const x = data.images.subarray(start * sampleSize, (start + n) * sampleSize);
      const out = model.forward(x, n);
      for (let i = 0; i < n; i++) {
        const row = out.subarray(i * classes, (i + 1) * classes);
        const y = data.labels[start + i]!;
        const l = sampleLoss(row, y, loss);
        lossSum += l.value;
        weightSum += l.weight;
        const p = argmax(row);
        confusion[y]![p]!++;
        if (p === y) correct++;
      }
    }
  } finally {
    if (wasTraining) model.train();
  }
  return { loss: lossSum / weightSum, accuracy: correct / data.n, correct, n: data.n, confusion };
}

/**
 * One sample's loss and its weight in the mean, as torch.nn.functional 1.13 defines them:
 * nll_loss takes log-probabilities: -w[y]·x[y], mean divides by Σ w[y].
 * cross_entropy takes logits: log_softmax, then (1-ε)·(-w[y]·lp[y]) + (ε/C)·Σ_c(-w[c]·lp[c]).
 */
export function sampleLoss(row: ArrayLike<number>, y: number, loss: LossIR): { value: number; weight: number } {
  const w = (c: number): number => (loss.weight === null ? 1 : loss.weight[c]!);
  switch (loss.kind) {
    case 'nll':
      return { value: -w(y) * row[y]!, weight: w(y) };
    case 'cross_entropy': {
      const C = row.length;
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, row[c]!);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(row[c]! - max);
      const logZ = max + Math.log(sum);
      const eps = loss.labelSmoothing;
      let smooth = 0;
      if (eps > 0) for (let c = 0; c < C; c++) smooth -= w(c) * (row[c]! - logZ);
      return { value: (1 - eps) * -w(y) * (row[y]! - logZ) + (eps / C) * smooth, weight: w(y) };
    }
    default:
      return assertNever(loss, 'loss kind');
  }
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
  return best;
}

// Test-split evaluation: the spec's loss computed from the model's outputs (losses.ts: the split as one
// batch, as the seed's PyTorch test loop sums, then divides once), accuracy, a confusion matrix and, for
// per-pixel outputs, the mean IoU. model.eval(), forward in batches.
//
// What is predicted, and so what "accuracy" is:
// - class-index labels (cross_entropy, nll, focal and dice on several channels): the argmax over the
//   channels, per sample or per pixel; labels equal to ignore_index are skipped.
// - 0/1 targets (bce, bce_with_logits, focal and dice on one channel): each output element is 1 when the
//   output says so — a logit above 0, or a probability above 0.5 — binary accuracy, a 2×2 confusion.
// Mean IoU (per-pixel outputs only): mean over the classes that occur in truth or prediction of
// TP / (TP + FP + FN), from the confusion matrix over every pixel of the split.
import type { LossDescription } from '../contracts.js';
import { sampleSizeOf, type LabeledImages } from '../data/idx.js';
import type { CompiledModel } from '../model.js';
import { lossAccumulator } from './losses.js';

export interface Evaluation {
  /** The spec's loss over the split, as one batch. */
  readonly loss: number;
  /** Correct predictions / positions, in [0, 1]: per sample, per pixel, or per binary output. */
  readonly accuracy: number;
  readonly correct: number;
  /** Positions predicted (samples, pixels or binary outputs; ignored labels not counted). */
  readonly positions: number;
  /** Samples (images). */
  readonly n: number;
  /** confusion[truth][predicted]: classes × classes, or 2 × 2 for 0/1 targets. */
  readonly confusion: number[][];
  /** Mean intersection over union, for per-pixel outputs; null otherwise. */
  readonly miou: number | null;
}

export function evaluate(model: CompiledModel, data: LabeledImages, loss: LossDescription, batchSize: number): Evaluation {
  const shape = model.outputShape;
  const outSize = shape.reduce((a, b) => a * b, 1);
  const binary = loss.targets === 'binary';
  const C = shape[0]!;
  const inner = outSize / C;
  const K = binary ? 2 : C;
  const labelSize = loss.labelShape.reduce((a, b) => a * b, 1);
  const sampleSize = sampleSizeOf(data);
  // A streamed split (not in memory) is read batch by batch into one buffer.
  const read = data.read;
  const buffer = read === undefined ? null : new Float32Array(Math.min(batchSize, data.n) * sampleSize);
  const threshold = binary ? binaryThreshold(loss) : 0;
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  const acc = lossAccumulator(loss, shape);
  const wasTraining = model.training;
  model.eval();
  try {
    for (let start = 0; start < data.n; start += batchSize) {
      const n = Math.min(batchSize, data.n - start);
      let x: Float32Array;
      if (read === undefined) x = data.images.subarray(start * sampleSize, (start + n) * sampleSize);
      else {
        for (let i = 0; i < n; i++) read(start + i, buffer!, i * sampleSize);
        x = buffer!.subarray(0, n * sampleSize);
      }
      const out = model.forward(x, n);
      const labels = data.labels.subarray(start * labelSize, (start + n) * labelSize);
      acc.add(out, labels, n);
      if (binary) {
        for (let i = 0; i < n * outSize; i++) confusion[labels[i]!]![out[i]! > threshold ? 1 : 0]!++;
        continue;
      }
      for (let r = 0; r < n * inner; r++) {
        const y = labels[r]!;
        if (y === loss.ignoreIndex) continue;
        const o = Math.floor(r / inner) * outSize + (r % inner);
        let best = 0;
        for (let c = 1; c < C; c++) if (out[o + c * inner]! > out[o + best * inner]!) best = c;
        confusion[y]![best]!++;
      }
    }
  } finally {
    if (wasTraining) model.train();
  }
  const correct = confusion.reduce((s, row, c) => s + row[c]!, 0);
  const positions = confusion.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
  const perPixel = loss.labelShape.length > (binary ? 1 : 0);
  return {
    loss: acc.value(),
    accuracy: correct / positions,
    correct,
    positions,
    n: data.n,
    confusion,
    miou: perPixel ? meanIou(confusion) : null,
  };
}

/** A logit above 0, or a probability above 0.5: what the first term reads. */
function binaryThreshold(loss: LossDescription): number {
  const t = loss.terms[0]!;
  return t.kind === 'bce' || (t.kind === 'dice' && !t.fromLogits) ? 0.5 : 0;
}

/** Mean over the classes present (in truth or prediction) of TP / (TP + FP + FN). */
export function meanIou(confusion: readonly (readonly number[])[]): number {
  let sum = 0;
  let classes = 0;
  confusion.forEach((row, c) => {
    const tp = row[c]!;
    const fn = row.reduce((a, b) => a + b, 0) - tp;
    const fp = confusion.reduce((a, r) => a + r[c]!, 0) - tp;
    if (tp + fp + fn === 0) return;
    sum += tp / (tp + fp + fn);
    classes++;
  });
  return classes === 0 ? 0 : sum / classes;
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
  return best;
}

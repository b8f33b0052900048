import { describe, expect, it } from 'vitest';
import type { LossIR, LossTermIR, Span } from '../../compiler/ir/types.js';
import { argmax } from '../../runtime/train/evaluate.js';
import { lossAccumulator } from '../../runtime/train/losses.js';

const span = {} as Span;
const x = [
  [1.0, -2.0, 0.5, 3.0],
  [0.2, 0.1, -0.3, 0.0],
  [-1.0, 2.0, 2.0, 0.5],
];
const y = [3, 0, 1];
const w = [0.5, 2.0, 1.0, 1.5];

const ce = (labelSmoothing: number, weight: number[] | null) =>
  ({ kind: 'cross_entropy', labelSmoothing, weight, ignoreIndex: -100, reduction: 'mean', scale: 1, span }) as LossTermIR;
const nll = (weight: number[] | null) => ({ kind: 'nll', weight, ignoreIndex: -100, reduction: 'mean', scale: 1, span }) as LossTermIR;

/** Mean reduction as PyTorch does it: Σ w[y]·l / Σ w[y]; the rows added in two batches, as evaluate does. */
function mean(term: LossTermIR, rows: number[][]): number {
  const loss: LossIR = { terms: [term], targets: 'softmax', labelShape: [], ignoreIndex: -100, span };
  const acc = lossAccumulator(loss, [4]);
  acc.add(rows.slice(0, 2).flat(), y.slice(0, 2), 2);
  acc.add(rows.slice(2).flat(), y.slice(2), 1);
  return acc.value();
}

const logSoftmax = (r: number[]) => {
  const m = Math.max(...r);
  const z = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
  return r.map((v) => v - z);
};

describe('test loss from outputs matches torch.nn.functional (1.13, float64)', () => {
  // Reference values printed by /usr/bin/python3 with torch 1.13 (F.cross_entropy / F.nll_loss).
  it.each([
    ['cross_entropy', ce(0, null), x, 0.7421065197608443],
    ['weighted cross_entropy', ce(0, w), x, 0.6367523552517821],
    ['cross_entropy, label_smoothing 0.1', ce(0.1, null), x, 0.8654398530941776],
    ['weighted cross_entropy, label_smoothing 0.1', ce(0.1, w), x, 0.756712105954183],
    ['nll on log_softmax', nll(null), x.map(logSoftmax), 0.7421065197608443],
    ['weighted nll', nll(w), x.map(logSoftmax), 0.6367523552517821],
  ])('%s', (_name, loss, rows, expected) => {
    expect(mean(loss, rows)).toBeCloseTo(expected, 12);
  });

  it('argmax takes the first of equal maxima, as torch.argmax does', () => {
    expect(argmax([-1, 2, 2, 0.5])).toBe(1);
    expect(argmax([3])).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import type { LossIR, Span } from '../../compiler/ir/types.js';
import { argmax, sampleLoss } from '../../runtime/train/evaluate.js';

const span = {} as Span;
const x = [
  [1.0, -2.0, 0.5, 3.0],
  [0.2, 0.1, -0.3, 0.0],
  [-1.0, 2.0, 2.0, 0.5],
];
const y = [3, 0, 1];
const w = [0.5, 2.0, 1.0, 1.5];

/** Mean reduction as PyTorch does it: Σ w[y]·l / Σ w[y]. */
function mean(loss: LossIR, rows: number[][]): number {
  let v = 0;
  let ws = 0;
  rows.forEach((r, i) => {
    const l = sampleLoss(r, y[i]!, loss);
    v += l.value;
    ws += l.weight;
  });
  return v / ws;
}

const logSoftmax = (r: number[]) => {
  const m = Math.max(...r);
  const z = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
  return r.map((v) => v - z);
};

describe('test loss from outputs matches torch.nn.functional (1.13, float64)', () => {
  // Reference values printed by /usr/bin/python3 with torch 1.13 (F.cross_entropy / F.nll_loss).
  it.each([
    ['cross_entropy', { kind: 'cross_entropy', labelSmoothing: 0, weight: null, span } as LossIR, x, 0.7421065197608443],
    ['weighted cross_entropy', { kind: 'cross_entropy', labelSmoothing: 0, weight: w, span } as LossIR, x, 0.6367523552517821],
    ['cross_entropy, label_smoothing 0.1', { kind: 'cross_entropy', labelSmoothing: 0.1, weight: null, span } as LossIR, x, 0.8654398530941776],
    ['weighted cross_entropy, label_smoothing 0.1', { kind: 'cross_entropy', labelSmoothing: 0.1, weight: w, span } as LossIR, x, 0.756712105954183],
    ['nll on log_softmax', { kind: 'nll', weight: null, span } as LossIR, x.map(logSoftmax), 0.7421065197608443],
    ['weighted nll', { kind: 'nll', weight: w, span } as LossIR, x.map(logSoftmax), 0.6367523552517821],
  ])('%s', (_name, loss, rows, expected) => {
    expect(mean(loss, rows)).toBeCloseTo(expected, 12);
  });

  it('argmax takes the first of equal maxima, as torch.argmax does', () => {
    expect(argmax([-1, 2, 2, 0.5])).toBe(1);
    expect(argmax([3])).toBe(0);
  });
});

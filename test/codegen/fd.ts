// Central finite differences on a float64 module, shared by the graph and new-layer gradient checks:
// for a sample of each trainable tensor's entries, (L(p + h) − L(p − h)) / 2h against the analytic
// gradient, as a relative error over the sample (as gradcheck.test.ts does it for the first layers).
import { expect } from 'vitest';
import { compile64, randomInputs, type SpecParts } from './helpers.js';

const H = 1e-6;
export const FD_TOL = 1e-6;

export interface FdCase extends SpecParts {
  readonly title: string;
  readonly mode?: 'train' | 'eval';
  readonly classes: number;
  readonly labelSize?: number;
  readonly n?: number;
  /** Entries checked per tensor. */
  readonly samples?: number;
}

/** Checks every trainable tensor; returns one report line per tensor. */
export async function finiteDifferences(c: FdCase): Promise<string[]> {
  const mod = await compile64(c);
  const model = mod.createModel({ seed: 5 });
  const n = c.n ?? 3;
  const size = c.input.reduce((a, b) => a * b, 1);
  const { x, y } = randomInputs(n, size, c.classes, c.labelSize ?? 1);
  if (c.mode === 'train') model.train();
  const state = model.getTrainingState();
  const loss = (): number => {
    model.setTrainingState(state);
    return model.computeGradients(x, y, n);
  };
  return compareWithFiniteDifferences(c.title, model.parameters().filter((p) => p.trainable), loss, (len, t) => pick(len, c.samples ?? 12, t));
}

/** The check itself, shared by every gradient test: `loss()` recomputes the loss and the gradients from the
 *  same starting state; for the entries `indices(length, tensorIndex)` of each tensor, the analytic gradient is
 *  compared with (L(p + h) − L(p − h)) / 2h as one relative error over the sample. Soft-asserts it below FD_TOL
 *  and that the gradient is not zero (a zero gradient would prove nothing); logs and returns a line per tensor. */
export function compareWithFiniteDifferences(
  title: string,
  params: readonly { readonly name: string; readonly data: Float64Array | Float32Array; readonly grad: Float64Array | Float32Array }[],
  loss: () => number,
  indices: (length: number, tensor: number) => readonly number[],
): string[] {
  loss();
  expect(params.length).toBeGreaterThan(0);
  const analytic = params.map((p) => Float64Array.from(p.grad));
  const report: string[] = [];
  params.forEach((p, t) => {
    let diff2 = 0;
    let norm2 = 0;
    let maxDiff = 0;
    for (const i of indices(p.data.length, t)) {
      const v = p.data[i]!;
      p.data[i] = v + H;
      const up = loss();
      p.data[i] = v - H;
      const down = loss();
      p.data[i] = v;
      const numeric = (up - down) / (2 * H);
      const a = analytic[t]![i]!;
      diff2 += (a - numeric) ** 2;
      norm2 += Math.max(a * a, numeric * numeric);
      maxDiff = Math.max(maxDiff, Math.abs(a - numeric));
    }
    const rel = Math.sqrt(diff2) / Math.max(Math.sqrt(norm2), 1e-12);
    report.push(`${p.name}: rel ${rel.toExponential(2)}, max |Δ| ${maxDiff.toExponential(2)}`);
    expect.soft(rel, `${p.name} (${report.at(-1)})`).toBeLessThan(FD_TOL);
    expect(norm2, `${p.name} has a zero gradient: the check would prove nothing`).toBeGreaterThan(0);
  });
  console.log(`${title}\n  ${report.join('\n  ')}`);
  return report;
}

/** Up to k distinct indices spread over [0, len), deterministic. */
export function pick(len: number, k: number, salt: number): number[] {
  if (len <= k) return Array.from({ length: len }, (_, i) => i);
  const out = new Set<number>();
  let s = 2654435761 * (salt + 1);
  while (out.size < k) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out.add(s % len);
  }
  return [...out];
}

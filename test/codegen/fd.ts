// Central finite differences on a float64 module, shared by the graph and new-layer gradient checks:
// for a sample of each trainable tensor's entries, (L(p + h) − L(p − h)) / 2h against the analytic
// gradient, as a relative error over the sample (as gradcheck.test.ts does it for the first layers).
import { expect } from 'vitest';
import { activationCoverage, type CoverageTable } from '../coverage.js';
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

/** The files whose cases run the finite-difference check on layers (gradcheck-losses.test.ts covers the losses). */
export type FdFile = 'gradcheck.test.ts' | 'layers-fd.test.ts' | 'graph-fd.test.ts';

/** Which finite-difference cases check each node kind's backward: each file holds its entries to its cases
 *  (test/coverage.ts), so a kind added to the IR does not type-check until it names a case here. */
export const FD_COVERAGE: CoverageTable<FdFile> = {
  ...activationCoverage('gradcheck.test.ts › every activation (compiler/ir/activations.ts), each after a conv'),
  conv2d: ['gradcheck.test.ts › conv2d: padding, stride, dilation, groups, asymmetric same, 1×1, no bias'],
  maxpool2d: [
    'gradcheck.test.ts › maxpool2d (padding, overlapping windows) and avgpool2d (count_include_pad true and false)',
    'gradcheck.test.ts › maxpool2d and avgpool2d with ceil_mode: windows past the input, past the padded input, a dropped last window',
  ],
  avgpool2d: [
    'gradcheck.test.ts › maxpool2d (padding, overlapping windows) and avgpool2d (count_include_pad true and false)',
    'gradcheck.test.ts › maxpool2d and avgpool2d with ceil_mode: windows past the input, past the padded input, a dropped last window',
  ],
  batchnorm2d: [
    'gradcheck.test.ts › batchnorm2d in training mode (affine and not), leaky_relu',
    'gradcheck.test.ts › batchnorm2d in eval mode (running statistics)',
  ],
  leaky_relu: [
    'gradcheck.test.ts › every activation (compiler/ir/activations.ts), each after a conv',
    'gradcheck.test.ts › batchnorm2d in training mode (affine and not), leaky_relu',
  ],
  dropout: ['gradcheck.test.ts › dropout and dropout2d in training mode (masks replayed from the saved RNG state)'],
  dropout2d: ['gradcheck.test.ts › dropout and dropout2d in training mode (masks replayed from the saved RNG state)'],
  // An alias of its input (no kernel of its own): every case's gradient passes through one; this one forks it.
  flatten: ['graph-fd.test.ts › a fork through flatten (an alias) into two linear heads, added; nll on log_softmax (fused)'],
  linear: [
    'gradcheck.test.ts › conv2d: padding, stride, dilation, groups, asymmetric same, 1×1, no bias',
    'gradcheck.test.ts › dropout and dropout2d in training mode (masks replayed from the saved RNG state)',
  ],
  softmax: ['gradcheck.test.ts › softmax then cross_entropy (not fused: softmax_backward runs)'],
  log_softmax: [
    'gradcheck.test.ts › log_softmax + nll (fused), class weights',
    'gradcheck.test.ts › log_softmax then cross_entropy (log_softmax_backward runs)',
  ],
  conv_transpose2d: [
    'layers-fd.test.ts › conv_transpose2d: stride 2, padding, output_padding, then stride 1 with dilation and no bias',
    'layers-fd.test.ts › conv_transpose2d: groups 2, asymmetric stride and output_padding',
  ],
  upsample: [
    'layers-fd.test.ts › upsample nearest: scale_factor 2, size 7×5 (a non-integer ratio), scale_factor 1.5',
    'layers-fd.test.ts › upsample bilinear: scale_factor 2, size 5×7, align_corners',
  ],
  adaptive_avgpool2d: [
    'layers-fd.test.ts › adaptive_avgpool2d 7×5 → 3×2 (overlapping windows), then adaptive_maxpool2d → 4×3 (larger than its input)',
    'layers-fd.test.ts › adaptive_maxpool2d 13×6 → 6×4 (overlapping), then adaptive_avgpool2d → 3×2 (whole 2×2 windows)',
  ],
  adaptive_maxpool2d: [
    'layers-fd.test.ts › adaptive_avgpool2d 7×5 → 3×2 (overlapping windows), then adaptive_maxpool2d → 4×3 (larger than its input)',
    'layers-fd.test.ts › adaptive_maxpool2d 13×6 → 6×4 (overlapping), then adaptive_avgpool2d → 3×2 (whole 2×2 windows)',
  ],
  global_avgpool2d: ['layers-fd.test.ts › global_avgpool2d', 'graph-fd.test.ts › resnet block with batchnorm in training mode, global_avgpool2d'],
  add: [
    "graph-fd.test.ts › residual add: r1 feeds c2 and the add (two readers sum into r1's gradient)",
    'graph-fd.test.ts › add of a layer with itself (x + x: two edges from one node into one reader)',
  ],
  concat: ['graph-fd.test.ts › concat of three (a layer, a 1×1 conv of an earlier one, the input); three readers of r1'],
};

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

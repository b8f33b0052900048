// Shared by the gpu.js tests: build one spec for both targets (same seed, so the same initial weights
// and dropout masks), import both modules, and compare tensors with the largest difference printed.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from '../../compiler/index.js';
import type { CompiledModel } from '../../runtime/model.js';
import type { Backend, BackendInfo } from '../../runtime/gpujs/index.js';
import { importGenerated, TMP } from '../codegen/helpers.js';
import { activationCoverage, type CoverageTable } from '../coverage.js';

const GPUJS_RUNTIME = fileURLToPath(new URL('../../runtime/gpujs/index.ts', import.meta.url));

export interface GpujsModelLike extends CompiledModel<Float32Array> {
  backendInfo(): BackendInfo;
  dispose(): void;
  forwardAsync(x: Float32Array, n: number): Promise<Float32Array>;
  trainStepAsync(x: Float32Array, y: Int32Array, n: number): Promise<number>;
}

/** The files that compare the gpu.js target with the TypeScript target case by case (losses.test.ts covers the losses). */
export type ParityFile = 'parity.test.ts' | 'graph.test.ts' | 'specs.test.ts';

/** Which parity cases run each node kind on gpu.js (forward, loss, every gradient and buffer); each file
 *  holds its entries to its cases (test/coverage.ts), so a kind added to the IR does not type-check until
 *  it names a case here. */
export const GPUJS_COVERAGE: CoverageTable<ParityFile> = {
  ...activationCoverage('parity.test.ts › every activation (compiler/ir/activations.ts), each after a conv'),
  conv2d: ['parity.test.ts › conv2d: padding, stride, dilation, groups, same, 1×1, no bias; linear'],
  maxpool2d: [
    'parity.test.ts › maxpool2d (padding, overlapping windows), avgpool2d (count_include_pad true and false)',
    'parity.test.ts › maxpool2d and avgpool2d with ceil_mode: windows past the input, past the padded input, a dropped last window',
  ],
  avgpool2d: [
    'parity.test.ts › maxpool2d (padding, overlapping windows), avgpool2d (count_include_pad true and false)',
    'parity.test.ts › maxpool2d and avgpool2d with ceil_mode: windows past the input, past the padded input, a dropped last window',
  ],
  adaptive_avgpool2d: ['parity.test.ts › adaptive_avgpool2d and adaptive_maxpool2d: overlapping windows, an output larger than its input, whole windows'],
  adaptive_maxpool2d: ['parity.test.ts › adaptive_avgpool2d and adaptive_maxpool2d: overlapping windows, an output larger than its input, whole windows'],
  batchnorm2d: ['parity.test.ts › batchnorm2d in training (affine and not), leaky_relu', 'parity.test.ts › batchnorm2d in eval (running statistics)'],
  leaky_relu: ['parity.test.ts › every activation (compiler/ir/activations.ts), each after a conv', 'parity.test.ts › batchnorm2d in training (affine and not), leaky_relu'],
  dropout: ['parity.test.ts › dropout and dropout2d in training (masks from the same Rng stream)', 'parity.test.ts › dropout in eval (identity)'],
  dropout2d: ['parity.test.ts › dropout and dropout2d in training (masks from the same Rng stream)', 'parity.test.ts › dropout in eval (identity)'],
  flatten: ['parity.test.ts › conv2d: padding, stride, dilation, groups, same, 1×1, no bias; linear'], // an alias of its input: no kernel of its own
  linear: ['parity.test.ts › conv2d: padding, stride, dilation, groups, same, 1×1, no bias; linear'],
  softmax: ['parity.test.ts › softmax then cross_entropy (softmax backward runs)', 'parity.test.ts › softmax then nll (not fused)'],
  log_softmax: ['parity.test.ts › log_softmax + nll (fused), class weights', 'parity.test.ts › log_softmax then cross_entropy with weights (log_softmax backward runs)'],
  conv_transpose2d: ['graph.test.ts › conv_transpose2d: stride 2, padding, output_padding, dilation, groups, no bias', 'specs.test.ts › specs/segmentation.yaml'],
  upsample: [
    'graph.test.ts › upsample nearest: a size that is no whole factor (5×7 → 8×10), then scale_factor [2, 3]',
    'graph.test.ts › upsample bilinear: scale_factor 2, align_corners true with a size, and downsampling',
  ],
  global_avgpool2d: ['graph.test.ts › global_avgpool2d', 'specs.test.ts › specs/resnet-mini.yaml'],
  add: ['graph.test.ts › a graph: add (residual, three inputs), concat, one tensor read by three layers, the input read again', 'specs.test.ts › specs/resnet-mini.yaml'],
  concat: ['graph.test.ts › a graph: add (residual, three inputs), concat, one tensor read by three layers, the input read again', 'specs.test.ts › specs/segmentation.yaml'],
};

export function buildOrThrow(yaml: string, target: 'ts' | 'gpujs'): string {
  const r = build(yaml, 'test.yaml', { target });
  if (r.code === null) throw new Error(`spec refused:\n${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  return r.code;
}

/** Imports a gpu.js module: its `cnnc/runtime/gpujs` import is pointed at the runtime source. */
export async function importGpujs(code: string): Promise<{ createModel(o?: { seed?: number; backend?: Backend; async?: boolean }): GpujsModelLike }> {
  mkdirSync(TMP, { recursive: true });
  const linked = code.replace(/from 'cnnc\/runtime\/gpujs'/, `from ${JSON.stringify(GPUJS_RUNTIME)}`);
  const hash = createHash('sha256').update(linked).digest('hex').slice(0, 16);
  const file = join(TMP, `g${hash}.model.ts`);
  writeFileSync(`${file}.tmp`, linked);
  renameSync(`${file}.tmp`, file);
  return (await import(/* @vite-ignore */ file)) as { createModel(o?: { seed?: number; backend?: Backend }): GpujsModelLike };
}

export async function bothTargets(yaml: string) {
  const ts = await importGenerated<Float32Array>(buildOrThrow(yaml, 'ts'));
  const gj = await importGpujs(buildOrThrow(yaml, 'gpujs'));
  return { ts, gj };
}

/**
 * Largest difference of a against b, scaled: |a − b| / (atol + rtol·|b|) ≤ 1 passes.
 * rtol 1e-4 is the issue's float32 tolerance. atol is 1e-5 × the tensor's largest magnitude: a sum
 * of k float32 products in another order differs by up to ~k·2⁻²⁴ of the terms' magnitude, and a
 * gradient element that cancels to near zero has no relative accuracy left — its error is relative
 * to the terms, which the tensor's largest element bounds (k ≤ a few thousand here).
 */
export function compare(name: string, a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-4, atolFloor = 0): { name: string; maxAbs: number; worst: number } {
  if (a.length !== b.length) throw new Error(`${name}: lengths ${a.length} and ${b.length}`);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  const atol = Math.max(1e-5 * scale + 1e-7, atolFloor);
  let maxAbs = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= Number.POSITIVE_INFINITY)) return { name, maxAbs: NaN, worst: Infinity };
    maxAbs = Math.max(maxAbs, d);
    worst = Math.max(worst, d / (atol + rtol * Math.abs(b[i]!)));
  }
  return { name, maxAbs, worst };
}

/** Deterministic inputs in [-1, 1) and labels in [0, classes). */
export function inputs(n: number, size: number, labels: number, classes: number, seed = 7): { x: Float32Array; y: Int32Array } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const x = new Float32Array(n * size);
  for (let i = 0; i < x.length; i++) x[i] = next() * 2 - 1;
  const y = new Int32Array(n * labels);
  for (let i = 0; i < y.length; i++) y[i] = Math.floor(next() * classes);
  return { x, y };
}

export interface ParityRun {
  readonly title: string;
  readonly yaml: string;
  readonly mode: 'train' | 'eval';
  readonly backend: Backend;
  readonly n: number;
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly seed?: number;
}

/**
 * Builds the spec for both targets and compares, on the same weights and inputs: forward output, loss,
 * every parameter gradient and every buffer; prints the largest differences; expects each within
 * tolerance, and that only the backend asked for ran. Returns the rows (for a test that wants more).
 */
export async function expectParity(r: ParityRun): Promise<{ name: string; maxAbs: number; worst: number }[]> {
  const { ts, gj } = await bothTargets(r.yaml);
  const a = ts.createModel({ seed: r.seed ?? 5 });
  const b = gj.createModel({ seed: r.seed ?? 5, backend: r.backend });
  try {
    if (r.mode === 'train') { a.train(); b.train(); }
    const rows = [compare('forward', b.forward(r.x, r.n), a.forward(r.x, r.n))];
    // A training forward moved the running statistics and drew masks: start both again from the same state.
    b.loadWeights(a.saveWeights());
    b.setTrainingState(a.getTrainingState());
    const la = a.computeGradients(r.x, r.y, r.n);
    const lb = b.computeGradients(r.x, r.y, r.n);
    rows.push(compare('loss', [lb], [la]));
    const pa = a.parameters();
    const pb = b.parameters();
    if (pb.map((p) => p.name).join() !== pa.map((p) => p.name).join()) throw new Error('parameter names differ');
    for (let i = 0; i < pa.length; i++) {
      if (pa[i]!.trainable) rows.push(compare(`${pa[i]!.name}.grad`, pb[i]!.grad, pa[i]!.grad));
      else rows.push(compare(pa[i]!.name, pb[i]!.data, pa[i]!.data));
    }
    console.log(`${r.backend} · ${r.title}\n${rows.map((q) => `  ${q.name.padEnd(24)} max |Δ| ${q.maxAbs.toExponential(2)}  (${q.worst.toFixed(3)} of tolerance)`).join('\n')}`);
    const info = b.backendInfo();
    const bad = rows.filter((q) => !(q.worst <= 1)).map((q) => `${q.name}: ${q.worst.toFixed(2)} of tolerance`);
    if (bad.length > 0) throw new Error(`${r.title}: out of tolerance: ${bad.join('; ')}`);
    if (info.modes.join() !== r.backend || !info.honest) throw new Error(`${r.title}: ran ${JSON.stringify(info)}`);
    return rows;
  } finally {
    b.dispose();
  }
}

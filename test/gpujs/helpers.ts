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

const GPUJS_RUNTIME = fileURLToPath(new URL('../../runtime/gpujs/index.ts', import.meta.url));

export interface GpujsModelLike extends CompiledModel<Float32Array> {
  backendInfo(): BackendInfo;
  dispose(): void;
  forwardAsync(x: Float32Array, n: number): Promise<Float32Array>;
  trainStepAsync(x: Float32Array, y: Int32Array, n: number): Promise<number>;
}

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
export function compare(name: string, a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-4): { name: string; maxAbs: number; worst: number } {
  if (a.length !== b.length) throw new Error(`${name}: lengths ${a.length} and ${b.length}`);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  const atol = 1e-5 * scale + 1e-7;
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

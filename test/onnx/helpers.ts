// Shared by test/onnx: onnxruntime-node from bench/peers (installed by `npm ci --ignore-scripts --prefix
// bench/peers`, as .ci/run does; never by the project's own npm ci), Debian's ONNX checker, and exporting
// a spec through the CLI with weights that are not the initial ones.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { expect } from 'vitest';
import type { ModelIR } from '../../compiler/index.js';
import type { CompiledModel } from '../../runtime/model.js';
import { onnxMissing, pythonOutput } from '../torch.js';

const PEERS = new URL('../../bench/peers/package.json', import.meta.url);

/** The part of onnxruntime-node's API the tests use. */
export interface Ort {
  readonly InferenceSession: { create(path: string): Promise<Session> };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}
export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { readonly data: Float32Array; readonly dims: readonly number[] }>>;
}

/** Why onnxruntime-node cannot be loaded here, or null. */
export function ortMissing(): string | null {
  if (!existsSync(new URL('./node_modules/onnxruntime-node/package.json', PEERS))) return 'bench/peers has no onnxruntime-node (npm ci --ignore-scripts --prefix bench/peers)';
  try {
    createRequire(PEERS)('onnxruntime-node');
    return null;
  } catch (e) {
    return `onnxruntime-node does not load: ${(e as Error).message.split('\n')[0]}`;
  }
}

export function loadOrt(): Ort {
  return createRequire(PEERS)('onnxruntime-node') as Ort;
}

/** What `onnx.checker.check_model(m, full_check=True)` says of each file: 'ok', or its error's first line. */
export async function checkOnnx(files: readonly string[]): Promise<string[]> {
  const script = String.raw`
import sys, onnx
for f in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(f), full_check=True)
        print('ok')
    except Exception as e:
        print(type(e).__name__ + ': ' + str(e).splitlines()[0] if str(e) else type(e).__name__)
`;
  return (await pythonOutput(['-c', script, ...files])).trim().split('\n');
}

export { onnxMissing };

/** A deterministic input in [-1, 1): n samples of `shape`. */
export function inputOf(shape: readonly number[], n: number, seed = 1): Float32Array {
  const x = new Float32Array(n * shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

/** Moves every weight off its initial value and the batchnorm statistics off (0, 1), so that a weight or a statistic the
 *  export reads from the wrong place, or not at all, changes the output. */
export function perturbWeights(model: CompiledModel): void {
  let s = 7;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s / 2 ** 32);
  for (const p of model.parameters()) {
    if (p.dtype === 'I64') continue;
    const d = p.data;
    if (p.name.endsWith('.running_var')) for (let i = 0; i < d.length; i++) d[i] = 0.5 + r();
    else if (p.name.endsWith('.running_mean')) for (let i = 0; i < d.length; i++) d[i] = 0.2 * (r() - 0.5);
    else for (let i = 0; i < d.length; i++) d[i] = d[i]! * (0.75 + 0.5 * r()) + 0.01 * (r() - 0.5);
  }
}

/** perturbWeights, then the weights saved as `dir/weights.safetensors` (its path). */
export function trainedLikeWeights(model: CompiledModel, dir: string): string {
  perturbWeights(model);
  const file = join(dir, 'weights.safetensors');
  writeFileSync(file, model.saveWeights());
  return file;
}

/** max |a − b| / max |b|: relative to the reference tensor's scale. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0, scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return scale === 0 ? worst : worst / scale;
}

/** Runs `file` in onnxruntime at each batch size and compares its output with the model's eval-mode forward: the same
 *  shape, [n, ...outputShape], and within 1e-5 of the output's scale (float32 on both sides, summed in other orders).
 *  Returns the largest difference. */
export async function expectOrtMatches(title: string, file: string, model: CompiledModel, batches: readonly number[]): Promise<number> {
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(file);
  expect(session.inputNames).toEqual(['input']);
  expect(session.outputNames).toHaveLength(1);
  model.eval();
  let worst = 0;
  for (const n of batches) {
    const x = inputOf(model.inputShape, n);
    const want = Float32Array.from(model.forward(x, n));
    const got = (await session.run({ input: new ort.Tensor('float32', x, [n, ...model.inputShape]) }))[session.outputNames[0]!]!;
    expect(got.dims).toEqual([n, ...model.outputShape]);
    const e = relError(got.data, want);
    console.log(`${title}: batch ${n}, max |onnxruntime − cnnc| / max |cnnc| = ${e.toExponential(2)}`);
    expect(e, `${title} at batch ${n}`).toBeLessThan(1e-5);
    worst = Math.max(worst, e);
  }
  return worst;
}

/** The file's names: the weights under their state_dict names, in the model's order (num_batches_tracked aside: eval
 *  mode needs none); the constants an op reads (Clip's bounds, Gather's indices) under `<layer path>/<what>`; and each
 *  layer but dropout (not exported) as a node named by its module path or name. */
export function expectNames(file: string, ir: ModelIR, model: CompiledModel): void {
  const g = onnxProto.onnx.ModelProto.decode(readFileSync(file)).graph!;
  const paths = new Set(ir.nodes.map((n) => n.module ?? n.name));
  const constants = g.initializer!.filter((t) => t.name!.includes('/'));
  const weights = g.initializer!.filter((t) => !t.name!.includes('/'));
  expect(weights.map((t) => t.name)).toEqual(model.parameters().map((p) => p.name).filter((n) => !n.endsWith('.num_batches_tracked')));
  expect(constants.filter((t) => !paths.has(t.name!.slice(0, t.name!.lastIndexOf('/')))).map((t) => t.name)).toEqual([]);
  const nodes = new Set(g.node!.map((n) => n.name));
  expect(nodes.size, 'node names are unique').toBe(g.node!.length);
  const dropouts = ir.nodes.filter((n) => n.kind === 'dropout' || n.kind === 'dropout2d').map((n) => n.module ?? n.name);
  expect(ir.nodes.filter((n) => n.kind !== 'dropout' && n.kind !== 'dropout2d' && !nodes.has(n.module ?? n.name)).map((n) => n.name)).toEqual([]);
  expect(dropouts.filter((d) => nodes.has(d)), 'no dropout is exported').toEqual([]);
}

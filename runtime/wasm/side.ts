// Modules beside the gemm one (sgemm-kernel.ts), which must stay under the 4 KiB a browser compiles
// synchronously on its main thread: each is instantiated on first use over the gemm instance's memory
// (so the model's arenas are in reach), once per memory, on the calling thread only.
import type { MemoryDecl } from './encoder.js';
import { memoryDecl, residentAt, sideModule, wasmSgemm, type Instance } from './sgemm.js';
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { CTRL, ceilDiv, ELEMENTWISE, roundUp, UPDATES } from './gemm-part.js';
import { adaptivePoolModule, avgpoolModule, maxpoolStridedModule } from './pool-kernel.js';
import { pool, runJob } from './pool.js';
import { activationModule, arithmeticModule } from './elementwise-kernel.js';
import { smoothModule } from './smooth-kernel.js';
import { exactModule } from './exact-kernel.js';
import { gemvModule } from './gemv-kernel.js';

/** The exports of a side module, instantiated once per memory (sgemm.ts, where the gemm module's batch-1 products use it too). */
export { sideModule };

/** The gemm instance where gemm runs on wasm, else null. */
function wasmInstance(): Instance | null {
  return gemmBackend() === 'wasm' ? wasmSgemm() : null;
}

/** a's byte address in w's memory where it is a Float32Array living there (the model's arenas), else −1. */
function addressIn(w: Instance, a: FloatArray): number {
  if (!(a instanceof Float32Array)) return -1;
  const r = residentAt(w, a);
  return r < 0 ? -1 : 4 * r;
}

/** The gemm instance and the arrays' byte addresses in its memory, where gemm runs on wasm and every
 *  array is a Float32Array living there (the model's arenas); else null. */
export function residentArrays(...arrays: FloatArray[]): { w: Instance; at: number[] } | null {
  const w = wasmInstance();
  if (w === null) return null;
  const at: number[] = [];
  for (const a of arrays) {
    const p = addressIn(w, a);
    if (p < 0) return null;
    at.push(p);
  }
  return { w, at };
}

/** The byte addresses residentIn found, in argument order (module-level: filled by each call). */
export const addresses = [0, 0, 0];

/** residentArrays for one to three arrays without allocating (for calls made once a channel or a block): the
 *  gemm instance, with the arrays' byte addresses in `addresses`, or null. */
export function residentIn(x: FloatArray, y: FloatArray | null = null, z: FloatArray | null = null): Instance | null {
  const w = wasmInstance();
  if (w === null) return null;
  const a = addressIn(w, x), b = y === null ? 0 : addressIn(w, y), c = z === null ? 0 : addressIn(w, z);
  if (a < 0 || b < 0 || c < 0) return null;
  addresses[0] = a; addresses[1] = b; addresses[2] = c;
  return w;
}

/** The exports of a side module of kernels over byte addresses and a count. */
export type SideKernels<K extends string> = Readonly<Record<K, (...args: number[]) => void>>;

/** The gemm module's own kernels (relu, maxpool…) looked up by name, as the jobs below look kernels up. */
export function gemmKernels(w: Instance): SideKernels<string> {
  return w as unknown as SideKernels<string>;
}

const forWorkers = new Map<(memory: MemoryDecl) => Uint8Array<ArrayBuffer>, WebAssembly.Module>();

/** The modules `encoders` build, each compiled once for a shared memory: what the workers instantiate beside the
 *  gemm module (threads.ts), their exports in one object (gemm-part.js workerMain). */
export function workerModules(encoders: readonly ((memory: MemoryDecl) => Uint8Array<ArrayBuffer>)[]): WebAssembly.Module[] {
  return encoders.map((encode) => {
    let m = forWorkers.get(encode);
    if (m === undefined) forWorkers.set(encode, (m = new WebAssembly.Module(encode(memoryDecl(true)))));
    return m;
  });
}

/**
 * Runs kernel `name` of the side module `module` (built by `encode`) over the arrays' byte addresses and `count`,
 * where gemm runs on wasm and every array lives in its memory (residentArrays); false, with nothing done, elsewhere.
 * An elementwise kernel (gemm-part.js ELEMENTWISE) over many floats is shared among the threads (runElementwise).
 */
export function runResident<K extends string>(module: string, encode: (memory: MemoryDecl) => Uint8Array<ArrayBuffer>, name: K, count: number, arrays: readonly FloatArray[]): boolean {
  const r = residentArrays(...arrays);
  if (r === null) return false;
  const k = sideModule<SideKernels<K>>(r.w, module, encode);
  if ((ELEMENTWISE as readonly string[]).includes(name) && (r.at.length === 2 || r.at.length === 3)) runElementwise(r.w, k, name, count, 1, r.at[0]!, r.at[1]!, r.at[2] ?? -1);
  else k[name](...r.at, count);
  return true;
}

/**
 * k[name](p0, p1, [p2,] count, s0, s1) (byte addresses; count of the kernel's units, each `unit` floats: 1, or 4 for
 * relu's vectors), as one call, or over many floats as a job shared among the threads (gemm-part.js elementwisePart:
 * blocks of whole 16 floats, the same bits).
 */
export function runElementwise(w: Instance, k: SideKernels<string>, name: (typeof ELEMENTWISE)[number] | string,
  count: number, unit: 1 | 4, p0: number, p1: number, p2: number, s0 = 0, s1 = 0): void {
  const threads = count * unit < pool.minFloats ? 1 : pool.threads;
  if (threads === 1) {
    if (p2 < 0) k[name]!(p0, p1, count, s0, s1);
    else k[name]!(p0, p1, p2, count, s0, s1);
    return;
  }
  const c = w.ctrl;
  c[CTRL.ewKernel] = (ELEMENTWISE as readonly string[]).indexOf(name);
  c[CTRL.ewArrays] = p2 < 0 ? 2 : 3;
  c[CTRL.ewP0] = p0; c[CTRL.ewP1] = p1; c[CTRL.ewP2] = p2;
  c[CTRL.ewCount] = count; c[CTRL.ewUnit] = 4 * unit;
  c[CTRL.ewBlock] = roundUp(ceilDiv(count, 8 * threads), 16 / unit);
  w.f32[CTRL.ewS0] = s0; w.f32[CTRL.ewS1] = s1;
  runJob(k, c, 7, threads);
}

/** The byte addresses of a runUpdate call's arrays, parameter first (module-level: filled by the caller, no allocation a
 *  call); −1: a slot the kernel tests for and skips. */
export const updateArrays = new Int32Array(5);

/**
 * An optimizer's update of one parameter of `count` floats, k[name](a0, …, a{arrays−1}, count, x0, x1, x2): the first
 * `arrays` (3 to 5) byte addresses of updateArrays, then the kernel's integer arguments (extra ones are dropped by
 * wasm). One call, or from pool.minFloats floats a job shared among the threads (gemm-part.js updatePart: blocks of
 * whole 16 floats, the same bits).
 */
export function runUpdate(w: Instance, k: SideKernels<string>, name: (typeof UPDATES)[number], arrays: 3 | 4 | 5,
  count: number, x0: number, x1 = 0, x2 = 0): void {
  const threads = count < pool.minFloats ? 1 : pool.threads;
  const a = updateArrays;
  if (threads === 1) {
    if (arrays === 3) k[name]!(a[0]!, a[1]!, a[2]!, count, x0, x1, x2);
    else if (arrays === 4) k[name]!(a[0]!, a[1]!, a[2]!, a[3]!, count, x0, x1, x2);
    else k[name]!(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, count, x0, x1, x2);
    return;
  }
  const c = w.ctrl;
  c[CTRL.opKernel] = UPDATES.indexOf(name);
  c[CTRL.opArrays] = arrays;
  c.set(a, CTRL.opP0); // opP0…opP4; those past `arrays` are not read
  c[CTRL.opCount] = count;
  c[CTRL.opBlock] = roundUp(ceilDiv(count, 8 * threads), 16);
  c[CTRL.opX0] = x0; c[CTRL.opX1] = x1; c[CTRL.opX2] = x2;
  runJob(k, c, 8, threads);
}

/** The elementwise, pool and batch-1 linear (gemv) kernels' side modules, for the workers (threads.ts). */
export function elementwiseWorkerModules(): WebAssembly.Module[] {
  return workerModules([activationModule, arithmeticModule, smoothModule, exactModule, maxpoolStridedModule, avgpoolModule, adaptivePoolModule, gemvModule]);
}

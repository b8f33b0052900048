// Modules beside the gemm one (sgemm-kernel.ts), which must stay under the 4 KiB a browser compiles
// synchronously on its main thread: each is instantiated on first use over the gemm instance's memory
// (so the model's arenas are in reach), once per memory, on the calling thread only.
import type { MemoryDecl } from './encoder.js';
import { MAX_PAGES, residentAt, wasmSgemm, type Instance } from './sgemm.js';
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';

const instances = new WeakMap<WebAssembly.Memory, Map<string, unknown>>();

/** The exports of the module `encode` builds, instantiated over w's memory (cached under `name`). */
export function sideModule<T>(w: Instance, name: string, encode: (memory: MemoryDecl) => Uint8Array<ArrayBuffer>): T {
  let byName = instances.get(w.memory);
  if (byName === undefined) instances.set(w.memory, (byName = new Map()));
  let e = byName.get(name) as T | undefined;
  if (e === undefined) {
    const bytes = encode(w.shared ? { shared: true, pages: 1, maxPages: MAX_PAGES } : { shared: false, pages: 1 });
    e = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: w.memory } }).exports as unknown as T;
    byName.set(name, e);
  }
  return e;
}

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

/**
 * Runs kernel `name` of the side module `module` (built by `encode`) over the arrays' byte addresses and `count`,
 * where gemm runs on wasm and every array lives in its memory (residentArrays); false, with nothing done, elsewhere.
 */
export function runResident<K extends string>(module: string, encode: (memory: MemoryDecl) => Uint8Array<ArrayBuffer>, name: K, count: number, arrays: readonly FloatArray[]): boolean {
  const r = residentArrays(...arrays);
  if (r === null) return false;
  sideModule<SideKernels<K>>(r.w, module, encode)[name](...r.at, count);
  return true;
}

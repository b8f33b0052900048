// concat's, add's and dropout's memory work for generated float32 modules, where every array lives in wasm
// memory (the model's arenas) and gemm runs on wasm; false elsewhere (float64, no SIMD128, CNNC_NO_WASM=1,
// arrays past the budget), and the module's own JavaScript loops run. In those loops a concat of
// squeezenet1_1's fires copied 0.9M floats in 1.4 ms, element by element.
//   `if (rt.copyBlocks(x0, …) && rt.copyBlocks(x1, …)) return;`  concat forward, its backward, add's backward
//   `if (rt.addTwo(x0, x1, y, count)) return;`                   add forward, two inputs
//   `if (rt.dropoutElements(x, y, mask, count, scale)) return;`  dropout forward once the module drew its mask
//   (dropoutPlanes for dropout2d; their backward: mulTwo, scalePlanes)
// (a copy that fails leaves the loops to redo every block: they write all of y either way). The mask stays
// the module's: it is drawn from the model's Rng in JavaScript, the same stream whichever path multiplies.
import type { FloatArray } from '../model.js';
import { addresses, residentIn, runResident, sideModule, type SideKernels } from './side.js';
import { arithmeticModule } from './elementwise-kernel.js';

/**
 * Copies `blocks` blocks of `count` floats: block b from src[srcOff + b·srcStride …] to dst[dstOff + b·dstStride …]
 * (a concat input's samples into their place in each sample of the output, or back); false, with nothing done,
 * where src and dst are not both float32 arrays in wasm memory.
 */
export function copyBlocks(src: FloatArray, srcOff: number, srcStride: number, dst: FloatArray, dstOff: number, dstStride: number, blocks: number, count: number): boolean {
  const w = residentIn(src, dst);
  if (w === null) return false;
  w.copyRows(addresses[0]! + 4 * srcOff, 4 * srcStride, addresses[1]! + 4 * dstOff, 4 * dstStride, blocks, count);
  return true;
}

/** y = x0 + x1 over [0, count) in float32 (an add layer of two inputs; y may be either input). */
export function addTwo(x0: FloatArray, x1: FloatArray, y: FloatArray, count: number): boolean {
  return runResident('arithmetic', arithmeticModule, 'add', count, [x0, x1, y]);
}

/** o = p·q over [0, count) in float32 (dropout's backward: dY·mask). */
export function mulTwo(p: FloatArray, q: FloatArray, o: FloatArray, count: number): boolean {
  return runResident('arithmetic', arithmeticModule, 'mul', count, [p, q, o]);
}

/** y = x·(mask ≠ 0 ? scale : 0) over [0, count), in float64 rounded once (dropout's forward, its mask drawn). */
export function dropoutElements(x: FloatArray, y: FloatArray, mask: FloatArray, count: number, scale: number): boolean {
  const w = residentIn(x, y, mask);
  if (w === null) return false;
  sideModule<SideKernels<'dropElements'>>(w, 'arithmetic', arithmeticModule).dropElements(addresses[0]!, addresses[1]!, addresses[2]!, count, scale);
  return true;
}

/** y = x·(mask[plane] ≠ 0 ? scale : 0) over `planes` planes of `size` floats (dropout2d's forward, its mask drawn). */
export function dropoutPlanes(x: FloatArray, y: FloatArray, mask: FloatArray, planes: number, size: number, scale: number): boolean {
  const w = residentIn(x, y, mask);
  if (w === null) return false;
  sideModule<SideKernels<'dropPlanes'>>(w, 'arithmetic', arithmeticModule).dropPlanes(addresses[0]!, addresses[1]!, addresses[2]!, planes, size, scale);
  return true;
}

/** q = p·mask[plane] over `planes` planes of `size` floats, in float32 (dropout2d's backward). */
export function scalePlanes(p: FloatArray, q: FloatArray, mask: FloatArray, planes: number, size: number): boolean {
  const w = residentIn(p, q, mask);
  if (w === null) return false;
  sideModule<SideKernels<'scalePlanes'>>(w, 'arithmetic', arithmeticModule).scalePlanes(addresses[0]!, addresses[1]!, addresses[2]!, planes, size);
  return true;
}

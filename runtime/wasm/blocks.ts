// concat's and add's memory work for generated float32 modules, where every array lives in wasm memory
// (the model's arenas) and gemm runs on wasm; false elsewhere (float64, no SIMD128, CNNC_NO_WASM=1, arrays
// past the budget), and the module's own JavaScript loops run. In those loops a concat of squeezenet1_1's
// fires copied 0.9M floats in 1.4 ms, element by element.
//   `if (rt.copyBlocks(x0, …) && rt.copyBlocks(x1, …)) return;`  concat forward, its backward, add's backward
//   `if (rt.addTwo(x0, x1, y, count)) return;`                    add forward, two inputs
// (a copy that fails leaves the loops to redo every block: they write all of y either way).
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { residentAt, wasmSgemm } from './sgemm.js';
import { runResident } from './side.js';
import { sumModule } from './elementwise-kernel.js';

/**
 * Copies `blocks` blocks of `count` floats: block b from src[srcOff + b·srcStride …] to dst[dstOff + b·dstStride …]
 * (a concat input's samples into their place in each sample of the output, or back); false, with nothing done,
 * where src and dst are not both float32 arrays in wasm memory.
 */
export function copyBlocks(src: FloatArray, srcOff: number, srcStride: number, dst: FloatArray, dstOff: number, dstStride: number, blocks: number, count: number): boolean {
  if (gemmBackend() !== 'wasm' || !(src instanceof Float32Array) || !(dst instanceof Float32Array)) return false;
  const w = wasmSgemm();
  if (w === null) return false;
  const rS = residentAt(w, src), rD = residentAt(w, dst);
  if (rS < 0 || rD < 0) return false;
  w.copyRows(4 * (rS + srcOff), 4 * srcStride, 4 * (rD + dstOff), 4 * dstStride, blocks, count);
  return true;
}

/** y = x0 + x1 over [0, count) in float32 (an add layer of two inputs; y may be either input). */
export function addTwo(x0: FloatArray, x1: FloatArray, y: FloatArray, count: number): boolean {
  return runResident('sum', sumModule, 'add', count, [x0, x1, y]);
}

// relu forward and backward for generated code (torch.nn.ReLU: y = max(x, 0), a NaN passes;
// backward threshold_backward(dY, y, 0): dX = y > 0 ? dY : 0). Float32Array operands run on the
// wasm kernels (elementwise-kernel.ts) when gemm does, through wasm memory by memcpy; the rest
// (float64, no wasm, CNNC_NO_WASM=1) runs the plain loop. x and y may be the same array.
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { ensureFloats, operand, wasmSgemm, wasmView } from './sgemm.js';

/** y[0, count) = relu(x[0, count)) */
export function relu(x: FloatArray, y: FloatArray, count: number): void {
  if (x instanceof Float32Array && y instanceof Float32Array && gemmBackend() === 'wasm') {
    const w = wasmSgemm()!;
    const mem = ensureFloats(w, count + 3);
    mem.set(operand(x, 0, count), 0);
    w.relu(0, Math.ceil(count / 4));
    y.set(wasmView(w, 0, count), 0);
    return;
  }
  for (let i = 0; i < count; i++) {
    const v = x[i]!;
    y[i] = v < 0 ? 0 : v;
  }
}

/** dX[0, count) = y > 0 ? dY : 0 */
export function reluBackward(y: FloatArray, dY: FloatArray, dX: FloatArray, count: number): void {
  if (y instanceof Float32Array && dY instanceof Float32Array && dX instanceof Float32Array && gemmBackend() === 'wasm') {
    const w = wasmSgemm()!;
    const pD = Math.ceil(count / 4) * 4;
    const mem = ensureFloats(w, 2 * pD);
    mem.set(operand(y, 0, count), 0);
    mem.set(operand(dY, 0, count), pD);
    w.reluBackward(0, 4 * pD, pD / 4);
    dX.set(wasmView(w, pD, count), 0);
    return;
  }
  for (let i = 0; i < count; i++) dX[i] = y[i]! > 0 ? dY[i]! : 0;
}

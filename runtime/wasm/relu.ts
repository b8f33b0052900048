// relu forward and backward for generated code (torch.nn.ReLU: y = max(x, 0), a NaN passes;
// backward threshold_backward(dY, y, 0): dX = y > 0 ? dY : 0). Float32Array operands run on the
// wasm kernels (elementwise-kernel.ts) when gemm does: in place where the arrays live in wasm memory
// (resident.ts: the generated model's arenas), else through it by memcpy; the rest
// (float64, no wasm, CNNC_NO_WASM=1) runs the plain loop. x and y may be the same array.
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { ensureFloats, operand, residentAt, scratchBase, wasmSgemm, wasmView, type Instance } from './sgemm.js';
import { activationModule } from './elementwise-kernel.js';
import { gemmKernels, residentArrays, runElementwise, sideModule, type SideKernels } from './side.js';
import { ceilDiv } from './gemm-part.js';

/** y[0, count) = relu(x[0, count)) */
export function relu(x: FloatArray, y: FloatArray, count: number): void {
  if (x instanceof Float32Array && y instanceof Float32Array && gemmBackend() === 'wasm') {
    const w = wasmSgemm()!;
    const rX = residentAt(w, x), rY = residentAt(w, y);
    if (rX >= 0 && rY >= 0) {
      // Both in wasm memory (the generated model's arenas): one pass from x to y over whole
      // vectors, the last count mod 4 here (the lanes past count belong to the next tensor). A
      // partial overlap (never made by generated code) goes through a copy, as the kernel streams forward.
      let from = rX;
      if (rX !== rY && rX < rY + count && rY < rX + count) {
        w.f32.copyWithin(rY, rX, rX + count);
        from = rY;
      }
      const whole = count >> 2;
      if (whole > 0) runElementwise(w, gemmKernels(w), 'relu', whole, 4, 4 * from, 4 * rY, -1);
      const f = w.f32;
      for (let i = whole << 2; i < count; i++) {
        const v = f[from + i]!;
        f[rY + i] = v < 0 ? 0 : v;
      }
      return;
    }
    const DATA = scratchBase(w);
    const mem = ensureFloats(w, DATA + count + 3);
    mem.set(operand(x, 0, count), DATA);
    w.relu(4 * DATA, 4 * DATA, ceilDiv(count, 4));
    y.set(wasmView(w, DATA, count), 0);
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
    const rY = residentAt(w, y), rDY = residentAt(w, dY), rDX = residentAt(w, dX);
    if (rY >= 0 && rDY >= 0 && rDX >= 0) {
      // All in wasm memory: one pass, dX = y > 0 ? dY : 0 over whole vectors, the tail here (a
      // partial overlap of dY and dX goes through a copy first, as for relu).
      let from = rDY;
      if (rDX !== rDY && rDY < rDX + count && rDX < rDY + count) {
        w.f32.copyWithin(rDX, rDY, rDY + count);
        from = rDX;
      }
      const whole = count >> 2;
      if (whole > 0) runElementwise(w, gemmKernels(w), 'reluBackward', whole, 4, 4 * rY, 4 * from, 4 * rDX);
      const f = w.f32;
      for (let i = whole << 2; i < count; i++) f[rDX + i] = f[rY + i]! > 0 ? f[from + i]! : 0;
      return;
    }
    const DATA = scratchBase(w);
    const vectors = ceilDiv(count, 4);
    const pD = DATA + 4 * vectors;
    const mem = ensureFloats(w, pD + 4 * vectors);
    mem.set(operand(y, 0, count), DATA);
    mem.set(operand(dY, 0, count), pD);
    w.reluBackward(4 * DATA, 4 * pD, 4 * pD, vectors);
    dX.set(wasmView(w, pD, count), 0);
    return;
  }
  for (let i = 0; i < count; i++) dX[i] = y[i]! > 0 ? dY[i]! : 0;
}

// leaky_relu, relu6 and hardtanh for generated float32 modules: `if (rt.leakyRelu(x, y, count, slope))
// return;`, then the module's own loop from the activation's rule. True where every array lives in wasm
// memory (the model's arenas) and gemm runs on wasm; the kernels (elementwise-kernel.ts) give the bits of
// that loop, whose constants are float32 as here. Arrays may be the same one (in place), never a partial overlap.

/** y = x > 0 ? x : x·slope over [0, count) */
export function leakyRelu(x: FloatArray, y: FloatArray, count: number, slope: number): boolean {
  const r = resident(x, y);
  if (r === null) return false;
  runElementwise(r.w, r.k, 'leaky', count, 1, r.at[0]!, r.at[1]!, -1, slope);
  return true;
}

/** dX = x > 0 ? dY : dY·slope over [0, count) */
export function leakyReluBackward(x: FloatArray, dY: FloatArray, dX: FloatArray, count: number, slope: number): boolean {
  const r = resident(x, dY, dX);
  if (r === null) return false;
  runElementwise(r.w, r.k, 'leakyBackward', count, 1, r.at[0]!, r.at[1]!, r.at[2]!, slope);
  return true;
}

/** y = x < lo ? lo : x > hi ? hi : x over [0, count) (relu6: 0, 6; hardtanh: −1, 1) */
export function clamp(x: FloatArray, y: FloatArray, count: number, lo: number, hi: number): boolean {
  const r = resident(x, y);
  if (r === null) return false;
  runElementwise(r.w, r.k, 'clamp', count, 1, r.at[0]!, r.at[1]!, -1, lo, hi);
  return true;
}

/** dX = lo < x < hi ? dY : 0 over [0, count) */
export function clampBackward(x: FloatArray, dY: FloatArray, dX: FloatArray, count: number, lo: number, hi: number): boolean {
  const r = resident(x, dY, dX);
  if (r === null) return false;
  runElementwise(r.w, r.k, 'clampBackward', count, 1, r.at[0]!, r.at[1]!, r.at[2]!, lo, hi);
  return true;
}

/** elementwise-kernel.ts's activation kernels (leaky, leakyBackward, clamp, clampBackward), byte addresses over `count` floats. */
type ActivationKernels = SideKernels<'leaky' | 'leakyBackward' | 'clamp' | 'clampBackward'>;

/** The gemm instance, the activation kernels and the arrays' byte addresses, where they run (side.ts residentArrays); else null. */
function resident(...arrays: FloatArray[]): { w: Instance; k: ActivationKernels; at: number[] } | null {
  const r = residentArrays(...arrays);
  return r === null ? null : { w: r.w, k: sideModule<ActivationKernels>(r.w, 'activations', activationModule), at: r.at };
}

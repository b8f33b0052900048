// The eval-mode fold of a batchnorm2d into the conv2d before it (compiler/4-passes/fuse.ts plans it,
// compiler/5-codegen/model/fold.ts calls this before the conv): per output channel co,
//   a = γ[co]·(1/√(var[co] + ε))       (γ = 1 for a batchnorm without affine)
//   W'[co, j] = W[co, j]·a             (j over the K = Cin/g·kh·kw weights of the channel)
//   b'[co] = b[co]·a + (β[co] − μ[co]·a)   (b = 0 for a conv without bias, β = 0 without affine)
// in float64, each result rounded once when it is stored: the same bits for Float32Array and Float64Array
// weights as a plain loop. The Cout·K products of W' are most of the work (a batch-1 forward of a 256-channel
// 3×3 conv over 128 channels: 295K of them, about 0.3 ms as a JS loop, a third of the whole model's latency), so
// where W and W' are float32 and live in wasm memory (the model's arenas) a row at a time runs in a small wasm
// kernel, in float64 lanes (two per f64x2) with the loop's bits; elsewhere (float64 modules, no SIMD,
// CNNC_NO_WASM=1) the loop itself runs.
import type { FloatArray } from '../model.js';
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { floats } from './elementwise-kernel.js';
import { residentAt, wasmSgemm } from './sgemm.js';
import { sideModule } from './side.js';
import { gemmBackend } from '../gemm.js';

type I32 = Local<ValType.i32>;
type F64 = Local<ValType.f64>;

/**
 * Writes the folded weights `foldW` [cout, k] and bias `foldB` [cout] of conv weights `W` [cout, k] and bias `bias`
 * (null: none) followed by a batchnorm2d of scale `gamma`, shift `beta` (both null without affine), running
 * statistics `mean`, `variance` and epsilon `eps`.
 */
export function foldConvBatchnorm(
  W: FloatArray, bias: FloatArray | null, gamma: FloatArray | null, beta: FloatArray | null,
  mean: FloatArray, variance: FloatArray, eps: number, cout: number, k: number, foldW: FloatArray, foldB: FloatArray,
): void {
  const rows = residentRows(W, foldW);
  for (let co = 0; co < cout; co++) {
    const inv = 1 / Math.sqrt(variance[co]! + eps);
    const a = gamma === null ? inv : gamma[co]! * inv;
    if (rows !== null) rows.scaleRow(wAt + 4 * co * k, foldAt + 4 * co * k, k, a);
    else for (let j = co * k, end = j + k; j < end; j++) foldW[j] = W[j]! * a;
    const shift = (beta === null ? 0 : beta[co]!) - mean[co]! * a;
    foldB[co] = bias === null ? shift : bias[co]! * a + shift;
  }
}

interface FoldKernels {
  /** q[i] = p[i]·a over [0, count), in float64, rounded once (byte addresses). */
  readonly scaleRow: (p: number, q: number, count: number, a: number) => void;
}

/** Byte addresses of W and foldW for the kernel (module-level: no allocation a call). */
let wAt = 0, foldAt = 0;

/** The fold kernels where both arrays are float32 in wasm memory and gemm runs on wasm (wAt, foldAt set), else null. */
function residentRows(W: FloatArray, foldW: FloatArray): FoldKernels | null {
  if (gemmBackend() !== 'wasm' || !(W instanceof Float32Array) || !(foldW instanceof Float32Array)) return null;
  const w = wasmSgemm();
  if (w === null) return null;
  const p = residentAt(w, W), q = residentAt(w, foldW);
  if (p < 0 || q < 0) return null;
  wAt = 4 * p;
  foldAt = 4 * q;
  return sideModule<FoldKernels>(w, 'fold', foldModule);
}

export function foldModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([scaleRow()], memory);
}

/** scaleRow(p, q, count, a): two pairs of floats an iteration (each promoted to float64, times a, rounded), then one by one. */
function scaleRow(): FunctionBuilder {
  const f = new FunctionBuilder('scaleRow', [ValType.i32, ValType.i32, ValType.i32, ValType.f64]);
  const [p, q, count] = f.params as [I32, I32, I32];
  const a = f.params[3] as F64;
  const av = f.local(ValType.v128);
  f.get(a).f64x2Splat().set(av);
  const step = (pair: boolean, offset: number): void => {
    f.get(q).get(p);
    if (pair) f.v128Load64Zero(offset); else f.v128Load32Zero(offset);
    f.f64x2PromoteLowF32x4().get(av).f64x2Mul().f32x4DemoteF64x2Zero();
    if (pair) f.v128Store64Lane(offset, 0); else f.v128Store32Lane(offset, 0);
  };
  floats(f, count, [p, q], () => { step(true, 0); step(true, 8); }, () => step(false, 0));
  return f;
}

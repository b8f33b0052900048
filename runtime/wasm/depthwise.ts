// The depthwise convolution on the float32 wasm path (groups = in = out channels: mobilenet_v2's, and any
// channel-wise filter), for which im2col's gemm is a 1-row product and the direct kernel's vectors of output
// columns are mostly padding on small planes. Here vectors run across channels (depthwise-kernel.ts): each
// sample's block of 16 channels is copied channel-last into a zero-bordered scratch, so every tap of every output
// pixel is four whole vectors, for any kernel size, stride, padding and dilation.
// Threads (gemm-part.js): the forward shares (sample, block) units, the backward whole blocks of channels, each over
// the batch in order (its dW and dB summed in its own accumulators, dX scattered sample by sample): every value is
// computed by one thread in a fixed order, so the bits depend on the shapes only, never on the thread count.
import { encodeModule, type MemoryDecl } from './encoder.js';
import { relu, reluBackward } from './relu.js';
import { sideModule, workerModules, type SideKernels } from './side.js';
import { kernelMadd } from './sgemm-kernel.js';
import { CTRL, ceilDiv, roundUp } from './gemm-part.js';
import { jobThreads, runJob } from './pool.js';
import { ensureFloats, operand, residentAt, scratchBase, wasmView, type Instance } from './sgemm.js';
import { CB, depthwiseKernels } from './depthwise-kernel.js';
import { setConvJob, type DirectShape } from './direct.js';

const encode = (memory: MemoryDecl): Uint8Array<ArrayBuffer> => encodeModule(depthwiseKernels(kernelMadd()), memory);

/** The module's bytes (tests: it validates and stays under the 4 KiB a browser compiles on its main thread). */
export function depthwiseModule(): Uint8Array<ArrayBuffer> {
  return encode({ shared: false, pages: 1 });
}

/** The module, for the workers to instantiate beside the gemm module (threads.ts). */
export function depthwiseWorkerModules(): WebAssembly.Module[] {
  return workerModules([encode]);
}

/** Whether a convolution is depthwise in this kernel's sense: one filter a channel, as many outputs as inputs. */
export function isDepthwise(g: Pick<DirectShape, 'cin' | 'cout' | 'groups'>): boolean {
  return g.groups === g.cin && g.cout === g.cin;
}

/** The padded scratch's rows and pixels a row: every tap of every output pixel inside it. */
function paddedSize(g: DirectShape): [number, number] {
  return [Math.max(g.top + g.h, (g.ho - 1) * g.sh + (g.kh - 1) * g.dh + 1), Math.max(g.left + g.w, (g.wo - 1) * g.sw + (g.kw - 1) * g.dw + 1)];
}

/** Work space from scratchBase on, taken in turn: a module-level cursor (no allocation per call). */
let cursor = 0;

function take(floats: number): number {
  const p = cursor;
  cursor = roundUp(cursor + floats, 16);
  return p;
}

/** a's position in w's memory (floats): where it lives, else a place taken for a copy. */
function place(w: Instance, a: Float32Array, floats: number): number {
  const r = residentAt(w, a);
  return r >= 0 ? r : take(floats);
}

/** W [C][1][kh][kw] (and B) re-laid as the kernels read them: [block][ki][kj][16] and [block][16], zero past channel C. */
function relayFilters(mem: Float32Array, g: DirectShape, W: Float32Array, B: Float32Array | null, pWt: number, pBt: number): void {
  const taps = g.kh * g.kw, C = g.cin, blocks = ceilDiv(C, CB);
  mem.fill(0, pWt, pWt + blocks * taps * CB);
  for (let ch = 0; ch < C; ch++) {
    const lane = ch % CB, base = pWt + (ch - lane) * taps;
    for (let t = 0; t < taps; t++) mem[base + t * CB + lane] = W[ch * taps + t]!;
  }
  if (pBt < 0) return;
  mem.fill(0, pBt, pBt + blocks * CB);
  if (B !== null) mem.set(B, pBt);
}

/** The geometry into the control block (the conv job's fields, then the depthwise ones: the padded scratch's Hp × Wp). */
function setJob(c: Int32Array, g: DirectShape, n: number, job: number, Hp: number, Wp: number, pWt: number): void {
  setConvJob(c, g, n, job);
  c[CTRL.dwHp] = Hp; c[CTRL.dwWp] = Wp; c[CTRL.dwWt] = pWt;
}

/** The calling thread's kernels, once per memory. */
function kernelsOf(w: Instance): SideKernels<string> {
  return sideModule<SideKernels<string>>(w, 'depthwise', encode);
}

/**
 * y = conv2d(x, W) + B for n samples of a depthwise convolution (NCHW; W [C, 1, kh, kw]); then reluY = relu(y) when
 * given. (sample, block of 16 channels) units are shared out among the threads (gemm-part.js depthwiseForwardPart).
 */
export function depthwiseForward(w: Instance, g: DirectShape, n: number, x: Float32Array, W: Float32Array, B: Float32Array | null, y: Float32Array, reluY: Float32Array | null): void {
  const k = kernelsOf(w);
  const C = g.cin, taps = g.kh * g.kw, blocks = ceilDiv(C, CB), [Hp, Wp] = paddedSize(g);
  const inS = C * g.h * g.w, outS = C * g.ho * g.wo;
  const threads = jobThreads(n * blocks, n * outS * taps);
  cursor = scratchBase(w);
  const pX = place(w, x, n * inS), pY = place(w, y, n * outS);
  const pWt = take(blocks * taps * CB), pBt = take(blocks * CB);
  const tStride = roundUp(Hp * Wp * CB + g.ho * g.wo * CB, 16), tScratch = take(threads * tStride);
  const mem = ensureFloats(w, cursor);
  if (residentAt(w, x) < 0) mem.set(operand(x, 0, n * inS), pX);
  relayFilters(mem, g, W, B, pWt, pBt);
  const c = w.ctrl;
  setJob(c, g, n, 10, Hp, Wp, pWt);
  c[CTRL.pX] = pX; c[CTRL.pY] = pY; c[CTRL.dwBt] = pBt;
  c[CTRL.tScratch] = tScratch; c[CTRL.tStride] = tStride;
  runJob(k, c, 10, threads);
  if (residentAt(w, y) < 0) y.set(wasmView(w, pY, n * outS), 0);
  if (reluY !== null) relu(y, reluY, n * outS);
}

/**
 * dW += the weight gradient, dB += Σ dY when dB is given, and dX = the input gradient when dX is given (written, not
 * accumulated), for n samples of a depthwise convolution; with reluY and reluDY (a relu fused into the conv), dY is
 * first set to reluDY·[reluY > 0]. Blocks of 16 channels are shared out among the threads (depthwiseBackwardPart).
 */
export function depthwiseBackward(
  w: Instance, g: DirectShape, n: number, x: Float32Array, dY: Float32Array, W: Float32Array, dW: Float32Array,
  dX: Float32Array | null, dB: Float32Array | null, reluY: Float32Array | null, reluDY: Float32Array | null,
): void {
  const k = kernelsOf(w);
  if (reluY !== null && reluDY !== null) reluBackward(reluY, reluDY, dY, n * g.cout * g.ho * g.wo);
  const C = g.cin, taps = g.kh * g.kw, blocks = ceilDiv(C, CB), [Hp, Wp] = paddedSize(g);
  const inS = C * g.h * g.w, outS = C * g.ho * g.wo, Q = g.ho * g.wo;
  const threads = jobThreads(blocks, n * outS * taps);
  cursor = scratchBase(w);
  const pX = place(w, x, n * inS), pDY = place(w, dY, n * outS);
  const pDW = place(w, dW, C * taps), pDB = dB === null ? -1 : place(w, dB, C);
  const pDX = dX === null ? -1 : place(w, dX, n * inS);
  const pWt = take(blocks * taps * CB);
  const tStride = roundUp(2 * Hp * Wp * CB + Q * CB + taps * CB + CB, 16), tScratch = take(threads * tStride);
  const mem = ensureFloats(w, cursor);
  if (residentAt(w, x) < 0) mem.set(operand(x, 0, n * inS), pX);
  if (residentAt(w, dY) < 0) mem.set(operand(dY, 0, n * outS), pDY);
  if (residentAt(w, dW) < 0) mem.set(dW, pDW);
  if (dB !== null && residentAt(w, dB) < 0) mem.set(dB, pDB);
  relayFilters(mem, g, W, null, pWt, -1);
  const c = w.ctrl;
  setJob(c, g, n, 11, Hp, Wp, pWt);
  c[CTRL.pX] = pX; c[CTRL.pDY] = pDY; c[CTRL.pDX] = pDX; c[CTRL.dwDW] = pDW; c[CTRL.dwDB] = pDB;
  c[CTRL.tScratch] = tScratch; c[CTRL.tStride] = tStride;
  runJob(k, c, 11, threads);
  if (residentAt(w, dW) < 0) dW.set(wasmView(w, pDW, C * taps), 0);
  if (dB !== null && residentAt(w, dB) < 0) dB.set(wasmView(w, pDB, C), 0);
  if (dX !== null && residentAt(w, dX) < 0) dX.set(wasmView(w, pDX, n * inS), 0);
}

// Float32 gemm on the WebAssembly SIMD128 micro-kernel (sgemm-kernel.ts): the same contract as
// gemm.ts (C[M×N] (+)= op(A)·op(B), overwrite never reads C), for Float32Array operands.
//
// Per call: C is computed in wasm memory (rows padded to NR columns, MR rows per tile), K in
// slices of KC; for each slice op(A) and op(B) are packed into micro-panels in wasm memory by the
// JS loops below (packing absorbs the transposes, and pads edges with zeros: garbage there could
// be a subnormal, which is slow), then one `tiles` call runs every micro-kernel. At the end the
// M×N result is copied out row by row; to accumulate, C is first copied in.
//
// Browser-safe: the module (< 1 KiB) is compiled synchronously from bytes, which browsers allow
// on the main thread up to 4 KiB. Memory grows on demand and is kept (no allocation once warm).
import { MR, NR, sgemmModule } from './sgemm-kernel.js';

const KC = 256;

interface Instance {
  readonly memory: WebAssembly.Memory;
  readonly tiles: (tilesM: number, tilesN: number, kc: number, pA: number, pB: number, pC: number, ldc: number, load: number) => void;
  f32: Float32Array;
}

let instance: Instance | null | undefined;

/** The instantiated kernel, or null where WebAssembly or SIMD128 is missing (decided once). */
export function wasmSgemm(): Instance | null {
  if (instance !== undefined) return instance;
  instance = null;
  if (typeof WebAssembly !== 'object') return null;
  const bytes = sgemmModule();
  if (!WebAssembly.validate(bytes)) return null; // no SIMD128 in this engine
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Omit<Instance, 'f32'>;
  instance = { memory: exports.memory, tiles: exports.tiles, f32: new Float32Array(exports.memory.buffer) };
  return instance;
}

function ensureFloats(w: Instance, floats: number): Float32Array {
  const need = floats * 4 - w.memory.buffer.byteLength;
  if (need > 0) {
    w.memory.grow(Math.ceil(need / 65536));
    w.f32 = new Float32Array(w.memory.buffer);
  }
  return w.f32;
}

export function sgemm(w: Instance, transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number, accumulate: boolean): void {
  const tilesM = Math.ceil(M / MR);
  const tilesN = Math.ceil(N / NR);
  const ldc = tilesN * NR;
  // Layout (floats): C [tilesM·MR × ldc] | packed A [tilesM·MR × KC] | packed B [KC × ldc]
  const pC = 0;
  const pA = tilesM * MR * ldc;
  const pB = pA + tilesM * MR * KC;
  const mem = ensureFloats(w, pB + KC * ldc);
  if (accumulate) copyRows(C, cOff, N, mem, pC, ldc, M, N);
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  for (let pc = 0; pc < K; pc += KC) {
    const kc = Math.min(KC, K - pc);
    if (transA) packAT(A, aOff, lda, M, pc, kc, mem, pA);
    else packAN(A, aOff, lda, M, pc, kc, mem, pA);
    if (transB) packBT(B, bOff, ldb, N, pc, kc, mem, pB);
    else packBN(B, bOff, ldb, N, pc, kc, mem, pB);
    w.tiles(tilesM, tilesN, kc, pA * 4, pB * 4, pC * 4, ldc * 4, accumulate || pc > 0 ? 1 : 0);
  }
  copyRows(mem, pC, ldc, C, cOff, N, M, N);
}

/** rows × cols from src (row stride ls) to dst (row stride ld). A loop, not set(subarray()): no allocation. */
function copyRows(src: Float32Array, s0: number, ls: number, dst: Float32Array, d0: number, ld: number, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const s = s0 + i * ls, d = d0 + i * ld;
    for (let j = 0; j < cols; j++) dst[d + j] = src[s + j]!;
  }
}

// ---- packing op(A) columns pc..pc+kc into MR-row micro-panels, k-major:
//      dst[d + ir·kc + k·MR + r] = op(A)[ir + r, pc + k], zero for rows past M.

/** A stored M×K (row i at aOff + i·lda). */
function packAN(A: Float32Array, aOff: number, lda: number, M: number, pc: number, kc: number, dst: Float32Array, d0: number): void {
  for (let ir = 0; ir < M; ir += MR) {
    for (let r = 0; r < MR; r++) {
      let d = d0 + ir * kc + r;
      if (ir + r < M) {
        let s = aOff + (ir + r) * lda + pc;
        for (let k = 0; k < kc; k++, d += MR) dst[d] = A[s++]!;
      } else {
        for (let k = 0; k < kc; k++, d += MR) dst[d] = 0;
      }
    }
  }
}

/** A stored K×M (op(A) = Aᵀ; row k at aOff + k·lda). */
function packAT(A: Float32Array, aOff: number, lda: number, M: number, pc: number, kc: number, dst: Float32Array, d0: number): void {
  for (let ir = 0; ir < M; ir += MR) {
    const rows = Math.min(MR, M - ir);
    let d = d0 + ir * kc;
    for (let k = 0; k < kc; k++, d += MR) {
      const s = aOff + (pc + k) * lda + ir;
      if (rows === MR) for (let r = 0; r < MR; r++) dst[d + r] = A[s + r]!;
      else for (let r = 0; r < MR; r++) dst[d + r] = r < rows ? A[s + r]! : 0;
    }
  }
}

// ---- packing op(B) rows pc..pc+kc into NR-column micro-panels, k-major:
//      dst[d + jr·kc + k·NR + c] = op(B)[pc + k, jr + c], zero for columns past N.

/** B stored K×N (row k at bOff + k·ldb). */
function packBN(B: Float32Array, bOff: number, ldb: number, N: number, pc: number, kc: number, dst: Float32Array, d0: number): void {
  for (let jr = 0; jr < N; jr += NR) {
    const cols = Math.min(NR, N - jr);
    let d = d0 + jr * kc;
    let s = bOff + pc * ldb + jr;
    if (cols === NR) {
      for (let k = 0; k < kc; k++, d += NR, s += ldb) for (let c = 0; c < NR; c++) dst[d + c] = B[s + c]!;
    } else {
      for (let k = 0; k < kc; k++, d += NR, s += ldb) for (let c = 0; c < NR; c++) dst[d + c] = c < cols ? B[s + c]! : 0;
    }
  }
}

/** B stored N×K (op(B) = Bᵀ; row j at bOff + j·ldb). */
function packBT(B: Float32Array, bOff: number, ldb: number, N: number, pc: number, kc: number, dst: Float32Array, d0: number): void {
  for (let jr = 0; jr < N; jr += NR) {
    for (let c = 0; c < NR; c++) {
      let d = d0 + jr * kc + c;
      if (jr + c < N) {
        let s = bOff + (jr + c) * ldb + pc;
        for (let k = 0; k < kc; k++, d += NR) dst[d] = B[s++]!;
      } else {
        for (let k = 0; k < kc; k++, d += NR) dst[d] = 0;
      }
    }
  }
}

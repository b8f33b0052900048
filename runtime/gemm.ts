// Dense row-major matrix products, the hot path of training: conv2d is im2col + gemm, linear is
// gemm. Every variant computes C[M×N] = op(A) · op(B) (accumulate = false: C is overwritten and
// never read, so NaNs in old C do not leak) or C += op(A) · op(B) (accumulate = true).
//
// How it is fast in plain JS (the BLIS/GotoBLAS structure, https://github.com/flame/blis):
// - Cache blocking: K in slices of KC, N in slices of NC, M in slices of MC. A KC×NC slice of
//   op(B) and an MC×KC block of op(A) are *packed* into float64 scratch, in the order the
//   micro-kernel reads them, so the inner loop walks two arrays sequentially.
// - Packing absorbs the transposes (NN, NT and TN share one micro-kernel) and the input dtype
//   (Float32Array or Float64Array): the micro-kernel only ever sees Float64Array, so its
//   property accesses stay monomorphic and it never converts float32 → float64 in the loop.
// - Register blocking: the micro-kernel keeps an MR×NR = 4×8 tile of C in 32 local variables
//   and runs the whole KC loop over it: per k, 12 loads feed 32 multiply-adds.
// - Edges (M not a multiple of 4, N not of 8) are packed with zero padding; only the store is masked.
// Accumulation is in float64, then rounded once into C (more accurate than float32 BLAS).
//
// Scratch is allocated once, on the first call, at a fixed size: no allocation afterwards.
//
// When every operand is a Float32Array and the engine has WebAssembly SIMD128, the product runs on
// the wasm micro-kernel instead (wasm/sgemm.ts, float32 accumulation as in PyTorch's sgemm; on
// several threads once started, threads.ts, with the same bits); Float64Array operands, engines
// without it, and CNNC_NO_WASM=1 in the environment keep this path (one thread).
import type { FloatArray } from './model.js';
import { sgemm, wasmSgemm } from './wasm/sgemm.js';

export type GemmBackend = 'wasm' | 'js';

let backend: GemmBackend | undefined;

/** The path float32 products take: 'wasm' where available (decided on first use) unless CNNC_NO_WASM=1. */
export function gemmBackend(): GemmBackend {
  if (backend === undefined) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    backend = env?.['CNNC_NO_WASM'] !== '1' && wasmSgemm() !== null ? 'wasm' : 'js';
  }
  return backend;
}

/** Forces a path (tests compare both); 'wasm' where the engine lacks it is an error. Returns the previous one. */
export function setGemmBackend(b: GemmBackend): GemmBackend {
  const previous = gemmBackend();
  if (b === 'wasm' && wasmSgemm() === null) throw new Error('gemm: this engine has no WebAssembly SIMD128');
  backend = b;
  return previous;
}

const MR = 4;
const NR = 8;
/** K slice: an MR×KC micro-panel of A (8 KiB) and a KC×NR one of B (16 KiB) stay in L1. */
const KC = 256;
/** M block: the packed MC×KC block of A (128 KiB) stays in L2. */
const MC = 64;
/** N slice: the packed KC×NC slice of B (1 MiB) stays in L2/L3. */
const NC = 512;

let packedA: Float64Array | null = null;
let packedB: Float64Array | null = null;
/** The C tile of an edge micro-kernel call, stored with a mask. */
const edgeTile = new Float64Array(MR * NR);

/** C[M×N] (+)= A[M×K] · B[K×N] */
export function gemmNN(M: number, N: number, K: number, A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number, accumulate: boolean): void {
  gemm(false, false, M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
}

/** C[M×N] (+)= A[M×K] · B[N×K]ᵀ */
export function gemmNT(M: number, N: number, K: number, A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number, accumulate: boolean): void {
  gemm(false, true, M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
}

/** C[M×N] (+)= A[K×M]ᵀ · B[K×N] */
export function gemmTN(M: number, N: number, K: number, A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number, accumulate: boolean): void {
  gemm(true, false, M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
}

function gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number, accumulate: boolean): void {
  checkOperand('A', A, aOff, M * K);
  checkOperand('B', B, bOff, K * N);
  checkOperand('C', C, cOff, M * N);
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) C.fill(0, cOff, cOff + M * N);
    return;
  }
  if (A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array && gemmBackend() === 'wasm') {
    sgemm(wasmSgemm()!, transA, transB, M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
    return;
  }
  const pA = packedA ?? (packedA = new Float64Array(MC * KC));
  const pB = packedB ?? (packedB = new Float64Array(KC * NC));
  // Leading dimensions of the operands as stored: op(A) is M×K, op(B) is K×N.
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      const overwrite = !accumulate && pc === 0;
      if (transB) packBT(B, bOff, ldb, pc, kc, jc, nc, pB);
      else packBN(B, bOff, ldb, pc, kc, jc, nc, pB);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        if (transA) packAT(A, aOff, lda, ic, mc, pc, kc, pA);
        else packAN(A, aOff, lda, ic, mc, pc, kc, pA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            kernel4x8(kc, pA, ir * kc, pB, jr * kc, C, cOff + (ic + ir) * N + jc + jr, N, mr, nr, overwrite);
          }
        }
      }
    }
  }
}

function checkOperand(what: string, X: FloatArray, off: number, size: number): void {
  if (!(Number.isInteger(off) && off >= 0 && off + size <= X.length)) {
    throw new RangeError(`gemm: ${what} needs ${size} elements from offset ${off}, but has ${X.length}`);
  }
}

// ---- packing: op(A) block rows ic..ic+mc, cols pc..pc+kc → MR-row micro-panels, k-major:
//      dst[ir·kc + k·MR + r] = op(A)[ic + ir + r, pc + k], zero for rows past mc.

/** A stored M×K (row i at aOff + i·lda). */
function packAN(A: FloatArray, aOff: number, lda: number, ic: number, mc: number, pc: number, kc: number, dst: Float64Array): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const base = ir * kc;
    for (let r = 0; r < MR; r++) {
      let d = base + r;
      if (ir + r < mc) {
        let s = aOff + (ic + ir + r) * lda + pc;
        for (let k = 0; k < kc; k++, d += MR) dst[d] = A[s++]!;
      } else {
        for (let k = 0; k < kc; k++, d += MR) dst[d] = 0;
      }
    }
  }
}

/** A stored K×M (op(A) = Aᵀ; row k at aOff + k·lda). */
function packAT(A: FloatArray, aOff: number, lda: number, ic: number, mc: number, pc: number, kc: number, dst: Float64Array): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    let d = ir * kc;
    for (let k = 0; k < kc; k++, d += MR) {
      const s = aOff + (pc + k) * lda + ic + ir;
      for (let r = 0; r < MR; r++) dst[d + r] = r < rows ? A[s + r]! : 0;
    }
  }
}

// ---- packing: op(B) slice rows pc..pc+kc, cols jc..jc+nc → NR-column micro-panels, k-major:
//      dst[jr·kc + k·NR + c] = op(B)[pc + k, jc + jr + c], zero for columns past nc.

/** B stored K×N (row k at bOff + k·ldb). */
function packBN(B: FloatArray, bOff: number, ldb: number, pc: number, kc: number, jc: number, nc: number, dst: Float64Array): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    let d = jr * kc;
    for (let k = 0; k < kc; k++, d += NR) {
      const s = bOff + (pc + k) * ldb + jc + jr;
      if (cols === NR) for (let c = 0; c < NR; c++) dst[d + c] = B[s + c]!;
      else for (let c = 0; c < NR; c++) dst[d + c] = c < cols ? B[s + c]! : 0;
    }
  }
}

/** B stored N×K (op(B) = Bᵀ; row j at bOff + j·ldb). */
function packBT(B: FloatArray, bOff: number, ldb: number, pc: number, kc: number, jc: number, nc: number, dst: Float64Array): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const base = jr * kc;
    for (let c = 0; c < NR; c++) {
      let d = base + c;
      if (jr + c < nc) {
        let s = bOff + (jc + jr + c) * ldb + pc;
        for (let k = 0; k < kc; k++, d += NR) dst[d] = B[s++]!;
      } else {
        for (let k = 0; k < kc; k++, d += NR) dst[d] = 0;
      }
    }
  }
}

/**
 * C tile [mr×nr] at C[c0], row stride ldc, (+)= Σ_k a[k] b[k]ᵀ over kc packed steps: a = pA[pa…]
 * (MR = 4 values per k), b = pB[pb…] (NR = 8 values per k). 32 accumulators: V8 keeps most in
 * registers; measured ~8% faster than 4×4 on the MNIST model's conv2 and fc1 shapes.
 */
function kernel4x8(kc: number, pA: Float64Array, pa: number, pB: Float64Array, pb: number, C: FloatArray, c0: number, ldc: number, mr: number, nr: number, overwrite: boolean): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  for (let k = 0; k < kc; k++) {
    const a0 = pA[pa]!, a1 = pA[pa + 1]!, a2 = pA[pa + 2]!, a3 = pA[pa + 3]!;
    const b0 = pB[pb]!, b1 = pB[pb + 1]!, b2 = pB[pb + 2]!, b3 = pB[pb + 3]!, b4 = pB[pb + 4]!, b5 = pB[pb + 5]!, b6 = pB[pb + 6]!, b7 = pB[pb + 7]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
    pa += MR;
    pb += NR;
  }
  if (mr === MR && nr === NR) {
    const r0 = c0, r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
    if (overwrite) {
      C[r0] = c00; C[r0 + 1] = c01; C[r0 + 2] = c02; C[r0 + 3] = c03; C[r0 + 4] = c04; C[r0 + 5] = c05; C[r0 + 6] = c06; C[r0 + 7] = c07;
      C[r1] = c10; C[r1 + 1] = c11; C[r1 + 2] = c12; C[r1 + 3] = c13; C[r1 + 4] = c14; C[r1 + 5] = c15; C[r1 + 6] = c16; C[r1 + 7] = c17;
      C[r2] = c20; C[r2 + 1] = c21; C[r2 + 2] = c22; C[r2 + 3] = c23; C[r2 + 4] = c24; C[r2 + 5] = c25; C[r2 + 6] = c26; C[r2 + 7] = c27;
      C[r3] = c30; C[r3 + 1] = c31; C[r3 + 2] = c32; C[r3 + 3] = c33; C[r3 + 4] = c34; C[r3 + 5] = c35; C[r3 + 6] = c36; C[r3 + 7] = c37;
    } else {
      C[r0] += c00; C[r0 + 1] += c01; C[r0 + 2] += c02; C[r0 + 3] += c03; C[r0 + 4] += c04; C[r0 + 5] += c05; C[r0 + 6] += c06; C[r0 + 7] += c07;
      C[r1] += c10; C[r1 + 1] += c11; C[r1 + 2] += c12; C[r1 + 3] += c13; C[r1 + 4] += c14; C[r1 + 5] += c15; C[r1 + 6] += c16; C[r1 + 7] += c17;
      C[r2] += c20; C[r2 + 1] += c21; C[r2 + 2] += c22; C[r2 + 3] += c23; C[r2 + 4] += c24; C[r2 + 5] += c25; C[r2 + 6] += c26; C[r2 + 7] += c27;
      C[r3] += c30; C[r3 + 1] += c31; C[r3 + 2] += c32; C[r3 + 3] += c33; C[r3 + 4] += c34; C[r3 + 5] += c35; C[r3 + 6] += c36; C[r3 + 7] += c37;
    }
    return;
  }
  const t = edgeTile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03; t[4] = c04; t[5] = c05; t[6] = c06; t[7] = c07;
  t[8] = c10; t[9] = c11; t[10] = c12; t[11] = c13; t[12] = c14; t[13] = c15; t[14] = c16; t[15] = c17;
  t[16] = c20; t[17] = c21; t[18] = c22; t[19] = c23; t[20] = c24; t[21] = c25; t[22] = c26; t[23] = c27;
  t[24] = c30; t[25] = c31; t[26] = c32; t[27] = c33; t[28] = c34; t[29] = c35; t[30] = c36; t[31] = c37;
  for (let r = 0; r < mr; r++) {
    const row = c0 + r * ldc;
    for (let c = 0; c < nr; c++) {
      if (overwrite) C[row + c] = t[r * NR + c]!;
      else C[row + c] += t[r * NR + c]!;
    }
  }
}

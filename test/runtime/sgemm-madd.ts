// Shared by sgemm-relaxed.test.ts and sgemm-plain.test.ts (one file per multiply-add, since the
// runtime builds its kernel module once per process): the tiles kernel, instantiated on its own,
// against an emulation of its float32 arithmetic; and 1 against 2 threads, bit for bit.
import { expect } from 'vitest';
import { Rng, gemmNN, gemmNT, gemmTN, setThreads } from 'cnnc/runtime';
import { encodeModule } from '../../runtime/wasm/encoder.js';
import { MR, NV, NR, tiles, type Madd } from '../../runtime/wasm/sgemm-kernel.js';
import { pool } from '../../runtime/wasm/pool.js';

type Tiles = (tilesM: number, tilesN: number, kc: number, pA: number, rs: number, ks: number, ps: number, pB: number, kb: number, pb: number, pC: number, ldc: number, load: number) => void;

/** The tiles kernel alone, over its own memory (floats). */
export function tilesKernel(m: Madd): { run: Tiles; f32: Float32Array } {
  const memory = new WebAssembly.Memory({ initial: 4 });
  const e = new WebAssembly.Instance(new WebAssembly.Module(encodeModule([tiles(MR, NV, m)], { shared: false, pages: 1 })), { env: { memory } }).exports;
  return { run: e['tiles'] as Tiles, f32: new Float32Array(memory.buffer) };
}

/**
 * Runs `m`'s kernel on random panels (2×3 tiles, kc = 37, loading a random C) and returns C with what `step` gives
 * for the same sums in the same order: acc = step(a, b, acc) per k. A and B are packed micro-panels, or (`byRows`)
 * the same values stored by rows (A's row stride kc + 3 floats, B's 8 past C's width, NaN between), read where they
 * are (gemm-part.js rowsA, rowsB).
 */
export function tilesAgainst(m: Madd, step: (a: number, b: number, acc: number) => number, byRows = false): { got: Float32Array; want: Float32Array } {
  const { run, f32 } = tilesKernel(m);
  const rng = new Rng(42);
  const tilesM = 2, tilesN = 3, kc = 37, ldc = tilesN * NR, lda = kc + 3;
  const ldb = ldc + 8; // B by rows: kc rows of tilesN·NR floats and 8 NaNs
  const pA = 0, pB = pA + tilesM * MR * kc, pC = pB + tilesN * NR * kc, pRows = pC + tilesM * MR * ldc, pRowsB = pRows + tilesM * MR * lda;
  const rows = tilesM * MR;
  for (let i = 0; i < pC + rows * ldc; i++) f32[i] = rng.uniform(-1, 1);
  const aAt = (i: number, k: number): number => pA + (Math.floor(i / MR) * kc + k) * MR + (i % MR);
  for (let i = 0; i < rows; i++) for (let k = 0; k < lda; k++) f32[pRows + i * lda + k] = k < kc ? f32[aAt(i, k)]! : NaN;
  const bAt = (k: number, j: number): number => pB + (Math.floor(j / NR) * kc + k) * NR + (j % NR);
  for (let k = 0; k < kc; k++) for (let j = 0; j < ldb; j++) f32[pRowsB + k * ldb + j] = j < ldc ? f32[bAt(k, j)]! : NaN;
  const want = f32.slice(pC, pC + rows * ldc);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < ldc; j++) {
      let acc = want[i * ldc + j]!;
      for (let k = 0; k < kc; k++) acc = step(f32[aAt(i, k)]!, f32[bAt(k, j)]!, acc);
      want[i * ldc + j] = acc;
    }
  }
  const b = byRows ? [4 * pRowsB, 4 * ldb, 4 * NR] : [4 * pB, 4 * NR, 4 * NR * kc];
  if (byRows) run(tilesM, tilesN, kc, 4 * pRows, 4 * lda, 4, 4 * MR * lda, b[0]!, b[1]!, b[2]!, 4 * pC, 4 * ldc, 1);
  else run(tilesM, tilesN, kc, 4 * pA, 4, 4 * MR, 4 * MR * kc, b[0]!, b[1]!, b[2]!, 4 * pC, 4 * ldc, 1);
  return { got: f32.slice(pC, pC + rows * ldc), want };
}

/** float32 a·b then + acc, each rounded: f32x4.mul, f32x4.add. */
export const mulAdd = (a: number, b: number, acc: number): number => Math.fround(Math.fround(a * b) + acc);
/** float32 a·b + acc rounded once (a·b is exact in float64; the sum rounds twice only in ties too rare to meet here). */
export const fused = (a: number, b: number, acc: number): number => Math.fround(a * b + acc);

/** The runtime's gemm on 1 and on 2 threads gives the same bits (pool.callerWorks off: the worker's bits count). */
export function expectThreadsBitwise(): void {
  const minMacs = pool.minMacs;
  pool.minMacs = 0;
  pool.callerWorks = false;
  try {
    // A read by rows (gemm-part.js rowsA) with B split (64×576) and with A split (256×16); packed (13 rows, Aᵀ); x·Wᵀ as (W·xᵀ)ᵀ (32×128)
    for (const [gemm, M, N, K] of [[gemmNN, 64, 576, 288], [gemmNN, 256, 16, 300], [gemmNT, 13, 17, 300], [gemmNT, 32, 128, 600], [gemmTN, 67, 9, 257]] as const) {
      const rng = new Rng(M + N + K);
      const A = Float32Array.from({ length: M * K }, () => rng.uniform(-1, 1));
      const B = Float32Array.from({ length: K * N }, () => rng.uniform(-1, 1));
      const [one, two] = [1, 2].map((T) => {
        setThreads(T);
        const C = new Float32Array(M * N);
        gemm(M, N, K, A, 0, B, 0, C, 0, false);
        return Buffer.from(C.buffer);
      });
      expect(two!.equals(one!), `${gemm.name} M=${M} N=${N} K=${K}`).toBe(true);
    }
  } finally {
    pool.minMacs = minMacs;
    pool.callerWorks = true;
    setThreads(1);
  }
}

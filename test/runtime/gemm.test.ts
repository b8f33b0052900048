// gemm against a naive triple loop (float64 accumulation, the same sums in another order):
// every variant, sizes from 1 through odd sizes to several cache blocks, non-zero offsets,
// accumulate on and off, Float32Array and Float64Array; float32 on both paths (the WebAssembly
// SIMD128 kernel and the plain JS one, which CNNC_NO_WASM=1 or engines without wasm get).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Rng, gemmBackend, gemmNN, gemmNT, gemmTN, setGemmBackend, type FloatArray, type GemmBackend } from 'cnnc/runtime';
import { sgemmModule } from '../../runtime/wasm/sgemm-kernel.js';
import { sleb, uleb } from '../../runtime/wasm/encoder.js';

type Gemm = typeof gemmNN;
type Variant = { name: string; fn: Gemm; a: (i: number, k: number, M: number, K: number) => number; b: (k: number, j: number, K: number, N: number) => number };

// Where op(A)[i,k] and op(B)[k,j] live in the stored arrays.
const variants: Variant[] = [
  { name: 'gemmNN', fn: gemmNN, a: (i, k, _M, K) => i * K + k, b: (k, j, _K, N) => k * N + j },
  { name: 'gemmNT', fn: gemmNT, a: (i, k, _M, K) => i * K + k, b: (k, j, K) => j * K + k },
  { name: 'gemmTN', fn: gemmTN, a: (i, k, M) => k * M + i, b: (k, j, _K, N) => k * N + j },
];

function naive(v: Variant, M: number, N: number, K: number, A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number, accumulate: boolean): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[aOff + v.a(i, k, M, K)]! * B[bOff + v.b(k, j, K, N)]!;
      C[cOff + i * N + j] = accumulate ? C[cOff + i * N + j]! + s : s;
    }
  }
}

function random(rng: Rng, Ctor: Float32ArrayConstructor | Float64ArrayConstructor, n: number): FloatArray {
  const a = new Ctor(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

// 1, odd, just around the 4×8 tiles (JS and wasm), and across the K (256), M (64) and N (512) blocks.
const sizes: [number, number, number][] = [
  [1, 1, 1], [1, 7, 3], [5, 1, 9], [3, 3, 1], [4, 4, 4], [5, 6, 7], [6, 8, 2], [7, 9, 5], [12, 16, 17],
  [13, 17, 11], [8, 12, 300], [67, 9, 257], [2, 515, 5], [65, 33, 513], [1, 600, 270],
];

/** Runs the enclosed tests with the gemm path forced to `b`. */
function onBackend(b: GemmBackend): void {
  let previous: GemmBackend;
  beforeAll(() => { previous = setGemmBackend(b); });
  afterAll(() => { setGemmBackend(previous); });
}

test('Node 20 takes the wasm path by default, from a module small enough for a browser main thread', () => {
  expect(gemmBackend()).toBe(process.env['CNNC_NO_WASM'] === '1' ? 'js' : 'wasm');
  const bytes = sgemmModule();
  expect(WebAssembly.validate(bytes)).toBe(true);
  expect(bytes.length).toBeLessThan(4096);
});

test('the encoder writes LEB128 as in the wasm spec examples', () => {
  expect(uleb(0)).toEqual([0]);
  expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
  expect(sleb(-1)).toEqual([0x7f]);
  expect(sleb(63)).toEqual([0x3f]);
  expect(sleb(64)).toEqual([0xc0, 0x00]);
  expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
});

describe.each(['wasm', 'js'] as const)('%s path', (backend) => {
  onBackend(backend);
  describe.each(variants)('$name', (v) => {
    describe.each([
      ['Float32Array', Float32Array, 2e-6],
      ['Float64Array', Float64Array, 1e-12],
    ] as const)('%s', (_, Ctor, tol) => {
      test.each(sizes)('M=%i N=%i K=%i, offsets and accumulate', (M, N, K) => {
        const rng = new Rng(M * 1000003 + N * 1009 + K);
        const aOff = 3, bOff = 5, cOff = 7;
        const A = random(rng, Ctor, aOff + M * K + 2);
        const B = random(rng, Ctor, bOff + K * N + 2);
        for (const accumulate of [false, true]) {
          const C = random(rng, Ctor, cOff + M * N + 4);
          // Overwrite must not read C: NaNs there must not leak.
          if (!accumulate) C.fill(NaN, cOff, cOff + M * N);
          const expected = C.slice();
          naive(v, M, N, K, A, aOff, B, bOff, expected, cOff, accumulate);
          v.fn(M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
          let worst = 0;
          for (let i = 0; i < C.length; i++) worst = Math.max(worst, Math.abs(C[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
          expect(worst, `accumulate=${accumulate}`).toBeLessThan(tol * Math.sqrt(K));
          // Elements outside C[cOff, cOff + M·N) are untouched (exactly).
          expect(Array.from(C.subarray(0, cOff))).toEqual(Array.from(expected.subarray(0, cOff)));
          expect(Array.from(C.subarray(cOff + M * N))).toEqual(Array.from(expected.subarray(cOff + M * N)));
        }
      });
    });
  });
});

describe('wasm path: a batch-1 linear layer\'s dot products (gemv-kernel.ts), four rows of W at a time', () => {
  onBackend('wasm');
  // N = 4·q + r for r = 0…3 (the rows left go one by one); K with and without a tail past the eight-float steps.
  test.each([[4, 16], [37, 300], [38, 256], [39, 9], [41, 7]] as const)('N=%i K=%i: each output has the bits of that row of W alone (N = 1), accumulating or not', (N, K) => {
    const rng = new Rng(N * 31 + K);
    const x = random(rng, Float32Array, K) as Float32Array, W = random(rng, Float32Array, N * K) as Float32Array;
    for (const accumulate of [false, true]) {
      const C0 = random(rng, Float32Array, N + 2) as Float32Array;
      const together = C0.slice(), alone = C0.slice();
      gemmNT(1, N, K, x, 0, W, 0, together, 1, accumulate);
      for (let j = 0; j < N; j++) gemmNT(1, 1, K, x, 0, W, j * K, alone, 1 + j, accumulate);
      expect(Buffer.from(together.buffer).equals(Buffer.from(alone.buffer)), `accumulate=${accumulate}`).toBe(true);
    }
  });
});

describe('wasm path: a linear layer\'s x·Wᵀ computed as (W·xᵀ)ᵀ (sgemm.ts swapPays)', () => {
  onBackend('wasm');
  test.each([[8, 12, 300], [32, 128, 600], [4, 64, 4096]] as const)('M=%i N=%i K=%i: the bits of the same product with Wᵀ stored (gemmNN), accumulating or not', (M, N, K) => {
    const rng = new Rng(M + N + K);
    const A = random(rng, Float32Array, M * K) as Float32Array, B = random(rng, Float32Array, N * K) as Float32Array;
    const Bt = new Float32Array(K * N);
    for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) Bt[k * N + j] = B[j * K + k]!;
    for (const accumulate of [false, true]) {
      const C0 = random(rng, Float32Array, M * N + 3) as Float32Array;
      const swapped = C0.slice(), direct = C0.slice();
      gemmNT(M, N, K, A, 0, B, 0, swapped, 1, accumulate);
      gemmNN(M, N, K, A, 0, Bt, 0, direct, 1, accumulate);
      expect(Buffer.from(swapped.buffer).equals(Buffer.from(direct.buffer)), `accumulate=${accumulate}`).toBe(true);
    }
  });
});

test('K = 0: overwrite writes zeros, accumulate leaves C alone', () => {
  const C = new Float32Array([1, 2, 3, 4, 5]);
  gemmNN(2, 2, 0, new Float32Array(0), 0, new Float32Array(0), 0, C, 1, true);
  expect(Array.from(C)).toEqual([1, 2, 3, 4, 5]);
  gemmNN(2, 2, 0, new Float32Array(0), 0, new Float32Array(0), 0, C, 1, false);
  expect(Array.from(C)).toEqual([1, 0, 0, 0, 0]);
});

test('an operand too short for its offset and size is an error, not silent NaNs', () => {
  const A = new Float32Array(6), B = new Float32Array(6), C = new Float32Array(4);
  expect(() => gemmNN(2, 2, 3, A, 1, B, 0, C, 0, false)).toThrow(/A needs 6 elements from offset 1, but has 6/);
  expect(() => gemmNT(2, 2, 3, A, 0, B, 0, C, 1, false)).toThrow(/C needs 4 elements from offset 1/);
  expect(() => gemmTN(2, 3, 3, A, 0, B, 0, C, 0, false)).toThrow(/B needs 9 elements/);
});

test('a mixed call: float32 operands into a float64 result', () => {
  const A = Float32Array.from([1, 2, 3, 4]), B = Float32Array.from([0.5, -1, 2, 0.25]);
  const C = new Float64Array(4);
  gemmNN(2, 2, 2, A, 0, B, 0, C, 0, false);
  expect(Array.from(C)).toEqual([4.5, -0.5, 9.5, -2]);
});

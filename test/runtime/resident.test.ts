// Arrays in the runtime's wasm memory (rt.allocFloats, runtime/wasm/resident.ts) and the products
// that use them in place: they must behave as ordinary arrays (zeroed, valid after the memory
// grows), and every gemm on them must give what the same gemm on ordinary copies gives — in place
// C (whole tiles), staged C (partial tiles, which must not touch the neighbours), accumulate both
// ways, and the one-row product (M = 1, B stored by rows: a linear layer at batch 1) that skips packing.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allocFloats, gemmNN, gemmNT, gemmTN, relu, reluBackward, Rng, setGemmBackend, type GemmBackend } from 'cnnc/runtime';
import { wasmSgemm } from '../../runtime/wasm/sgemm.js';

function fillRandom(a: Float32Array, seed: number): Float32Array {
  const rng = new Rng(seed);
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

/** C (+)= op(A)·op(B) in float64 from the definitions. */
function reference(transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = accumulate ? C[i * N + j]! : 0;
      for (let k = 0; k < K; k++) s += (transA ? A[k * M + i]! : A[i * K + k]!) * (transB ? B[j * K + k]! : B[k * N + j]!);
      out[i * N + j] = s;
    }
  }
  return out;
}

describe('arrays in wasm memory', () => {
  let previous: GemmBackend;
  beforeAll(() => { previous = setGemmBackend('wasm'); });
  afterAll(() => { setGemmBackend(previous); });

  test('Float32Array in the shared wasm memory, zeroed, still valid after the memory grows', () => {
    const w = wasmSgemm()!;
    expect(w.shared).toBe(true); // Node has SharedArrayBuffer
    const a = allocFloats(Float32Array, 1000);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.every((v) => v === 0)).toBe(true);
    a.fill(3);
    const before = w.memory.buffer.byteLength;
    // A product big enough to grow the work space past the current memory.
    const big = 1 << 21;
    const A = new Float32Array(big / 64), B = new Float32Array(big / 64 * 64), C = new Float32Array(64 * 64);
    gemmNN(64, 64, big / 64 / 64, A, 0, B, 0, C, 0, false);
    expect(w.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(a.length).toBe(1000);
    expect(a.every((v) => v === 3)).toBe(true);
    const b = allocFloats(Float32Array, 10); // the work space it now takes over had data: zeroed anyway
    expect(b.every((v) => v === 0)).toBe(true);
  });

  test('Float64Array and the JS gemm path get ordinary arrays', () => {
    expect(allocFloats(Float64Array, 8).buffer).toBeInstanceOf(ArrayBuffer);
    setGemmBackend('js');
    try {
      expect(allocFloats(Float32Array, 8).buffer).toBeInstanceOf(ArrayBuffer);
    } finally {
      setGemmBackend('wasm');
    }
  });

  // [title, transA, transB, M, N, K]: in place C needs M % 4 = 0 and N % 8 = 0.
  const shapes: [string, boolean, boolean, number, number, number][] = [
    ['NN, whole tiles (C in place)', false, false, 8, 16, 37],
    ['NT, whole tiles (C in place)', false, true, 12, 24, 300],
    ['TN, partial tiles (C staged)', true, false, 7, 13, 20],
    ['NT, one row (dot products, K a multiple of 8)', false, true, 1, 37, 64],
    ['NT, one row (dot products, K with a tail)', false, true, 1, 10, 9219],
    ['NN, one row (packed path)', false, false, 1, 9, 5],
  ];
  for (const [title, tA, tB, M, N, K] of shapes) {
    for (const accumulate of [false, true]) {
      test(`${title}, accumulate ${accumulate}: resident operands give the copied operands' result`, () => {
        const gemm = tA ? gemmTN : tB ? gemmNT : gemmNN;
        const A = fillRandom(allocFloats(Float32Array, M * K + 5), 1);
        const B = fillRandom(allocFloats(Float32Array, K * N + 3), 2);
        // C between guards: nothing outside [1, 1 + M·N) may change.
        const Cr = fillRandom(allocFloats(Float32Array, M * N + 2), 3);
        const C0 = Float32Array.from(Cr);
        const expected = reference(tA, tB, M, N, K, A.subarray(5), B.subarray(3), C0.subarray(1), accumulate);
        gemm(M, N, K, A, 5, B, 3, Cr, 1, accumulate);
        const Cc = Float32Array.from(C0);
        gemm(M, N, K, Float32Array.from(A), 5, Float32Array.from(B), 3, Cc, 1, accumulate);
        expect(Cr[0]).toBe(C0[0]);
        expect(Cr[M * N + 1]).toBe(C0[M * N + 1]);
        let worst = 0;
        for (let i = 0; i < M * N; i++) worst = Math.max(worst, Math.abs(Cr[1 + i]! - expected[i]!), Math.abs(Cc[1 + i]! - expected[i]!));
        expect(worst).toBeLessThan(1e-4 * Math.sqrt(K));
        expect(Array.from(Cr)).toEqual(Array.from(Cc)); // the same kernels, the same bits
      });
    }
  }

  test.each([1, 7, 8, 13])('relu and its backward in place on arrays in wasm memory (count %i): the neighbours keep their values', (count) => {
    const specials = [NaN, -0, 0, Infinity, -Infinity, -2, 3.5];
    const arena = fillRandom(allocFloats(Float32Array, 3 * (count + 2)), count);
    const x = arena.subarray(1, 1 + count), y = arena.subarray(count + 3, 2 * count + 3);
    specials.slice(0, count).forEach((v, i) => (x[i] = v));
    const before = Float32Array.from(arena);
    relu(x, y, count);
    for (let i = 0; i < count; i++) expect(Object.is(y[i], x[i]! < 0 ? 0 : x[i])).toBe(true);
    for (const i of [0, count + 1, count + 2, 2 * count + 3]) expect(Object.is(arena[i], before[i])).toBe(true);
    const dY = fillRandom(allocFloats(Float32Array, count + 1), 9).subarray(0, count);
    const dX = allocFloats(Float32Array, count + 1);
    dX[count] = 5;
    reluBackward(y, dY, dX, count);
    for (let i = 0; i < count; i++) expect(dX[i]).toBe(y[i]! > 0 ? dY[i] : 0);
    expect(dX[count]).toBe(5);
  });
});

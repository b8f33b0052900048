// concat's, add's and dropout's wasm work (runtime/wasm/blocks.ts) against the loops a generated module runs
// where it does not apply: copyBlocks moves strided blocks (a concat input into each sample of the output and
// back, every length mod 4, nothing outside the blocks touched); addTwo, mulTwo and the dropout kernels give the
// loops' float32 bits (their float64 arithmetic rounded once) for NaN, ±∞, ±0, subnormals and cancellation, in
// place too, with dropout's float64 scale (1/(1 − p) for p = 0.3 is not a float32). Arrays outside wasm memory,
// or Float64Array: false, with nothing done.
import { describe, expect, test } from 'vitest';
import { addTwo, allocFloats, copyBlocks, dropoutElements, dropoutPlanes, gemmBackend, mulTwo, Rng, scalePlanes } from 'cnnc/runtime';

function values(rng: Rng, count: number): Float32Array {
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38];
  return Float32Array.from({ length: count }, (_, i) => (i % 7 === 3 ? specials[i % specials.length]! : rng.uniform(-1, 1) * 2 ** Math.floor(rng.uniform(-30, 30))));
}

const same = (got: Float32Array, want: Float32Array): number => Array.from(got).findIndex((v, i) => !Object.is(v, want[i]));

describe.runIf(gemmBackend() === 'wasm')('block copies and the two-input add in wasm', () => {
  test.each([[3, 5], [2, 8], [4, 13], [1, 1], [5, 0]])('copyBlocks: %i blocks of %i floats between strided places', (blocks, count) => {
    const rng = new Rng(blocks * 100 + count);
    const srcStride = count + 3, dstStride = 2 * count + 5, srcOff = 2, dstOff = count + 1;
    const src = allocFloats(Float32Array, srcOff + blocks * srcStride);
    src.set(values(rng, src.length));
    const dst = allocFloats(Float32Array, dstOff + blocks * dstStride + 4);
    dst.fill(7);
    const want = Float32Array.from(dst);
    for (let b = 0; b < blocks; b++) for (let j = 0; j < count; j++) want[dstOff + b * dstStride + j] = src[srcOff + b * srcStride + j]!;
    expect(copyBlocks(src, srcOff, srcStride, dst, dstOff, dstStride, blocks, count)).toBe(true);
    const i = same(dst, want);
    expect(i, `dst[${i}] = ${dst[i]}, want ${want[i]}`).toBe(-1);
  });

  test.each([1, 4, 7, 64, 131])('addTwo over %i floats: the loop\'s bits, in place too', (count) => {
    const rng = new Rng(count);
    const x0 = allocFloats(Float32Array, count), x1 = allocFloats(Float32Array, count), y = allocFloats(Float32Array, count + 4);
    x0.set(values(rng, count));
    x1.set(values(rng, count).map((v, i) => (i % 5 === 1 ? -x0[i]! : v))); // exact cancellation: +0
    y.fill(7);
    const want = new Float32Array(count + 4).fill(7);
    for (let i = 0; i < count; i++) want[i] = x0[i]! + x1[i]!;
    expect(addTwo(x0, x1, y, count)).toBe(true);
    expect(same(y, want)).toBe(-1);
    expect(addTwo(x0, x1, x0, count)).toBe(true); // y = x0, in place
    expect(same(x0, want.subarray(0, count))).toBe(-1);
  });

  /** A dropout mask as the generated module draws it: 0 or the scale, rounded to float32. */
  const maskOf = (rng: Rng, count: number, keep: number, scale: number): Float32Array => Float32Array.from({ length: count }, () => (rng.nextFloat() < keep ? scale : 0));

  test.each([[0.5, 1, 7], [0.3, 1, 130], [0.25, 144, 6], [0.3, 9, 5], [0.1, 2, 3]])('dropout p = %f, %i floats a mask entry, %i entries: the loops\' bits forward and backward', (p, size, entries) => {
    const rng = new Rng(entries * 10 + size);
    const keep = 1 - p, scale = 1 / (1 - p), count = size * entries;
    const x = allocFloats(Float32Array, count), y = allocFloats(Float32Array, count + 4), mask = allocFloats(Float32Array, entries);
    x.set(values(rng, count));
    mask.set(maskOf(rng, entries, keep, scale));
    y.fill(7);
    const want = new Float32Array(count + 4).fill(7), back = new Float32Array(count);
    for (let e = 0; e < entries; e++) {
      const m = mask[e]! !== 0 ? scale : 0;
      for (let j = 0; j < size; j++) {
        want[e * size + j] = x[e * size + j]! * m;
        back[e * size + j] = x[e * size + j]! * mask[e]!;
      }
    }
    expect(size === 1 ? dropoutElements(x, y, mask, count, scale) : dropoutPlanes(x, y, mask, entries, size, scale)).toBe(true);
    let i = same(y, want);
    expect(i, `y[${i}] = ${y[i]}, the loop's ${want[i]}`).toBe(-1);
    const dX = allocFloats(Float32Array, count);
    expect(size === 1 ? mulTwo(x, mask, dX, count) : scalePlanes(x, dX, mask, entries, size)).toBe(true);
    i = same(dX, back);
    expect(i, `dX[${i}] = ${dX[i]}, the loop's ${back[i]}`).toBe(-1);
  });

  test('arrays outside wasm memory, or float64: false, nothing written', () => {
    const a = new Float32Array(8).fill(1), b = allocFloats(Float32Array, 8), d = new Float64Array(8);
    expect(copyBlocks(a, 0, 8, b, 0, 8, 1, 8)).toBe(false);
    expect(copyBlocks(b, 0, 8, a, 0, 8, 1, 8)).toBe(false);
    expect(copyBlocks(d, 0, 8, b, 0, 8, 1, 8)).toBe(false);
    expect(addTwo(a, b, b, 8)).toBe(false);
    expect(addTwo(b, b, d, 8)).toBe(false);
    expect(mulTwo(a, b, b, 8)).toBe(false);
    expect(dropoutElements(a, b, b, 8, 2)).toBe(false);
    expect(dropoutPlanes(b, b, a, 2, 4, 2)).toBe(false);
    expect(scalePlanes(b, d, b, 2, 4)).toBe(false);
    expect(Array.from(b)).toEqual(new Array(8).fill(0));
  });
});

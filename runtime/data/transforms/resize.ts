// Bilinear resize with antialias, bit for bit as Pillow's Image.resize(size, Resampling.BILINEAR) on an 8-bit
// L or RGB image (Pillow 9.4, src/libImaging/Resample.c), which torchvision.transforms.functional.resize calls for
// a PIL image. The algorithm, ported step for step:
// - Coefficients per output pixel (precompute_coeffs): the filter's support is scaled by the reduction factor
//   (scale = in / out, at least 1), so downscaling averages every input pixel under it (that is the antialias);
//   the window [xmin, xmin + xmax) is rounded by C's (int)(v + 0.5) (truncation toward zero), clamped to the
//   image; the weights are normalized to sum 1 in float64.
// - 8-bit images (normalize_coeffs_8bpc): weights to 22-bit fixed point, (int)(±0.5 + w · 2^22); a pixel is
//   (2^21 + Σ pixel · weight) >> 22 clipped to 0…255 (clip8).
// - Two passes: horizontal first, on only the input rows the vertical pass reads, then vertical. A pass whose
//   size does not change is skipped; equal sizes return a copy (Image.resize's shortcut).
import type { Image8 } from '../image.js';

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
/** Bilinear's support (Resample.c BILINEAR = {bilinear_filter, 1.0}). */
const SUPPORT = 1.0;

/** The taps of one pass: output pixel i reads `count[i]` inputs from `first[i]` with weights `k[i·ksize …]`. */
export interface ResampleCoefficients {
  readonly ksize: number;
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** 22-bit fixed point weights, `ksize` per output pixel (zeros past `count`). */
  readonly k: Int32Array;
}

function bilinearFilter(x: number): number {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

/** precompute_coeffs + normalize_coeffs_8bpc for the box [0, inSize) of an axis resized to outSize. */
export function resampleCoefficients(inSize: number, outSize: number): ResampleCoefficients {
  const scale = inSize / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const k = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale; // in0 + (xx + 0.5) * scale, in0 = 0
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) {
      const v = bilinearFilter((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0.0 ? w[x]! / ww : w[x]!;
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, first, count, k };
}

/** The coefficients of the last few (inSize, outSize) pairs: a data set resized to one size reuses them for
 *  every image of the same size (they are a pure function of the pair, and read-only once made). */
const cache = new Map<string, ResampleCoefficients>();
const CACHE_ENTRIES = 32;

function coefficients(inSize: number, outSize: number): ResampleCoefficients {
  const key = `${inSize}→${outSize}`;
  let c = cache.get(key);
  if (c) return c;
  c = resampleCoefficients(inSize, outSize);
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, c);
  return c;
}

function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Resize to width × height: PIL's `img.resize((width, height), Image.BILINEAR)`. */
export function resizeBilinear(img: Image8, width: number, height: number): Image8 {
  checkSize(width, height);
  const C = img.channels;
  if (width === img.width && height === img.height) return { width, height, channels: C, data: img.data.slice() };
  const needHorizontal = width !== img.width;
  const needVertical = height !== img.height;
  const vert = coefficients(img.height, height);
  // The rows the vertical pass reads: the horizontal pass computes only these.
  const yFirst = vert.first[0]!;
  const yLast = vert.first[height - 1]! + vert.count[height - 1]!;
  let src: Image8 = img;
  let rowOffset = 0;
  if (needHorizontal) {
    src = horizontalPass(img, width, yFirst, yLast - yFirst);
    rowOffset = yFirst;
  }
  if (!needVertical) return src;
  return verticalPass(src, height, vert, rowOffset);
}

function horizontalPass(img: Image8, width: number, y0: number, rows: number): Image8 {
  const C = img.channels;
  const c = coefficients(img.width, width);
  const out = new Uint8Array(width * rows * C);
  if (C === 1) horizontal1(img.data, out, img.width, width, y0, rows, c.ksize, c.first, c.count, c.k);
  else horizontal3(img.data, out, img.width, width, y0, rows, c.ksize, c.first, c.count, c.k);
  return { width, height: rows, channels: C, data: out };
}

function verticalPass(img: Image8, height: number, vert: ResampleCoefficients, rowOffset: number): Image8 {
  const row = img.width * img.channels;
  const out = new Uint8Array(row * height);
  vertical(img.data, out, row, height, rowOffset, vert.ksize, vert.first, vert.count, vert.k);
  return { width: img.width, height, channels: img.channels, data: out };
}

// The kernels take only typed arrays and numbers, so the engine compiles each loop once, monomorphic.

function horizontal1(
  d: Uint8Array, out: Uint8Array, inWidth: number, width: number, y0: number, rows: number,
  ksize: number, first: Int32Array, count: Int32Array, k: Int32Array,
): void {
  for (let yy = 0; yy < rows; yy++) {
    const rowIn = (yy + y0) * inWidth;
    const rowOut = yy * width;
    for (let xx = 0; xx < width; xx++) {
      const kBase = xx * ksize;
      const n = count[xx]!;
      const p = rowIn + first[xx]!;
      let s0 = HALF;
      for (let x = 0; x < n; x++) s0 += d[p + x]! * k[kBase + x]!;
      out[rowOut + xx] = clip8(s0);
    }
  }
}

function horizontal3(
  d: Uint8Array, out: Uint8Array, inWidth: number, width: number, y0: number, rows: number,
  ksize: number, first: Int32Array, count: Int32Array, k: Int32Array,
): void {
  for (let yy = 0; yy < rows; yy++) {
    const rowIn = (yy + y0) * inWidth * 3;
    const rowOut = yy * width * 3;
    for (let xx = 0; xx < width; xx++) {
      const kBase = xx * ksize;
      const n = count[xx]!;
      let q = rowIn + first[xx]! * 3;
      let s0 = HALF, s1 = HALF, s2 = HALF;
      for (let x = 0; x < n; x++, q += 3) {
        const w = k[kBase + x]!;
        s0 += d[q]! * w;
        s1 += d[q + 1]! * w;
        s2 += d[q + 2]! * w;
      }
      const o = rowOut + xx * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
}

/** Output row yy = Σ_y k[y] · input row (first[yy] + y), accumulated a whole row at a time (sequential reads);
 *  the sums are integers, so the order does not change them. */
function vertical(
  d: Uint8Array, out: Uint8Array, row: number, height: number, rowOffset: number,
  ksize: number, first: Int32Array, count: Int32Array, k: Int32Array,
): void {
  const acc = new Int32Array(row);
  for (let yy = 0; yy < height; yy++) {
    const kBase = yy * ksize;
    const n = count[yy]!;
    acc.fill(HALF);
    const p0 = (first[yy]! - rowOffset) * row;
    let y = 0;
    for (; y + 1 < n; y += 2) { // two input rows per sweep: half the accumulator traffic
      const wa = k[kBase + y]!, wb = k[kBase + y + 1]!;
      const pa = p0 + y * row, pb = pa + row;
      for (let xx = 0; xx < row; xx++) acc[xx] += d[pa + xx]! * wa + d[pb + xx]! * wb;
    }
    if (y < n) {
      const w = k[kBase + y]!;
      const p = p0 + y * row;
      for (let xx = 0; xx < row; xx++) acc[xx] += d[p + xx]! * w;
    }
    const o = yy * row;
    for (let xx = 0; xx < row; xx++) out[o + xx] = clip8(acc[xx]!);
  }
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resize: the output size must be positive integers, got ${width}×${height}`);
  }
}

/** torchvision 0.14's `_compute_resized_output_size` without max_size: [h, w] for Resize(size) on an h×w image.
 *  An integer s resizes the smaller edge to s and the longer to int(s · long / short) (truncated). */
export function resizeOutputSize(size: number | readonly [number, number], height: number, width: number): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  const shortIsW = width <= height;
  const short = shortIsW ? width : height;
  const long = shortIsW ? height : width;
  const newLong = Math.trunc((size * long) / short);
  return shortIsW ? [newLong, size] : [size, newLong];
}

/** torchvision.transforms.functional.resize on a PIL image: the same size returns the image itself. */
export function resize(img: Image8, size: number | readonly [number, number]): Image8 {
  const [h, w] = resizeOutputSize(size, img.height, img.width);
  if (h === img.height && w === img.width) return img;
  return resizeBilinear(img, w, h);
}

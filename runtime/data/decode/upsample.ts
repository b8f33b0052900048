// The last two steps of libjpeg-turbo's decoder (2.1, what Debian's PIL links), so that a JPEG decodes to
// PIL's pixels rather than jpeg-js's: chroma "fancy upsampling" (jdsample.c: a triangle filter, 3/4 of the
// nearer sample and 1/4 of the further, with libjpeg's biases) and YCbCr → RGB in 16-bit fixed point
// (jdcolor.c build_ycc_rgb_table). Written out because jpeg-js offers neither; each is a few lines of table.
// Browser-safe.

import type { JpegComponent } from './jpeg.js';

/** `raw`: jpeg-js's output for 3 components without colour transform, each component repeated up to the full
 *  size (nearest). A component subsampled by 2 is read back at its own size (every 2nd sample) and upsampled as
 *  libjpeg-turbo does: h2v1 and h2v2 "fancy" when the downsampled width is over 2, h1v2 always; other factors
 *  repeat samples (int_upsample), which is what jpeg-js did already. Works in place and returns `raw`. */
export function fancyUpsample(raw: Uint8Array, W: number, H: number, comps: readonly JpegComponent[]): Uint8Array {
  const hmax = Math.max(...comps.map((c) => c.h));
  const vmax = Math.max(...comps.map((c) => c.v));
  for (let c = 0; c < comps.length; c++) {
    const hx = hmax / comps[c].h;
    const vy = vmax / comps[c].v;
    if (!((hx === 1 || hx === 2) && (vy === 1 || vy === 2)) || (hx === 1 && vy === 1)) continue;
    const dw = Math.ceil((W * comps[c].h) / hmax);
    const dh = Math.ceil((H * comps[c].v) / vmax);
    if (hx === 2 && dw <= 2) continue; // libjpeg-turbo: h2v1_upsample / h2v2_upsample, plain repetition
    // The component at its own size, read before this component's samples are overwritten.
    const p = new Int32Array(dw * dh);
    for (let j = 0; j < dh; j++) for (let i = 0; i < dw; i++) p[j * dw + i] = raw[(vy * j * W + hx * i) * 3 + c];
    const cs = new Int32Array(dw);
    for (let y = 0; y < H; y++) {
      const j = y >> 1;
      const odd = (y & 1) === 1;
      if (vy === 1) {
        for (let i = 0; i < dw; i++) cs[i] = p[y * dw + i];
      } else {
        // The nearer row and the further one (above for an even output row, below for an odd one); at the
        // image's edges libjpeg repeats the first and last rows (jdmainct.c's context rows).
        const far = odd ? Math.min(j + 1, dh - 1) : Math.max(j - 1, 0);
        for (let i = 0; i < dw; i++) cs[i] = 3 * p[j * dw + i] + p[far * dw + i];
      }
      const row = y * W * 3 + c;
      if (hx === 1) {
        // h1v2_fancy_upsample: (3·near + far + bias) >> 2, bias 1 above and 2 below.
        const bias = odd ? 2 : 1;
        for (let x = 0; x < W; x++) raw[row + x * 3] = (cs[x] + bias) >> 2;
        continue;
      }
      // Output columns 2i and 2i + 1 come from input column i (dw ≥ 3 here; the last odd column exists only
      // when W is even). h2v1_fancy_upsample: ends copied, inside (3·nearer + further + 1 or 2) >> 2.
      // h2v2_fancy_upsample, on column sums: ends (4·sum + 8 or 7) >> 4, inside (3·sum + neighbour + 8 or 7) >> 4.
      const last = dw - 1;
      const lastOdd = 2 * last + 1 < W;
      if (vy === 1) {
        raw[row] = cs[0];
        raw[row + 3] = (3 * cs[0] + cs[1] + 2) >> 2;
        for (let i = 1, o = row + 6; i < last; i++, o += 6) {
          const a = 3 * cs[i];
          raw[o] = (a + cs[i - 1] + 1) >> 2;
          raw[o + 3] = (a + cs[i + 1] + 2) >> 2;
        }
        raw[row + 6 * last] = (3 * cs[last] + cs[last - 1] + 1) >> 2;
        if (lastOdd) raw[row + 6 * last + 3] = cs[last];
      } else {
        raw[row] = (4 * cs[0] + 8) >> 4;
        raw[row + 3] = (3 * cs[0] + cs[1] + 7) >> 4;
        for (let i = 1, o = row + 6; i < last; i++, o += 6) {
          const a = 3 * cs[i];
          raw[o] = (a + cs[i - 1] + 8) >> 4;
          raw[o + 3] = (a + cs[i + 1] + 7) >> 4;
        }
        raw[row + 6 * last] = (3 * cs[last] + cs[last - 1] + 8) >> 4;
        if (lastOdd) raw[row + 6 * last + 3] = (4 * cs[last] + 7) >> 4;
      }
    }
  }
  return raw;
}

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const FIX = (x: number): number => Math.floor(x * (1 << SCALEBITS) + 0.5);

let TABLES: { crR: Int32Array; cbB: Int32Array; crG: Int32Array; cbG: Int32Array; range: Uint8Array } | undefined;

function tables(): NonNullable<typeof TABLES> {
  if (TABLES === undefined) {
    const crR = new Int32Array(256);
    const cbB = new Int32Array(256);
    const crG = new Int32Array(256);
    const cbG = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      const x = i - 128;
      crR[i] = (FIX(1.402) * x + ONE_HALF) >> SCALEBITS;
      cbB[i] = (FIX(1.772) * x + ONE_HALF) >> SCALEBITS;
      crG[i] = -FIX(0.71414) * x;
      cbG[i] = -FIX(0.34414) * x + ONE_HALF;
    }
    // libjpeg's range_limit: index v + RANGE_OFFSET gives v clamped to 0–255 (v from −384 to 639 is enough).
    const range = new Uint8Array(1024);
    for (let i = 0; i < 1024; i++) range[i] = Math.min(255, Math.max(0, i - RANGE_OFFSET));
    TABLES = { crR, cbB, crG, cbG, range };
  }
  return TABLES;
}

const RANGE_OFFSET = 384;

/** jdcolor.c ycc_rgb_convert, in place on interleaved Y, Cb, Cr samples. */
export function yccToRgb(ycc: Uint8Array): Uint8Array {
  const { crR, cbB, crG, cbG, range } = tables();
  for (let k = 0; k < ycc.length; k += 3) {
    const y = ycc[k] + RANGE_OFFSET;
    const cb = ycc[k + 1];
    const cr = ycc[k + 2];
    ycc[k] = range[y + crR[cr]];
    ycc[k + 1] = range[y + ((cbG[cb] + crG[cr]) >> SCALEBITS)];
    ycc[k + 2] = range[y + cbB[cb]];
  }
  return ycc;
}

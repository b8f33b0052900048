// The last two steps of libjpeg-turbo's decoder (2.1, what Debian's PIL links), so that a JPEG decodes to
// PIL's pixels rather than jpeg-js's: chroma "fancy upsampling" (jdsample.c: a triangle filter, 3/4 of the
// nearer sample and 1/4 of the further, with libjpeg's biases) and YCbCr → RGB in 16-bit fixed point
// (jdcolor.c build_ycc_rgb_table). Written out because jpeg-js offers neither; each is a few lines of table.
// Browser-safe.

import type { JpegComponent } from './jpeg.js';

/** `raw`: jpeg-js's output for 3 components without colour transform, each component repeated up to the full
 *  size (nearest). A component subsampled by 2 is read back at its own size (every 2nd sample) and upsampled as
 *  libjpeg-turbo does: h2v1 and h2v2 "fancy" when the downsampled width is over 2, h1v2 always; other factors
 *  repeat samples (int_upsample), which is what jpeg-js did already. Returns new interleaved samples. */
export function fancyUpsample(raw: Uint8Array, W: number, H: number, comps: readonly JpegComponent[]): Uint8Array {
  const out = raw.slice();
  const hmax = Math.max(...comps.map((c) => c.h));
  const vmax = Math.max(...comps.map((c) => c.v));
  comps.forEach((comp, c) => {
    const hx = hmax / comp.h;
    const vy = vmax / comp.v;
    if (!((hx === 1 || hx === 2) && (vy === 1 || vy === 2)) || (hx === 1 && vy === 1)) return;
    const dw = Math.ceil((W * comp.h) / hmax);
    const dh = Math.ceil((H * comp.v) / vmax);
    if (hx === 2 && dw <= 2) return; // libjpeg-turbo: h2v1_upsample / h2v2_upsample, plain repetition
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
        for (let x = 0; x < W; x++) out[row + x * 3] = (cs[x] + bias) >> 2;
      } else if (vy === 1) {
        // h2v1_fancy_upsample: the ends copy, inside (3·nearer + further + 1 or 2) >> 2.
        for (let x = 0; x < W; x++) {
          const i = x >> 1;
          let v: number;
          if ((x & 1) === 0) v = i === 0 ? cs[0] : (3 * cs[i] + cs[i - 1] + 1) >> 2;
          else v = i === dw - 1 ? cs[i] : (3 * cs[i] + cs[i + 1] + 2) >> 2;
          out[row + x * 3] = v;
        }
      } else {
        // h2v2_fancy_upsample on column sums (3·near row + far row): ends (4·sum + 8 or 7) >> 4,
        // inside (3·sum + neighbour sum + 8 or 7) >> 4.
        for (let x = 0; x < W; x++) {
          const i = x >> 1;
          let v: number;
          if ((x & 1) === 0) v = i === 0 ? (4 * cs[0] + 8) >> 4 : (3 * cs[i] + cs[i - 1] + 8) >> 4;
          else v = i === dw - 1 ? (4 * cs[i] + 7) >> 4 : (3 * cs[i] + cs[i + 1] + 7) >> 4;
          out[row + x * 3] = v;
        }
      }
    }
  });
  return out;
}

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const FIX = (x: number): number => Math.floor(x * (1 << SCALEBITS) + 0.5);

let TABLES: { crR: Int32Array; cbB: Int32Array; crG: Int32Array; cbG: Int32Array } | undefined;

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
    TABLES = { crR, cbB, crG, cbG };
  }
  return TABLES;
}

/** jdcolor.c ycc_rgb_convert, in place on interleaved Y, Cb, Cr samples (a Uint8ClampedArray view does
 *  libjpeg's range_limit). */
export function yccToRgb(ycc: Uint8Array): Uint8Array {
  const { crR, cbB, crG, cbG } = tables();
  const out = new Uint8ClampedArray(ycc.buffer, ycc.byteOffset, ycc.length);
  for (let k = 0; k < ycc.length; k += 3) {
    const y = ycc[k];
    const cb = ycc[k + 1];
    const cr = ycc[k + 2];
    out[k] = y + crR[cr];
    out[k + 1] = y + ((cbG[cb] + crG[cr]) >> SCALEBITS);
    out[k + 2] = y + cbB[cb];
  }
  return ycc;
}

// Crops, flips and padding on Image8, as torchvision.transforms.functional does them on a PIL image (0.14):
// crop is PIL's Image.crop (zeros outside the image), hflip PIL's FLIP_LEFT_RIGHT, pad is ImageOps.expand
// for 'constant' and numpy.pad for 'edge', 'reflect' and 'symmetric'.
import type { Image8 } from '../image.js';
import type { PaddingMode, TransformSize } from './types.js';
import { sizeHW } from './types.js';

/** F.crop(img, top, left, height, width): PIL's img.crop((left, top, left + width, top + height)); pixels
 *  outside the image are 0. */
export function crop(img: Image8, top: number, left: number, height: number, width: number): Image8 {
  checkInts('crop', { top, left, height, width });
  if (height < 0 || width < 0) throw new RangeError(`crop: height and width must be ≥ 0, got ${height}×${width}`);
  const C = img.channels;
  const out = new Uint8Array(width * height * C);
  const x0 = Math.max(0, -left), x1 = Math.min(width, img.width - left);
  if (x1 > x0) {
    for (let y = Math.max(0, -top); y < Math.min(height, img.height - top); y++) {
      const from = ((y + top) * img.width + left + x0) * C;
      out.set(img.data.subarray(from, from + (x1 - x0) * C), (y * width + x0) * C);
    }
  }
  return { width, height, channels: C, data: out };
}

/** F.hflip: PIL's Image.transpose(FLIP_LEFT_RIGHT). */
export function hflip(img: Image8): Image8 {
  const { width: W, height: H, channels: C } = img;
  const out = new Uint8Array(img.data.length);
  const d = img.data;
  for (let y = 0; y < H; y++) {
    const row = y * W * C;
    for (let x = 0; x < W; x++) {
      const i = row + x * C, o = row + (W - 1 - x) * C;
      for (let c = 0; c < C; c++) out[o + c] = d[i + c]!;
    }
  }
  return { width: W, height: H, channels: C, data: out };
}

/** Padding as [left, top, right, bottom] from torchvision's forms: n, [n], [left/right, top/bottom], or four. */
export function paddingLTRB(padding: number | readonly number[]): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding] : padding;
  let ltrb: [number, number, number, number];
  if (p.length === 1) ltrb = [p[0]!, p[0]!, p[0]!, p[0]!];
  else if (p.length === 2) ltrb = [p[0]!, p[1]!, p[0]!, p[1]!];
  else if (p.length === 4) ltrb = [p[0]!, p[1]!, p[2]!, p[3]!];
  else throw new RangeError(`padding must be an integer or a list of 1, 2 or 4 integers, got ${p.length} values`);
  for (const v of ltrb) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`padding must be integers ≥ 0, got ${JSON.stringify(padding)}`);
  }
  return ltrb;
}

/** F.pad(img, padding, fill, padding_mode). `fill` (constant mode) is one value for every channel or one per
 *  channel, truncated to an integer as torchvision's _parse_fill does. */
export function pad(
  img: Image8,
  padding: number | readonly number[],
  fill: number | readonly number[] = 0,
  mode: PaddingMode = 'constant',
): Image8 {
  const [l, t, r, b] = paddingLTRB(padding);
  const { width: W, height: H, channels: C } = img;
  const OW = W + l + r, OH = H + t + b;
  const out = new Uint8Array(OW * OH * C);
  if (mode === 'constant') {
    const f = fillValues(fill, C);
    if (f.some((v) => v !== 0)) for (let i = 0; i < OW * OH; i++) for (let c = 0; c < C; c++) out[i * C + c] = f[c]!;
    for (let y = 0; y < H; y++) out.set(img.data.subarray(y * W * C, (y + 1) * W * C), ((y + t) * OW + l) * C);
    return { width: OW, height: OH, channels: C, data: out };
  }
  const xs = sourceIndex(W, l, OW, mode);
  const ys = sourceIndex(H, t, OH, mode);
  const d = img.data;
  for (let y = 0; y < OH; y++) {
    const rowIn = ys[y]! * W;
    for (let x = 0; x < OW; x++) {
      const i = (rowIn + xs[x]!) * C, o = (y * OW + x) * C;
      for (let c = 0; c < C; c++) out[o + c] = d[i + c]!;
    }
  }
  return { width: OW, height: OH, channels: C, data: out };
}

/** For each output position along an axis of n pixels padded by `before`, the input position numpy.pad reads:
 *  edge repeats the border, reflect mirrors about the border pixel (period 2(n − 1)), symmetric mirrors
 *  with the border pixel repeated (period 2n). numpy pads wider than the image by reflecting again, which
 *  is this periodic extension. */
function sourceIndex(n: number, before: number, outSize: number, mode: Exclude<PaddingMode, 'constant'>): Int32Array {
  const idx = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const i = o - before;
    let s: number;
    if (mode === 'edge' || n === 1) s = i < 0 ? 0 : i >= n ? n - 1 : i;
    else if (mode === 'reflect') {
      const period = 2 * (n - 1);
      const m = ((i % period) + period) % period;
      s = m < n ? m : period - m;
    } else {
      const period = 2 * n;
      const m = ((i % period) + period) % period;
      s = m < n ? m : period - 1 - m;
    }
    idx[o] = s;
  }
  return idx;
}

function fillValues(fill: number | readonly number[], channels: number): number[] {
  const f = typeof fill === 'number' ? new Array<number>(channels).fill(fill) : [...fill];
  if (f.length !== channels) {
    throw new RangeError(`fill must be one value or ${channels} (one per channel), got ${f.length} values`);
  }
  return f.map((v) => {
    const i = Math.trunc(v);
    if (!Number.isFinite(v) || i < 0 || i > 255) throw new RangeError(`fill values must be 0…255, got ${v}`);
    return i;
  });
}

/** Python's round(): to the nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** F.center_crop(img, size): zero padding first where the crop is larger (left/top get the smaller half), then
 *  the crop at int(round((H − h) / 2)), int(round((W − w) / 2)) with Python's half-to-even round. */
export function centerCrop(img: Image8, size: TransformSize): Image8 {
  const [ch, cw] = sizeHW(size);
  checkInts('center_crop', { height: ch, width: cw });
  let im = img;
  if (cw > im.width || ch > im.height) {
    const dw = cw - im.width, dh = ch - im.height;
    im = pad(im, [
      dw > 0 ? Math.floor(dw / 2) : 0,
      dh > 0 ? Math.floor(dh / 2) : 0,
      dw > 0 ? Math.floor((dw + 1) / 2) : 0,
      dh > 0 ? Math.floor((dh + 1) / 2) : 0,
    ]);
    if (im.width === cw && im.height === ch) return im;
  }
  const top = roundHalfEven((im.height - ch) / 2);
  const left = roundHalfEven((im.width - cw) / 2);
  return crop(im, top, left, ch, cw);
}

function checkInts(op: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isInteger(v)) throw new RangeError(`${op}: ${name} must be an integer, got ${v}`);
  }
}

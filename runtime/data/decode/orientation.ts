// EXIF orientation (tag 0x0112), applied as PIL's ImageOps.exif_transpose does. torchvision's default loader
// (`Image.open(f).convert('RGB')`) ignores the tag, so a phone photo taken in portrait reaches the model lying
// on its side; cnnc applies it, because a user who looks at their photo sees it upright and labels it so.
// Browser-safe. The EXIF parse is a few lines of TIFF IFD0 reading: we need one tag, not an EXIF library.

import type { Image8 } from '../image.js';

/** The orientation 1–8 from raw EXIF (a TIFF header with IFD0; a leading "Exif\0\0" is skipped), or 1 when
 *  absent, unreadable or out of range: a broken EXIF block does not make a readable image unreadable. */
export function exifOrientation(exif: Uint8Array | undefined): number {
  if (exif === undefined) return 1;
  let b = exif;
  if (b.length >= 6 && b[0] === 0x45 && b[1] === 0x78 && b[2] === 0x69 && b[3] === 0x66 && b[4] === 0 && b[5] === 0) b = b.subarray(6);
  if (b.length < 8) return 1;
  const little = b[0] === 0x49 && b[1] === 0x49; // "II" Intel, else "MM" Motorola
  if (!little && !(b[0] === 0x4d && b[1] === 0x4d)) return 1;
  const u16 = (o: number): number => (little ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]);
  const u32 = (o: number): number => (little ? u16(o) + u16(o + 2) * 65536 : u16(o) * 65536 + u16(o + 2));
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  if (ifd + 2 > b.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > b.length) return 1;
    if (u16(e) === 0x0112) {
      const type = u16(e + 2);
      const v = type === 3 ? u16(e + 8) : type === 4 ? u32(e + 8) : 0; // SHORT, or LONG from a lax writer
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** The image turned upright for orientation `o`, with exif_transpose's method for each value:
 *  2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90
 *  (PIL's ROTATE_n turn counter-clockwise). 1 returns the image itself. */
export function applyOrientation(img: Image8, o: number): Image8 {
  if (o === 1) return img;
  const { width: W, height: H, channels: C, data } = img;
  const swap = o >= 5;
  const outW = swap ? H : W;
  const outH = swap ? W : H;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      // (sx, sy): the stored pixel that lands at (x, y).
      let sx: number;
      let sy: number;
      switch (o) {
        case 2: sx = W - 1 - x; sy = y; break;
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;
        case 4: sx = x; sy = H - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = H - 1 - x; break;
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;
        default: sx = W - 1 - y; sy = x; break; // 8
      }
      const s = (sy * W + sx) * C;
      const d = (y * outW + x) * C;
      for (let c = 0; c < C; c++) out[d + c] = data[s + c];
    }
  }
  return { width: outW, height: outH, channels: C, data: out };
}

// Adam7-interlaced PNGs with 1-, 2- or 4-bit samples, which fast-png 8.0 decodes wrongly: its Adam7 path
// takes every pixel as whole bytes (`Math.ceil(depth / 8) * channels`), so a 1-bit pass's rows are misread
// and the "filter type" lands on pixel data. These images are rare (interlaced bilevel scans, tiny palettes),
// so this is the one place we unfilter ourselves (PNG spec 9.2, 8.2): inflate with fflate, as fast-png does.
// Browser-safe.

import { unzlibSync } from 'fflate';
import { ImageError } from '../image.js';

const PASSES = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** One sample a pixel (not yet scaled), row-major, from the IDAT data of a 1-channel image of `depth` < 8. */
export function deinterlaceSubByte(idat: Uint8Array, width: number, height: number, depth: number, file: string): Uint8Array {
  let data: Uint8Array;
  try {
    data = unzlibSync(idat);
  } catch (e) {
    throw new ImageError(file, `corrupt PNG image data: zlib: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out = new Uint8Array(width * height);
  const mask = (1 << depth) - 1;
  let offset = 0;
  for (const [x0, y0, dx, dy] of PASSES) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const rowBytes = Math.ceil((pw * depth) / 8);
    let prev = new Uint8Array(rowBytes);
    for (let y = 0; y < ph; y++) {
      if (offset + 1 + rowBytes > data.length) {
        throw new ImageError(file, `corrupt PNG: the image data is short (${data.length} bytes after inflating)`);
      }
      const filter = data[offset];
      const line = data.slice(offset + 1, offset + 1 + rowBytes);
      offset += 1 + rowBytes;
      unfilter(filter, line, prev, file);
      for (let x = 0; x < pw; x++) {
        const bit = x * depth;
        out[(y0 + y * dy) * width + x0 + x * dx] = (line[bit >>> 3] >>> (8 - depth - (bit & 7))) & mask;
      }
      prev = line;
    }
  }
  return out;
}

/** Reverses one scanline's filter in place; with samples under a byte, the "pixel to the left" is the byte
 *  to the left (bpp = 1). */
function unfilter(filter: number, line: Uint8Array, prev: Uint8Array, file: string): void {
  const n = line.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = 1; i < n; i++) line[i] = (line[i] + line[i - 1]) & 0xff;
      return;
    case 2:
      for (let i = 0; i < n; i++) line[i] = (line[i] + prev[i]) & 0xff;
      return;
    case 3:
      for (let i = 0; i < n; i++) line[i] = (line[i] + (((i > 0 ? line[i - 1] : 0) + prev[i]) >>> 1)) & 0xff;
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i > 0 ? line[i - 1] : 0;
        const b = prev[i];
        const c = i > 0 ? prev[i - 1] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        line[i] = (line[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
      return;
    default:
      throw new ImageError(file, `corrupt PNG: scanline filter type ${filter} (0 to 4 exist)`);
  }
}

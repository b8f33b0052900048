// PNG: the chunk walk (signature, IHDR, every chunk's length and CRC, IEND) is ours, so a bad file is refused
// with the chunk and byte offset before anything large is allocated; inflate, unfilter and Adam7 are fast-png's.
// Then the samples are laid out in the mode PIL opens the file in (PngImagePlugin's _MODES), 8 bits a sample.
// Browser-safe: fast-png is pure JavaScript (fflate for zlib), no Node API.

import { decode as fastPngDecode } from 'fast-png';
import { ImageError } from '../image.js';
import { deinterlaceSubByte } from './adam7.js';
import type { OpenedImage } from './pil-convert.js';

export const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10] as const;

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly colorType: number;
  readonly interlace: number;
}

/** What the chunk walk found: the header, the IDAT chunks' data, and the raw EXIF (TIFF bytes) of an eXIf
 *  chunk, if any. */
export interface PngChunks {
  readonly header: PngHeader;
  readonly idat: readonly Uint8Array[];
  readonly exif: Uint8Array | undefined;
}

const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** The colour types of the PNG spec (11.2.2) and the bit depths each allows. */
const DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16], // greyscale
  2: [8, 16], // truecolour
  3: [1, 2, 4, 8], // indexed
  4: [8, 16], // greyscale + alpha
  6: [8, 16], // truecolour + alpha
};

/** IHDR alone: the 8-byte signature, then the first chunk, which must be a 13-byte IHDR (PNG spec 5.6). */
export function readPngHeader(bytes: Uint8Array, file: string): PngHeader {
  if (bytes.length < 33) throw new ImageError(file, `truncated PNG: ${bytes.length} bytes, the header alone needs 33`, bytes.length);
  if (u32(bytes, 8) !== 13 || String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]) !== 'IHDR') {
    throw new ImageError(file, 'corrupt PNG: the first chunk is not a 13-byte IHDR', 8);
  }
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  const depth = bytes[24];
  const colorType = bytes[25];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new ImageError(file, `corrupt PNG: IHDR gives a ${width}×${height} image`, 16);
  }
  const depths = DEPTHS[colorType];
  if (depths === undefined) throw new ImageError(file, `corrupt PNG: IHDR colour type ${colorType} does not exist`, 25);
  if (!depths.includes(depth)) {
    throw new ImageError(file, `corrupt PNG: bit depth ${depth} is not allowed with colour type ${colorType}`, 24);
  }
  if (bytes[26] !== 0 || bytes[27] !== 0) throw new ImageError(file, 'unsupported PNG: compression or filter method is not 0', 26);
  if (bytes[28] > 1) throw new ImageError(file, `unsupported PNG: interlace method ${bytes[28]}`, 28);
  return { width, height, depth, colorType, interlace: bytes[28] };
}

/** Walks every chunk: each length in bounds, each CRC right (PIL checks them too), IDAT present, IEND reached.
 *  Bytes after IEND are ignored, as PIL does. */
export function walkPngChunks(bytes: Uint8Array, file: string): PngChunks {
  const header = readPngHeader(bytes, file);
  let offset = 8;
  const idat: Uint8Array[] = [];
  let sawPlte = false;
  let exif: Uint8Array | undefined;
  for (;;) {
    if (offset + 12 > bytes.length) {
      throw new ImageError(file, `truncated PNG: the file ends before IEND (${bytes.length} bytes)`, bytes.length);
    }
    const length = u32(bytes, offset);
    const type = String.fromCharCode(bytes[offset + 4], bytes[offset + 5], bytes[offset + 6], bytes[offset + 7]);
    if (length > 0x7fffffff || offset + 12 + length > bytes.length) {
      throw new ImageError(
        file,
        `truncated PNG: chunk ${JSON.stringify(type)} claims ${length} bytes, past the end of the file (${bytes.length} bytes)`,
        offset,
      );
    }
    const stored = u32(bytes, offset + 8 + length);
    if (crc32(bytes, offset + 4, offset + 8 + length) !== stored) {
      throw new ImageError(file, `corrupt PNG: CRC mismatch in chunk ${JSON.stringify(type)}`, offset);
    }
    if (type === 'IDAT') idat.push(bytes.subarray(offset + 8, offset + 8 + length));
    else if (type === 'PLTE') sawPlte = true;
    else if (type === 'eXIf') exif = bytes.subarray(offset + 8, offset + 8 + length);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (idat.length === 0) throw new ImageError(file, 'corrupt PNG: no IDAT chunk (no image data)', offset);
  if (header.colorType === 3 && !sawPlte) throw new ImageError(file, 'corrupt PNG: an indexed-colour image without PLTE', offset);
  return { header, idat, exif };
}

/** Decodes a PNG whose chunks `walkPngChunks` has checked, into the mode PIL opens it in, 8 bits a sample:
 *  - greyscale 1/2/4-bit: PIL's "1", "L;2", "L;4" unpackers scale to 0–255 (×255, ×85, ×17);
 *  - 16-bit samples keep their high byte, as PIL's "RGB;16B", "RGBA;16B" and "LA;16B" unpackers do. PIL opens
 *    16-bit greyscale as mode "I" instead, and its convert('L') then clips every value above 255 to white: a
 *    user's 16-bit scan would train as a white page. cnnc takes the high byte there too (runtime/API.md);
 *  - indexed colour: each index looked up in PLTE (tRNS alpha is dropped, as PIL's P → RGB and P → L drop it;
 *    an index past PLTE is the grey (i, i, i), as in PIL). */
export function decodePng(bytes: Uint8Array, file: string, chunks: PngChunks): OpenedImage {
  const { width, height, depth, colorType, interlace } = chunks.header;
  if (interlace === 1 && depth < 8) {
    const samples = deinterlaceSubByte(concat(chunks.idat), width, height, depth, file);
    if (colorType === 3) return expandPalette(paletteOf(bytes, file), samples, width, height);
    const factor = 255 / ((1 << depth) - 1);
    for (let i = 0; i < samples.length; i++) samples[i] *= factor;
    return { width, height, mode: 'L', data: samples };
  }
  let png;
  try {
    png = fastPngDecode(bytes);
  } catch (e) {
    throw new ImageError(file, `corrupt PNG image data: ${detail(e)}`);
  }
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType] ?? 0;
  const samples = width * height * channels;
  const src = png.data;
  // fast-png allocates the whole image before unfiltering: a stream short by whole rows fails there (detail()),
  // but one that ends inside the last row leaves zeros in it, where PIL says "truncated". That takes a zlib
  // stream complete in itself yet cut mid-row (an encoder's bug; a cut file fails the chunk walk first).
  const need = depth >= 8 ? samples : Math.ceil((width * channels * depth) / 8) * height;
  if (png.width !== width || png.height !== height || src.length < need) {
    throw new ImageError(file, `corrupt PNG: the image data is short (${src.length} of ${need} samples)`);
  }
  if (depth === 16) {
    const out = new Uint8Array(samples);
    for (let i = 0; i < samples; i++) out[i] = src[i] >>> 8;
    return { width, height, mode: OPEN_MODE[colorType], data: out };
  }
  if (colorType === 3) return expandPalette(png.palette, unpackBits(src as Uint8Array, width, height, depth, false), width, height);
  if (depth < 8) return { width, height, mode: 'L', data: unpackBits(src as Uint8Array, width, height, depth, true) };
  return { width, height, mode: OPEN_MODE[colorType], data: src instanceof Uint8Array ? src : Uint8Array.from(src) };
}

const OPEN_MODE: Record<number, OpenedImage['mode']> = { 0: 'L', 2: 'RGB', 3: 'RGB', 4: 'LA', 6: 'RGBA' };

/** Rows of 1/2/4-bit samples (each row starts on a byte) to one byte each; `scale` maps them onto 0–255. */
function unpackBits(src: Uint8Array, width: number, height: number, depth: number, scale: boolean): Uint8Array {
  if (depth === 8) return src;
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  const factor = scale ? 255 / mask : 1;
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const v = (src[row + (bit >>> 3)] >>> (8 - depth - (bit & 7))) & mask;
      out[y * width + x] = v * factor;
    }
  }
  return out;
}

/** Each index through PLTE. An index past PLTE's colours reads PIL's default palette entry there, the grey
 *  (i, i, i) (ImagingPaletteNew's ramp): what PIL shows for such a file, so cnnc shows it too. */
function expandPalette(palette: readonly (readonly number[])[] | undefined, idx: Uint8Array, width: number, height: number): OpenedImage {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const c = palette?.[i];
    lut[i * 3] = c === undefined ? i : c[0];
    lut[i * 3 + 1] = c === undefined ? i : c[1];
    lut[i * 3 + 2] = c === undefined ? i : c[2];
  }
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, k = 0; i < n; i++, k += 3) {
    const j = idx[i] * 3;
    out[k] = lut[j];
    out[k + 1] = lut[j + 1];
    out[k + 2] = lut[j + 2];
  }
  return { width, height, mode: 'RGB', data: out };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** PLTE's colours (the chunk walk has checked it is there and whole). */
function paletteOf(bytes: Uint8Array, file: string): number[][] {
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = u32(bytes, offset);
    if (String.fromCharCode(bytes[offset + 4], bytes[offset + 5], bytes[offset + 6], bytes[offset + 7]) === 'PLTE') {
      if (length % 3 !== 0) throw new ImageError(file, `corrupt PNG: PLTE is ${length} bytes, not a multiple of 3`, offset);
      const colours: number[][] = [];
      for (let i = 0; i < length; i += 3) colours.push([bytes[offset + 8 + i], bytes[offset + 9 + i], bytes[offset + 10 + i]]);
      return colours;
    }
    offset += 12 + length;
  }
  throw new ImageError(file, 'corrupt PNG: an indexed-colour image without PLTE');
}

/** fast-png's error in words: a zlib error as "zlib: …"; a filter byte read past the end of the inflated data
 *  (fast-png reads it as `undefined`) as short data; any other filter byte by its value. */
function detail(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (e instanceof Error && e.cause instanceof Error) return `zlib: ${e.cause.message}`;
  if (m === 'Unsupported filter: undefined') return 'the image data is short (the zlib stream ends before the last row)';
  const filter = /^Unsupported filter: (\d+)$/.exec(m);
  if (filter !== null) return `scanline filter type ${filter[1]} (0 to 4 exist)`;
  if (/zlib|invalid|unexpected|EOF/i.test(m)) return `zlib: ${m}`;
  return m;
}

let CRC_TABLE: Uint32Array | undefined;

/** CRC-32 (ISO 3309, the PNG spec's Annex D) of bytes[start, end). */
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (CRC_TABLE === undefined) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

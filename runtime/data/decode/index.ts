// Image files to the pipeline's Image8: PNG and JPEG, recognised by their signature (not the file's extension),
// opened and converted to 'L' or 'RGB' exactly as PIL does after Image.open(f) (see pil-convert.ts), EXIF
// orientation applied. Every refusal is an ImageError naming the file (and the byte offset where known).
// Browser-safe: no Node API; the caller reads the bytes.

import { ImageError, type ColorMode, type Image8 } from '../image.js';
import { decodeJpeg, readJpegHeader } from './jpeg.js';
import { convertTo } from './pil-convert.js';
import { decodePng, readPngHeader, walkPngChunks, PNG_SIGNATURE } from './png.js';
import { applyOrientation, exifOrientation } from './orientation.js';

/** PIL's Image.MAX_IMAGE_PIXELS: `int(1024 * 1024 * 1024 // 4 // 3)`, a 1 GiB RGBA-ish budget. PIL warns
 *  (DecompressionBombWarning) above it and raises DecompressionBombError above twice it. */
export const PIL_MAX_IMAGE_PIXELS = 89_478_485;

/** cnnc refuses an image above this many pixels: PIL's DecompressionBombError threshold, 2 × MAX_IMAGE_PIXELS
 *  (178,956,970 pixels, e.g. 13,377 × 13,378), checked from the header before anything is allocated. */
export const DEFAULT_MAX_IMAGE_PIXELS = 2 * PIL_MAX_IMAGE_PIXELS;

export type ImageFormat = 'png' | 'jpeg';

export interface ImageHeader {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this (default DEFAULT_MAX_IMAGE_PIXELS). */
  readonly maxPixels?: number;
}

/** The format and the stored size, from the header alone (PNG IHDR, JPEG SOFn): no pixel data is touched.
 *  The size is as stored, before EXIF orientation (a rotated phone photo reports its sensor's width × height). */
export function readImageHeader(bytes: Uint8Array, file: string): ImageHeader {
  const format = sniff(bytes, file);
  const { width, height } = format === 'png' ? readPngHeader(bytes, file) : readJpegHeader(bytes, file);
  return { format, width, height };
}

/** Decodes a PNG or JPEG file into an 8-bit image in `mode`, as PIL's
 *  `ImageOps.exif_transpose(Image.open(f)).convert(mode)` (the differences from PIL are in runtime/API.md). */
export function decodeImage(bytes: Uint8Array, file: string, mode: ColorMode, options: DecodeOptions = {}): Image8 {
  const format = sniff(bytes, file);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  if (format === 'png') {
    const chunks = walkPngChunks(bytes, file);
    checkPixels(chunks.header.width, chunks.header.height, maxPixels, file);
    const opened = decodePng(bytes, file, chunks);
    return applyOrientation(convertTo(opened, mode), exifOrientation(chunks.exif));
  }
  const header = readJpegHeader(bytes, file);
  checkPixels(header.width, header.height, maxPixels, file);
  const { image, exif } = decodeJpeg(bytes, file, mode, maxPixels);
  return applyOrientation(image, exifOrientation(exif));
}

function checkPixels(width: number, height: number, maxPixels: number, file: string): void {
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new ImageError(
      file,
      `image too large: ${width}×${height} = ${pixels} pixels, over the limit of ${maxPixels} ` +
        `(PIL's decompression-bomb limit, 2 × Image.MAX_IMAGE_PIXELS); refused before decoding`,
    );
  }
}

/** The format from the file's first bytes; other image kinds are named in the refusal. */
function sniff(bytes: Uint8Array, file: string): ImageFormat {
  if (bytes.length === 0) throw new ImageError(file, 'empty file (0 bytes), not an image');
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (bytes.length < PNG_SIGNATURE.length && startsWith(PNG_SIGNATURE, [...bytes])) {
    throw new ImageError(file, `truncated PNG: ${bytes.length} bytes, not even the 8-byte signature`, bytes.length);
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const other = otherKind(bytes);
  if (other !== undefined) throw new ImageError(file, `unsupported image format: ${other} (cnnc reads PNG and JPEG)`);
  throw new ImageError(file, 'not a PNG or JPEG file (unrecognised signature)', 0);
}

function otherKind(b: Uint8Array): string | undefined {
  const ascii = (from: number, to: number): string => String.fromCharCode(...b.subarray(from, to));
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'GIF';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'WebP';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'TIFF';
  if (ascii(0, 2) === 'BM' && b.length >= 26) return 'BMP';
  if (ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (brand.startsWith('avi')) return 'AVIF';
    if (brand.startsWith('hei') || brand.startsWith('hev') || brand === 'mif1' || brand === 'msf1') return 'HEIF/HEIC';
  }
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && (b[2] === 1 || b[2] === 2) && b[3] === 0) return 'ICO/CUR';
  if (ascii(0, 4) === 'qoif') return 'QOI';
  if (/^P[1-6]\s$/.test(ascii(0, 3))) return 'PNM (PBM/PGM/PPM)';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xd8) return 'JPEG without a marker after SOI (corrupt)';
  return undefined;
}

function startsWith(bytes: ArrayLike<number>, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

// JPEG: the marker walk (SOI, every segment's length, SOFn, the scans, EOI) is ours, so a truncated or
// unsupported file is refused with the marker and byte offset before anything large is allocated; Huffman
// decoding and the IDCT (baseline and progressive) are jpeg-js's. jpeg-js upsamples chroma by repeating samples
// and rounds its YCbCr → RGB down; libjpeg-turbo, which PIL uses, interpolates ("fancy upsampling") and rounds.
// So for 3-component images we take jpeg-js's raw components and finish as libjpeg-turbo does (upsample.ts):
// what is left between cnnc and PIL is the IDCT's last-bit rounding (measured in test/data/decode.test.ts).
// Browser-safe: jpeg-js is pure JavaScript and is called with useTArray (no Buffer).

import jpeg from 'jpeg-js';
import { ImageError, type ColorMode, type Image8 } from '../image.js';
import { convertTo } from './pil-convert.js';
import { fancyUpsample, yccToRgb } from './upsample.js';

export interface JpegComponent {
  readonly id: number;
  readonly h: number;
  readonly v: number;
}

export interface JpegHeader {
  readonly width: number;
  readonly height: number;
  readonly progressive: boolean;
  readonly components: readonly JpegComponent[];
}

interface JpegSegments {
  readonly header: JpegHeader;
  readonly exif: Uint8Array | undefined;
  /** APP14 "Adobe" transform flag (0 none: RGB or CMYK, 1 YCbCr, 2 YCCK) and the byte that holds it. */
  readonly adobe: { readonly transform: number; readonly offset: number } | undefined;
  readonly jfif: boolean;
}

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const hex = (m: number): string => `0xFF${m.toString(16).toUpperCase().padStart(2, '0')}`;

const UNSUPPORTED_SOF: Record<number, string> = {
  0xc3: 'lossless JPEG (SOF3)',
  0xc5: 'hierarchical JPEG (SOF5)',
  0xc6: 'hierarchical JPEG (SOF6)',
  0xc7: 'hierarchical lossless JPEG (SOF7)',
  0xc9: 'arithmetic-coded JPEG (SOF9)',
  0xca: 'arithmetic-coded progressive JPEG (SOF10)',
  0xcb: 'arithmetic-coded lossless JPEG (SOF11)',
  0xcd: 'arithmetic-coded hierarchical JPEG (SOF13)',
  0xce: 'arithmetic-coded hierarchical JPEG (SOF14)',
  0xcf: 'arithmetic-coded hierarchical lossless JPEG (SOF15)',
};

/** The frame header (SOF0/1/2) and what the segments before the first scan say, walking only up to it. */
export function readJpegHeader(bytes: Uint8Array, file: string): JpegHeader {
  return walk(bytes, file, true).header;
}

/** Walks SOI … EOI. With `headerOnly`, stops at the frame header. */
function walk(bytes: Uint8Array, file: string, headerOnly: boolean): JpegSegments {
  let header: JpegHeader | undefined;
  let exif: Uint8Array | undefined;
  let adobe: JpegSegments['adobe'];
  let jfif = false;
  let sawScan = false;
  let o = 2;
  for (;;) {
    if (o >= bytes.length) {
      throw new ImageError(file, `truncated JPEG: the file ends before the EOI marker (${bytes.length} bytes)`, bytes.length);
    }
    if (bytes[o] !== 0xff) throw new ImageError(file, `corrupt JPEG: expected a marker, found 0x${bytes[o].toString(16)}`, o);
    while (o < bytes.length && bytes[o] === 0xff) o++; // fill bytes
    if (o >= bytes.length) continue;
    const marker = bytes[o];
    const at = o - 1;
    o++;
    if (marker === 0xd9) break; // EOI
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // RSTn, TEM: no length
    if (marker === 0xd8) throw new ImageError(file, 'corrupt JPEG: a second SOI marker', at);
    if (o + 2 > bytes.length) throw new ImageError(file, `truncated JPEG: the file ends inside marker ${hex(marker)}`, at);
    const length = u16(bytes, o);
    if (length < 2 || o + length > bytes.length) {
      throw new ImageError(file, `truncated JPEG: segment ${hex(marker)} claims ${length} bytes, past the end of the file (${bytes.length} bytes)`, at);
    }
    const seg = bytes.subarray(o + 2, o + length);
    if (marker in UNSUPPORTED_SOF) throw new ImageError(file, `unsupported JPEG: ${UNSUPPORTED_SOF[marker]}`, at);
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (header !== undefined) throw new ImageError(file, 'unsupported JPEG: more than one frame', at);
      header = frameHeader(seg, marker === 0xc2, file, at);
      if (headerOnly) return { header, exif, adobe, jfif };
    } else if (marker === 0xe0 && seg.length >= 5 && String.fromCharCode(...seg.subarray(0, 5)) === 'JFIF\0') {
      jfif = true;
    } else if (marker === 0xe1 && exif === undefined && seg.length >= 6 && String.fromCharCode(...seg.subarray(0, 6)) === 'Exif\0\0') {
      exif = seg.subarray(6);
    } else if (marker === 0xee && seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 5)) === 'Adobe') {
      adobe = { transform: seg[11], offset: o + 2 + 11 };
    }
    o += length;
    if (marker === 0xda) {
      if (header === undefined) throw new ImageError(file, 'corrupt JPEG: a scan (SOS) before the frame header (SOFn)', at);
      sawScan = true;
      // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart marker.
      while (o < bytes.length && !(bytes[o] === 0xff && o + 1 < bytes.length && bytes[o + 1] !== 0 && (bytes[o + 1] < 0xd0 || bytes[o + 1] > 0xd7))) o++;
      if (o + 1 >= bytes.length) {
        throw new ImageError(file, `truncated JPEG: the scan data ends without the EOI marker (${bytes.length} bytes)`, bytes.length);
      }
    }
  }
  if (header === undefined) throw new ImageError(file, 'corrupt JPEG: no frame header (SOFn) before EOI', o - 2);
  if (!sawScan) throw new ImageError(file, 'corrupt JPEG: no image data (no SOS scan) before EOI', o - 2);
  return { header, exif, adobe, jfif };
}

function frameHeader(seg: Uint8Array, progressive: boolean, file: string, at: number): JpegHeader {
  if (seg.length < 6) throw new ImageError(file, 'corrupt JPEG: a short frame header', at);
  const precision = seg[0];
  const height = u16(seg, 1);
  const width = u16(seg, 3);
  const n = seg[5];
  if (precision !== 8) throw new ImageError(file, `unsupported JPEG: ${precision}-bit samples (cnnc reads 8-bit JPEG, as PIL does)`, at);
  if (width === 0) throw new ImageError(file, 'corrupt JPEG: the frame header gives width 0', at);
  if (height === 0) throw new ImageError(file, 'unsupported JPEG: the height is given later by a DNL marker', at);
  if (n !== 1 && n !== 3 && n !== 4) throw new ImageError(file, `unsupported JPEG: ${n} colour components (cnnc reads 1, 3 or 4)`, at);
  if (seg.length < 6 + 3 * n) throw new ImageError(file, 'corrupt JPEG: a short frame header', at);
  const components: JpegComponent[] = [];
  for (let i = 0; i < n; i++) {
    const h = seg[7 + 3 * i] >> 4;
    const v = seg[7 + 3 * i] & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw new ImageError(file, `corrupt JPEG: sampling factors ${h}×${v} (1 to 4 allowed)`, at);
    components.push({ id: seg[6 + 3 * i], h, v });
  }
  return { width, height, progressive, components };
}

/** Decodes a JPEG into `mode` as PIL does: 1 component opens as L; 3 as RGB (libjpeg-turbo's YCbCr → RGB, or
 *  RGB as stored when an Adobe marker says transform 0 or the component ids spell "RGB", as libjpeg decides);
 *  4 (Adobe CMYK/YCCK) as CMYK, whose convert('RGB') is R = (255 − C)(255 − K)/255 (jpeg-js's conversion, within
 *  1 of PIL's cmyk2rgb). L from colour is Convert.c's L24 of that RGB. */
export function decodeJpeg(bytes: Uint8Array, file: string, mode: ColorMode, maxPixels: number): { image: Image8; exif: Uint8Array | undefined } {
  const segs = walk(bytes, file, false);
  const { width, height, components } = segs.header;
  const n = components.length;
  if (n === 4 && segs.adobe === undefined) {
    throw new ImageError(file, 'unsupported JPEG: 4 components without an Adobe marker (neither CMYK nor YCCK is known)');
  }
  // jpeg-js converts 3 components to RGB itself whenever an Adobe marker has a non-zero transform; zero it in a
  // copy so that it hands us the raw components (we know the transform from the walk).
  let input = bytes;
  if (n === 3 && segs.adobe !== undefined && segs.adobe.transform !== 0) {
    input = new Uint8Array(bytes); // a copy (Buffer's slice would share the caller's bytes)
    input[segs.adobe.offset] = 0;
  }
  let raw: Uint8Array;
  try {
    const decoded = jpeg.decode(input, {
      useTArray: true,
      formatAsRGBA: false,
      colorTransform: n === 3 ? false : undefined,
      tolerantDecoding: false,
      maxResolutionInMP: Math.ceil(maxPixels / 1e6) + 1,
      // jpeg-js's own budget: coefficient blocks (4 bytes a sample), lines and output for every component.
      maxMemoryUsageInMB: Math.max(512, Math.ceil((width * height * n * 12) / 2 ** 20) + 64),
    });
    raw = decoded.data;
  } catch (e) {
    throw new ImageError(file, `corrupt JPEG: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (raw.length !== width * height * 3) throw new ImageError(file, `corrupt JPEG: decoded ${raw.length} bytes, expected ${width * height * 3}`);
  let rgb: Uint8Array;
  if (n === 1) {
    const l = new Uint8Array(width * height);
    for (let i = 0, j = 0; i < l.length; i++, j += 3) l[i] = raw[j];
    return { image: convertTo({ width, height, mode: 'L', data: l }, mode), exif: segs.exif };
  } else if (n === 3) {
    const planes = fancyUpsample(raw, width, height, components);
    rgb = isRgbTransform(segs, components) ? planes : yccToRgb(planes);
  } else {
    rgb = raw;
  }
  return { image: convertTo({ width, height, mode: 'RGB', data: rgb }, mode), exif: segs.exif };
}

/** libjpeg's choice (jdapimin.c default_decompress_parms) for 3 components: JFIF means YCbCr; else an Adobe
 *  marker's transform decides; else component ids 'R', 'G', 'B' mean RGB; else YCbCr. */
function isRgbTransform(segs: JpegSegments, c: readonly JpegComponent[]): boolean {
  if (segs.jfif) return false;
  if (segs.adobe !== undefined) return segs.adobe.transform === 0;
  return c[0].id === 0x52 && c[1].id === 0x47 && c[2].id === 0x42;
}

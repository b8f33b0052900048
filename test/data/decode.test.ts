// runtime/data/decode/ against PIL (Pillow 9.4, libjpeg-turbo 2.1): every fixture in test/fixtures/images/
// (made from Fashion-MNIST and chromium's icons by tools/images/make_image_fixtures.py) decodes to
// `ImageOps.exif_transpose(Image.open(f)).convert(mode)`, byte for byte for PNG, within a measured bound for JPEG.
import { readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import { inflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeImage, readImageHeader } from '../../runtime/data/decode/index.js';
import type { ColorMode } from '../../runtime/data/image.js';

const DIR = fileURLToPath(new URL('../fixtures/images/', import.meta.url));

interface Fixture {
  readonly file: string;
  readonly what: string;
  readonly pil_mode: string;
  readonly width: number;
  readonly height: number;
  readonly exact: boolean;
  readonly pil_differs?: readonly ColorMode[];
}

const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { pil: string; fixtures: Fixture[] };
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(DIR + name));
const base = (f: string): string => f.replace(/\.(png|jpg)$/, '');

/** Largest and mean absolute difference, and the share of samples that differ at all. */
function diff(a: Uint8Array, b: Uint8Array): { max: number; mean: number; differ: number } {
  let max = 0;
  let sum = 0;
  let differ = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max) max = d;
    sum += d;
    if (d !== 0) differ++;
  }
  return { max, mean: sum / a.length, differ: differ / a.length };
}

describe('PNG equals PIL byte for byte', () => {
  for (const fx of manifest.fixtures.filter((f) => f.exact)) {
    for (const mode of ['L', 'RGB'] as const) {
      test(`${fx.file} (${fx.what}; PIL opens it as ${fx.pil_mode}) → ${mode}`, () => {
        const img = decodeImage(bytes(fx.file), fx.file, mode);
        expect([img.width, img.height, img.channels]).toEqual([fx.width, fx.height, mode === 'L' ? 1 : 3]);
        const want = bytes(`${base(fx.file)}.${mode}.raw`);
        expect(img.data.length).toBe(want.length);
        const d = diff(img.data, want);
        expect(d.max, `largest difference ${d.max}`).toBe(0);
      });
    }
  }
});

// JPEG: jpeg-js's IDCT (pdf.js's, 12-bit constants) and libjpeg-turbo's islow IDCT (13-bit) round their last
// bit differently; everything after the IDCT (fancy upsampling, YCbCr → RGB, L24) is libjpeg's and PIL's
// arithmetic (upsample.ts, pil-convert.ts). So a sample of Y, Cb or Cr is off by at most 1: grey and L by 1,
// and R, G, B by up to 3 (B = Y + 1.772·(Cb − 128): 1 + 1.772, rounded). Measured on these fixtures: L max 1,
// mean ≤ 0.079; RGB max 3, mean ≤ 0.147. jpeg-js's own output (repeated chroma, colour rounded down) is 45 off
// at most on rgb-420.jpg (mean 3.6), and dropping one rounding bias in the h2v2 filter doubles the RGB mean to
// 0.34, so the mean bounds (a little above what was measured) catch what the max bounds cannot.
const JPEG_MAX = { L: 1, RGB: 3 } as const;
const JPEG_MEAN = { L: 0.1, RGB: 0.17 } as const;
const measured: string[] = [];

describe(`JPEG within ${JPEG_MAX.L} (L) or ${JPEG_MAX.RGB} (RGB) of PIL, mean under ${JPEG_MEAN.L} or ${JPEG_MEAN.RGB}`, () => {
  for (const fx of manifest.fixtures.filter((f) => !f.exact)) {
    for (const mode of ['L', 'RGB'] as const) {
      test(`${fx.file} (${fx.what}; PIL opens it as ${fx.pil_mode}) → ${mode}`, () => {
        const img = decodeImage(bytes(fx.file), fx.file, mode);
        expect([img.width, img.height, img.channels]).toEqual([fx.width, fx.height, mode === 'L' ? 1 : 3]);
        const want = bytes(`${base(fx.file)}.${mode}.raw`);
        expect(img.data.length).toBe(want.length);
        const d = diff(img.data, want);
        measured.push(`${fx.file} ${mode}: max ${d.max}, mean ${d.mean.toFixed(3)}, ${(100 * d.differ).toFixed(1)}% differ`);
        expect(d.max).toBeLessThanOrEqual(JPEG_MAX[mode]);
        expect(d.mean).toBeLessThan(JPEG_MEAN[mode]);
      });
    }
  }
  afterAll(() => {
    if (process.env.CNNC_DECODE_FIGURES === '1') console.log(measured.join('\n'));
  });
});

describe('where cnnc differs from PIL on purpose', () => {
  test('16-bit grey keeps the high byte: PIL opens it as mode I and convert("L") clips it, a near-white page', () => {
    const img = decodeImage(bytes('gray16.png'), 'gray16.png', 'L');
    const pil = bytes('gray16.pil.L.raw');
    const white = pil.filter((v) => v === 255).length / pil.length;
    expect(white).toBeGreaterThan(0.5); // what PIL gives: every value above 255 of 65535 is white
    const stored = readPng16(bytes('gray16.png'));
    for (let i = 0; i < img.data.length; i++) if (img.data[i] !== stored[i] >> 8) throw new Error(`sample ${i}`);
    expect(diff(img.data, pil).max).toBeGreaterThan(100);
  });
});

describe('the input bytes', () => {
  test('are never written: a Node Buffer (readFileSync) of each fixture is the same after decoding', () => {
    for (const fx of manifest.fixtures) {
      const buf = readFileSync(DIR + fx.file);
      const before = Buffer.from(buf);
      decodeImage(buf, fx.file, 'RGB');
      decodeImage(buf, fx.file, 'L');
      expect(buf.equals(before), fx.file).toBe(true);
    }
  });
});

describe('readImageHeader', () => {
  test('the size as stored (before EXIF orientation) and the format, for every fixture', () => {
    for (const fx of manifest.fixtures) {
      const h = readImageHeader(bytes(fx.file), fx.file);
      const turned = /exif[5-8]/.test(fx.file);
      expect({ file: fx.file, ...h }).toEqual({
        file: fx.file,
        format: fx.file.endsWith('.png') ? 'png' : 'jpeg',
        width: turned ? fx.height : fx.width,
        height: turned ? fx.width : fx.height,
      });
    }
  });
  test('the format comes from the signature, not the name: a PNG called photo.jpg is a PNG', () => {
    expect(readImageHeader(bytes('rgb8.png'), 'photo.jpg')).toEqual({ format: 'png', width: 48, height: 48 });
    expect(decodeImage(bytes('gray.jpg'), 'digit.png', 'L').width).toBe(28);
  });
  test('a 100,000 × 100,000 header is read without decoding anything', () => {
    expect(readImageHeader(bytes('bomb-100000x100000.png'), 'bomb.png')).toEqual({ format: 'png', width: 100000, height: 100000 });
  });
});

describe('browser-safe', () => {
  test('bundled for the browser (esbuild, platform browser) it decodes in a context with no Node globals (no Buffer, process, require)', async () => {
    const { build } = await import('esbuild');
    const entry = fileURLToPath(new URL('../../runtime/data/decode/index.ts', import.meta.url));
    const out = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', globalName: 'decode', write: false, minify: true, logLevel: 'silent' });
    const code = out.outputFiles[0].text;
    expect(code.length).toBeLessThan(100_000); // 61 kB with fast-png, fflate, iobuffer and jpeg-js
    const ctx = createContext({ TextEncoder, TextDecoder });
    expect(runInContext('typeof Buffer + typeof process + typeof require', ctx)).toBe('undefinedundefinedundefined');
    runInContext(`${code};globalThis.decode = decode;`, ctx);
    const inBrowser = ctx.decode as { decodeImage: typeof decodeImage };
    for (const f of ['rgb-420.jpg', 'cmyk.jpg', 'exif6.jpg', 'palette4.png', 'rgba16.png', 'gray1-adam7.png']) {
      const img = inBrowser.decodeImage(bytes(f), f, 'RGB');
      expect(Buffer.from(img.data).equals(Buffer.from(decodeImage(bytes(f), f, 'RGB').data)), f).toBe(true);
    }
  });
});

/** The 16-bit samples of a non-interlaced 1-channel PNG, read with node:zlib: an oracle independent of fast-png. */
function readPng16(b: Uint8Array): Uint16Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  const parts: Uint8Array[] = [];
  for (let o = 8; o < b.length; ) {
    const len = dv.getUint32(o);
    if (String.fromCharCode(...b.subarray(o + 4, o + 8)) === 'IDAT') parts.push(b.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(parts));
  const stride = width * 2;
  const out = new Uint16Array(width * height);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = Uint8Array.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= 2 ? line[i - 2] : 0;
      const up = prev[i];
      const c = i >= 2 ? prev[i - 2] : 0;
      const p = a + up - c;
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? up : f === 3 ? (a + up) >> 1
        : Math.abs(p - a) <= Math.abs(p - up) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - up) <= Math.abs(p - c) ? up : c;
      line[i] = (line[i] + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) out[y * width + x] = (line[2 * x] << 8) | line[2 * x + 1];
    prev = line;
  }
  return out;
}

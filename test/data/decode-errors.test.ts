// Every refusal of runtime/data/decode/: an ImageError whose one-line message starts with the file's name
// (and the byte offset where one is known), says what is wrong, and comes before any large allocation.
// The bad files are the good fixtures of test/fixtures/images/ cut, flipped or patched here.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { decodeImage, DEFAULT_MAX_IMAGE_PIXELS, readImageHeader } from '../../runtime/data/decode/index.js';
import { exifOrientation } from '../../runtime/data/decode/orientation.js';
import { ImageError } from '../../runtime/data/image.js';

const DIR = fileURLToPath(new URL('../fixtures/images/', import.meta.url));
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(DIR + name));

/** decodeImage's refusal (in both modes, and readImageHeader's where `header`), checked to be an ImageError
 *  naming `file`; returns its message. */
function refusal(data: Uint8Array, file: string, header = false): string {
  const messages: string[] = [];
  const calls: (() => unknown)[] = [() => decodeImage(data, file, 'RGB'), () => decodeImage(data, file, 'L')];
  if (header) calls.push(() => readImageHeader(data, file));
  for (const call of calls) {
    let caught: unknown;
    try {
      call();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ImageError);
    const e = caught as ImageError;
    expect(e.file).toBe(file);
    expect(e.message.startsWith(`${file}`)).toBe(true);
    expect(e.message).not.toContain('\n');
    messages.push(e.message);
  }
  expect(new Set(messages).size).toBe(1);
  if (process.env.CNNC_DECODE_FIGURES === '1') console.log(messages[0]);
  return messages[0];
}

/** A PNG's chunks as [offset, length, type]. */
function chunks(png: Uint8Array): [number, number, string][] {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: [number, number, string][] = [];
  for (let o = 8; o + 12 <= png.length; ) {
    const len = dv.getUint32(o);
    out.push([o, len, String.fromCharCode(...png.subarray(o + 4, o + 8))]);
    o += 12 + len;
  }
  return out;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  const tb = new TextEncoder().encode(type);
  out.set(tb, 4);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** gray8.png (28×28 grey) with its IDAT replaced by `idat` (CRCs right). */
function withIdat(idat: Uint8Array): Uint8Array {
  const png = bytes('gray8.png');
  const c = chunks(png);
  const ihdr = png.subarray(0, c[0][0] + 12 + c[0][1]);
  return Buffer.concat([ihdr, chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

describe('not an image', () => {
  test('a 0-byte file', () => {
    expect(refusal(new Uint8Array(0), 'train/shirt/empty.png', true)).toBe('train/shirt/empty.png: empty file (0 bytes), not an image');
  });
  test('a text file in a class folder', () => {
    const m = refusal(new TextEncoder().encode('label,notes\n3,a shirt\n'), 'train/shirt/notes.txt', true);
    expect(m).toBe('train/shirt/notes.txt (byte 0): not a PNG or JPEG file (unrecognised signature)');
  });
  test('a GIF is named as one (an unsupported kind)', () => {
    expect(refusal(bytes('shirt.gif'), 'a/shirt.gif', true)).toBe('a/shirt.gif: unsupported image format: GIF (cnnc reads PNG and JPEG)');
  });
  test('WebP, BMP and TIFF by their signatures', () => {
    const webp = new TextEncoder().encode('RIFF\x10\x00\x00\x00WEBPVP8 ');
    expect(refusal(webp, 'x.webp')).toContain('unsupported image format: WebP');
    const bmp = new Uint8Array(54);
    bmp.set([0x42, 0x4d]);
    expect(refusal(bmp, 'x.bmp')).toContain('unsupported image format: BMP');
    expect(refusal(new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]), 'x.tif')).toContain('unsupported image format: TIFF');
  });
});

describe('truncated or corrupt PNG', () => {
  const png = bytes('rgb8.png');
  const idat = chunks(png).find(([, , t]) => t === 'IDAT')!;
  test('cut inside the signature', () => {
    expect(refusal(png.subarray(0, 5), 'p.png', true)).toBe('p.png (byte 5): truncated PNG: 5 bytes, not even the 8-byte signature');
  });
  test('cut inside IHDR', () => {
    expect(refusal(png.subarray(0, 20), 'p.png', true)).toContain('p.png (byte 20): truncated PNG: 20 bytes, the header alone needs 33');
  });
  test('cut inside IDAT: the chunk claims more bytes than the file has, at its offset', () => {
    const m = refusal(png.subarray(0, idat[0] + 100), 'p.png');
    expect(m).toBe(`p.png (byte ${idat[0]}): truncated PNG: chunk "IDAT" claims ${idat[1]} bytes, past the end of the file (${idat[0] + 100} bytes)`);
  });
  test('IEND missing', () => {
    const end = idat[0] + 12 + idat[1];
    expect(refusal(png.subarray(0, end), 'p.png')).toBe(`p.png (byte ${end}): truncated PNG: the file ends before IEND (${end} bytes)`);
  });
  test('a flipped bit in IDAT fails its CRC', () => {
    const bad = png.slice();
    bad[idat[0] + 8 + 10] ^= 0x10;
    expect(refusal(bad, 'p.png')).toBe(`p.png (byte ${idat[0]}): corrupt PNG: CRC mismatch in chunk "IDAT"`);
  });
  test('IDAT that is not zlib (CRC right)', () => {
    expect(refusal(withIdat(new Uint8Array([0x78, 0x9c, 0xff, 0xff, 0xff, 0xff, 0, 1, 2])), 'z.png')).toBe('z.png: corrupt PNG image data: zlib: invalid block type');
  });
  test('IDAT whose zlib stream ends early', () => {
    const z = deflateSync(new Uint8Array(29 * 28));
    expect(refusal(withIdat(z.subarray(0, z.length - 6)), 'z.png')).toMatch(/^z\.png: corrupt PNG image data: zlib: /);
  });
  test('short image data: a whole zlib stream with 10 of the 28 rows', () => {
    expect(refusal(withIdat(deflateSync(new Uint8Array(29 * 10))), 's.png')).toBe(
      's.png: corrupt PNG image data: the image data is short (the zlib stream ends before the last row)',
    );
  });
  test('a scanline filter type that does not exist', () => {
    const rows = new Uint8Array(29 * 28);
    rows[29 * 3] = 7;
    expect(refusal(withIdat(deflateSync(rows)), 'f.png')).toBe('f.png: corrupt PNG image data: scanline filter type 7 (0 to 4 exist)');
  });
  test('an IHDR with a bit depth the colour type does not allow', () => {
    const bad = png.slice();
    bad[24] = 4; // RGB at 4 bits
    bad.set(chunk('IHDR', bad.subarray(16, 29)).subarray(8 + 13), 29);
    expect(refusal(bad, 'd.png', true)).toBe('d.png (byte 24): corrupt PNG: bit depth 4 is not allowed with colour type 2');
  });
});

describe('truncated or corrupt JPEG', () => {
  const jpg = bytes('rgb-420.jpg');
  const gray = bytes('gray.jpg'); // SOF0 at byte 89, SOS at 318, EOI at 842
  test('cut inside the scan data', () => {
    expect(refusal(jpg.subarray(0, jpg.length - 200), 'j.jpg')).toBe(
      `j.jpg (byte ${jpg.length - 200}): truncated JPEG: the scan data ends without the EOI marker (${jpg.length - 200} bytes)`,
    );
  });
  test('EOI missing (the last 2 bytes cut)', () => {
    expect(refusal(jpg.subarray(0, jpg.length - 2), 'j.jpg')).toContain('truncated JPEG: the scan data ends without the EOI marker');
  });
  test('cut inside a table segment, before the frame header', () => {
    expect(refusal(gray.subarray(0, 60), 'g.jpg', true)).toBe('g.jpg (byte 20): truncated JPEG: segment 0xFFDB claims 67 bytes, past the end of the file (60 bytes)');
  });
  test('only SOI', () => {
    expect(refusal(new Uint8Array([0xff, 0xd8, 0xff]), 'g.jpg', true)).toContain('g.jpg (byte 3): truncated JPEG');
  });
  test('garbage where a marker should be', () => {
    const bad = gray.slice();
    bad[89] = 0x00;
    expect(refusal(bad, 'g.jpg', true)).toBe('g.jpg (byte 89): corrupt JPEG: expected a marker, found 0x0');
  });
  test('12-bit samples are refused as unsupported, naming the precision', () => {
    const bad = gray.slice();
    bad[89 + 4] = 12;
    expect(refusal(bad, 'g.jpg', true)).toBe('g.jpg (byte 89): unsupported JPEG: 12-bit samples (cnnc reads 8-bit JPEG, as PIL does)');
  });
  test('arithmetic coding (SOF9) is refused as unsupported', () => {
    const bad = gray.slice();
    bad[90] = 0xc9;
    expect(refusal(bad, 'g.jpg', true)).toBe('g.jpg (byte 89): unsupported JPEG: arithmetic-coded JPEG (SOF9)');
  });
  test('a real arithmetic-coded file (cjpeg -arithmetic; PIL opens it, jpeg-js cannot) is refused by name, header too', () => {
    expect(refusal(bytes('rgb-arithmetic.jpg'), 'train/cat/a.jpg', true)).toMatch(
      /^train\/cat\/a\.jpg \(byte \d+\): unsupported JPEG: arithmetic-coded JPEG \(SOF9\)$/,
    );
  });
  test('lossless JPEG (SOF3) is refused as unsupported', () => {
    const bad = gray.slice();
    bad[90] = 0xc3;
    expect(refusal(bad, 'g.jpg', true)).toContain('unsupported JPEG: lossless JPEG (SOF3)');
  });
});

describe('the pixel cap: PIL’s decompression-bomb limit, checked from the header', () => {
  test('DEFAULT_MAX_IMAGE_PIXELS is 2 × PIL’s Image.MAX_IMAGE_PIXELS (int(1024 * 1024 * 1024 // 4 // 3))', () => {
    expect(DEFAULT_MAX_IMAGE_PIXELS).toBe(2 * Math.floor((1024 * 1024 * 1024) / 4 / 3));
  });
  test('a PNG whose IHDR claims 100,000 × 100,000 is refused before inflating', () => {
    const t0 = performance.now();
    expect(refusal(bytes('bomb-100000x100000.png'), 'bomb.png')).toBe(
      'bomb.png: image too large: 100000×100000 = 10000000000 pixels, over the limit of 178956970 ' +
        "(PIL's decompression-bomb limit, 2 × Image.MAX_IMAGE_PIXELS); refused before decoding",
    );
    expect(performance.now() - t0).toBeLessThan(1000);
  });
  test('a JPEG whose frame header claims 65,500 × 65,500 is refused before decoding', () => {
    const bad = bytes('gray.jpg').slice();
    bad.set([0xff, 0xdc, 0xff, 0xdc], 89 + 5); // height, width
    expect(refusal(bad, 'bomb.jpg')).toContain('bomb.jpg: image too large: 65500×65500 = 4290250000 pixels');
  });
  test('maxPixels: a 28×28 image passes at 784 and is refused at 783', () => {
    expect(decodeImage(bytes('gray8.png'), 'g.png', 'L', { maxPixels: 784 }).data.length).toBe(784);
    expect(() => decodeImage(bytes('gray8.png'), 'g.png', 'L', { maxPixels: 783 })).toThrow('g.png: image too large: 28×28 = 784 pixels, over the limit of 783');
    expect(() => decodeImage(bytes('gray.jpg'), 'g.jpg', 'L', { maxPixels: 783 })).toThrow('g.jpg: image too large: 28×28');
  });
});

describe('EXIF that cannot be read is ignored, as PIL ignores it', () => {
  test('garbage, a wrong byte order mark, an IFD offset past the end, an orientation of 9', () => {
    expect(exifOrientation(undefined)).toBe(1);
    expect(exifOrientation(new Uint8Array([1, 2, 3]))).toBe(1);
    expect(exifOrientation(new Uint8Array([0x58, 0x58, 0x2a, 0, 8, 0, 0, 0]))).toBe(1);
    expect(exifOrientation(new Uint8Array([0x49, 0x49, 0x2a, 0, 0xff, 0, 0, 0]))).toBe(1);
    const tiff = (o: number, le: boolean): Uint8Array => {
      const b = new Uint8Array(26);
      const dv = new DataView(b.buffer);
      b.set(le ? [0x49, 0x49] : [0x4d, 0x4d]);
      dv.setUint16(2, 42, le);
      dv.setUint32(4, 8, le);
      dv.setUint16(8, 1, le);
      dv.setUint16(10, 0x0112, le);
      dv.setUint16(12, 3, le);
      dv.setUint32(14, 1, le);
      dv.setUint16(18, o, le);
      return b;
    };
    expect(exifOrientation(tiff(6, true))).toBe(6);
    expect(exifOrientation(tiff(8, false))).toBe(8); // Motorola byte order
    expect(exifOrientation(tiff(9, true))).toBe(1);
  });
});

// Reads a file that may be gzipped. Gzip is recognized by its magic bytes (1f 8b, RFC 1952 §2.3.1),
// never by the name: `train-images-idx3-ubyte` is often a gzip file renamed by a browser.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The largest file we inflate: Fashion-MNIST's train images are 47 MB; past this it is a gzip bomb. */
export const MAX_INFLATED_BYTES = 512 * 1024 * 1024;

export class DataFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFileError';
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function readMaybeGzip(file: string, maxBytes = MAX_INFLATED_BYTES): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new DataFileError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!isGzip(raw)) return raw;
  try {
    // maxOutputLength makes zlib stop inflating, not just report afterwards: a bomb never fills memory.
    return gunzipSync(raw, { maxOutputLength: maxBytes });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|Cannot create a Buffer larger/.test(err.message)) {
      throw new DataFileError(`${file}: refused: it inflates to more than ${maxBytes} bytes (a gzip bomb, or not a data set)`);
    }
    throw new DataFileError(`${file}: corrupt gzip data: ${err.message}`);
  }
}

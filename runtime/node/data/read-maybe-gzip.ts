// Reads a file that may be gzipped. Gzip is recognized by its magic bytes (1f 8b, RFC 1952 §2.3.1),
// never by the name: `train-images-idx3-ubyte` is often a gzip file renamed by a browser.
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';

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

/**
 * Reads a file that may be gzipped chunk by chunk, inflating as it goes, and hands each chunk to
 * `onChunk` (which may throw to refuse the data: reading then stops). Memory: one chunk, not the
 * file. The refusals of readMaybeGzip, with the same messages.
 */
export async function streamMaybeGzip(file: string, onChunk: (chunk: Uint8Array) => void, maxBytes = MAX_INFLATED_BYTES): Promise<void> {
  const cannotRead = (e: unknown) => new DataFileError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  let gzip: boolean;
  try {
    const fd = openSync(file, 'r');
    try {
      const magic = new Uint8Array(2);
      gzip = isGzip(magic.subarray(0, readSync(fd, magic, 0, 2, 0)));
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw cannotRead(e);
  }
  let inflated = 0;
  // The sink's own refusal (too large, or onChunk's IdxError): the pipeline may reject with an
  // AbortError instead, so it is kept here and thrown as it is.
  let refused: unknown = null;
  const sink = async (chunks: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of chunks) {
      inflated += chunk.length;
      try {
        if (gzip && inflated > maxBytes) throw new DataFileError(`${file}: refused: it inflates to more than ${maxBytes} bytes (a gzip bomb, or not a data set)`);
        onChunk(chunk);
      } catch (e) {
        refused = e;
        throw e;
      }
    }
  };
  try {
    if (gzip) await pipeline(createReadStream(file), createGunzip(), sink);
    else await pipeline(createReadStream(file), sink);
  } catch (e) {
    if (refused !== null) throw refused;
    if (!(e instanceof Error) || !('code' in e)) throw e;
    const code = String((e as NodeJS.ErrnoException).code);
    if (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED') throw new DataFileError(`${file}: corrupt gzip data: ${e.message}`);
    throw cannotRead(e);
  }
}

// The IDX header (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"): bytes 0-1: 0x00 0x00; byte 2:
// element type; byte 3: number of dimensions; then one big-endian uint32 per dimension. Shared by
// parseIdx (idx.ts) and the sample reader (idx-samples.ts). Every refusal names the file and the byte offset.

/** The element type codes of the format. Only ubyte is needed for (Fashion-)MNIST. */
const DTYPES: Readonly<Record<number, { name: IdxDtype; size: number }>> = {
  0x08: { name: 'ubyte', size: 1 },
  0x09: { name: 'byte', size: 1 },
  0x0b: { name: 'short', size: 2 },
  0x0c: { name: 'int', size: 4 },
  0x0d: { name: 'float', size: 4 },
  0x0e: { name: 'double', size: 8 },
};

export type IdxDtype = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

/** A dimension larger than this is a corrupt header, not a data set (MNIST's largest is 60,000). */
const MAX_DIM = 100_000_000;
/** At most this many elements (1 GiB of ubyte): past it the header is corrupt or the file is not for us. */
const MAX_ELEMENTS = 1 << 30;

export class IdxError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${file}: byte ${offset}: ${detail}`);
    this.name = 'IdxError';
  }
}

/** An IDX header: the element type, the dimensions, and where the elements start and end. */
export interface IdxHeader {
  readonly dtype: IdxDtype;
  /** Bytes per element. */
  readonly size: number;
  readonly dims: readonly number[];
  /** 4 + 4 * ndim. */
  readonly dataOffset: number;
  /** dataOffset + the elements' bytes: the file's exact length. */
  readonly expectedLength: number;
}

/** How many bytes the header of a file starting with `first4` needs (0 when fewer than 4 are known). */
export function idxHeaderLength(first4: Uint8Array): number {
  return first4.length < 4 ? 0 : 4 + 4 * first4[3]!;
}

/** A file of `length` bytes must end where its header says; refused otherwise, at the offset where it goes wrong. */
export function checkIdxLength(h: IdxHeader, length: number, file: string): void {
  const expected = h.expectedLength;
  if (length < expected) {
    throw new IdxError(file, length, `truncated: the header announces [${h.dims.join(', ')}] ${h.dtype} (${expected} bytes), the file has ${length}`);
  }
  if (length > expected) {
    throw new IdxError(file, expected, `${length - expected} unexpected trailing bytes after [${h.dims.join(', ')}] ${h.dtype}`);
  }
}

/** The header alone, from the file's first bytes (at least the whole header, or it is refused as truncated). */
export function parseIdxHeader(bytes: Uint8Array, file: string): IdxHeader {
  if (bytes.length < 4) throw new IdxError(file, bytes.length, `truncated: ${bytes.length} bytes, an IDX header needs at least 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxError(file, 0, `bad magic ${hex(bytes, 0, 4)}: an IDX file starts with 00 00 (is it still gzipped, or not an IDX file?)`);
  }
  const type = DTYPES[bytes[2]!];
  if (type === undefined) throw new IdxError(file, 2, `unknown element type 0x${bytes[2]!.toString(16).padStart(2, '0')} in magic ${hex(bytes, 0, 4)}`);
  const ndim = bytes[3]!;
  if (ndim === 0 || ndim > 8) throw new IdxError(file, 3, `absurd number of dimensions ${ndim} (1 to 8 expected)`);
  const dataOffset = 4 + 4 * ndim;
  if (bytes.length < dataOffset) {
    throw new IdxError(file, bytes.length, `truncated header: ${bytes.length} bytes, ${ndim} dimensions need ${dataOffset}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0 || d > MAX_DIM) throw new IdxError(file, 4 + 4 * i, `absurd size ${d} for dimension ${i}`);
    dims.push(d);
    count *= d;
    if (count > MAX_ELEMENTS) throw new IdxError(file, 4 + 4 * i, `absurd dimensions [${dims.join(', ')}…]: more than ${MAX_ELEMENTS} elements`);
  }
  return { dtype: type.name, size: type.size, dims, dataOffset, expectedLength: dataOffset + count * type.size };
}

function hex(bytes: Uint8Array, from: number, to: number): string {
  return Array.from(bytes.subarray(from, Math.min(to, bytes.length)), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

// safetensors (https://github.com/huggingface/safetensors#format), the weights format PyTorch
// users exchange: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON
//   { "__metadata__": { str: str }, "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, … }
// then the data section; offsets are relative to its start and the tensors tile it exactly.
//
// Reading is strict: a file that is corrupt, lies about its sizes or has anything unexplained
// is refused with a SafetensorsError naming the tensor and/or the absolute byte offset, and
// loadNamedTensors changes nothing unless every tensor fits. It also refuses a NaN or ±Infinity
// (unless told `allowNonFinite`): a model loaded from such a file only computes NaN, and says so
// as `test loss: NaN` long after the file was read.
import { JsonBytesError, parseJsonBytes, type JsonValue } from './json-bytes.js';
import type { FloatArray } from './model.js';
import { firstNonFinite } from './util.js';

/** The dtypes cnnc reads and writes. */
export type Dtype = 'F32' | 'F64';

export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: FloatArray;
  /** Written as this integer dtype instead of the array's float one, each value an integer (little-endian int64):
   *  PyTorch keeps batchnorm's num_batches_tracked as int64, and load_state_dict(strict=True) wants it so. */
  readonly dtype?: 'I64';
}

/** A tensor as the header describes it; `begin`/`end` are absolute byte offsets in the file. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsFile {
  /** A null-prototype record: a `__proto__` key is an ordinary entry. */
  readonly metadata: Record<string, string>;
  /** In header order. */
  readonly tensors: Map<string, TensorEntry>;
}

export class SafetensorsError extends Error {
  /** Absolute byte offset in the file, where one applies. */
  readonly offset?: number;
  /** The tensor concerned, where one applies. */
  readonly tensor?: string;
  constructor(message: string, where: { offset?: number; tensor?: string } = {}) {
    super(message);
    this.name = 'SafetensorsError';
    if (where.offset !== undefined) this.offset = where.offset;
    if (where.tensor !== undefined) this.tensor = where.tensor;
  }
}

/** Every dtype of the safetensors spec, with its size in bytes: a file may hold any of them. */
const ITEM_SIZE: ReadonlyMap<string, number> = new Map([
  ['BOOL', 1], ['U8', 1], ['I8', 1], ['F8_E5M2', 1], ['F8_E4M3', 1],
  ['I16', 2], ['U16', 2], ['F16', 2], ['BF16', 2],
  ['I32', 4], ['U32', 4], ['F32', 4],
  ['I64', 8], ['U64', 8], ['F64', 8],
]);

/** The reference implementation's limit; a larger header is a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const TENSOR_FIELDS = ['dtype', 'shape', 'data_offsets'] as const;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Header keys in the given order (`__metadata__` first when given), data packed in the same
 * order, header padded with spaces to a multiple of 8 so the data section is 8-byte aligned.
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata?: Record<string, string>): Uint8Array {
  const parts: string[] = [];
  if (metadata !== undefined) {
    const fields = Object.keys(metadata).map((k) => {
      const v = metadata[k];
      if (typeof v !== 'string') throw new SafetensorsError(`metadata "${k}" must be a string, got ${typeof v}`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${fields.join(',')}}`);
  }
  const names = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA_KEY || names.has(t.name)) throw new SafetensorsError(`cannot write tensor "${t.name}": ${t.name === METADATA_KEY ? 'reserved name' : 'name given twice'}`, { tensor: t.name });
    names.add(t.name);
    const count = shapeSize(t.shape);
    if (count !== t.data.length) throw new SafetensorsError(`cannot write tensor "${t.name}": shape [${t.shape.join(', ')}] holds ${count} values but the data has ${t.data.length}`, { tensor: t.name });
    const end = offset + byteLength(t);
    // Built by hand, not JSON.stringify(object): that would reorder integer-like names.
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype ?? dtypeOf(t.data)}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  let header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const h = new Uint8Array(padded).fill(0x20);
    h.set(header);
    header = h;
  }
  const out = new Uint8Array(8 + header.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, header.length, true);
  view.setUint32(4, Math.floor(header.length / 0x100000000), true);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const t of tensors) {
    if (t.dtype === 'I64') writeInt64(t, out, at);
    else writeLittleEndian(t.data, out, at);
    at += byteLength(t);
  }
  return out;
}

/** The same file with `metadata` merged into its `__metadata__` (a key given replaces the file's): how
 *  `cnnc train` stores the class names with a model's weights. Tensors and their order are unchanged. */
export function withMetadata(bytes: Uint8Array, metadata: Record<string, string>): Uint8Array {
  const file = decodeSafetensors(bytes);
  const tensors = [...file.tensors.values()].map((e): NamedTensor => e.dtype === 'I64'
    ? { name: e.name, shape: e.shape, data: readIntegerTensor(bytes, e, 'F64', 'weights'), dtype: 'I64' } // as cnnc writes num_batches_tracked
    : { name: e.name, shape: e.shape, data: readTensor(bytes, e) });
  return encodeSafetensors(tensors, { ...file.metadata, ...metadata });
}

function dtypeOf(a: FloatArray): Dtype {
  return a instanceof Float64Array ? 'F64' : 'F32';
}

function byteLength(t: NamedTensor): number {
  return t.dtype === 'I64' ? 8 * t.data.length : t.data.byteLength;
}

/** Integers held in floats, as little-endian int64; anything else (NaN, 1.5, beyond ±2^63) is refused. */
function writeInt64(t: NamedTensor, out: Uint8Array, at: number): void {
  const view = new DataView(out.buffer, out.byteOffset);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i]!;
    if (!(Number.isInteger(v) && Math.abs(v) < 2 ** 63)) {
      throw new SafetensorsError(`cannot write tensor "${t.name}" as I64: index ${i} holds ${v}, not an integer within int64`, { tensor: t.name });
    }
    view.setBigInt64(at + 8 * i, BigInt(v), true);
  }
}

function writeLittleEndian(a: FloatArray, out: Uint8Array, at: number): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset);
  if (a instanceof Float64Array) for (let i = 0; i < a.length; i++) view.setFloat64(at + 8 * i, a[i]!, true);
  else for (let i = 0; i < a.length; i++) view.setFloat32(at + 4 * i, a[i]!, true);
}

function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!(Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(`shape [${shape.join(', ')}] has a dimension that is not a non-negative integer`);
    n *= d;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Parses and validates the header and the layout of the data section; reads no tensor data. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw new SafetensorsError(`file is ${bytes.length} bytes, too short for the 8-byte header length at byte 0`, { offset: 0 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true), hi = view.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`header length ${hi * 0x100000000 + lo} (bytes 0–7) is absurd: the limit is ${MAX_HEADER_BYTES}`, { offset: 0 });
  }
  const dataStart = 8 + lo;
  if (dataStart > bytes.length) {
    throw new SafetensorsError(`header length ${lo} (bytes 0–7) runs past the end of the file: only ${bytes.length - 8} bytes follow`, { offset: 0 });
  }
  let root: JsonValue;
  try {
    root = parseJsonBytes(bytes, 8, dataStart);
  } catch (e) {
    if (e instanceof JsonBytesError) throw new SafetensorsError(`header is not valid JSON: ${e.message} at byte ${e.offset}`, { offset: e.offset });
    throw e;
  }
  if (root.kind !== 'object') throw new SafetensorsError(`header is a JSON ${root.kind}, not an object (byte ${root.at})`, { offset: root.at });

  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const tensors = new Map<string, TensorEntry>();
  for (const [key, value] of root.entries) {
    if (key === METADATA_KEY) readMetadata(value, metadata);
    else tensors.set(key, readEntry(key, value, dataStart, dataLength));
  }
  checkLayout([...tensors.values()], dataStart, dataLength);
  return { metadata, tensors };
}

function readMetadata(value: JsonValue, into: Record<string, string>): void {
  if (value.kind !== 'object') throw new SafetensorsError(`"${METADATA_KEY}" at byte ${value.at} is a JSON ${value.kind}, not an object of strings`, { offset: value.at });
  for (const [k, v] of value.entries) {
    if (v.kind !== 'string') throw new SafetensorsError(`"${METADATA_KEY}" entry "${k}" at byte ${v.at} is a JSON ${v.kind}, not a string`, { offset: v.at });
    into[k] = v.value;
  }
}

function readEntry(name: string, value: JsonValue, dataStart: number, dataLength: number): TensorEntry {
  const fail = (why: string, at: number): never => {
    throw new SafetensorsError(`tensor "${name}": ${why} (header byte ${at})`, { tensor: name, offset: at });
  };
  if (value.kind !== 'object') return fail(`expected an object with dtype, shape and data_offsets, got a JSON ${value.kind}`, value.at);
  for (const [k, v] of value.entries) if (!(TENSOR_FIELDS as readonly string[]).includes(k)) fail(`unknown field "${k}"`, v.at);
  for (const f of TENSOR_FIELDS) if (!value.entries.has(f)) fail(`missing field "${f}"`, value.at);
  const dtypeValue = value.entries.get('dtype')!;
  if (dtypeValue.kind !== 'string') return fail(`dtype must be a string, got a JSON ${dtypeValue.kind}`, dtypeValue.at);
  const dtype = dtypeValue.value;
  const itemSize = ITEM_SIZE.get(dtype);
  if (itemSize === undefined) return fail(`unknown dtype ${JSON.stringify(dtype)}`, dtypeValue.at);
  const shape = integers(value.entries.get('shape')!, 'shape', fail);
  const offsets = integers(value.entries.get('data_offsets')!, 'data_offsets', fail);
  const offsetsAt = value.entries.get('data_offsets')!.at;
  if (offsets.length !== 2) return fail(`data_offsets must be [begin, end], got ${offsets.length} numbers`, offsetsAt);
  const [begin, end] = offsets as [number, number];
  if (end < begin) return fail(`data_offsets [${begin}, ${end}] end before they begin`, offsetsAt);
  if (end > dataLength) {
    return fail(`data_offsets [${begin}, ${end}] run past the end of the data section (${dataLength} bytes; the file ends at byte ${dataStart + dataLength}, the tensor would end at byte ${dataStart + end})`, offsetsAt);
  }
  let bytesNeeded = itemSize;
  for (const d of shape) bytesNeeded *= d;
  if (!Number.isSafeInteger(bytesNeeded)) return fail(`shape [${shape.join(', ')}] is too large`, value.entries.get('shape')!.at);
  if (bytesNeeded !== end - begin) {
    return fail(`shape [${shape.join(', ')}] of ${dtype} needs ${bytesNeeded} bytes but data_offsets [${begin}, ${end}] give ${end - begin}`, offsetsAt);
  }
  return { name, dtype, shape, begin: dataStart + begin, end: dataStart + end };
}

/** A JSON array of u64-style integers (digits only, safe in a double). */
function integers(v: JsonValue, field: string, fail: (why: string, at: number) => never): number[] {
  if (v.kind !== 'array') return fail(`${field} must be an array of non-negative integers, got a JSON ${v.kind}`, v.at);
  return v.items.map((x) => {
    if (x.kind !== 'number' || !x.integer) return fail(`${field} must hold non-negative integers, found ${x.kind === 'number' ? x.value : `a JSON ${x.kind}`}`, x.at);
    if (!Number.isSafeInteger(x.value)) return fail(`${field} value is too large (above 2^53 − 1)`, x.at);
    return x.value;
  });
}

/** The tensors must tile the data section exactly: from 0, no overlap, no hole, nothing after. */
function checkLayout(entries: TensorEntry[], dataStart: number, dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = dataStart;
  let previous: TensorEntry | undefined;
  for (const e of sorted) {
    const rel = (x: number): number => x - dataStart;
    if (e.begin < expected) {
      throw new SafetensorsError(
        `tensor "${e.name}": data_offsets [${rel(e.begin)}, ${rel(e.end)}] overlap tensor "${previous!.name}" [${rel(previous!.begin)}, ${rel(previous!.end)}] (bytes ${e.begin}–${expected} of the file)`,
        { tensor: e.name, offset: e.begin },
      );
    }
    if (e.begin > expected) {
      throw new SafetensorsError(
        `tensor "${e.name}": data_offsets [${rel(e.begin)}, ${rel(e.end)}] leave a hole: bytes ${expected}–${e.begin} of the file belong to no tensor`,
        { tensor: e.name, offset: expected },
      );
    }
    expected = e.end;
    previous = e;
  }
  const fileEnd = dataStart + dataLength;
  if (expected !== fileEnd) {
    throw new SafetensorsError(`${fileEnd - expected} trailing bytes: the tensors end at byte ${expected} but the file at byte ${fileEnd}`, { offset: expected });
  }
}

/** A copy of one tensor's data (any alignment); only F32 and F64 are readable. */
export function readTensor(bytes: Uint8Array, entry: TensorEntry): Float32Array | Float64Array {
  const { name, dtype, begin, end } = entry;
  if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && 0 <= begin && begin <= end && end <= bytes.length)) {
    throw new SafetensorsError(`tensor "${name}": bytes ${begin}–${end} are outside the file (${bytes.length} bytes)`, { tensor: name, offset: begin });
  }
  const src = bytes.subarray(begin, end);
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(src.length >> 2);
      copyLittleEndian(src, out);
      return out;
    }
    case 'F64': {
      const out = new Float64Array(src.length >> 3);
      copyLittleEndian(src, out);
      return out;
    }
    default:
      throw new SafetensorsError(`tensor "${name}" has dtype ${dtype}; cnnc reads F32 and F64`, { tensor: name, offset: begin });
  }
}

/** The integer dtypes a float tensor may be loaded from, value for value where exact. */
const INTEGER_DTYPES: ReadonlySet<string> = new Set(['BOOL', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64']);

/** An integer tensor as floats of `to`, refused (naming the tensor, index and byte) where a value is not exact
 *  in it: above 2^24 in magnitude for F32, 2^53 for F64. */
function readIntegerTensor(bytes: Uint8Array, entry: TensorEntry, to: Dtype, what: string): FloatArray {
  const size = ITEM_SIZE.get(entry.dtype)!;
  const view = new DataView(bytes.buffer, bytes.byteOffset + entry.begin, entry.end - entry.begin);
  const n = (entry.end - entry.begin) / size;
  const out = to === 'F64' ? new Float64Array(n) : new Float32Array(n);
  const limit = to === 'F64' ? 2 ** 53 : 2 ** 24;
  for (let i = 0; i < n; i++) {
    const at = i * size;
    let v: number | bigint;
    switch (entry.dtype) {
      case 'BOOL': case 'U8': v = view.getUint8(at); break;
      case 'I8': v = view.getInt8(at); break;
      case 'I16': v = view.getInt16(at, true); break;
      case 'U16': v = view.getUint16(at, true); break;
      case 'I32': v = view.getInt32(at, true); break;
      case 'U32': v = view.getUint32(at, true); break;
      case 'I64': v = view.getBigInt64(at, true); break;
      default: v = view.getBigUint64(at, true); break; // U64
    }
    const big = typeof v === 'bigint' ? v : BigInt(v);
    if (big > BigInt(limit) || big < -BigInt(limit)) {
      throw new SafetensorsError(
        `cannot load ${what}: tensor "${entry.name}" (${entry.dtype}) holds ${big} at index ${i} (byte ${entry.begin + at} of the file), not exact in ${to}`,
        { tensor: entry.name, offset: entry.begin + at },
      );
    }
    out[i] = Number(big);
  }
  return out;
}

function copyLittleEndian(src: Uint8Array, out: FloatArray): void {
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(src);
    return;
  }
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (out instanceof Float64Array) for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  else for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
}

export interface LoadOptions {
  /** Accept NaN and ±Infinity in the data (refused by default, naming the tensor and the first index). */
  readonly allowNonFinite?: boolean;
}

/**
 * Loads a file into `into`, all or nothing: every expected tensor present with the exact shape,
 * no unexpected tensor, dtype F32 into a Float32Array; into a Float64Array, F64 or F32 (widening
 * is exact). F64 into a Float32Array is refused: it would silently lose precision. An integer
 * dtype (BOOL, U8 … I64, U64: PyTorch's num_batches_tracked is I64) loads where each value is exact.
 * `what` names the file's role in messages ("weights", "checkpoint"). A NaN or ±Infinity is
 * refused, naming the tensor and its first bad index, unless `options.allowNonFinite`.
 */
export function loadNamedTensors(bytes: Uint8Array, into: readonly NamedTensor[], what = 'weights', options: LoadOptions = {}): void {
  let file: SafetensorsFile;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new SafetensorsError(`cannot load ${what}: ${e.message}`, e);
    throw e;
  }
  const problems: { message: string; tensor: string }[] = [];
  const expected = new Set<string>();
  for (const t of into) {
    if (expected.has(t.name)) throw new RangeError(`loadNamedTensors: target "${t.name}" given twice`);
    expected.add(t.name);
    if (shapeSize(t.shape) !== t.data.length) throw new RangeError(`loadNamedTensors: target "${t.name}" has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
    const want = dtypeOf(t.data);
    const entry = file.tensors.get(t.name);
    if (entry === undefined) {
      problems.push({ tensor: t.name, message: `missing tensor "${t.name}" (${want} [${t.shape.join(', ')}])` });
    } else if (!sameShape(entry.shape, t.shape)) {
      problems.push({ tensor: t.name, message: `tensor "${t.name}" has shape [${entry.shape.join(', ')}], expected [${t.shape.join(', ')}]` });
    } else if (!(entry.dtype === want || (want === 'F64' && entry.dtype === 'F32') || INTEGER_DTYPES.has(entry.dtype))) {
      problems.push({ tensor: t.name, message: `tensor "${t.name}" has dtype ${entry.dtype}, expected ${want}` });
    }
  }
  for (const name of file.tensors.keys()) {
    if (!expected.has(name)) problems.push({ tensor: name, message: `unexpected tensor "${name}"` });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).map((p) => p.message);
    if (problems.length > 5) shown.push(`and ${problems.length - 5} more`);
    throw new SafetensorsError(`cannot load ${what}: ${shown.join('; ')}`, { tensor: problems[0]!.tensor, offset: file.tensors.get(problems[0]!.tensor)?.begin });
  }
  // Every tensor read (and checked) before any is written: a bad value in the last leaves the model as it was.
  // An integer tensor (PyTorch saves batchnorm's num_batches_tracked as I64) loads where every value is exact
  // in the target's float type.
  const read = into.map((t) => {
    const entry = file.tensors.get(t.name)!;
    return INTEGER_DTYPES.has(entry.dtype) ? readIntegerTensor(bytes, entry, dtypeOf(t.data), what) : readTensor(bytes, entry);
  });
  if (options.allowNonFinite !== true) {
    into.forEach((t, k) => {
      const i = firstNonFinite(read[k]!, read[k]!.length);
      if (i < 0) return;
      const entry = file.tensors.get(t.name)!;
      const offset = entry.begin + i * ITEM_SIZE.get(entry.dtype)!;
      throw new SafetensorsError(
        `cannot load ${what}: tensor "${t.name}" holds ${describeValue(read[k]![i]!)} at index ${i}${elementOf(i, t.shape)} (byte ${offset} of the file); ` +
        'a model with it computes only NaN',
        { tensor: t.name, offset },
      );
    });
  }
  into.forEach((t, k) => t.data.set(read[k]!));
}

function describeValue(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** `, element [1, 0, 2, 2] of [32, 1, 3, 3]` for a tensor of two or more dimensions, else ''. */
function elementOf(flat: number, shape: readonly number[]): string {
  if (shape.length < 2) return '';
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return `, element [${at.join(', ')}] of [${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// An independent reading of the safetensors format (https://github.com/huggingface/safetensors#format)
// for the weights fuzz suite's oracle: JSON.parse and plain loops, none of runtime/safetensors.ts. It
// answers whether a file is one that a float32 model with these parameters should load, and with
// which values. It is looser than cnnc's reader in two ways that JSON.parse hides: a duplicate key
// (JSON.parse keeps the last) and an integer written as 4.0, 4e0 or -0 (JSON.parse gives 4 or 0).

export interface Param {
  readonly name: string;
  readonly shape: readonly number[];
}

export type Reading =
  | { readonly ok: true; readonly values: ReadonlyMap<string, Float32Array | Float64Array> }
  | { readonly ok: false; readonly why: string };

const SIZES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, I64: 8, U64: 8, F64: 8,
};

const bad = (why: string): Reading => ({ ok: false, why });
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * `model`: the targets' dtype. A float32 model takes F32 tensors only; a float64 one F64, or F32
 * widened (exact). Never F64 into float32: it would lose precision without a word.
 */
export function referenceRead(bytes: Uint8Array, params: readonly Param[], model: 'F32' | 'F64' = 'F32'): Reading {
  if (bytes.length < 8) return bad('shorter than the length field');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > 100_000_000n) return bad('header length over the limit');
  const start = 8 + Number(n);
  if (start > bytes.length) return bad('header runs past the file');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, start)));
  } catch {
    return bad('header is not UTF-8 JSON');
  }
  if (!isObject(header)) return bad('header is not an object');
  const dataLength = bytes.length - start;
  const spans: [number, number][] = [];
  const tensors = new Map<string, { dtype: string; shape: number[]; begin: number; end: number }>();
  for (const [key, v] of Object.entries(header)) {
    if (key === '__metadata__') {
      if (!isObject(v) || Object.values(v).some((s) => typeof s !== 'string')) return bad('metadata is not an object of strings');
      continue;
    }
    if (!isObject(v)) return bad(`${key}: not an object`);
    const fields = Object.keys(v).sort().join(',');
    if (fields !== 'data_offsets,dtype,shape') return bad(`${key}: fields ${fields}`);
    const { dtype, shape, data_offsets: offsets } = v as { dtype: unknown; shape: unknown; data_offsets: unknown };
    if (typeof dtype !== 'string' || SIZES[dtype] === undefined) return bad(`${key}: dtype`);
    if (!Array.isArray(shape) || !shape.every(isCount)) return bad(`${key}: shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) return bad(`${key}: data_offsets`);
    const [begin, end] = offsets as [number, number];
    if (end < begin || end > dataLength) return bad(`${key}: offsets out of the data`);
    const size = (shape as number[]).reduce((a, d) => a * d, SIZES[dtype]!);
    if (size !== end - begin) return bad(`${key}: shape does not match the offsets`);
    spans.push([begin, end]);
    tensors.set(key, { dtype, shape: shape as number[], begin, end });
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [b, e] of spans) {
    if (b !== at) return bad('tensors do not tile the data section');
    at = e;
  }
  if (at !== dataLength) return bad('bytes after the last tensor');
  // Exactly the model's parameters, in a dtype it takes, its shapes, finite.
  if (tensors.size !== params.length) return bad('not the model\'s tensors');
  const values = new Map<string, Float32Array | Float64Array>();
  for (const p of params) {
    const t = tensors.get(p.name);
    const integer = t !== undefined && INTEGERS.has(t.dtype);
    const takes = t !== undefined && (t.dtype === model || (model === 'F64' && t.dtype === 'F32') || integer);
    if (t === undefined || !takes || t.shape.join() !== p.shape.join()) return bad(`${p.name}: missing or another dtype or shape`);
    const view = new DataView(bytes.buffer, bytes.byteOffset + start + t.begin, t.end - t.begin);
    const size = SIZES[t.dtype]!;
    const a = model === 'F64' ? new Float64Array((t.end - t.begin) / size) : new Float32Array((t.end - t.begin) / size);
    for (let i = 0; i < a.length; i++) {
      if (integer) {
        // An integer loads where it is exact in the model's float type (|v| ≤ 2^24, or 2^53).
        const v = integerAt(view, t.dtype, i * size);
        if (v > BigInt(model === 'F64' ? 2 ** 53 : 2 ** 24) || v < -BigInt(model === 'F64' ? 2 ** 53 : 2 ** 24)) return bad(`${p.name}[${i}] is not exact in ${model}`);
        a[i] = Number(v);
        continue;
      }
      a[i] = size === 8 ? view.getFloat64(8 * i, true) : view.getFloat32(4 * i, true);
      if (!Number.isFinite(a[i]!)) return bad(`${p.name}[${i}] is not finite`);
    }
    values.set(p.name, a);
  }
  return { ok: true, values };
}

const INTEGERS = new Set(['BOOL', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64']);

function integerAt(view: DataView, dtype: string, at: number): bigint {
  switch (dtype) {
    case 'BOOL': case 'U8': return BigInt(view.getUint8(at));
    case 'I8': return BigInt(view.getInt8(at));
    case 'I16': return BigInt(view.getInt16(at, true));
    case 'U16': return BigInt(view.getUint16(at, true));
    case 'I32': return BigInt(view.getInt32(at, true));
    case 'U32': return BigInt(view.getUint32(at, true));
    case 'I64': return view.getBigInt64(at, true);
    default: return view.getBigUint64(at, true);
  }
}

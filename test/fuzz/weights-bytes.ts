// Mutations of a real safetensors file, for the weights fuzz suite: bit flips, truncation, spliced
// bytes, header JSON edits (dtype, shape, data_offsets, huge or negative numbers, duplicate names,
// a wrong header length) and NaN/Inf in the data. Each mutation says what it did, so fast-check's
// counterexample reads as a bug report.
import fc from 'fast-check';

/** The parts of a safetensors file, as written by encodeSafetensors. */
export interface Parts {
  readonly headerText: string;
  readonly data: Uint8Array;
}

export function split(bytes: Uint8Array): Parts {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  return { headerText: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.slice(8 + n) };
}

/** Header text and data back into a file; `declared` overrides the 8-byte length field. */
export function join(headerText: string, data: Uint8Array, declared?: bigint): Uint8Array {
  const h = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Values a hostile header puts where a number or a string belongs. */
const HOSTILE_VALUE = fc.constantFrom(
  '0', '1', '-1', '4', '3.5', '1e3', '1e309', '-0', '9007199254740991', '9007199254740993', '18446744073709551615',
  '340282366920938463463374607431768211456', '"F32"', '"F64"', '"F16"', '"BF16"', '"I64"', '"f32"', '""', 'null', 'true',
  '[]', '[0]', '[0,0]', '[1,0]', '[0,18446744073709551615]', '[4294967295,4294967296]', '[-4,0]', '[0,4.0]', '{}', '[[1]]',
);

export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number; readonly region: 'header' | 'data' | 'any' }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'append'; readonly bytes: readonly number[] }
  | { readonly op: 'declare'; readonly length: bigint }
  | { readonly op: 'field'; readonly tensor: number; readonly field: 'dtype' | 'shape' | 'data_offsets'; readonly value: string }
  | { readonly op: 'dim'; readonly tensor: number; readonly dim: number; readonly value: string }
  | { readonly op: 'duplicate'; readonly tensor: number }
  | { readonly op: 'rename'; readonly tensor: number; readonly name: string }
  | { readonly op: 'drop'; readonly tensor: number }
  | { readonly op: 'metadata'; readonly text: string }
  | { readonly op: 'nonfinite'; readonly at: number; readonly value: number }
  | { readonly op: 'text'; readonly at: number; readonly text: string };

const anyText = fc.oneof(
  fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', '\\u0000', '\\ud800', '\u00ff', '\uffff', 'NaN', 'Infinity', '__proto__', '\u0000', ' '),
  fc.string({ maxLength: 6 }),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), region: fc.constantFrom('header' as const, 'any' as const) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 9 }) }),
  fc.record({ op: fc.constant('declare' as const), length: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 4095n }), fc.constantFrom(0n, 2n ** 63n, 2n ** 64n - 1n, 100_000_001n)) }),
  fc.record({ op: fc.constant('field' as const), tensor: fc.nat(), field: fc.constantFrom('dtype' as const, 'shape' as const, 'data_offsets' as const), value: HOSTILE_VALUE }),
  fc.record({ op: fc.constant('dim' as const), tensor: fc.nat(), dim: fc.nat(), value: HOSTILE_VALUE }),
  fc.record({ op: fc.constant('duplicate' as const), tensor: fc.nat() }),
  fc.record({ op: fc.constant('rename' as const), tensor: fc.nat(), name: fc.oneof(fc.constantFrom('__metadata__', '__proto__', 'constructor', '', 'conv1.weight', 'fc1.weight'), fc.string({ maxLength: 5 })) }),
  fc.record({ op: fc.constant('drop' as const), tensor: fc.nat() }),
  fc.record({ op: fc.constant('metadata' as const), text: fc.constantFrom('{}', '{"format":"pt"}', '{"a":1}', '[]', '"x"', 'null', '{"__proto__":"x"}', '{"a":{"b":"c"}}') }),
  fc.record({ op: fc.constant('nonfinite' as const), at: fc.nat(), value: fc.constantFrom(NaN, Infinity, -Infinity) }),
  fc.record({ op: fc.constant('text' as const), at: fc.nat(), text: anyText }),
);

/** Mutations of the tensors only: the data, the tensors' header entries, the length field, the file's end. */
export const tensorMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), region: fc.constant('data' as const) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 9 }) }),
  fc.record({ op: fc.constant('field' as const), tensor: fc.nat(), field: fc.constantFrom('dtype' as const, 'shape' as const, 'data_offsets' as const), value: HOSTILE_VALUE }),
  fc.record({ op: fc.constant('dim' as const), tensor: fc.nat(), dim: fc.nat(), value: HOSTILE_VALUE }),
  fc.record({ op: fc.constant('duplicate' as const), tensor: fc.nat() }),
  fc.record({ op: fc.constant('rename' as const), tensor: fc.nat(), name: fc.constantFrom('__proto__', 'conv1.weight', 'fc1.weight', 'optimizer.x', '') }),
  fc.record({ op: fc.constant('drop' as const), tensor: fc.nat() }),
  fc.record({ op: fc.constant('nonfinite' as const), at: fc.nat(), value: fc.constantFrom(NaN, Infinity, -Infinity) }),
);

interface Entry { name: string; dtype: string; shape: number[]; data_offsets: [number, number] }

/** The header of an unmutated file (written by cnnc: valid JSON, no duplicates). */
function entries(headerText: string): { metadata?: unknown; tensors: Entry[] } {
  const h = JSON.parse(headerText) as Record<string, unknown>;
  const tensors = Object.entries(h).filter(([k]) => k !== '__metadata__').map(([name, v]) => ({ name, ...(v as Omit<Entry, 'name'>) }));
  return { metadata: h['__metadata__'], tensors };
}

function render(metadata: string | undefined, tensors: readonly { name: string; fields: Record<string, string> }[]): string {
  const parts = tensors.map((t) => `${JSON.stringify(t.name)}:{${Object.entries(t.fields).map(([k, v]) => `"${k}":${v}`).join(',')}}`);
  if (metadata !== undefined) parts.unshift(`"__metadata__":${metadata}`);
  return `{${parts.join(',')}}`;
}

/**
 * Applies the mutations in order. Header edits re-render the header from the *last valid* header
 * they know of (edits compose as long as each leaves the JSON parseable; otherwise they act on
 * raw text), keeping the declared length in step unless a `declare` says otherwise.
 */
export function applyMutations(original: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let bytes = original;
  for (const m of ms) bytes = apply(bytes, m);
  return bytes;
}

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  switch (m.op) {
    case 'flip': {
      const out = bytes.slice();
      if (out.length === 0) return out;
      const headerEnd = Math.min(out.length, 8 + headerLength(out));
      const dataLength = out.length - headerEnd;
      const at = m.region === 'header' && headerEnd > 0 ? m.at % headerEnd : m.region === 'data' && dataLength > 0 ? headerEnd + (m.at % dataLength) : m.at % out.length;
      out[at]! ^= 1 << m.bit;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, m.at % (bytes.length + 1));
    case 'append': {
      const out = new Uint8Array(bytes.length + m.bytes.length);
      out.set(bytes);
      out.set(m.bytes, bytes.length);
      return out;
    }
    case 'declare': {
      const out = bytes.slice();
      if (out.length >= 8) new DataView(out.buffer).setBigUint64(0, m.length % 2n ** 64n, true);
      return out;
    }
    case 'nonfinite': {
      const p = parts(bytes);
      if (p === null || p.data.length < 4) return bytes;
      const data = p.data.slice();
      new DataView(data.buffer).setFloat32(4 * (m.at % Math.floor(data.length / 4)), m.value, true);
      return join(p.headerText, data);
    }
    case 'text': {
      const p = parts(bytes);
      if (p === null) return bytes;
      const at = m.at % (p.headerText.length + 1);
      return join(p.headerText.slice(0, at) + m.text + p.headerText.slice(at), p.data);
    }
    default:
      return editHeader(bytes, m);
  }
}

function headerLength(bytes: Uint8Array): number {
  if (bytes.length < 8) return 0;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > BigInt(bytes.length) ? bytes.length : Number(n);
}

/** Header text and data, when the length field fits the file; else null. */
function parts(bytes: Uint8Array): Parts | null {
  if (bytes.length < 8) return null;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) return null;
  return split(bytes);
}

function editHeader(bytes: Uint8Array, m: Exclude<Mutation, { op: 'flip' | 'truncate' | 'append' | 'declare' | 'nonfinite' | 'text' }>): Uint8Array {
  const p = parts(bytes);
  if (p === null) return bytes;
  let h: ReturnType<typeof entries>;
  try {
    h = entries(p.headerText);
    if (h.tensors.length === 0 || h.tensors.some((t) => t.dtype === undefined)) return bytes;
  } catch {
    return bytes; // an earlier edit broke the JSON: header edits no longer apply
  }
  const tensors = h.tensors.map((t) => ({
    name: t.name,
    fields: { dtype: JSON.stringify(t.dtype), shape: JSON.stringify(t.shape), data_offsets: JSON.stringify(t.data_offsets) } as Record<string, string>,
  }));
  let metadata = h.metadata === undefined ? undefined : JSON.stringify(h.metadata);
  const k = ('tensor' in m ? m.tensor : 0) % tensors.length;
  const t = tensors[k]!;
  switch (m.op) {
    case 'field':
      t.fields[m.field] = m.value;
      break;
    case 'dim': {
      const was: unknown = h.tensors[k]!.shape;
      const shape = Array.isArray(was) ? was.map((d) => JSON.stringify(d)) : [];
      const d = m.dim % (shape.length + 1);
      if (d === shape.length) shape.push(m.value.replace(/^"|"$/g, ''));
      else shape[d] = m.value;
      t.fields['shape'] = `[${shape.join(',')}]`;
      break;
    }
    case 'duplicate':
      tensors.splice(k + 1, 0, { name: t.name, fields: { ...t.fields } });
      break;
    case 'rename':
      t.name = m.name;
      break;
    case 'drop':
      tensors.splice(k, 1);
      break;
    case 'metadata':
      metadata = m.text;
      break;
  }
  return join(render(metadata, tensors), p.data);
}

/** For fast-check's report: the mutations, short. */
export function describeMutations(ms: readonly Mutation[]): string {
  return ms.map((m) => JSON.stringify(m, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))).join(' then ');
}

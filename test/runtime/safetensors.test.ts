// safetensors: round trips, and corrupt or lying files refused with a message that names the
// tensor and/or byte offset, leaving the target arrays exactly as they were.
import { describe, expect, test } from 'vitest';
import { SafetensorsError, decodeSafetensors, encodeSafetensors, loadNamedTensors, readTensor, withMetadata, type NamedTensor } from 'cnnc/runtime';

const enc = new TextEncoder();

/** A file from raw header bytes (or text) and `dataBytes` bytes of data; `declared` overrides the length field. */
function file(header: string | Uint8Array, dataBytes: number, declared?: bigint): Uint8Array {
  const h = typeof header === 'string' ? enc.encode(header) : header;
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  for (let i = 0; i < dataBytes; i++) out[8 + h.length + i] = i;
  return out;
}

const W = '"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}';
const B = '"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}';
const GOOD = `{${W},${B}}`;

function targets(): NamedTensor[] {
  return [
    { name: 'w', shape: [2, 3], data: new Float32Array(6).fill(-7) },
    { name: 'b', shape: [3], data: new Float32Array(3).fill(-7) },
  ];
}

/** Loads `bytes` into fresh targets, expects a SafetensorsError matching `message`, and the targets untouched. */
function refused(bytes: Uint8Array, message: RegExp): SafetensorsError {
  const into = targets();
  let error: unknown;
  try {
    loadNamedTensors(bytes, into);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SafetensorsError);
  const e = error as SafetensorsError;
  expect(e.message).toMatch(message);
  expect(e.message).toMatch(/^cannot load weights: /);
  expect(e.offset !== undefined || e.tensor !== undefined, 'names an offset or a tensor').toBe(true);
  for (const t of into) expect(Array.from(t.data).every((x) => x === -7), `${t.name} untouched`).toBe(true);
  return e;
}

describe('round trip', () => {
  test('F32 and F64 tensors, odd names and metadata, in order', () => {
    const tensors: NamedTensor[] = [
      { name: 'conv1.weight', shape: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => Math.fround(i / 7 - 1)) },
      { name: '0', shape: [], data: new Float64Array([Math.PI]) },
      { name: '__proto__', shape: [3], data: new Float32Array([1, -0, Infinity]) },
      { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
      { name: 'quote"and\\back ünï', shape: [1], data: new Float64Array([NaN]) },
    ];
    const metadata = { format: 'pt', __proto__x: 'y', ['__proto__']: 'safe', 'ключ': 'значение' } as Record<string, string>;
    const bytes = encodeSafetensors(tensors, metadata);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0); // data section 8-byte aligned
    const decoded = decodeSafetensors(bytes);
    expect([...decoded.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    expect(decoded.metadata.format).toBe('pt');
    expect(decoded.metadata['ключ']).toBe('значение');
    expect(Object.getPrototypeOf(decoded.metadata)).toBe(null);
    expect(({} as Record<string, unknown>).safe).toBeUndefined(); // no prototype pollution
    for (const t of tensors) {
      const e = decoded.tensors.get(t.name)!;
      expect(e.shape).toEqual(t.shape);
      expect(e.dtype).toBe(t.data instanceof Float64Array ? 'F64' : 'F32');
      const back = readTensor(bytes, e);
      expect(back.constructor).toBe(t.data.constructor);
      expect(Array.from(back)).toEqual(Array.from(t.data));
    }
  });

  test('reads from an unaligned view into a larger buffer', () => {
    const bytes = encodeSafetensors([{ name: 'x', shape: [3], data: new Float64Array([1.5, -2, 3e300]) }]);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const view = big.subarray(3);
    const e = decodeSafetensors(view).tensors.get('x')!;
    expect(Array.from(readTensor(view, e))).toEqual([1.5, -2, 3e300]);
  });

  test('a hand-written file (the Python fixture writer\'s layout) loads; F32 widens into a Float64Array', () => {
    const bytes = file(GOOD, 36);
    const into = targets();
    loadNamedTensors(bytes, into);
    const expected = new Float32Array(new Uint8Array(Array.from({ length: 36 }, (_, i) => i)).buffer);
    expect(Array.from(into[0]!.data)).toEqual(Array.from(expected.subarray(0, 6)));
    expect(Array.from(into[1]!.data)).toEqual(Array.from(expected.subarray(6, 9)));
    const wide: NamedTensor[] = [
      { name: 'w', shape: [2, 3], data: new Float64Array(6) },
      { name: 'b', shape: [3], data: new Float64Array(3) },
    ];
    loadNamedTensors(bytes, wide);
    expect(Array.from(wide[0]!.data)).toEqual(Array.from(expected.subarray(0, 6)));
  });

  test('tensors listed out of data order are fine when they tile the data section', () => {
    expect(() => loadNamedTensors(file(`{${B},${W}}`, 36), targets())).not.toThrow();
  });

  test('encode refuses what it cannot write faithfully', () => {
    expect(() => encodeSafetensors([{ name: 'a', shape: [2], data: new Float32Array(3) }])).toThrow(/tensor "a".*holds 2 values but the data has 3/);
    expect(() => encodeSafetensors([{ name: 'a', shape: [1], data: new Float32Array(1) }, { name: 'a', shape: [1], data: new Float32Array(1) }])).toThrow(/"a": name given twice/);
    expect(() => encodeSafetensors([{ name: '__metadata__', shape: [1], data: new Float32Array(1) }])).toThrow(/reserved/);
  });
});

describe('corrupt or lying files are refused, the targets untouched', () => {
  test('too short for the length field', () => {
    expect(refused(new Uint8Array(5), /file is 5 bytes, too short .* at byte 0/).offset).toBe(0);
  });
  test('header length past the end of the file', () => {
    refused(file(GOOD, 36, BigInt(GOOD.length + 37)), /header length \d+ \(bytes 0–7\) runs past the end of the file/);
  });
  test('absurd header length', () => {
    refused(file(GOOD, 36, 1n << 40n), /header length 1099511627776 .* is absurd/);
  });
  test('non-UTF-8 in a tensor name, at its byte offset', () => {
    const h = enc.encode(GOOD);
    h[2] = 0xff; // the "w" of "w": first key
    expect(refused(file(h, 36), /not valid JSON: invalid UTF-8 byte 0xff at byte 10/).offset).toBe(10);
  });
  test('invalid JSON, at its byte offset', () => {
    const h = `{${W},${B},}`;
    const e = refused(file(h, 36), /not valid JSON: expected a string key, found '}' at byte/);
    expect(e.offset).toBe(8 + h.length - 1);
  });
  test('header that is not an object', () => {
    refused(file('[1, 2]', 0), /header is a JSON array, not an object \(byte 8\)/);
  });
  test('entry missing a field', () => {
    const e = refused(file(`{${W},"b":{"dtype":"F32","shape":[3]}}`, 36), /tensor "b": missing field "data_offsets"/);
    expect(e.tensor).toBe('b');
  });
  test('unknown field in an entry', () => {
    refused(file(`{${W},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36],"extra":1}}`, 36), /tensor "b": unknown field "extra"/);
  });
  test('unknown dtype', () => {
    refused(file(`{${W.replace('F32', 'F33')},${B}}`, 36), /tensor "w": unknown dtype "F33" \(header byte \d+\)/);
  });
  test.each([
    ['[2,-3]', /shape must hold non-negative integers, found -3/],
    ['[2,3.0]', /shape must hold non-negative integers, found 3/],
    ['[2,"3"]', /shape must hold non-negative integers, found a JSON string/],
    ['6', /shape must be an array/],
  ])('shape %s', (shape, message) => {
    refused(file(`{${W.replace('[2,3]', shape)},${B}}`, 36), new RegExp(`tensor "w": ${message.source}`));
  });
  test('shape × itemsize ≠ end − begin', () => {
    refused(file(`{${W.replace('[2,3]', '[2,2]')},${B}}`, 36), /tensor "w": shape \[2, 2\] of F32 needs 16 bytes but data_offsets \[0, 24\] give 24/);
  });
  test('offsets past the end of the data section', () => {
    refused(file(GOOD, 30), /tensor "b": data_offsets \[24, 36\] run past the end of the data section \(30 bytes; the file ends at byte \d+/);
  });
  test('offsets that end before they begin', () => {
    refused(file(`{${W},${B.replace('[24,36]', '[36,24]')}}`, 36), /tensor "b": data_offsets \[36, 24\] end before they begin/);
  });
  test('overlapping tensors', () => {
    const e = refused(file(`{${W},"b":{"dtype":"F32","shape":[3],"data_offsets":[20,32]}}`, 32), /tensor "b": data_offsets \[20, 32\] overlap tensor "w" \[0, 24\]/);
    expect(e.tensor).toBe('b');
  });
  test('a hole between tensors', () => {
    const e = refused(file(`{${W},"b":{"dtype":"F32","shape":[3],"data_offsets":[28,40]}}`, 40), /tensor "b": .* leave a hole: bytes \d+–\d+ of the file belong to no tensor/);
    expect(e.offset).toBe(8 + `{${W},"b":{"dtype":"F32","shape":[3],"data_offsets":[28,40]}}`.length + 24);
  });
  test('trailing bytes after the last tensor', () => {
    refused(file(GOOD, 40), /4 trailing bytes: the tensors end at byte \d+ but the file at byte \d+/);
  });
  test('duplicate tensor names (JSON.parse would keep the last)', () => {
    refused(file(`{${W},${B},${B.replace('[24,36]', '[36,48]')}}`, 48), /duplicate key "b" at byte \d+/);
  });
  test('metadata that is not strings', () => {
    refused(file(`{"__metadata__":{"epoch":3},${W},${B}}`, 36), /"__metadata__" entry "epoch" at byte \d+ is a JSON number, not a string/);
  });
  test('nesting deep enough to overflow a recursive parser', () => {
    refused(file(`{"w":${'['.repeat(100_000)}}`, 0), /nesting deeper than 64 at byte/);
  });
  test('a shape dimension millions of digits long', () => {
    refused(file(`{"w":{"dtype":"F32","shape":[${'9'.repeat(2_000_000)}],"data_offsets":[0,4]}}`, 4), /tensor "w": shape value is too large \(above 2\^53 − 1\) \(header byte 37\)/);
  });
  test('truncated header (unterminated string)', () => {
    refused(file('{"w":{"dty', 0), /unterminated string at byte 14/);
  });
  test('a lone surrogate encoded in UTF-8 (CESU) is not UTF-8', () => {
    const h = enc.encode(`{"\u0000":1}`);
    const bad = new Uint8Array([...h.subarray(0, 2), 0xed, 0xa0, 0x80, ...h.subarray(3)]);
    refused(file(bad, 0), /invalid UTF-8 sequence .* at byte 11/);
  });
});

describe('files that are valid but do not fit the model', () => {
  test('missing, unexpected and wrong-shape tensors are all listed', () => {
    const bytes = file(`{"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]},"c":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}`, 36);
    const e = refused(bytes, /tensor "w" has shape \[3, 2\], expected \[2, 3\]; missing tensor "b" \(F32 \[3\]\); unexpected tensor "c"/);
    expect(e.tensor).toBe('w');
  });
  test('a dtype cnnc does not read (F16), named', () => {
    refused(file(`{${W},"b":{"dtype":"F16","shape":[3],"data_offsets":[24,30]}}`, 30), /tensor "b" has dtype F16, expected F32/);
  });
  test('F64 into a float32 model is refused (it would lose precision silently)', () => {
    const bytes = encodeSafetensors([
      { name: 'w', shape: [2, 3], data: new Float64Array(6) },
      { name: 'b', shape: [3], data: new Float32Array(3) },
    ]);
    refused(bytes, /tensor "w" has dtype F64, expected F32/);
  });
  test('readTensor refuses dtypes other than F32/F64, naming the tensor', () => {
    const bytes = file(`{"h":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, 4);
    expect(() => readTensor(bytes, decodeSafetensors(bytes).tensors.get('h')!)).toThrow(/tensor "h" has dtype BF16; cnnc reads F32 and F64/);
  });
});

describe("dtype: 'I64' (batchnorm's num_batches_tracked, as PyTorch writes it)", () => {
  test('writes integers held in floats as little-endian int64, loads back into floats, and withMetadata keeps it I64', () => {
    const t: NamedTensor[] = [
      { name: 'bn.weight', shape: [2], data: Float32Array.of(1, 2) },
      { name: 'bn.num_batches_tracked', shape: [], data: Float32Array.of(7), dtype: 'I64' },
      { name: 'big', shape: [2], data: Float64Array.of(-(2 ** 53), 2 ** 53), dtype: 'I64' },
    ];
    const bytes = encodeSafetensors(t);
    const file = decodeSafetensors(bytes);
    const nbt = file.tensors.get('bn.num_batches_tracked')!;
    const big = file.tensors.get('big')!;
    expect([nbt.dtype, nbt.end - nbt.begin, big.dtype, big.end - big.begin]).toEqual(['I64', 8, 'I64', 16]);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect([view.getBigInt64(nbt.begin, true), view.getBigInt64(big.begin, true), view.getBigInt64(big.begin + 8, true)]).toEqual([7n, -(2n ** 53n), 2n ** 53n]);
    const into: NamedTensor[] = [
      { name: 'bn.weight', shape: [2], data: new Float32Array(2) },
      { name: 'bn.num_batches_tracked', shape: [], data: new Float32Array(1) },
      { name: 'big', shape: [2], data: new Float64Array(2) },
    ];
    loadNamedTensors(bytes, into);
    expect(into.map((x) => Array.from(x.data))).toEqual([[1, 2], [7], [-(2 ** 53), 2 ** 53]]);
    const tagged = withMetadata(bytes, { classes: '["a"]' });
    expect([...decodeSafetensors(tagged).tensors.values()].map((e) => e.dtype)).toEqual(['F32', 'I64', 'I64']);
    expect(tagged.subarray(tagged.length - 32)).toEqual(bytes.subarray(bytes.length - 32)); // the data section, byte for byte
  });

  test('refuses a value that is not an integer, naming the tensor and the index', () => {
    for (const v of [1.5, NaN, Infinity, 2 ** 63]) {
      const write = (): Uint8Array => encodeSafetensors([{ name: 'n', shape: [2], data: Float64Array.of(0, v), dtype: 'I64' }]);
      expect(write).toThrow(SafetensorsError);
      expect(write).toThrow(`cannot write tensor "n" as I64: index 1 holds ${v}, not an integer within int64`);
    }
  });
});

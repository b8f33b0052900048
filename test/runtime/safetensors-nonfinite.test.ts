// A NaN or ±Infinity inside a weights file is refused by default (issue 14, item 3): the message
// names the tensor, the first bad index (and element, for a matrix) and its byte offset, and the
// targets stay exactly as they were. `allowNonFinite` loads such a file on purpose.
import { describe, expect, test } from 'vitest';
import { SafetensorsError, encodeSafetensors, loadNamedTensors, type NamedTensor } from 'cnnc/runtime';

function targets(f64 = false): NamedTensor[] {
  const make = (n: number) => (f64 ? new Float64Array(n) : new Float32Array(n)).fill(-7);
  return [
    { name: 'conv1.weight', shape: [2, 1, 2, 2], data: make(8) },
    { name: 'conv1.bias', shape: [2], data: make(2) },
  ];
}

/** A file with the target names and shapes, values 0.5 …, and `bad` written at tensor `name`'s index `at`. */
function fileWith(name: string, at: number, bad: number, f64 = false): Uint8Array {
  const tensors = targets(f64).map((t) => {
    const data = t.data.map((_, i) => 0.5 + i);
    if (t.name === name) data[at] = bad;
    return { ...t, data };
  });
  return encodeSafetensors(tensors);
}

function refusal(bytes: Uint8Array, into: NamedTensor[]): SafetensorsError {
  try {
    loadNamedTensors(bytes, into);
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return e as SafetensorsError;
  }
  throw new Error('loadNamedTensors accepted a non-finite value');
}

describe('loadNamedTensors refuses NaN and ±Infinity by default', () => {
  test.each([
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
  ])('%s in the last tensor: named, with its index; no target changed', (bad, word) => {
    const bytes = fileWith('conv1.bias', 1, bad);
    const into = targets();
    const e = refusal(bytes, into);
    const begin = bytes.length - 2 * 4; // conv1.bias is the last tensor: its 2 floats end the file
    expect(e.message).toBe(`cannot load weights: tensor "conv1.bias" holds ${word} at index 1 (byte ${begin + 4} of the file); a model with it computes only NaN`);
    expect(e.tensor).toBe('conv1.bias');
    expect(e.offset).toBe(begin + 4);
    // conv1.weight came first and was fine, but nothing is written unless everything loads
    for (const t of into) expect(Array.from(t.data).every((v) => v === -7)).toBe(true);
  });

  test('in a 4-d tensor: the first bad index and its element [o, i, kh, kw]', () => {
    const bytes = fileWith('conv1.weight', 6, NaN);
    const e = refusal(bytes, targets());
    expect(e.message).toMatch(/^cannot load weights: tensor "conv1\.weight" holds NaN at index 6, element \[1, 0, 1, 0\] of \[2, 1, 2, 2\] \(byte \d+ of the file\)/);
  });

  test('F64 data (byte offsets of 8-byte values)', () => {
    const bytes = fileWith('conv1.bias', 1, NaN, true);
    const e = refusal(bytes, targets(true));
    expect(e.offset).toBe(bytes.length - 8);
  });

  test('allowNonFinite: true loads it as it is', () => {
    const into = targets();
    loadNamedTensors(fileWith('conv1.bias', 1, NaN), into, 'weights', { allowNonFinite: true });
    expect(Array.from(into[1]!.data)).toEqual([0.5, NaN]);
    expect(into[0]!.data[7]).toBe(7.5);
  });

  test('finite extremes load (largest float32, -0, subnormals)', () => {
    const into = targets();
    const bytes = encodeSafetensors([
      { name: 'conv1.weight', shape: [2, 1, 2, 2], data: new Float32Array([3.4028234663852886e38, -3.4028234663852886e38, -0, 1e-45, 0, 1, 2, 3]) },
      { name: 'conv1.bias', shape: [2], data: new Float32Array([0, 0]) },
    ]);
    loadNamedTensors(bytes, into);
    expect(into[0]!.data[0]).toBe(3.4028234663852886e38);
  });
});

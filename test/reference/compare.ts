// Helpers for the PyTorch comparison: read a fixture without cnnc's own safetensors reader (the oracle's
// data must not pass through the code under test), compare tensors, print the table.
import { readFileSync } from 'node:fs';

export interface RefTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface Fixture {
  readonly metadata: Record<string, string>;
  readonly tensors: ReadonlyMap<string, RefTensor>;
}

/** A safetensors file of F32 tensors, as tools/pytorch/safetensors_io.py writes them. */
export function readFixture(path: string): Fixture {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  const base = 8 + headerLength;
  const tensors = new Map<string, RefTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32') throw new Error(`${path}: ${name} is ${dtype}; the reference fixtures are all F32`);
    // Copy: the data section is 8-byte aligned, but a tensor's offset within it need not be 4-aligned in general.
    const data = new Float32Array(new Uint8Array(bytes.subarray(base + begin, base + end)).buffer);
    tensors.set(name, { shape, data });
  }
  return { metadata, tensors };
}

export function tensor(f: Fixture, name: string): RefTensor {
  const t = f.tensors.get(name);
  if (t === undefined) throw new Error(`fixture has no tensor ${name}`);
  return t;
}

/** The tensors under `prefix/`, by the name after it. */
export function withPrefix(f: Fixture, prefix: string): Map<string, RefTensor> {
  const out = new Map<string, RefTensor>();
  for (const [name, t] of f.tensors) if (name.startsWith(`${prefix}/`)) out.set(name.slice(prefix.length + 1), t);
  return out;
}

/**
 * How close cnnc must be to PyTorch. Both compute in float32 (ε = 2^-24 ≈ 6e-8), but sum in different orders
 * (PyTorch's oneDNN / OpenBLAS blocking against cnnc's loops); a sum of K terms then differs by about √K·ε of its
 * largest terms, ~1e-5 for the seed's fc1 (K = 9216). So: 1e-4 of the tensor's largest magnitude (issue 3's figure),
 * which a wrong index, layout or formula (errors of order 1) cannot pass, plus an absolute 1e-7 — a few ulps at 1 —
 * for a tensor that is zero up to rounding. Only float32 is compared: the fixtures are PyTorch float32 runs, and a
 * float64 cnnc module would differ from them by float32's own rounding, which is not what this test is about.
 */
export const FLOAT32_TOLERANCE = { relative: 1e-4, absolute: 1e-7 } as const;

export interface Row {
  readonly tensor: string;
  readonly size: number;
  /** max |reference| */
  readonly scale: number;
  readonly maxAbs: number;
  /** maxAbs / scale */
  readonly maxRel: number;
  readonly ok: boolean;
  readonly note?: string;
}

export function compare(name: string, actual: ArrayLike<number>, expected: RefTensor, tol = FLOAT32_TOLERANCE): Row {
  const ref = expected.data;
  if (actual.length !== ref.length) {
    return { tensor: name, size: ref.length, scale: NaN, maxAbs: NaN, maxRel: NaN, ok: false,
      note: `cnnc has ${actual.length} elements, PyTorch ${ref.length} (shape ${JSON.stringify(expected.shape)})` };
  }
  let scale = 0;
  let maxAbs = 0;
  let worst = -1;
  for (let i = 0; i < ref.length; i++) {
    scale = Math.max(scale, Math.abs(ref[i]!));
    const d = Math.abs(actual[i]! - ref[i]!);
    if (Number.isNaN(d)) { maxAbs = NaN; worst = i; break; } // a NaN anywhere fails the tensor
    if (d > maxAbs) { maxAbs = d; worst = i; }
  }
  const ok = maxAbs <= tol.relative * scale + tol.absolute;
  const note = ok || worst < 0 ? undefined : `worst at [${worst}]: cnnc ${actual[worst]}, PyTorch ${ref[worst]}`;
  return { tensor: name, size: ref.length, scale, maxAbs, maxRel: scale > 0 ? maxAbs / scale : maxAbs, ok, note };
}

export function printTable(title: string, rows: readonly Row[]): void {
  const fmt = (x: number) => (Number.isNaN(x) ? 'NaN' : x.toExponential(2));
  const width = Math.max(6, ...rows.map((r) => r.tensor.length));
  const lines = [
    `${title}`,
    `  ${'tensor'.padEnd(width)}  ${'size'.padStart(8)}  ${'max|ref|'.padStart(9)}  ${'max abs'.padStart(9)}  ${'max rel'.padStart(9)}`,
    ...rows.map((r) => `  ${r.tensor.padEnd(width)}  ${String(r.size).padStart(8)}  ${fmt(r.scale).padStart(9)}  ` +
      `${fmt(r.maxAbs).padStart(9)}  ${fmt(r.maxRel).padStart(9)}${r.ok ? '' : '  ✗ ' + (r.note ?? '')}`),
  ];
  console.log(lines.join('\n'));
}

// Shared by the codegen tests: small specs written inline, built and imported in-process.
// Generated modules are written under test/.tmp/ (gitignored) and imported by vitest, whose alias
// resolves their `cnnc/runtime` import to runtime/index.ts.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { build } from '../../compiler/index.js';
import type { CompiledModel, FloatArray } from '../../runtime/model.js';

export const TMP = fileURLToPath(new URL('../.tmp/', import.meta.url));
export const SPECS = fileURLToPath(new URL('../../specs/', import.meta.url));

export interface SpecParts {
  readonly name?: string;
  readonly input: readonly number[];
  readonly layers: readonly string[];
  readonly loss?: string;
  readonly optimizer?: string;
  readonly seed?: number;
}

/** A spec as YAML text; layers are flow mappings or bare words, one per line. */
export function specYaml(p: SpecParts): string {
  return [
    'cnnc: 1',
    `name: ${p.name ?? 'TestNet'}`,
    `input: { shape: [${p.input.join(', ')}] }`,
    'layers:',
    ...p.layers.map((l) => `  - ${l}`),
    `loss: ${p.loss ?? '{ kind: cross_entropy }'}`,
    `optimizer: ${p.optimizer ?? '{ kind: sgd, lr: 0.1 }'}`,
    `train: { batch_size: 4, epochs: 1, seed: ${p.seed ?? 3} }`,
    '',
  ].join('\n');
}

export function generateOrThrow(yaml: string, dtype: 'float32' | 'float64' = 'float32', file = 'test.yaml'): string {
  const r = build(yaml, file, { dtype });
  if (r.code === null) throw new Error(`spec refused:\n${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  return r.code;
}

export interface Loaded<A extends FloatArray> {
  readonly code: string;
  createModel(o?: { seed?: number }): CompiledModel<A>;
}

/** Writes the module to test/.tmp/<hash>.model.ts and imports it. */
export async function importGenerated<A extends FloatArray = Float64Array>(code: string): Promise<Loaded<A>> {
  mkdirSync(TMP, { recursive: true });
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const file = join(TMP, `m${hash}.model.ts`);
  writeFileSync(`${file}.tmp`, code);
  renameSync(`${file}.tmp`, file);
  const mod = (await import(/* @vite-ignore */ file)) as { createModel(o?: { seed?: number }): CompiledModel<A> };
  return { code, createModel: (o) => mod.createModel(o) };
}

export async function compile64(p: SpecParts): Promise<Loaded<Float64Array>> {
  return importGenerated<Float64Array>(generateOrThrow(specYaml(p), 'float64'));
}

/** Deterministic inputs in [-1, 1) and labels in [0, classes). */
export function randomInputs(n: number, size: number, classes: number, labelSize = 1, seed = 12345): { x: Float64Array; y: Int32Array } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const x = new Float64Array(n * size);
  for (let i = 0; i < x.length; i++) x[i] = next() * 2 - 1;
  const y = new Int32Array(n * labelSize);
  for (let i = 0; i < y.length; i++) y[i] = Math.floor(next() * classes);
  return { x, y };
}

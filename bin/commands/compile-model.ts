// Shared by `cnnc train`, `eval` and `predict`: compile the spec in-process (no separate build
// step) and load the generated module. Diagnostics are printed; a spec with errors gives null.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, formatDiagnostics } from '../../compiler/index.js';
import type { ModelIR } from '../../compiler/ir/types.js';
import { loadModule } from '../../runtime/node/load-generated.js';
import type { CompiledModel } from '../../runtime/model.js';

export interface LoadedSpec {
  readonly file: string;
  readonly source: string;
  readonly ir: ModelIR;
  readonly code: string;
  createModel(o?: { seed?: number }): CompiledModel;
}

export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

export async function compileSpec(file: string, io: Io): Promise<LoadedSpec | null> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    io.stderr.write(`error: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return null;
  }
  const { code, diagnostics, ir } = build(source, file, { dtype: 'float32' });
  if (diagnostics.length > 0) io.stderr.write(formatDiagnostics(diagnostics, { color: io.stderr.isTTY === true }) + '\n');
  if (ir === null || code === null || diagnostics.some((d) => d.severity === 'error')) return null;
  const workDir = mkdtempSync(join(tmpdir(), 'cnnc-'));
  try {
    const mod = await loadModule(code, workDir);
    return { file, source, ir, code, createModel: (o) => mod.createModel(o) };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Parses a number flag; commander hands us strings. */
export function numberFlag(name: string, value: string | undefined, kind: 'int' | 'positive-int' | 'positive'): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  const ok = kind === 'int' ? Number.isSafeInteger(v) && v >= 0 : kind === 'positive-int' ? Number.isSafeInteger(v) && v > 0 : Number.isFinite(v) && v > 0;
  if (!ok) throw new UsageError(`${name} expects ${kind === 'positive' ? 'a positive number' : kind === 'int' ? 'a non-negative integer' : 'a positive integer'}, got "${value}"`);
  return v;
}

/** A user's mistake: printed as one line, exit 1, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

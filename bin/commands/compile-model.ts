// Shared by `cnnc train`, `eval` and `predict`: compile the spec in-process (no separate build
// step) and load the generated module. Diagnostics are printed; a spec with errors gives null.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, formatDiagnostics } from '../../compiler/index.js';
import { decodeSpec } from '../../compiler/1-parse/decode.js';
import { readSpecBytes } from '../../compiler/1-parse/read.js';
import type { ModelIR } from '../../compiler/ir/types.js';
import { transpileToJs } from '../../compiler/5-codegen/emit-js.js';
import { BACKENDS, BackendError, type Backend } from '../../runtime/gpujs/backends.js';
import type { BackendInfo } from '../../runtime/gpujs/device.js';
import { gpujsMissing } from '../gpujs-installed.js';
import { writeFileAtomic } from '../../runtime/node/atomic.js';
import { loadModule } from '../../compiler/load-generated.js';
import type { CompiledModel } from '../../runtime/model.js';
import { noColor } from '../no-color.js';

/** Which generated code runs: the TypeScript kernels, or gpu.js kernels on `backend` (docs/gpujs.md). */
export type Target = { readonly kind: 'ts' } | { readonly kind: 'gpujs'; readonly backend: Backend };

export interface LoadedSpec {
  readonly file: string;
  readonly source: string;
  readonly ir: ModelIR;
  readonly code: string;
  readonly target: Target;
  createModel(o?: { seed?: number }): CompiledModel;
}

/** A gpu.js model: a CompiledModel that says which gpu.js backend really ran. */
export interface GpujsCompiledModel extends CompiledModel {
  backendInfo(): BackendInfo;
}

export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

export async function compileSpec(file: string, io: Io, target: Target = { kind: 'ts' }): Promise<LoadedSpec | null> {
  const read = readSpecBytes(file);
  if ('error' in read) {
    io.stderr.write(`error: ${read.error}\n`);
    return null;
  }
  const bytes = read.bytes;
  const decoded = decodeSpec(bytes, file); // not UTF-8: E0111, and no model
  const source = decoded.source;
  const { code, diagnostics, ir } = decoded.diagnostics.length > 0 ? { code: null, diagnostics: decoded.diagnostics, ir: null } : build(source, file, { dtype: 'float32', target: target.kind });
  if (diagnostics.length > 0) io.stderr.write(formatDiagnostics(diagnostics, { color: io.stderr.isTTY === true && !noColor() }) + '\n');
  if (ir === null || code === null || diagnostics.some((d) => d.severity === 'error')) return null;
  const workDir = mkdtempSync(join(tmpdir(), 'cnnc-'));
  try {
    if (target.kind === 'ts') {
      const mod = await loadModule(code, workDir);
      return { file, source, ir, code, target, createModel: (o) => mod.createModel(o) };
    }
    const mod = await loadGpujsModule(code, workDir);
    const createModel = (o?: { seed?: number }): CompiledModel => {
      try {
        return mod.createModel({ ...o, backend: target.backend });
      } catch (e) {
        if (e instanceof BackendError) throw new UsageError(e.message); // this platform lacks the backend: the user's choice
        throw e;
      }
    };
    return { file, source, ir, code, target, createModel };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** `--target ts|gpujs [--backend MODE]`: cnnc train runs in Node, where gpu.js steps must be synchronous. */
export function targetFlag(target: string | undefined, backend: string | undefined): Target {
  if (target === undefined || target === 'ts') {
    if (backend !== undefined) throw new UsageError('--backend chooses a gpu.js mode: it needs --target gpujs');
    return { kind: 'ts' };
  }
  if (target !== 'gpujs') throw new UsageError(`--target expects ts or gpujs, got "${target}"`);
  const b = (backend ?? 'gpu') as Backend;
  if (!BACKENDS.includes(b)) throw new UsageError(`--backend expects one of ${BACKENDS.join(', ')}, got "${backend}"`);
  if (b === 'webgpu') throw new UsageError('--backend webgpu runs only asynchronously, in a browser (examples/browser-train); in Node use gpu, webasm, cpu or headlessgl');
  const missing = gpujsMissing();
  if (missing !== null) throw new UsageError(missing);
  return { kind: 'gpujs', backend: b };
}

/** One line on what ran: `gpu.js: requested gpu, mode webasm (gpu.js's choice), kernels WebAssemblyKernel × 28, honest`, or what fell back. */
export function describeBackend(info: BackendInfo): string {
  const classes = Object.entries(info.kernelClasses).map(([k, v]) => `${k} × ${v}`).join(', ') || 'none yet';
  const fell = info.fallbacks.map((f) => `${f.kernel}: ${f.reason}`).join('; ');
  const mode = info.mode === 'gpu' && info.modes.length === 1 ? `${info.modes[0]} (gpu.js's choice)` : info.mode;
  return `gpu.js: requested ${info.requested}, mode ${mode}, kernels ${classes}${info.honest ? ', honest' : `; NOT all in that mode (modes ${info.modes.join(', ')})${fell === '' ? '' : `; fallbacks: ${fell}`}`}`;
}

/**
 * Loads a gpu.js generated module: transpiled, its `cnnc/runtime/gpujs` import pointed at this
 * cnnc's own runtime (dist/runtime/gpujs/index.js when built, the .ts source under vitest), written
 * under a name that carries its hash (no stale module cache) and imported.
 */
async function loadGpujsModule(code: string, workDir: string): Promise<{ createModel(o: { seed?: number; backend: Backend }): GpujsCompiledModel }> {
  const self = import.meta.url;
  const runtime = new URL(self.endsWith('.ts') ? '../../runtime/gpujs/index.ts' : '../../runtime/gpujs/index.js', self).href;
  const js = transpileToJs(code).replace(/from\s+['"]cnnc\/runtime\/gpujs['"]/, `from ${JSON.stringify(runtime)}`);
  const file = join(workDir, `${createHash('sha256').update(js).digest('hex').slice(0, 16)}.gpujs.model.mjs`);
  writeFileAtomic(file, js);
  return (await import(pathToFileURL(file).href)) as { createModel(o: { seed?: number; backend: Backend }): GpujsCompiledModel };
}

/** Parses a number flag; commander hands us strings. */
export function numberFlag(name: string, value: string | undefined, kind: 'int' | 'positive-int' | 'positive'): number | undefined {
  if (value === undefined) return undefined;
  // Decimal only, as a person writes it: Number() would take 0x10, 0b11 and 0o7, and '' or ' ' as 0.
  const v = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value.trim()) && value.trim() === value ? Number(value) : NaN;
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

// `cnnc build SPEC [-o FILE] [--dtype float32|float64] [--emit ts|js] [--target ts|gpujs]`: write the generated module.
// Without -o it goes next to the spec (`mnist.yaml` → `mnist.model.ts`). Files are written atomically
// (a temp file, then rename); a spec with errors prints its diagnostics, writes nothing, exits 1.
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../runtime/node/atomic.js';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { build } from '../../compiler/index.js';
import { decodeSpec } from '../../compiler/1-parse/decode.js';
import { formatDiagnostics } from '../../compiler/diagnostics/render.js';
import { emitJs } from '../../compiler/5-codegen/emit-js.js';
import type { Exit } from '../main.js';

interface BuildOptions {
  readonly output?: string;
  readonly dtype: string;
  readonly emit: string;
  readonly target: string;
}

export function registerBuild(program: Command, exit: Exit): void {
  program
    .command('build')
    .description('generate the TypeScript module (forward and backward kernels per layer) for a spec')
    .argument('<spec>', 'spec file (YAML)')
    .option('-o, --output <file>', 'output file (default: next to the spec, <name>.model.ts or .model.js)')
    .option('--dtype <dtype>', 'float32 or float64 (float64 for gradient checks)', 'float32')
    .option('--emit <kind>', 'ts, or js (JavaScript plus a .d.ts)', 'ts')
    .option('--target <target>', 'ts (TypeScript kernels) or gpujs (gpu.js kernels, float32; docs/gpujs.md)', 'ts')
    .action((file: string, opts: BuildOptions) => {
      exit.code = runBuild(file, opts);
    });
}

function runBuild(file: string, opts: BuildOptions): number {
  if (opts.dtype !== 'float32' && opts.dtype !== 'float64') return usage(`--dtype expects float32 or float64, got "${opts.dtype}"`);
  if (opts.emit !== 'ts' && opts.emit !== 'js') return usage(`--emit expects ts or js, got "${opts.emit}"`);
  if (opts.target !== 'ts' && opts.target !== 'gpujs') return usage(`--target expects ts or gpujs, got "${opts.target}"`);
  if (opts.target === 'gpujs' && opts.dtype !== 'float32') return usage('--target gpujs computes in float32 (gpu.js precision single): drop --dtype float64');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return usage(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const decoded = decodeSpec(bytes, file); // not UTF-8: E0111, and no build
  const { code, diagnostics } = decoded.diagnostics.length > 0 ? { code: null, diagnostics: decoded.diagnostics } : build(decoded.source, file, { dtype: opts.dtype, target: opts.target });
  if (diagnostics.length > 0) process.stderr.write(formatDiagnostics(diagnostics, { color: process.stderr.isTTY === true && !process.env['NO_COLOR'] }));
  if (code === null) return 1;

  const ext = `${opts.target === 'gpujs' ? '.gpujs' : ''}${opts.emit === 'ts' ? '.model.ts' : '.model.js'}`;
  const out = opts.output ?? join(dirname(file), `${basename(file).replace(/\.ya?ml$/i, '')}${ext}`);
  try {
    if (opts.emit === 'ts') {
      writeAtomic(out, code);
    } else {
      const { js, dts } = emitJs(code);
      writeAtomic(out, js);
      writeAtomic(out.replace(/\.(m?js)$/, '') + '.d.ts', dts);
    }
  } catch (e) {
    return usage(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  process.stdout.write(`wrote ${out}\n`);
  return 0;
}

/** Temp file, fsync, rename (runtime/node's writeFileAtomic); the output folder is created if missing. */
function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, text);
}

function usage(message: string): number {
  process.stderr.write(`cnnc build: ${message}\n`);
  return 1;
}

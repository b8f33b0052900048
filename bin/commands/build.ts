// `cnnc build SPEC [-o FILE] [--dtype float32|float64] [--emit ts|js] [--target ts|gpujs] [--runtime cnnc/runtime|@cnnc/runtime]`:
// write the generated module.
// Without -o it goes next to the spec (`mnist.yaml` → `mnist.model.ts`); `-o -` prints it on stdout.
// Files are written atomically (a temp file, then rename; a device such as /dev/stdout in place), the
// `.js` and `.d.ts` of --emit js both or neither; a spec with errors prints its diagnostics, writes
// nothing, exits 1.
import { lstatSync, statSync } from 'node:fs';
import { FileError, makeDirectory, writeFiles } from '../fs-errors.js';
import { readSpecBytes } from '../../compiler/1-parse/read.js';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { build, RUNTIME_IMPORTS } from '../../compiler/index.js';
import { decodeSpec } from '../../compiler/1-parse/decode.js';
import { formatDiagnostics } from '../../compiler/diagnostics/render.js';
import { emitJs } from '../../compiler/5-codegen/emit-js.js';
import type { Exit } from '../main.js';
import { gpujsMissing } from '../gpujs-installed.js';

interface BuildOptions {
  readonly output?: string;
  readonly dtype: string;
  readonly emit: string;
  readonly target: string;
  readonly runtime: string;
}

export function registerBuild(program: Command, exit: Exit): void {
  program
    .command('build')
    .description('generate the TypeScript module (forward and backward kernels per layer) for a spec')
    .argument('<spec>', 'spec file (YAML)')
    .option('-o, --output <file>', 'output file (default: next to the spec, <name>.model.ts or .model.js); - for stdout')
    .option('--dtype <dtype>', 'float32 or float64 (float64 for gradient checks)', 'float32')
    .option('--emit <kind>', 'ts, or js (JavaScript plus a .d.ts)', 'ts')
    .option('--target <target>', 'ts (TypeScript kernels) or gpujs (gpu.js kernels, float32; docs/gpujs.md)', 'ts')
    .option('--runtime <package>', 'what the module imports: cnnc/runtime, or @cnnc/runtime for an app that installs only the runtime package', 'cnnc/runtime')
    .action((file: string, opts: BuildOptions) => {
      exit.code = runBuild(file, opts);
    });
}

/** Read from a pipe or a device, a spec stops here: /dev/zero would never end. */

function runBuild(file: string, opts: BuildOptions): number {
  if (opts.dtype !== 'float32' && opts.dtype !== 'float64') return usage(`--dtype expects float32 or float64, got "${opts.dtype}"`);
  if (opts.emit !== 'ts' && opts.emit !== 'js') return usage(`--emit expects ts or js, got "${opts.emit}"`);
  if (opts.target !== 'ts' && opts.target !== 'gpujs') return usage(`--target expects ts or gpujs, got "${opts.target}"`);
  const runtime = RUNTIME_IMPORTS.find((r) => r === opts.runtime);
  if (runtime === undefined) return usage(`--runtime expects ${RUNTIME_IMPORTS.join(' or ')}, got "${opts.runtime}"`);
  if (opts.target === 'gpujs' && runtime !== 'cnnc/runtime') return usage('--target gpujs imports cnnc/runtime/gpujs, which only cnnc has: drop --runtime');
  if (opts.target === 'gpujs' && opts.dtype !== 'float32') return usage('--target gpujs computes in float32 (gpu.js precision single): drop --dtype float64');
  // The module it writes imports cnnc/runtime/gpujs, which imports gpu.js: without it, it could not run.
  const missing = opts.target === 'gpujs' ? gpujsMissing() : null;
  if (missing !== null) return usage(missing);
  if (opts.output === '') return usage('-o needs a file name (or - for stdout), got an empty one');
  const read = readSpecBytes(file);
  if ('error' in read) return usage(read.error);
  const bytes = read.bytes;
  const decoded = decodeSpec(bytes, file); // not UTF-8: E0111, and no build
  const { code, diagnostics } = decoded.diagnostics.length > 0 ? { code: null, diagnostics: decoded.diagnostics } : build(decoded.source, file, { dtype: opts.dtype, target: opts.target, runtime });
  if (diagnostics.length > 0) process.stderr.write(formatDiagnostics(diagnostics, { color: process.stderr.isTTY === true && !process.env['NO_COLOR'] }));
  if (code === null) return 1;

  const ext = `${opts.target === 'gpujs' ? '.gpujs' : ''}${opts.emit === 'ts' ? '.model.ts' : '.model.js'}`;
  if (opts.output === '-') {
    if (opts.emit === 'js') return usage('-o - prints one file: --emit js writes a .js and its .d.ts, so give -o FILE.js');
    process.stdout.write(code);
    return 0;
  }
  const out = opts.output ?? join(dirname(file), `${basename(file).replace(/\.ya?ml$/i, '')}${ext}`);
  const files = opts.emit === 'ts' ? [{ path: out, data: code }] : pair(out, emitJs(code));
  try {
    files.forEach((f, i) => refuseDirectory(f.path, i === 0));
    makeDirectory(dirname(out), 'the output folder');
    writeFiles(files);
  } catch (e) {
    if (e instanceof FileError) return usage(e.message);
    throw e;
  }
  // Written to a terminal or a pipe (/dev/stdout): the code is the output, the note goes to stderr.
  (isRegularOrNew(out) ? process.stdout : process.stderr).write(`wrote ${out}\n`);
  return 0;
}

function pair(out: string, { js, dts }: { js: string; dts: string }): { path: string; data: string }[] {
  return [{ path: out, data: js }, { path: out.replace(/\.(m?js)$/, '') + '.d.ts', data: dts }];
}

function refuseDirectory(path: string, asked: boolean): void {
  let dir = false;
  try {
    dir = statSync(path).isDirectory();
  } catch {
    return; // a new file
  }
  const fix = asked ? `give a file name, e.g. -o ${join(path, basename(path) + '.model.ts')}` : 'remove it or choose another -o';
  if (dir) throw new FileError(`cannot write ${path}: it is a directory; ${fix}`);
}

function isRegularOrNew(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return true;
  }
}

function usage(message: string): number {
  process.stderr.write(`cnnc build: ${message}\n`);
  return 1;
}

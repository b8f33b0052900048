// `cnnc build --target gpujs`: the module next to the spec as <name>.gpujs.model.ts, the same bytes as
// build({ target: 'gpujs' }); usage errors; and the generated module type-checks (tsc --strict)
// against the runtime, and the seed's MNIST model runs a training step on webasm.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import ts from 'typescript';
import { run } from '../../bin/main.js';
import { build } from '../../compiler/index.js';
import { SPECS, TMP } from '../codegen/helpers.js';
import { buildOrThrow, importGpujs, inputs } from './helpers.js';

let dir: string;
let stderr: string;
beforeEach(() => {
  mkdirSync(TMP, { recursive: true });
  dir = mkdtempSync(join(TMP, 'gpujs-build-'));
  copyFileSync(join(SPECS, 'mnist.yaml'), join(dir, 'mnist.yaml'));
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const cnnc = (...args: string[]): Promise<number> => run(['node', 'cnnc', ...args]);

describe('cnnc build --target gpujs', () => {
  it('writes <spec>.gpujs.model.ts, the same bytes as build()', async () => {
    expect(await cnnc('build', join(dir, 'mnist.yaml'), '--target', 'gpujs')).toBe(0);
    const code = readFileSync(join(dir, 'mnist.gpujs.model.ts'), 'utf8');
    expect(code).toBe(buildOrThrow(readFileSync(join(SPECS, 'mnist.yaml'), 'utf8').replace(/^/, ''), 'gpujs').replace('test.yaml', 'mnist.yaml'));
    expect(code).toContain("import * as gj from 'cnnc/runtime/gpujs';");
  });

  it('refuses an unknown target and float64', async () => {
    expect(await cnnc('build', join(dir, 'mnist.yaml'), '--target', 'cuda')).toBe(1);
    expect(stderr).toContain('--target expects ts or gpujs, got "cuda"');
    expect(await cnnc('build', join(dir, 'mnist.yaml'), '--target', 'gpujs', '--dtype', 'float64')).toBe(1);
    expect(stderr).toContain('--target gpujs computes in float32');
  });

  it('type-checks with tsc --strict against the runtime, for every spec in specs/ (all compile)', () => {
    const specs = readdirSync(SPECS).filter((f) => f.endsWith('.yaml'));
    const files = specs.map((spec) => {
      const r = build(readFileSync(join(SPECS, spec), 'utf8'), spec, { target: 'gpujs' });
      if (r.code === null) throw new Error(`${spec} refused: ${r.diagnostics.map((d) => d.message).join('; ')}`);
      const file = join(dir, spec.replace(/\.yaml$/, '.gpujs.model.ts'));
      writeFileSync(file, r.code);
      return file;
    });
    expect(files.length).toBe(specs.length);
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
      skipLibCheck: true,
      baseUrl: join(SPECS, '..'),
      paths: { 'cnnc/runtime/gpujs': ['runtime/gpujs/index.ts'] },
      // The runtime's worker side is JSDoc-typed JavaScript (runtime/wasm/gemm-part.js), as in tsconfig.json.
      allowJs: true,
      checkJs: true,
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(errors).toEqual([]);
  });

  it("the seed's MNIST model takes a training step on webasm and reports it", async () => {
    const mod = await importGpujs(buildOrThrow(readFileSync(join(SPECS, 'mnist.yaml'), 'utf8'), 'gpujs'));
    const m = mod.createModel({ backend: 'webasm' });
    m.train();
    const { x, y } = inputs(2, 784, 1, 10);
    const l1 = m.trainStep(x, y, 2);
    const l2 = m.trainStep(x, y, 2);
    expect(Number.isFinite(l1) && l2 < l1).toBe(true);
    expect(m.backendInfo()).toMatchObject({ modes: ['webasm'], honest: true });
    m.dispose();
  });
});

// The generated module type-checks in an app with every strict option TypeScript has turned on: `strict`,
// `noUncheckedIndexedAccess`, `exactOptionalPropertyTypes`, `verbatimModuleSyntax` and `isolatedDeclarations`
// together (module NodeNext). It is checked as an app would check it: `cnnc/runtime` resolves to the runtime's
// emitted declarations (what package.json's exports give, dist/runtime/index.d.ts), with skipLibCheck off, so
// the runtime's .d.ts files are held to the same options. Every spec in specs/ and specs/zoo/ (float32 and
// float64; the zoo in float32; and the gpu.js target's of specs/), the reference fixtures, the browser parity cases, the injection specs, an `init:` spec, every
// activation, every optimizer and a profiled build: together every node kind, loss kind and optimizer kind.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitJs } from '../../compiler/5-codegen/emit-js.js';
import { build } from '../../compiler/index.js';
import type { LossTermKind, ModelIR, NodeKind, OptimizerIR } from '../../compiler/ir/types.js';
import { GRAPH_PARITY_CASES, PARITY_CASES } from '../browser/cases.js';
import { everyActivation } from '../coverage.js';
import { yieldToWorker } from '../worker.js';
import { SPECS, specYaml, TMP } from './helpers.js';
import { INJECTION_SPECS } from './injection-specs.js';

const ROOT = join(SPECS, '..');
const DIR = join(TMP, 'tsc-strict');
const DECLARATIONS = join(DIR, 'dist');

/** The options an app may turn on, each of which the generated code must pass. */
const STRICT_OPTIONS = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  verbatimModuleSyntax: true,
  isolatedDeclarations: true,
} as const satisfies ts.CompilerOptions;

const BASE: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  // The runtime's own lib (it is browser-safe: TextEncoder and friends come from the DOM lib).
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: [],
};

// Record<…Kind, true>: a kind added to the IR does not type-check here until this test is told of it.
const NODE_KINDS: Readonly<Record<NodeKind, true>> = {
  conv2d: true, maxpool2d: true, avgpool2d: true, batchnorm2d: true, relu: true, relu6: true, hardtanh: true,
  hardswish: true, hardsigmoid: true, silu: true, leaky_relu: true, sigmoid: true, tanh: true, dropout: true,
  dropout2d: true, flatten: true, linear: true, softmax: true, log_softmax: true, conv_transpose2d: true,
  upsample: true, global_avgpool2d: true, adaptive_avgpool2d: true, adaptive_maxpool2d: true, add: true, concat: true,
};
const LOSS_KINDS: Readonly<Record<LossTermKind, true>> = { cross_entropy: true, nll: true, bce: true, bce_with_logits: true, focal: true, dice: true };
const OPTIMIZERS: Readonly<Record<OptimizerIR['kind'], string>> = {
  sgd: '{ kind: sgd, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01 }',
  adam: '{ kind: adam, lr: 0.01, amsgrad: true }',
  adamw: '{ kind: adamw, lr: 0.01 }',
  rmsprop: '{ kind: rmsprop, lr: 0.01, momentum: 0.5, centered: true }',
  adagrad: '{ kind: adagrad, lr: 0.01 }',
  adadelta: '{ kind: adadelta, lr: 1 }',
};

interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly file: string;
  readonly dtype?: 'float32' | 'float64';
  readonly profile?: boolean;
  readonly target?: 'ts' | 'gpujs';
}

const yamlsIn = (dir: string): string[] => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f));

function cases(): Case[] {
  const out: Case[] = [];
  const file = (path: string, extra: Partial<Case> = {}): Case => ({ name: path.replace(/[/.]/g, '_'), yaml: readFileSync(join(ROOT, path), 'utf8'), file: path, ...extra });
  for (const path of yamlsIn('specs')) out.push(file(path), { ...file(path, { dtype: 'float64' }), name: `${file(path).name}_f64` });
  // float32 only: float64 changes the array type and nothing else (golden.test.ts), and these are big.
  for (const path of yamlsIn('specs/zoo')) out.push(file(path));
  for (const path of [...yamlsIn('test/fixtures/reference/specs'), 'test/train/fixtures/tiny-init.yaml']) out.push(file(path));
  // The gpu.js target's module (against cnnc/runtime/gpujs) of every spec in specs/ it accepts.
  for (const path of yamlsIn('specs')) out.push({ ...file(path, { target: 'gpujs' }), name: `${file(path).name}_gpujs` });
  out.push({ ...file('specs/mnist.yaml', { profile: true }), name: 'mnist_profile' });
  [...PARITY_CASES, ...GRAPH_PARITY_CASES].forEach((c, i) => out.push({ name: `parity${i}`, yaml: c.yaml, file: `parity${i}.yaml` }));
  INJECTION_SPECS.forEach((s, i) => out.push({ name: `injection${i}`, yaml: s.yaml, file: s.file }));
  out.push({ name: 'activations', yaml: specYaml({ input: [1, 5, 5], layers: everyActivation(2) }), file: 'activations.yaml' });
  for (const [kind, optimizer] of Object.entries(OPTIMIZERS)) {
    out.push({ name: `optimizer_${kind}`, yaml: specYaml({ input: [1, 5, 5], layers: ['{ kind: conv2d, name: c1, out_channels: 2, kernel_size: 3 }', '{ kind: batchnorm2d }', 'flatten', '{ kind: linear, name: fc, out_features: 3 }'], optimizer }), file: `${kind}.yaml` });
  }
  return out;
}

/** The runtime's declarations as `npm run build` emits them into dist/runtime (tsconfig.json's options). */
function emitRuntimeDeclarations(): void {
  rmSync(DECLARATIONS, { recursive: true, force: true });
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (config === undefined) throw new Error('tsconfig.json does not parse');
  const program = ts.createProgram([join(ROOT, 'runtime/index.ts'), join(ROOT, 'runtime/gpujs/index.ts')], {
    ...config.options,
    declaration: true,
    emitDeclarationOnly: true,
    sourceMap: false,
    declarationMap: false,
    noEmit: false,
    outDir: DECLARATIONS,
  });
  const result = program.emit();
  if (result.emitSkipped) throw new Error(`runtime declarations not emitted: ${result.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n')}`);
}

/** Diagnostics of tsc over `files` with `options`, `cnnc/runtime` resolved to the emitted declarations, and
 *  every .d.ts checked but TypeScript's own lib files (skipDefaultLibCheck). File by file, yielding between
 *  them: one synchronous check of the zoo's modules would starve vitest's worker of its event loop (test/worker.ts). */
async function typecheck(files: readonly string[], options: ts.CompilerOptions = STRICT_OPTIONS): Promise<string[]> {
  const program = ts.createProgram(files as string[], {
    ...BASE,
    ...options,
    noEmit: true,
    // isolatedDeclarations asks for declaration (or composite); noEmit still writes nothing.
    declaration: true,
    skipLibCheck: false,
    skipDefaultLibCheck: true,
    baseUrl: ROOT,
    paths: { 'cnnc/runtime': [join(DECLARATIONS, 'runtime/index.d.ts')], 'cnnc/runtime/gpujs': [join(DECLARATIONS, 'runtime/gpujs/index.d.ts')] },
  });
  const diagnostics: ts.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const sf of program.getSourceFiles()) {
    diagnostics.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf), ...program.getDeclarationDiagnostics(sf));
    await yieldToWorker();
  }
  return diagnostics.map((d) => {
    const where = d.file === undefined ? '' : `${d.file.fileName.slice(ROOT.length)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `;
    return `${where}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

function write(name: string, code: string): string {
  const path = join(DIR, `${name}.model.ts`);
  writeFileSync(path, code);
  return path;
}

describe('the generated module under every strict option (strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, verbatimModuleSyntax, isolatedDeclarations)', () => {
  const files: string[] = [];
  const irs: ModelIR[] = [];
  const gpujs: string[] = [];

  beforeAll(async () => {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    emitRuntimeDeclarations();
    for (const c of cases()) {
      await yieldToWorker();
      const r = build(c.yaml, c.file, { dtype: c.dtype ?? 'float32', target: c.target ?? 'ts', ...(c.profile === true ? { profile: true } : {}) });
      if (c.target === 'gpujs' && r.code === null) continue; // a spec GL cannot hold (test/gpujs/refuse.test.ts)
      if (r.code === null || r.ir === null) throw new Error(`${c.file} refused:\n${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n')}`);
      files.push(write(c.name, r.code));
      if (c.target === 'gpujs') gpujs.push(c.name);
      else irs.push(r.ir);
    }
  }, 600_000);

  it('the cases hold every node kind, loss kind and optimizer kind', () => {
    const nodes = new Set(irs.flatMap((ir) => ir.nodes.map((n) => n.kind)));
    const losses = new Set(irs.flatMap((ir) => ir.loss.terms.map((t) => t.kind)));
    const optimizers = new Set(irs.map((ir) => ir.optimizer.kind));
    expect(Object.keys(NODE_KINDS).filter((k) => !nodes.has(k as NodeKind))).toEqual([]);
    expect(Object.keys(LOSS_KINDS).filter((k) => !losses.has(k as LossTermKind))).toEqual([]);
    expect(Object.keys(OPTIMIZERS).filter((k) => !optimizers.has(k as OptimizerIR['kind']))).toEqual([]);
  });

  it('every module, and the runtime declarations it imports, type-check with all of them on', async () => {
    expect(files.length).toBeGreaterThan(40);
    expect(gpujs.length, 'gpu.js modules').toBeGreaterThanOrEqual(5);
    expect(await typecheck(files)).toEqual([]);
  }, 300_000);

  // The check can fail: one violation of each option, written as an app might, is reported under it.
  it('a violation of each option is reported (the check is not vacuous)', async () => {
    const bad = {
      noUncheckedIndexedAccess: 'export function f(a: Float32Array): number { const x: number = [1, 2][a.length]; return x; }\n',
      exactOptionalPropertyTypes: 'export const o: { seed?: number } = { seed: undefined as number | undefined };\n',
      verbatimModuleSyntax: "import { CompiledModel } from 'cnnc/runtime';\nexport function f(m: CompiledModel<Float32Array>): CompiledModel<Float32Array> { return m; }\n",
      isolatedDeclarations: 'export function f(a: readonly number[]) { return a.slice(); }\n',
    } as const;
    for (const [option, code] of Object.entries(bad)) {
      const file = write(`violates_${option}`, code);
      expect(await typecheck([file]), option).not.toEqual([]);
      expect(await typecheck([file], { ...STRICT_OPTIONS, [option]: false }), `${option} off`).toEqual([]);
    }
  });

  it('the module as it was before its index reads were asserted (`x[i]` for `x[i]!`) fails under noUncheckedIndexedAccess only', async () => {
    const code = readFileSync(files[0]!, 'utf8');
    expect(code).toMatch(/\]!/);
    const unasserted = write('unasserted', code.replace(/\]!/g, ']'));
    const errors = await typecheck([unasserted]);
    expect(errors.length).toBeGreaterThan(10);
    expect(errors.every((e) => /TS(18048|2532|2322|2345|2538) /.test(e)), errors.join('\n')).toBe(true);
    expect(await typecheck([unasserted], { ...STRICT_OPTIONS, noUncheckedIndexedAccess: false })).toEqual([]);
  });

  it('the declarations of `cnnc build --emit js` (model.d.ts beside model.js) type-check too', async () => {
    const dts = ['specs_mnist_yaml', 'mnist_profile'].map((name) => {
      const path = join(DIR, `${name}.emit.d.ts`);
      writeFileSync(path, emitJs(readFileSync(join(DIR, `${name}.model.ts`), 'utf8')).dts);
      return path;
    });
    expect(readFileSync(dts[1]!, 'utf8')).toContain('readonly profileTimes: Float64Array;');
    expect(await typecheck(dts)).toEqual([]);
  });
});

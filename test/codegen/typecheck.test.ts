// Every spec in specs/ (float32 and float64), the injection specs and the init fixture give modules that type-check
// under `--strict` (module NodeNext), with `cnnc/runtime` mapped to runtime/index.ts by `paths`.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { generateOrThrow, SPECS, TMP } from './helpers.js';
import { INJECTION_SPECS } from './injection-specs.js';

const ROOT = join(SPECS, '..');

export function typecheck(files: readonly string[]): string[] {
  const program = ts.createProgram(files as string[], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    // The runtime's own lib (it is browser-safe: TextEncoder and friends come from the DOM lib).
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
    baseUrl: ROOT,
    paths: { 'cnnc/runtime': ['runtime/index.ts'] },
    // The runtime's worker-side files are JavaScript with JSDoc types (runtime/wasm/gemm-part.js, worker.js),
    // as in tsconfig.json; an app sees their .d.ts from dist/.
    allowJs: true,
    checkJs: true,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file === undefined ? '' : `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `;
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}

describe('tsc --strict', () => {
  it('accepts the module of every spec in specs/, float32 and float64, of the injection specs, of an init: spec and of adaptive pools', () => {
    const dir = join(TMP, 'tsc');
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    const specs = readdirSync(SPECS).filter((f) => f.endsWith('.yaml'));
    expect(specs.length).toBeGreaterThanOrEqual(2);
    for (const spec of specs) {
      for (const dtype of ['float32', 'float64'] as const) {
        const file = join(dir, `${spec.replace(/\.yaml$/, '')}.${dtype}.model.ts`);
        writeFileSync(file, generateOrThrow(readFileSync(join(SPECS, spec), 'utf8'), dtype, spec));
        files.push(file);
      }
    }
    // The literal init rules of a spec with `init:` (normal, orthogonal, constant, …) against runtime/contracts.ts.
    const init = join(dir, 'tiny-init.model.ts');
    writeFileSync(init, generateOrThrow(readFileSync(join(ROOT, 'test/train/fixtures/tiny-init.yaml'), 'utf8'), 'float32', 'tiny-init.yaml'));
    files.push(init);
    // Adaptive pools' window tables (out does not divide in) and inline bounds (it does).
    const adaptive = join(dir, 'adaptive-pools.model.ts');
    writeFileSync(adaptive, generateOrThrow(readFileSync(join(ROOT, 'test/fixtures/reference/specs/adaptive-pools.yaml'), 'utf8'), 'float32', 'adaptive-pools.yaml'));
    files.push(adaptive);
    INJECTION_SPECS.forEach((s, i) => {
      const file = join(dir, `injection${i}.model.ts`);
      writeFileSync(file, generateOrThrow(s.yaml, 'float32', s.file));
      files.push(file);
    });
    expect(typecheck(files)).toEqual([]);
  });
});

// Dependencies point one way (STYLE.md rule 11): bin/ → compiler/ → runtime/. An app that runs a built
// model imports cnnc/runtime (or cnnc/runtime/node, cnnc/runtime/gpujs) and must not load a compiler:
// no file under runtime/ imports from compiler/ or bin/, and importing a runtime entry point loads none
// of the compiler's heavy dependencies (typescript, ts-morph, ajv, yaml), nor the CLI's (commander).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireFreshDist } from './dist.js';

const root = join(__dirname, '..', '..');
const runtimeDir = join(root, 'runtime');
/** What the compiler (and only the compiler) needs: loading one of these means a compiler came along. */
const COMPILER_PACKAGES = ['typescript', 'ts-morph', 'ajv', 'yaml'] as const;
/** Their files once loaded. ts-morph brings its own copy of the TypeScript compiler (@ts-morph/common). */
const LOADED: Record<(typeof COMPILER_PACKAGES)[number], RegExp> = {
  typescript: /\/node_modules\/(typescript\/|@ts-morph\/common\/dist\/typescript\.js)/,
  'ts-morph': /\/node_modules\/(ts-morph|@ts-morph)\//,
  ajv: /\/node_modules\/ajv\//,
  yaml: /\/node_modules\/yaml\//,
};
/** The CLI's own package (bin/ only): an app that runs a model needs it no more than a compiler. */
const COMMANDER = /\/node_modules\/commander\//;

/** The sources under dir: runtime/dist, the runtime package's build of them, is not one. */
function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    join(dir, e.name) === join(runtimeDir, 'dist') ? [] : e.isDirectory() ? filesUnder(join(dir, e.name), ext) : ext.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier of a file: `from '…'` (import and export), `import '…'`, `import('…')`. */
function specifiers(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)['"]([^'"\n]+)['"]/g)].map((m) => m[1]!);
}

describe('statically: runtime/ imports nothing of the compiler', () => {
  test('no runtime file imports from outside runtime/ (compiler/, bin/), the package main `cnnc`, or a compiler package', () => {
    const files = filesUnder(runtimeDir, /\.(ts|mts|js|mjs)$/);
    expect(files.length).toBeGreaterThan(40); // the walk found the runtime
    const offenders: string[] = [];
    for (const file of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const where = relative(root, file);
        if (spec.startsWith('.')) {
          const target = relative(root, resolve(dirname(file), spec));
          if (!target.startsWith('runtime/')) offenders.push(`${where}: '${spec}' (${target})`);
        } else if (spec === 'cnnc' || (spec.startsWith('cnnc/') && !spec.startsWith('cnnc/runtime'))) {
          offenders.push(`${where}: '${spec}' (the compiler's entry)`);
        } else if ([...COMPILER_PACKAGES, 'commander'].some((p) => spec === p || spec.startsWith(`${p}/`))) {
          offenders.push(`${where}: '${spec}' (a compiler package)`);
        }
      }
    }
    expect(offenders, offenders.join('\n')).toEqual([]);
  });

  test('the specifier scan sees what it must refuse (a compiler file does import them)', () => {
    const seen = specifiers(readFileSync(join(root, 'compiler', 'load-generated.ts'), 'utf8'));
    expect(seen).toContain('../runtime/node/atomic.js');
    expect(seen).toContain('./5-codegen/emit-js.js');
  });
});

describe('dynamically: importing a runtime entry point loads no compiler package', () => {
  let tmp = '';
  let hooks = '';
  beforeAll(() => {
    requireFreshDist(root); // a dist/ older than the sources would prove nothing about them
    tmp = mkdtempSync(join(tmpdir(), 'cnnc-imports-'));
    hooks = join(tmp, 'hooks.mjs');
    // ESM: every URL the loader resolves; CommonJS (ajv, typescript and ts-morph are CJS): require.cache.
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
      let log = '';
      export function initialize(data) { log = data.log; }
      export async function resolve(specifier, context, next) {
        const r = await next(specifier, context);
        appendFileSync(log, r.url + '\\n');
        return r;
      }`,
    );
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** The files a fresh `node` loads to import `entry` the way an app does (package exports → dist/). */
  function loaded(entry: string): string[] {
    const log = join(tmp, `${entry.replace(/\W/g, '_')}.log`);
    writeFileSync(log, '');
    const script = `
      import { register, createRequire } from 'node:module';
      import { appendFileSync } from 'node:fs';
      register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { log: ${JSON.stringify(log)} } });
      await import(${JSON.stringify(entry)});
      appendFileSync(${JSON.stringify(log)}, Object.keys(createRequire(import.meta.url).cache).join('\\n') + '\\n');`;
    // cwd = the package root, so `cnnc/...` resolves by self-reference, as in an app that depends on cnnc.
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: 'pipe' });
    return readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
  }

  const compilerPackagesIn = (files: readonly string[]): string[] =>
    COMPILER_PACKAGES.filter((p) => files.some((f) => LOADED[p].test(f)));
  const compilerFilesIn = (files: readonly string[]): string[] => files.filter((f) => /\/dist\/(compiler|bin)\//.test(f));

  test.each(['cnnc/runtime', 'cnnc/runtime/node', 'cnnc/runtime/node/images', 'cnnc/runtime/gpujs'])('import %s loads none of typescript, ts-morph, ajv, yaml, commander, nor a file of dist/compiler or dist/bin', (entry) => {
    const files = loaded(entry);
    expect(files.some((f) => f.includes('/dist/runtime/'))).toBe(true); // the hook saw the runtime load
    expect(compilerPackagesIn(files)).toEqual([]);
    expect(files.filter((f) => COMMANDER.test(f))).toEqual([]);
    expect(compilerFilesIn(files)).toEqual([]);
  });

  test('the check sees commander when the CLI loads: import dist/bin/main.js loads it', () => {
    expect(loaded(pathToFileURL(join(root, 'dist', 'bin', 'main.js')).href).some((f) => COMMANDER.test(f))).toBe(true);
  });

  test('the check sees a compiler when one loads: import cnnc (the compiler) loads all four', () => {
    const files = loaded('cnnc');
    expect(compilerPackagesIn(files)).toEqual([...COMPILER_PACKAGES]);
    expect(compilerFilesIn(files).length).toBeGreaterThan(0);
  });
});

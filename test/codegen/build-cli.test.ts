// `cnnc build`: next to the spec by default, -o, --dtype, --emit js (+ .d.ts), nothing written and
// exit 1 on a spec error; and loadModule, the in-process loader the CLI's train/eval use.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bin/main.js';
import { loadModule } from '../../compiler/load-generated.js';
import { generateOrThrow, SPECS, TMP } from './helpers.js';

let dir: string;
let stderr: string;
beforeEach(() => {
  mkdirSync(TMP, { recursive: true });
  dir = mkdtempSync(join(TMP, 'build-'));
  copyFileSync(join(SPECS, 'mnist.yaml'), join(dir, 'mnist.yaml'));
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const cnnc = (...args: string[]): Promise<number> => run(['node', 'cnnc', ...args]);

describe('cnnc build', () => {
  it('writes <spec>.model.ts next to the spec, the same bytes as generate()', async () => {
    expect(await cnnc('build', join(dir, 'mnist.yaml'))).toBe(0);
    const code = readFileSync(join(dir, 'mnist.model.ts'), 'utf8');
    expect(code).toBe(generateOrThrow(readFileSync(join(SPECS, 'mnist.yaml'), 'utf8'), 'float32', 'mnist.yaml'));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('-o and --dtype float64', async () => {
    expect(await cnnc('build', join(dir, 'mnist.yaml'), '-o', join(dir, 'out.ts'), '--dtype', 'float64')).toBe(0);
    const code = readFileSync(join(dir, 'out.ts'), 'utf8');
    expect(code).toContain('implements rt.CompiledModel<Float64Array>');
  });

  it('--emit js writes JavaScript and a .d.ts', async () => {
    expect(await cnnc('build', join(dir, 'mnist.yaml'), '--emit', 'js')).toBe(0);
    const js = readFileSync(join(dir, 'mnist.model.js'), 'utf8');
    const dts = readFileSync(join(dir, 'mnist.model.d.ts'), 'utf8');
    expect(js).toContain("from 'cnnc/runtime'");
    expect(js).not.toMatch(/: Float32Array|private readonly/);
    expect(dts).toContain('export declare class MnistNet implements rt.CompiledModel<Float32Array>');
    expect(dts).toContain('export declare function createModel(options?: {');
  });

  it('a spec with errors: diagnostics, exit 1, nothing written', async () => {
    writeFileSync(join(dir, 'bad.yaml'), readFileSync(join(dir, 'mnist.yaml'), 'utf8').replace('out_features: 128', 'out_features: -3'));
    expect(await cnnc('build', join(dir, 'bad.yaml'))).toBe(1);
    expect(stderr).toMatch(/E0\d{3}/);
    expect(existsSync(join(dir, 'bad.model.ts'))).toBe(false);
  });

  it('refuses an unknown --dtype or --emit', async () => {
    expect(await cnnc('build', join(dir, 'mnist.yaml'), '--dtype', 'float16')).toBe(1);
    expect(await cnnc('build', join(dir, 'mnist.yaml'), '--emit', 'wasm')).toBe(1);
    expect(existsSync(join(dir, 'mnist.model.ts'))).toBe(false);
  });
});

describe('loadModule', () => {
  it('transpiles, links the runtime, imports; a changed module is not served from the cache', async () => {
    const code = generateOrThrow(readFileSync(join(SPECS, 'mnist.yaml'), 'utf8'), 'float32', 'mnist.yaml');
    const a = await loadModule(code, join(dir, 'work'));
    const model = a.createModel({ seed: 1 });
    expect(model.name).toBe('MnistNet');
    expect(model.outputShape).toEqual([10]);
    expect(readdirSync(join(dir, 'work')).filter((f) => /^MnistNet\.[0-9a-f]{16}\.model\.mjs$/.test(f))).toHaveLength(1);
    // Same class name, different code, same folder: the new code runs.
    const b = await loadModule(code.replace("public readonly name = 'MnistNet'", "public readonly name = 'Renamed'"), join(dir, 'work'));
    expect(b.createModel().name).toBe('Renamed');
  });

  it('refuses code that is not a generated module', async () => {
    await expect(loadModule('export const x = 1;', join(dir, 'work'))).rejects.toThrow(/one import of cnnc\/runtime/);
  });
});

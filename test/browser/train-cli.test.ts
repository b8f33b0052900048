// `cnnc train --target gpujs [--backend MODE]` (Node: gpu.js's webasm and cpu modes): trains, and
// prints the mode and the kernel classes that really ran; refuses what Node cannot run.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bin/main.js';
import { TMP } from '../codegen/helpers.js';

const SPEC = 'examples/browser-train/small.yaml';
let out: string;
let stdout: string;
let stderr: string;
beforeEach(() => {
  mkdirSync(TMP, { recursive: true });
  out = mkdtempSync(join(TMP, 'train-gpujs-'));
  stdout = stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

const train = (...flags: string[]): Promise<number> =>
  run(['node', 'cnnc', 'train', SPEC, ...flags, '--limit', '32', '--max-steps', '2', '--out', out]);

describe('cnnc train --target gpujs', () => {
  it.each([
    ['webasm', 'mode webasm, kernels WebAssemblyKernel × '],
    ['cpu', 'mode cpu, kernels CPUKernel × '],
  ])('--backend %s trains and names the kernel classes that ran', async (backend, line) => {
    expect(await train('--target', 'gpujs', '--backend', backend)).toBe(0);
    expect(stdout).toContain(`gpu.js: requested ${backend}, mode ${backend} (kernels compile on the first step)`);
    expect(stdout).toContain(`gpu.js: requested ${backend}, ${line}`);
    expect(stdout).toMatch(/× \d+, honest\n/);
  });

  it('without --backend, gpu.js chooses and the report says what it chose', async () => {
    expect(await train('--target', 'gpujs')).toBe(0);
    expect(stdout).toContain('gpu.js: requested gpu, gpu.js picks the mode');
    expect(stdout).toMatch(/gpu\.js: requested gpu, mode (webasm|headlessgl) \(gpu\.js's choice\), kernels \w+Kernel × \d+, honest/);
  });

  it.each([
    [['--target', 'gpujs', '--backend', 'webgl2'], 'gpu.js backend "webgl2" is not available here'],
    [['--target', 'gpujs', '--backend', 'webgpu'], '--backend webgpu runs only asynchronously, in a browser'],
    [['--target', 'gpujs', '--backend', 'cuda'], '--backend expects one of gpu, webgl2, webgl, webgpu, headlessgl, webasm, cpu, got "cuda"'],
    [['--target', 'wasm'], '--target expects ts or gpujs, got "wasm"'],
    [['--backend', 'cpu'], '--backend chooses a gpu.js mode: it needs --target gpujs'],
  ])('refuses %j with one line, exit 1', async (flags, message) => {
    expect(await train(...flags)).toBe(1);
    expect(stderr).toContain(`error: ${message}`);
    expect(stderr).not.toContain('    at ');
  });
});

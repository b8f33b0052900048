// Issue 20 item 4: the same bits everywhere. Whether the wasm kernels use relaxed SIMD (and so FMA) is
// decided in one place, sgemm-kernel.ts's kernelMadd, whatever entry an app imported: a model built
// through the public entry `cnnc/runtime` alone, in a fresh Node process, trains to the same weights,
// bit for bit, as with `cnnc/runtime/node` or the cnnc command's modules loaded first (the command
// used to turn on Node 20's relaxed SIMD flag, the runtime alone did not). CNNC_NO_RELAXED_SIMD=1 and
// setRelaxedSimd(false) give the plain kernel's weights, which differ (so the comparison can fail).
// backendInfo() reports the path, relaxed SIMD, FMA and the thread count.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backendInfo, stopThreads } from 'cnnc/runtime';
import { initThreads } from 'cnnc/runtime/node';
import { generateOrThrow, TMP } from '../codegen/helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const wasm = process.env['CNNC_NO_WASM'] !== '1';
const noRelaxed = process.env['CNNC_NO_RELAXED_SIMD'] === '1';
/** x64 Linux with FMA3: V8's relaxed_madd is one vfmadd there. */
const fma = process.arch === 'x64' && (() => { try { return /\bfma\b/.test(readFileSync('/proc/cpuinfo', 'utf8')); } catch { return false; } })();

const SPEC = `cnnc: 1
name: SameBits
input: { shape: [1, 16, 16] }
layers:
  - { kind: conv2d, name: conv1, out_channels: 8, kernel_size: 3, padding: 1 }
  - relu
  - { kind: maxpool2d, kernel_size: 2 }
  - flatten
  - { kind: linear, name: fc1, out_features: 32 }
  - relu
  - { kind: linear, name: fc2, out_features: 10 }
loss: { kind: cross_entropy }
optimizer: { kind: adam, lr: 0.01 }
train: { batch_size: 16, epochs: 1, seed: 3 }
`;

interface Run {
  readonly info: { gemm: string; relaxedSimd: boolean; fma: boolean; threads: number };
  readonly weights: string;
  readonly lateSwitch?: string;
}

let modelFile = '';

/** Trains the model 6 steps in a fresh process (vite-node on the sources), `prelude` first; its weights' sha256 and backendInfo(). */
function train(prelude: string, env: Record<string, string> = {}, name = 'run'): Run {
  const script = [
    prelude,
    "import { backendInfo, Rng, setRelaxedSimd } from 'cnnc/runtime';",
    "import { createHash } from 'node:crypto';",
    `import { createModel } from ${JSON.stringify(modelFile)};`,
    name === 'switch' ? 'setRelaxedSimd(false);' : '',
    'const m = createModel();',
    'const rng = new Rng(11), n = 16;',
    'const x = new Float32Array(n * 256).map(() => rng.uniform(-1, 1));',
    'const y = Int32Array.from({ length: n }, (_, i) => i % 10);',
    'm.train();',
    'for (let s = 0; s < 6; s++) m.trainStep(x, y, n);',
    'let lateSwitch;',
    "try { setRelaxedSimd(!backendInfo().relaxedSimd); } catch (e) { lateSwitch = String(e); }",
    "console.log(JSON.stringify({ info: backendInfo(), weights: createHash('sha256').update(m.saveWeights()).digest('hex'), lateSwitch }));",
  ].join('\n');
  const file = join(TMP, `same-bits-${name}.ts`);
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['node_modules/vite-node/vite-node.mjs', '--config', 'vitest.config.ts', file], {
    cwd: root,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, CNNC_NO_RELAXED_SIMD: '', ...env },
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Run;
}

describe.runIf(wasm && !noRelaxed)('the relaxed SIMD decision does not depend on the entry imported', () => {
  let alone: Run;
  beforeAll(() => {
    mkdirSync(TMP, { recursive: true });
    modelFile = join(TMP, 'same-bits.model.ts');
    writeFileSync(modelFile, generateOrThrow(SPEC));
    alone = train('', {}, 'alone');
  });

  test('cnnc/runtime alone takes relaxed SIMD where the engine can (Node 20 too), and says so in backendInfo()', () => {
    expect(alone.info).toMatchObject({ gemm: 'wasm', relaxedSimd: true, threads: 1 });
    if (fma) expect(alone.info.fma).toBe(true); // elsewhere relaxed_madd may be mul then add
  });

  test('the same weights after 6 steps with cnnc/runtime/node imported first', () => {
    const node = train("import 'cnnc/runtime/node';", {}, 'node');
    expect(node.info).toEqual(alone.info);
    expect(node.weights).toBe(alone.weights);
  });

  test("the same weights after 6 steps with the cnnc command's modules (bin/main.ts, compiler/load-generated.ts) loaded first", () => {
    const cli = train(`import ${JSON.stringify(join(root, 'bin/main.ts'))};`, {}, 'cli');
    expect(cli.info).toEqual(alone.info);
    expect(cli.weights).toBe(alone.weights);
  });

  test('CNNC_NO_RELAXED_SIMD=1 and setRelaxedSimd(false) give the plain kernel: the same weights as each other, not those of relaxed SIMD', () => {
    const env = train('', { CNNC_NO_RELAXED_SIMD: '1' }, 'env');
    const call = train('', {}, 'switch');
    expect(env.info.relaxedSimd).toBe(false);
    expect(call.info.relaxedSimd).toBe(false);
    expect(env.info.fma).toBe(false);
    expect(call.weights).toBe(env.weights);
    expect(env.weights).not.toBe(alone.weights);
  });

  test('setRelaxedSimd after the kernels were built is refused, naming why', () => {
    expect(alone.lateSwitch).toMatch(/setRelaxedSimd\(false\): the wasm kernels were already built with relaxed SIMD; call it before the first float32 product/);
  });
});

test('CNNC_NO_WASM=1: backendInfo() says the JS path, no relaxed SIMD, one thread', () => {
  mkdirSync(TMP, { recursive: true });
  const file = join(TMP, 'same-bits-js.ts');
  writeFileSync(file, "import { backendInfo } from 'cnnc/runtime';\nconsole.log(JSON.stringify(backendInfo()));\n");
  const r = spawnSync(process.execPath, ['node_modules/vite-node/vite-node.mjs', '--config', 'vitest.config.ts', file], {
    cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, CNNC_NO_WASM: '1' },
  });
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ gemm: 'js', relaxedSimd: false, fma: false, threads: 1 });
});

describe.runIf(wasm)('backendInfo() in this process', () => {
  afterAll(async () => {
    await stopThreads();
  });

  test('counts the threads started, and back to 1 when they stop', async () => {
    expect(backendInfo().threads).toBe(1);
    await initThreads(2);
    expect(backendInfo()).toMatchObject({ gemm: 'wasm', threads: 2, relaxedSimd: !noRelaxed });
    await stopThreads();
    expect(backendInfo().threads).toBe(1);
  });
});

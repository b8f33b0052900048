// Issue 20, item 1: an app that only runs or trains a generated module installs the runtime package alone. The
// tarball `npm pack runtime` makes (@cnnc/runtime: runtime/package.json, built to runtime/dist by
// runtime/tsconfig.json), installed into an empty app, weighs at most 5 MB of node_modules, runs no install script and
// brings no compiler; a module `cnnc build --runtime @cnnc/runtime --emit js` wrote runs in it — forward, one training
// step, on two gemm threads from the package's worker.js; its weights loaded into another model and predict on a PNG
// through the package's decoders — with the numbers the compiler's in-process loader gets from the same module, and
// the app's TypeScript type-checks against the package's .d.ts.
// npm fetches from its cache first (`--prefer-offline`); with no registry and no cache the test skips, saying so.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, loadModule } from '../../compiler/index.js';
import { EXIT } from '../../bin/exit.js';
import { requireFreshDist, requireFreshRuntimeDist } from '../runtime/dist.js';
import { bytesUnder } from './bytes-under.js';

const root = join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tmp = mkdtempSync(join(tmpdir(), 'cnnc-runtime-install-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The app: forward of a fixed batch of 2, then one training step on it; the app API (weights back in from bytes,
// predict on an uploaded PNG through the package's decoders, metadata), printed as JSON.
const APP = `import { readFileSync } from 'node:fs';
import { createModel } from './mnist.model.js';
import { initThreads } from '@cnnc/runtime/node';
import { imageInput } from '@cnnc/runtime/node/images';
import { backendInfo, loadWeightsFrom, stopThreads } from '@cnnc/runtime';
await initThreads(2);
const model = createModel({ seed: 3 });
const x = new Float32Array(2 * 784).map((_, i) => ((i * 37) % 255) / 255);
const out = Array.from(model.forward(x, 2));
model.train();
const loss = model.trainStep(x, new Int32Array([3, 7]), 2);
model.eval();
const after = Array.from(model.forward(x, 2));
const fresh = createModel({ seed: 9 });
await loadWeightsFrom(fresh, model.saveWeights().buffer);
const [p] = fresh.predict(imageInput(readFileSync('digit.png'), 'digit.png', fresh.metadata), 1);
process.stdout.write(JSON.stringify({ out, loss, after, threads: backendInfo().threads, p, name: fresh.metadata.name }));
await stopThreads();
`;
const APP_TS = `import { createModel } from './mnist.model.js';
import type { CompiledModel } from '@cnnc/runtime';
const model: CompiledModel = createModel({ seed: 3 });
const probs: Float32Array = model.forward(new Float32Array(784), 1);
export const top: number = probs.indexOf(Math.max(...probs));
`;

describe('npm install of the packed @cnnc/runtime alone', () => {
  it('is at most 5 MB with no install script and no compiler, and runs and trains a module cnnc build wrote for it', async (ctx) => {
    requireFreshDist(root);
    requireFreshRuntimeDist(root);
    const pkg = JSON.parse(readFileSync(join(root, 'runtime', 'package.json'), 'utf8')) as { version: string };
    expect(pkg.version, 'the runtime package is versioned with cnnc').toBe((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
    const packed = (JSON.parse(execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: join(root, 'runtime'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string; files: { path: string }[] }[])[0]!;
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain('dist/worker.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths.filter((p) => p.startsWith('dist/gpujs/') || p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);

    const app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const install = spawnSync(npm, ['install', join(tmp, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, encoding: 'utf8' });
    if (install.status !== 0 && /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENOTCACHED/.test(install.stderr)) {
      ctx.skip(`npm could not reach its registry or cache: ${install.stderr.split('\n').find((l) => /ERR/.test(l)) ?? ''}`);
    }
    expect(install.status, install.stderr).toBe(0);
    const modules = join(app, 'node_modules');
    for (const gone of ['cnnc', 'ts-morph', 'typescript', 'ajv', 'yaml', 'commander', 'gpu.js']) expect(existsSync(join(modules, gone)), gone).toBe(false);
    const bytes = bytesUnder(modules);
    console.log(`@cnnc/runtime installed alone: ${(bytes / 1e6).toFixed(2)} MB of node_modules`);
    expect(bytes).toBeLessThanOrEqual(5_000_000);
    const lock = JSON.parse(readFileSync(join(modules, '.package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    expect(Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript === true).map(([name]) => name)).toEqual([]);

    const built = spawnSync(process.execPath, [join(root, 'bin', 'cnnc.js'), 'build', join(root, 'specs', 'mnist.yaml'), '--runtime', '@cnnc/runtime', '--emit', 'js', '-o', join(app, 'mnist.model.js')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect([built.status, built.stderr]).toEqual([EXIT.ok, '']);
    expect(readFileSync(join(app, 'mnist.model.js'), 'utf8')).toContain(`from '@cnnc/runtime';`);

    const digit = Uint8Array.from({ length: 784 }, (_, i) => ((i % 28) > 9 && (i % 28) < 18 && i > 140 && i < 640 ? 255 : 0));
    writeFileSync(join(app, 'digit.png'), encodePng({ width: 28, height: 28, data: digit, channels: 1, depth: 8 }));
    writeFileSync(join(app, 'main.mjs'), APP);
    const run = spawnSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' });
    expect([run.status, run.stderr]).toEqual([0, '']);
    const got = JSON.parse(run.stdout) as { out: number[]; loss: number; after: number[]; threads: number; p: { class: number; probabilities: number[] }; name: string };
    expect([got.threads, got.name]).toEqual([2, 'MnistNet']);

    // The same module through the compiler's loader (cnnc's own runtime): the same numbers.
    const { code } = compile(readFileSync(join(root, 'specs', 'mnist.yaml'), 'utf8'), 'mnist.yaml', { runtime: '@cnnc/runtime' });
    const ref = (await loadModule(code!, join(tmp, 'work'))).createModel({ seed: 3 });
    const x = new Float32Array(2 * 784).map((_, i) => ((i * 37) % 255) / 255);
    const out = Array.from(ref.forward(x, 2));
    ref.train();
    const loss = ref.trainStep(x, new Int32Array([3, 7]), 2);
    ref.eval();
    const after = Array.from(ref.forward(x, 2));
    expect(got.out.length).toBe(20);
    got.out.forEach((v, i) => expect(v).toBeCloseTo(out[i]!, 4));
    expect(got.loss).toBeCloseTo(loss, 4);
    got.after.forEach((v, i) => expect(v).toBeCloseTo(after[i]!, 4));
    expect(got.after).not.toEqual(got.out); // the step changed the weights
    // predict on the PNG with the trained weights loaded from bytes: what the reference gives on the same pixels.
    const img = new Float32Array(784).map((_, i) => ((i % 28) > 9 && (i % 28) < 18 && i > 140 && i < 640 ? 1 : 0));
    const [want] = ref.predict(img, 1);
    expect(got.p.class).toBe(want!.class);
    got.p.probabilities.forEach((v, c) => expect(v).toBeCloseTo(want!.probabilities[c]!, 4));

    // Strict TypeScript against the package's declarations (the .d.ts cnnc build wrote beside the module).
    writeFileSync(join(app, 'main.ts'), APP_TS);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false }, files: ['main.ts'] }));
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    expect([tsc.status, tsc.stdout]).toEqual([0, '']);
  });
});

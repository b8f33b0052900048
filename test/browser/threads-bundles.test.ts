// Issue 20 item 2: threads in every production bundle. The worker is a module file of its own
// (runtime/worker.js, started as `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`),
// not a script built from Function.prototype.toString, which minifiers broke (`workerMain is not
// defined`). An app that imports `cnnc/runtime` and a generated model is bundled three ways — esbuild
// --minify (worker.js as a second entry point, as runtime/API.md tells esbuild users), esbuild --minify
// --keep-names, and a default vite production build (vite bundles the worker itself) — and each bundle
// runs in Debian's headless Chromium on a cross-origin-isolated page (COOP same-origin + COEP
// require-corp, which shared memory needs): 2 threads start, the worker alone computes every gemm
// variant with the bits of 1 thread, and 3 training steps of the model give the same weights at 1 and
// 2 threads as this Node process gives at 1 (the same engine family, the same relaxed SIMD decision:
// issue 20 item 4). Without isolation, threads are refused with the reason.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild, type Plugin } from 'esbuild';
import type { Browser } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backendInfo, Rng } from 'cnnc/runtime';
import { generateOrThrow, importGenerated, TMP } from '../codegen/helpers.js';
import { chromiumMissing, launchChromium } from './chromium.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const runtimeEntry = join(root, 'runtime', 'index.ts');
const missing = chromiumMissing();
if (missing !== null) console.warn(`SKIP test/browser/threads-bundles: ${missing}`);

const SPEC = `cnnc: 1
name: BundleNet
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

/** The same steps on the same inputs, here and in the page: 3 Adam steps on 16 random images. */
const TRAIN = `
export function trainWeights(rt, createModel) {
  const rng = new rt.Rng(11), n = 16;
  const x = new Float32Array(n * 256).map(() => rng.uniform(-1, 1));
  const y = Int32Array.from({ length: n }, (_, i) => i % 10);
  const m = createModel();
  m.train();
  for (let s = 0; s < 3; s++) m.trainStep(x, y, n);
  return m.saveWeights();
}
`;

/** The app: public API, plus the pool's test knobs (the same module instances the runtime uses, bundled once). */
const APP = `
import * as rt from 'cnnc/runtime';
import { pool } from ${JSON.stringify(join(root, 'runtime/wasm/pool.ts'))};
import { wasmSgemm } from ${JSON.stringify(join(root, 'runtime/wasm/sgemm.ts'))};
import { CTRL } from ${JSON.stringify(join(root, 'runtime/wasm/gemm-part.js'))};
import { createModel } from './model.ts';
import { trainWeights } from './train.js';

async function sha256(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function main() {
  const out = { isolated: globalThis.crossOriginIsolated === true, equal: [] };
  try {
    const from = new URLSearchParams(location.search).get('from'); // a worker.js elsewhere: spawnWebWorkerFrom
    await rt.startThreads(2, from === null ? rt.spawnWebWorker : rt.spawnWebWorkerFrom(new URL(from, location.href)));
  } catch (e) {
    out.error = String(e);
    return out;
  }
  out.info = rt.backendInfo();
  const minMacs = pool.minMacs;
  pool.minMacs = 0;
  pool.callerWorks = false; // the worker computes every chunk
  const rng = new rt.Rng(3);
  const M = 37, N = 45, K = 300;
  const A = new Float32Array(M * K).map(() => rng.uniform(-1, 1)), B = new Float32Array(K * N).map(() => rng.uniform(-1, 1));
  for (const gemm of [rt.gemmNN, rt.gemmNT, rt.gemmTN]) {
    const bits = [1, 2].map((T) => {
      rt.setThreads(T);
      const C = new Float32Array(M * N);
      gemm(M, N, K, A, 0, B, 0, C, 0, false);
      return Array.from(new Uint32Array(C.buffer));
    });
    out.equal.push(bits[0].every((b, i) => b === bits[1][i]));
  }
  // Training with the worker alone too: with the caller working beside it, a loaded machine can have the caller
  // claim every chunk before the worker wakes (CI, 2026-12-06), and nothing would show the worker took part.
  out.gemmChunks = wasmSgemm().ctrl[CTRL.workerChunks];
  out.weights = [];
  for (const T of [1, 2]) {
    rt.setThreads(T);
    out.weights.push(await sha256(trainWeights(rt, createModel)));
  }
  out.trainChunks = wasmSgemm().ctrl[CTRL.workerChunks] - out.gemmChunks;
  pool.callerWorks = true;
  pool.minMacs = minMacs;
  await rt.stopThreads();
  out.after = rt.getThreads();
  return out;
}
window.result = main().catch((e) => ({ error: 'page: ' + (e && e.stack || e) }));
`;

interface PageResult {
  isolated: boolean;
  error?: string;
  info?: { gemm: string; relaxedSimd: boolean; fma: boolean; threads: number };
  equal: boolean[];
  gemmChunks?: number;
  trainChunks?: number;
  weights?: string[];
  after?: number;
}

/** 'cnnc/runtime' is the runtime's source entry, as the generated model imports it (vitest.config.ts aliases it the same way). */
const cnncRuntime: Plugin = {
  name: 'cnnc-runtime',
  setup(b) {
    b.onResolve({ filter: /^cnnc\/runtime$/ }, () => ({ path: runtimeEntry }));
  },
};

/** Every file under dir, by URL path. */
function filesOf(dir: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files[`/${relative(dir, p).split('\\').join('/')}`] = readFileSync(p);
    }
  };
  walk(dir);
  return files;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

describe.skipIf(missing !== null)('threads in production bundles, in headless Chromium (module Web Workers, shared memory)', () => {
  const dir = join(TMP, 'threads-bundles');
  const bundles: Record<string, Record<string, Buffer>> = {};
  let browser: Browser;
  let server: Server;
  let base = '';
  let nodeWeights = '';

  beforeAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const app = join(dir, 'app');
    mkdirSync(app, { recursive: true });
    const code = generateOrThrow(SPEC);
    writeFileSync(join(app, 'model.ts'), code);
    writeFileSync(join(app, 'train.js'), TRAIN);
    writeFileSync(join(app, 'app.js'), APP);
    writeFileSync(join(app, 'index.html'), '<!doctype html><script type="module" src="./app.js"></script>\n');

    // What this process computes at 1 thread (its relaxed SIMD decision: backendInfo()).
    const model = await importGenerated<Float32Array>(code);
    const { trainWeights } = (await import(/* @vite-ignore */ join(app, 'train.js'))) as { trainWeights(rt: { Rng: typeof Rng }, create: () => { saveWeights(): Uint8Array }): Uint8Array };
    nodeWeights = createHash('sha256').update(trainWeights({ Rng }, () => model.createModel())).digest('hex');

    for (const [name, keepNames] of [['esbuild-minify', false], ['esbuild-minify-keep-names', true]] as const) {
      const r = await esbuild({
        entryPoints: { app: join(app, 'app.js'), worker: join(root, 'runtime/worker.js') },
        bundle: true, minify: true, keepNames, format: 'esm', platform: 'browser', outdir: join(dir, name), write: false, logLevel: 'silent', plugins: [cnncRuntime],
      });
      bundles[name] = Object.fromEntries(r.outputFiles.map((f) => [`/${relative(join(dir, name), f.path)}`, Buffer.from(f.contents)]));
      bundles[name]['/index.html'] = Buffer.from('<!doctype html><script type="module" src="./app.js"></script>\n');
    }
    // An esbuild user who forgot the worker's entry point: the app alone.
    bundles['esbuild-no-worker'] = Object.fromEntries(Object.entries(bundles['esbuild-minify']!).filter(([p]) => p !== '/worker.js'));
    await viteBuild({
      root: app, base: '/vite/', configFile: false, logLevel: 'silent', // served under /vite/ below
      resolve: { alias: [{ find: /^cnnc\/runtime$/, replacement: runtimeEntry }] },
      build: { outDir: join(dir, 'vite'), emptyOutDir: true },
    });
    bundles['vite'] = filesOf(join(dir, 'vite'));

    server = createServer((req, res) => {
      const [path = '/', query] = (req.url ?? '/').split('?');
      const [, bundle, ...rest] = path.split('/');
      const file = `/${rest.join('/') || 'index.html'}`;
      const body = bundles[bundle ?? '']?.[file];
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        ...(query !== 'plain' ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {}),
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function runPage(url: string): Promise<PageResult> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 60_000 });
      const r = await page.evaluate(() => (window as unknown as { result: Promise<PageResult> }).result);
      expect(errors).toEqual([]);
      return r;
    } finally {
      await page.close();
    }
  }

  test('the bundles hold no worker script made from Function.prototype.toString, and vite emitted the worker as its own file', () => {
    for (const files of Object.values(bundles)) {
      const js = Object.entries(files).filter(([p]) => p.endsWith('.js')).map(([, b]) => b.toString('utf8')).join('\n');
      expect(js).not.toMatch(/createObjectURL|Function\.prototype\.toString|\.toString\(\)\)\.join/); // the old Blob URL worker
    }
    expect(Object.keys(bundles['esbuild-minify']!).sort()).toEqual(['/app.js', '/index.html', '/worker.js']);
    expect(Object.keys(bundles['vite']!).filter((p) => /\/assets\/worker-[\w-]+\.js$/.test(p))).toHaveLength(1);
  });

  for (const name of ['esbuild-minify', 'esbuild-minify-keep-names', 'vite']) {
    test(`${name}: 2 threads on an isolated page; the worker alone gives every gemm variant the bits of 1 thread; training gives this process's weights at 1 and 2 threads`, async () => {
      const r = await runPage(`${base}/${name}/`);
      expect(r.error).toBeUndefined();
      expect(r.isolated).toBe(true);
      expect(r.info).toMatchObject({ gemm: 'wasm', threads: 2, relaxedSimd: backendInfo().relaxedSimd });
      expect(r.equal).toEqual([true, true, true]);
      expect(r.gemmChunks).toBeGreaterThan(0);
      expect(r.trainChunks).toBeGreaterThan(0); // the worker took part in training
      expect(r.weights).toEqual([nodeWeights, nodeWeights]);
      expect(r.after).toBe(1);
    });
  }

  test('a bundle without worker.js beside it: threads are refused, saying what to emit', async () => {
    const r = await runPage(`${base}/esbuild-no-worker/`);
    expect(r.isolated).toBe(true);
    expect(r.error).toMatch(/threads: a worker did not start: worker\.js did not load.*a bundler must emit it beside the bundle \(esbuild: build cnnc\/runtime\/worker as a second entry point/);
  });

  test('spawnWebWorkerFrom(url): the same bundle starts its threads from a worker.js elsewhere, with the same bits', async () => {
    const r = await runPage(`${base}/esbuild-no-worker/?from=/esbuild-minify/worker.js`);
    expect(r.error).toBeUndefined();
    expect(r.info).toMatchObject({ gemm: 'wasm', threads: 2 });
    expect(r.equal).toEqual([true, true, true]);
    expect(r.weights).toEqual([nodeWeights, nodeWeights]);
  });

  test('without cross-origin isolation, threads are refused with the reason', async () => {
    const r = await runPage(`${base}/esbuild-minify/?plain`);
    expect(r.isolated).toBe(false);
    expect(r.error).toMatch(/shared|SharedArrayBuffer|cross-origin/i);
  });
});

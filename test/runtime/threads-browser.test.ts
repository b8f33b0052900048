// Threads in a real browser: Debian's headless Chromium on a cross-origin-isolated page (COOP
// same-origin + COEP require-corp, which shared memory needs), the runtime bundled by esbuild.
// spawnWebWorker starts Web Workers from a Blob URL; the page's main thread may not Atomics.wait,
// so it polls. Every gemm variant at 2 threads, computed by the worker alone, must give the bits of
// 1 thread; a page without isolation must refuse threads with a clear error.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromiumMissing, launchChromium } from '../browser/chromium.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const missing = chromiumMissing();

const PAGE_SCRIPT = `
import * as rt from './runtime.js';
window.result = (async () => {
  const out = { isolated: globalThis.crossOriginIsolated === true, equal: [], workerChunks: 0 };
  try {
    await rt.startThreads(2, rt.spawnWebWorker);
  } catch (e) {
    out.error = String(e);
    return out;
  }
  out.threads = rt.getThreads();
  rt.pool.minMacs = 0;
  rt.pool.callerWorks = false; // the worker computes every chunk
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
  out.workerChunks = rt.wasmSgemm().ctrl[rt.CTRL.workerChunks];
  await rt.stopThreads();
  out.after = rt.getThreads();
  return out;
})();
`;

interface PageResult {
  isolated: boolean;
  error?: string;
  threads?: number;
  equal: boolean[];
  workerChunks: number;
  after?: number;
}

describe.skipIf(missing !== null)('threads in headless Chromium (Web Workers, shared memory)', () => {
  let browser: Browser;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const bundle = await build({
      stdin: {
        contents: "export * from './runtime/index.ts'; export { pool } from './runtime/wasm/pool.ts'; export { wasmSgemm } from './runtime/wasm/sgemm.ts'; export { CTRL } from './runtime/wasm/gemm-part.ts';",
        resolveDir: root,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      write: false,
      platform: 'browser',
      logLevel: 'silent',
    });
    const files: Record<string, string> = {
      '/runtime.js': bundle.outputFiles[0]!.text,
      '/page.js': PAGE_SCRIPT,
      '/': '<!doctype html><script type="module" src="/page.js"></script>',
    };
    server = createServer((req, res) => {
      const [path, query] = (req.url ?? '/').split('?');
      const body = files[path ?? ''];
      if (body === undefined) return void res.writeHead(404).end();
      const isolate = query !== 'plain';
      res.writeHead(200, {
        'content-type': path === '/' ? 'text/html' : 'text/javascript',
        ...(isolate ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {}),
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

  async function runPage(query: string): Promise<PageResult> {
    const page = await browser.newPage();
    try {
      await page.goto(`${base}/${query}`);
      await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined);
      return await page.evaluate(() => (window as unknown as { result: Promise<PageResult> }).result);
    } finally {
      await page.close();
    }
  }

  test('on an isolated page: 2 threads, the worker computes, every variant gives the bits of 1 thread', async () => {
    const r = await runPage('');
    expect(r.error).toBeUndefined();
    expect(r.isolated).toBe(true);
    expect(r.threads).toBe(2);
    expect(r.equal).toEqual([true, true, true]);
    expect(r.workerChunks).toBeGreaterThan(0);
    expect(r.after).toBe(1);
  });

  test('without cross-origin isolation, threads are refused with the reason', async () => {
    const r = await runPage('?plain');
    expect(r.isolated).toBe(false);
    expect(r.error).toMatch(/shared|SharedArrayBuffer|cross-origin/i);
  });
});

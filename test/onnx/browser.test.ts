// Issue 19: "in the browser, onnxruntime-web runs the same file". specs/mnist.yaml, its weights moved off their
// initial values, exported as `cnnc export --to onnx` does (the compiler's calls: plan, refusals, renderOnnx), is
// loaded by onnxruntime-web (bench/peers; its wasm build, one thread) in Debian's headless Chromium from a local
// server, run on a batch of 3, and its output compared with cnnc's eval-mode forward in Node: the same shape and
// within 1e-5 of the output's scale, as test/onnx/parity.test.ts holds onnxruntime-node. Skips where Chromium or
// bench/peers' onnxruntime-web is absent.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, planModel, renderOnnx, TS_TARGET, unsupportedByOnnx } from '../../compiler/index.js';
import { chromiumMissing, launchChromium } from '../browser/chromium.js';
import { importGenerated } from '../codegen/helpers.js';
import { inputOf, perturbWeights, relError } from './helpers.js';

const ORT_WEB = fileURLToPath(new URL('../../bench/peers/node_modules/onnxruntime-web/dist/', import.meta.url));
const why = chromiumMissing() ?? (existsSync(join(ORT_WEB, 'ort.wasm.min.mjs')) ? null : 'bench/peers has no onnxruntime-web (npm ci --ignore-scripts --prefix bench/peers)');
if (why !== null) console.warn(`SKIP test/onnx/browser: ${why}`);

const PAGE = `<!doctype html><meta charset="utf-8"><title>onnxruntime-web</title>
<script type="module">
import * as ort from './ort/ort.wasm.min.mjs';
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
try {
  const session = await ort.InferenceSession.create('./model.onnx', { executionProviders: ['wasm'] });
  const x = new Float32Array(await (await fetch('./input.bin')).arrayBuffer());
  const out = (await session.run({ input: new ort.Tensor('float32', x, [3, 1, 28, 28]) }))[session.outputNames[0]];
  window.result = { inputs: session.inputNames, dims: out.dims, data: Array.from(out.data) };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm' };

describe.skipIf(why !== null)('onnxruntime-web in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnc-onnx-web-'));
  let server: Server;
  let browser: Browser;
  let want: Float32Array;

  beforeAll(async () => {
    const file = 'specs/mnist.yaml';
    const { code, ir } = build(readFileSync(file, 'utf8'), file, { dtype: 'float32' });
    expect(code).not.toBeNull();
    const plan = planModel(ir!, TS_TARGET);
    expect(unsupportedByOnnx(plan, readFileSync(file, 'utf8'))).toEqual([]);
    const model = (await importGenerated<Float32Array>(code!)).createModel({ seed: 1 });
    perturbWeights(model);
    model.eval();
    const params = new Map(model.parameters().map((p) => [p.name, p.data]));
    writeFileSync(join(dir, 'model.onnx'), await renderOnnx(plan, (name) => params.get(name)!));
    const x = inputOf(model.inputShape, 3);
    writeFileSync(join(dir, 'input.bin'), x);
    writeFileSync(join(dir, 'index.html'), PAGE);
    want = Float32Array.from(model.forward(x, 3));
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const local = path.startsWith('/ort/') ? join(ORT_WEB, path.slice(5)) : join(dir, path === '/' ? 'index.html' : path.slice(1));
      if (path.includes('..') || !existsSync(local)) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': TYPES[extname(local)] ?? 'application/octet-stream' }).end(readFileSync(local));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs cnnc's exported mnist.onnx with cnnc's output (batch 3, within 1e-5 of its scale)", async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
    const result = await page.evaluate(() => (window as unknown as { result: { error?: string; inputs?: string[]; dims?: number[]; data?: number[] } }).result);
    expect(result.error).toBeUndefined();
    expect(result.inputs).toEqual(['input']);
    expect(result.dims).toEqual([3, 10]);
    const e = relError(result.data!, want);
    console.log(`onnxruntime-web (Chromium, wasm, 1 thread): max |ort-web − cnnc| / max |cnnc| = ${e.toExponential(2)}`);
    expect(e).toBeLessThan(1e-5);
    await page.close();
  }, 90_000);
});

// Parity in WebGL2 and in WebGPU for what the gpu.js target gained with graphs (issue 7): the demo page (examples/
// browser-train, loaded for a single short training step) runs generated modules for graphs (add,
// concat, several readers), the decoder layers (conv_transpose2d, upsample, global_avgpool2d), the new
// losses (dice, focal, bce_with_logits, sums, ignore_index) and two shipped specs; this process runs the
// TypeScript target on the same seed and inputs and compares forward output, loss and every gradient
// (running statistics for buffers) with test/gpujs/helpers.ts's float32 tolerance.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist10k } from '../../runtime/node/data/mnist10k.js';
import { buildOrThrow, inputs } from '../gpujs/helpers.js';
// A plain .mjs script (it runs as `node examples/browser-train/serve.mjs`): tsconfig.test.json's allowJs types it from its JavaScript.
import { startServer } from '../../examples/browser-train/serve.mjs';
import { GRAPH_PARITY_CASES, runParity, type GraphParityCase } from './cases.js';
import { chromiumMissing, launchChromium } from './chromium.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/browser-train/', import.meta.url));
const missing = chromiumMissing();

interface Server {
  readonly url: string;
  close(): Promise<void>;
  addModule(name: string, tsCode: string): Promise<void>;
}

describe.skipIf(missing !== null)('gpu.js graphs, decoder layers and losses in headless Chromium (WebGL2 and WebGPU on SwiftShader)', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = (await startServer({
      specs: [join(EXAMPLE, 'small.yaml')],
      compile: (yaml: string, _file: string, target: 'ts' | 'gpujs') => buildOrThrow(yaml, target),
      loadMnist10k,
      testDigits: 200,
      lifetimeMs: 110_000, // a hung run cannot keep the port
    })) as Server;
    await Promise.all(GRAPH_PARITY_CASES.map((c, i) => server.addModule(`graph${i}`, buildOrThrow(c.yaml, 'gpujs'))));
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${server.url}?backend=webgl2&model=small&steps=1&batch=2`);
    await page.waitForFunction(() => ['done', 'error'].includes((window as { cnncDemo?: { state: string } }).cnncDemo?.state ?? ''), null, { timeout: 40_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [i, c] of GRAPH_PARITY_CASES.entries()) {
    it(`WebGL2 agrees with the TypeScript target: ${c.title}`, async () => {
      await parity(page, i, c, 'webgl2');
    });
  }

  // gpu.js 2.24's WebGPUKernel (WGSL compute shaders over storage buffers; every call returns a Promise,
  // so the page uses the *Async methods) on Chromium's WebGPU adapter, SwiftShader's Vulkan.
  for (const [i, c] of GRAPH_PARITY_CASES.entries()) {
    it(`WebGPU agrees with the TypeScript target: ${c.title}`, async () => {
      await parity(page, i, c, 'webgpu');
    });
  }
});

async function parity(page: Page, index: number, c: GraphParityCase, backend: 'webgl2' | 'webgpu'): Promise<void> {
  const size = c.input.reduce((p, q) => p * q, 1);
  const { x, y } = inputs(c.n, size, c.labels, c.classes, c.inputSeed);
  if (c.ignore) for (let i = 0; i < y.length; i += 5) y[i] = 255;
  const { rows, info } = await runParity(page, c, `graph${index}`, x, y, backend);
  const worst = rows.reduce((m, q) => (q.worst > m.worst ? q : m));
  console.log(`${backend} · ${c.title}: ${rows.length} tensors, worst ${worst.name} max |Δ| ${worst.maxAbs.toExponential(2)} (${worst.worst.toFixed(3)} of tolerance), ${Object.values(info.kernelClasses).reduce((a, b) => a + b, 0)} kernels`);
  for (const q of rows) expect(q.worst, q.name).toBeLessThanOrEqual(1);
  expect(Object.keys(info.kernelClasses)).toEqual([backend === 'webgl2' ? 'WebGL2Kernel' : 'WebGPUKernel']);
  expect(info.honest).toBe(true);
}

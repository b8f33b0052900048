// The gpu.js target in a real browser: Debian's headless Chromium, WebGL2 on SwiftShader (a CPU
// renderer: correctness, not speed). Loads the demo page (examples/browser-train) with its gpu.js switch
// (?backend=webgl2; the TypeScript target is its default: demo-page.test.ts), which trains on the
// embedded digits, and checks that WebGL2 really ran (the kernel classes that were instantiated) and
// that the loss fell; takes a screenshot (test/.tmp/browser-train.png). Then parity in WebGL2, issue 7
// item 3: the page runs generated modules that cover every layer kind and loss; this process runs the
// TypeScript target on the same seed and inputs; forward output, loss and every gradient (running
// statistics for buffers) are compared with test/gpujs/helpers.ts's float32 tolerance.
//
// The page trains examples/browser-train/small.yaml: the seed's model (specs/mnist.yaml) takes ~6.5 s per
// step on SwiftShader here, so it gets one gradient parity check instead.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../compiler/index.js';
import { loadMnist10k } from '../../runtime/node/data/mnist10k.js';
import type { BackendInfo } from '../../runtime/gpujs/index.js';
import { TMP } from '../codegen/helpers.js';
import { buildOrThrow, inputs } from '../gpujs/helpers.js';
// A plain .mjs script (it runs as `node examples/browser-train/serve.mjs`): tsconfig.test.json's allowJs types it from its JavaScript.
import { startServer } from '../../examples/browser-train/serve.mjs';
import { PARITY_CASES, runParity, type ParityCase } from './cases.js';
import { chromiumMissing, launchChromium } from './chromium.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/browser-train/', import.meta.url));
const SHOT = join(TMP, 'browser-train.png');
const missing = chromiumMissing();
if (missing !== null) console.warn(`SKIP test/browser: ${missing}`);

interface Server {
  readonly url: string;
  close(): Promise<void>;
  addModule(name: string, tsCode: string): Promise<void>;
}

interface DemoState {
  readonly state: string;
  readonly error: string | null;
  readonly backendInfo: BackendInfo | null;
  readonly renderer: string | null;
  readonly losses: number[];
  readonly stepMs: number[];
  readonly accuracy: number | null;
  readonly predictions: { label: number; pred: number; p: number }[];
}

describe.skipIf(missing !== null)('the gpu.js target in headless Chromium (WebGL2 on SwiftShader)', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = (await startServer({
      specs: [join(EXAMPLE, 'small.yaml')],
      compile: (yaml: string, file: string, target: 'ts' | 'gpujs') => moduleCode(yaml, file, target),
      loadMnist10k,
      lifetimeMs: 110_000, // a hung run cannot keep the port
    })) as Server;
    await Promise.all(PARITY_CASES.map((c, i) => server.addModule(`case${i}`, buildOrThrow(c.yaml, 'gpujs'))));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('trains on the embedded digits in WebGL2: the loss falls, WebGL2Kernel ran and nothing fell back', async () => {
    await page.goto(`${server.url}?backend=webgl2&model=small&steps=120&batch=16`);
    await page.waitForFunction(() => ['done', 'error'].includes((window as { cnncDemo?: { state: string } }).cnncDemo?.state ?? ''), null, { timeout: 40_000 });
    const s = (await page.evaluate(() => {
      const { runCase: _r, start: _s, pause: _p, ...state } = (window as unknown as { cnncDemo: DemoState & Record<string, unknown> }).cnncDemo;
      return state as unknown as DemoState;
    })) as DemoState;
    mkdirSync(TMP, { recursive: true });
    await page.screenshot({ path: SHOT, fullPage: true });
    expect(s.error).toBeNull();
    expect(s.state).toBe('done');
    const info = s.backendInfo!;
    const mean = (a: number[]): number => a.reduce((p, q) => p + q, 0) / a.length;
    const first = mean(s.losses.slice(0, 10));
    const last = mean(s.losses.slice(-10));
    const warm = mean(s.stepMs.slice(1));
    console.log(
      `browser: ${s.renderer}\n  ${JSON.stringify(info.kernelClasses)} mode ${info.mode} honest ${info.honest}\n` +
        `  loss ${first.toFixed(3)} → ${last.toFixed(3)} (means of the first and last 10 of ${s.losses.length} steps), ` +
        `${warm.toFixed(0)} ms per step of 16, test accuracy ${(100 * s.accuracy!).toFixed(1)}%\n  screenshot: ${SHOT}`,
    );
    expect(info.requested).toBe('webgl2');
    expect(info.mode).toBe('webgl2');
    expect(Object.keys(info.kernelClasses)).toEqual(['WebGL2Kernel']);
    expect(info.modes).toEqual(['webgl2']);
    expect(info.fallbacks).toEqual([]);
    expect(info.honest).toBe(true);
    expect(s.renderer).toMatch(/SwiftShader|ANGLE/);
    expect(s.losses).toHaveLength(120);
    expect(last).toBeLessThan(0.7 * first);
    expect(s.accuracy).toBeGreaterThan(0.4); // chance is 0.1; 120 steps of 16 digits
    expect(s.predictions).toHaveLength(10);
  });

  for (const [i, c] of PARITY_CASES.entries()) {
    it(`WebGL2 agrees with the TypeScript target: ${c.title}`, async () => {
      await parity(page, i, c);
    });
  }
});

async function parity(page: Page, index: number, c: ParityCase): Promise<void> {
  const size = c.input.reduce((p, q) => p * q, 1);
  const { x, y } = inputs(c.n, size, 1, c.classes);
  const { rows, info } = await runParity(page, c, `case${index}`, x, y, 'webgl2');
  console.log(`webgl2 · ${c.title}\n${rows.map((q) => `  ${q.name.padEnd(24)} max |Δ| ${q.maxAbs.toExponential(2)}  (${q.worst.toFixed(3)} of tolerance)`).join('\n')}`);
  for (const q of rows) expect(q.worst, q.name).toBeLessThanOrEqual(1);
  expect(Object.keys(info.kernelClasses)).toEqual(['WebGL2Kernel']);
  expect(info.honest).toBe(true);
}

function moduleCode(yaml: string, file: string, target: 'ts' | 'gpujs'): string {
  const r = build(yaml, file, { target });
  if (r.code === null) throw new Error(`${file} refused: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.code;
}

// The browser demo as a tool (issue 20 item 7), driven like a user in Debian's headless Chromium:
// examples/browser-train's page trains the TypeScript target's module on the wasm kernels, with worker threads
// (serve.mjs makes the page cross-origin isolated); Start and Pause start and stop the steps; the learning
// rate, batch size and model controls reach the training; a digit drawn with the mouse on the pad is
// classified with ten probabilities; and a screenshot of the page (test/.tmp/demo-page.png) is not blank.
//
// Speed: the page's img/s is printed beside this process's own TypeScript-target rate measured just before,
// on the same model and batch. The floor asserted (MIN_IMG_S) is far below both: this machine's two cores are
// shared by several people, and nine runs at load averages 7-14 measured 158-339 img/s in the page and
// 144-319 img/s in Node for specs/mnist.yaml at batch 64 (the issue asks 300; the README gives the figures).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../compiler/index.js';
import { loadMnist10k } from '../../runtime/node/data/mnist10k.js';
import { generateOrThrow, importGenerated, TMP } from '../codegen/helpers.js';
// A plain .mjs script (it runs as `node examples/browser-train/serve.mjs`): tsconfig.test.json's allowJs types it from its JavaScript.
import { startServer } from '../../examples/browser-train/serve.mjs';
import { chromiumMissing, launchChromium } from './chromium.js';

const SHOT = join(TMP, 'demo-page.png');
const MIN_IMG_S = 25; // a floor that a loaded shared machine still clears; the figure itself is printed
const missing = chromiumMissing();
if (missing !== null) console.warn(`SKIP test/browser/demo-page: ${missing}`);

interface Demo {
  state: string;
  error: string | null;
  running: boolean;
  isolated: boolean;
  threads: number;
  threadsError: string | null;
  backendInfo: { gemm: string; threads: number } | null;
  model: string;
  lr: number;
  batch: number;
  step: number;
  losses: number[];
  stepImages: number[];
  imgPerSec: number | null;
  wallImgPerSec: number | null;
  accuracyHistory: { step: number; accuracy: number; digits: number }[];
  prediction: { pred: number; probs: number[] } | null;
}

/** The page's state, less its functions. */
const state = (page: Page): Promise<Demo> =>
  page.evaluate(() => {
    const { runCase: _r, start: _s, pause: _p, models: _m, ...rest } = (window as unknown as { cnncDemo: Demo & Record<string, unknown> }).cnncDemo;
    return rest as unknown as Demo;
  });

const waitFor = (page: Page, test: string, timeout = 60_000): Promise<unknown> =>
  page.waitForFunction(`(() => { const d = window.cnncDemo; if (d?.error) throw new Error(d.error); return ${test}; })()`, null, { timeout });

const mean = (a: number[]): number => a.reduce((p, q) => p + q, 0) / a.length;

describe.skipIf(missing !== null)('the browser demo in headless Chromium: TypeScript + wasm with threads, controls, chart, draw pad', () => {
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    server = (await startServer({
      compile: (yaml: string, file: string, target: 'ts' | 'gpujs') => {
        const r = build(yaml, file, { target });
        if (r.code === null) throw new Error(`${file} refused: ${r.diagnostics.map((d) => d.message).join('; ')}`);
        return r.code;
      },
      loadMnist10k,
      lifetimeMs: 170_000, // a hung run cannot keep the port
    })) as typeof server;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
    page.on('pageerror', (e) => errors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('Start trains the seed\'s MnistNet on the wasm kernels, threads on (cross-origin isolated); Pause stops the steps', async () => {
    await page.goto(server.url);
    await waitFor(page, "d?.state === 'ready'");
    const ready = await state(page);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(ready.isolated).toBe(true);
    expect(ready.threadsError).toBeNull();
    expect(ready.threads).toBe(Math.min(8, cores));
    expect(ready.backendInfo).toMatchObject({ gemm: 'wasm', threads: ready.threads });
    expect(ready).toMatchObject({ model: 'mnist', lr: 0.001, batch: 64, step: 0 }); // specs/mnist.yaml's optimizer and train

    const nodeRate = await nodeImgPerSec(readFileSync(fileURLToPath(new URL('../../specs/mnist.yaml', import.meta.url)), 'utf8'), 64);
    await page.click('#start');
    await waitFor(page, 'd.step >= 2'); // past the first step, which allocates the model's arenas (about a second)
    // The page's responsiveness while it trains: the longest gap between the ticks of a 20 ms timer.
    await page.evaluate(() => {
      const w = window as unknown as { lagMs: number; lagTimer: number };
      let last = performance.now();
      w.lagMs = 0;
      w.lagTimer = setInterval(() => {
        const t = performance.now();
        w.lagMs = Math.max(w.lagMs, t - last);
        last = t;
      }, 20) as unknown as number;
    });
    await waitFor(page, 'd.step >= 25');
    const lagMs = await page.evaluate(() => {
      const w = window as unknown as { lagMs: number; lagTimer: number };
      clearInterval(w.lagTimer);
      return w.lagMs;
    });
    await page.click('#start'); // now Pause
    await waitFor(page, "d.state === 'paused'");
    await page.waitForTimeout(500); // a step under way when Pause was pressed finishes
    const paused = await state(page);
    await page.waitForTimeout(1500);
    const later = await state(page);
    console.log(
      `demo page, MnistNet batch 64, ${ready.threads} threads (${cores} cores): ${paused.imgPerSec!.toFixed(0)} img/s in training steps ` +
        `(last 20), ${paused.wallImgPerSec!.toFixed(0)} img/s of wall time; this process, 1 thread, just before: ${nodeRate.toFixed(0)} img/s; ` +
        `the page's longest unresponsive gap ${lagMs.toFixed(0)} ms (a step is ${(64000 / paused.imgPerSec!).toFixed(0)} ms)`,
    );
    expect(lagMs).toBeLessThan(2500); // it yields between slices: a loop that did not would stall for the whole run
    expect(later.step).toBe(paused.step);
    expect(later.running).toBe(false);
    expect(paused.imgPerSec!).toBeGreaterThanOrEqual(MIN_IMG_S);
    expect(mean(paused.losses.slice(-5))).toBeLessThan(0.8 * mean(paused.losses.slice(0, 5)));
    expect(await page.textContent('#start')).toBe('Start');
  });

  it('the learning rate and batch size controls reach the next steps; a learning rate that is not positive is refused', async () => {
    await page.locator('#lr').fill('0.0005');
    await page.locator('#lr').blur(); // 'change'
    await page.selectOption('#batch', '32');
    let s = await state(page);
    expect(s.lr).toBe(0.0005);
    expect(s.batch).toBe(32);
    await page.locator('#lr').fill('-1');
    await page.locator('#lr').blur();
    expect((await state(page)).lr).toBe(0.0005);
    expect(await page.inputValue('#lr')).toBe('0.0005');
    const before = s.step;
    await page.click('#start');
    await waitFor(page, `d.step >= ${before + 3}`);
    await page.click('#start');
    await waitFor(page, "d.state === 'paused'");
    await page.waitForTimeout(500);
    s = await state(page);
    expect(s.stepImages.slice(0, before).every((n) => n === 64)).toBe(true);
    expect(s.stepImages.slice(before)).toEqual(new Array(s.step - before).fill(32));
  });

  it('choosing the small model starts a fresh one (its spec\'s rate, the batch kept), which reaches the step-100 test evaluation', async () => {
    await page.selectOption('#model', 'small');
    await waitFor(page, "d.model === 'small' && d.step === 0");
    expect(await state(page)).toMatchObject({ state: 'ready', running: false, lr: 0.005, batch: 32, losses: [], accuracyHistory: [] });
    await page.click('#start');
    await waitFor(page, 'd.accuracyHistory.length >= 1');
    await page.click('#start');
    await waitFor(page, "d.state === 'paused'");
    const s = await state(page);
    console.log(`demo page, MnistSmall batch 32: ${s.imgPerSec!.toFixed(0)} img/s; test accuracy ${(100 * s.accuracyHistory[0]!.accuracy).toFixed(1)}% at step 100`);
    expect(s.accuracyHistory[0]).toMatchObject({ step: 100, digits: 500 });
    expect(s.accuracyHistory[0]!.accuracy).toBeGreaterThan(0.5); // chance is 0.1
  });

  it("the pad's input is MNIST's: a corner scribble comes out scaled to a 20-pixel box and centred by its mass", async () => {
    if (!page.url().startsWith(server.url)) await page.goto(server.url); // run alone (-t)
    // A string, not a function: vitest would rewrite a function's import() into its own loader.
    const r = (await page.evaluate(`(async () => {
      const { toMnist } = await import('/draw.js');
      const c = document.createElement('canvas');
      c.width = c.height = 280;
      const ctx = c.getContext('2d');
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, 280, 280);
      const empty = toMnist(c);
      ctx.fillStyle = '#fff';
      ctx.fillRect(10, 20, 30, 60); // a 30×60 block near the top-left corner
      ctx.fillRect(10, 20, 60, 10); // and a bar along its top: the mass sits off the box's centre
      return { empty, x: Array.from(toMnist(c)) };
    })()`)) as { empty: null; x: number[] };
    expect(r.empty).toBeNull();
    let mass = 0, mx = 0, my = 0, x0 = 28, x1 = -1, y0 = 28, y1 = -1;
    r.x.forEach((v, i) => {
      const [px, py] = [i % 28, Math.floor(i / 28)];
      mass += v; mx += v * (px + 0.5); my += v * (py + 0.5);
      if (v > 0) [x0, x1, y0, y1] = [Math.min(x0, px), Math.max(x1, px), Math.min(y0, py), Math.max(y1, py)];
    });
    expect(Math.max(x1 - x0 + 1, y1 - y0 + 1)).toBe(20); // 60 pixels tall → 20
    expect(Math.abs(mx / mass - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(my / mass - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...r.x)).toBeLessThanOrEqual(1);
  });

  it('a digit drawn with the mouse while the model trains is classified: ten probabilities that sum to 1, the 1 of a vertical stroke; Clear empties it', async () => {
    await page.click('#start'); // drawing while training: the loop yields to the page's input
    const box = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.51, box.y + box.height * 0.5, { steps: 6 });
    await page.mouse.move(box.x + box.width * 0.52, box.y + box.height * 0.85, { steps: 6 });
    await page.mouse.up();
    await waitFor(page, 'd.prediction !== null', 10_000);
    const during = await state(page);
    expect(during.running).toBe(true);
    await page.click('#start');
    await waitFor(page, "d.state === 'paused'");
    await page.waitForTimeout(200); // the prediction that follows the last training slice
    const p = (await state(page)).prediction!;
    console.log(`drawn 1: predicted ${p.pred}, p = [${p.probs.map((q) => q.toFixed(3)).join(', ')}]`);
    expect(p.probs).toHaveLength(10);
    expect(Math.abs(p.probs.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
    expect(p.probs.every((q) => q >= 0)).toBe(true);
    expect(p.pred).toBe(p.probs.indexOf(Math.max(...p.probs)));
    expect(p.pred).toBe(1);
    expect(await page.textContent('#guess')).toMatch(/^1 \(\d+\.\d%\)$/);

    mkdirSync(TMP, { recursive: true });
    const shot = PNG.sync.read(await page.screenshot({ path: SHOT, fullPage: true }));
    const chart = PNG.sync.read(await page.locator('#chart').screenshot());
    const pad = PNG.sync.read(await page.locator('#pad').screenshot());
    const colours = new Set<number>();
    let ink = 0;
    for (let i = 0; i < shot.data.length; i += 4) {
      const [r, g, b] = [shot.data[i]!, shot.data[i + 1]!, shot.data[i + 2]!];
      colours.add((r << 16) | (g << 8) | b);
      if (r + g + b < 3 * 235) ink++;
    }
    const near = (png: PNG, rgb: [number, number, number]): number => {
      let k = 0;
      for (let i = 0; i < png.data.length; i += 4) if (rgb.every((c, j) => Math.abs(png.data[i + j]! - c) < 40)) k++;
      return k;
    };
    const pixels = shot.width * shot.height;
    console.log(`screenshot ${SHOT}: ${shot.width}×${shot.height}, ${colours.size} colours, ${((100 * ink) / pixels).toFixed(1)}% not background; chart: ${near(chart, [47, 111, 222])} loss-blue, ${near(chart, [22, 121, 74])} accuracy-green pixels; pad: ${near(pad, [255, 255, 255])} white`);
    expect(colours.size).toBeGreaterThan(200);
    expect(ink / pixels).toBeGreaterThan(0.05);
    expect(near(chart, [47, 111, 222])).toBeGreaterThan(300); // the loss curve
    expect(near(chart, [22, 121, 74])).toBeGreaterThan(20); // the accuracy dot
    expect(near(pad, [255, 255, 255])).toBeGreaterThan(1000); // the stroke

    await page.click('#clear');
    await waitFor(page, 'd.prediction === null', 10_000);
    expect(await page.textContent('#guess')).toBe('draw a digit');
    expect(errors).toEqual([]);
  });

  it('a finger draws too (touch events through Chromium\'s input, on a touch-enabled page): a prediction appears', async () => {
    const context = await browser.newContext({ hasTouch: true, viewport: { width: 1100, height: 1300 } });
    try {
      const touch = await context.newPage();
      await touch.goto(`${server.url}?model=small`);
      await waitFor(touch, "d.state === 'ready'");
      const box = (await touch.locator('#pad').boundingBox())!;
      const cdp = await context.newCDPSession(touch);
      const at = (f: number) => [{ x: box.x + box.width * (0.3 + 0.4 * f), y: box.y + box.height * (0.2 + 0.6 * f) }];
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0) });
      for (let i = 1; i <= 10; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(i / 10) });
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      await waitFor(touch, 'd.prediction !== null', 10_000);
      const p = (await state(touch)).prediction!;
      expect(p.probs).toHaveLength(10);
      expect(Math.abs(p.probs.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
    } finally {
      await context.close();
    }
  });
});

/** This process's TypeScript-target training rate on `yaml` at batch n (one thread, after one warm-up step). */
async function nodeImgPerSec(yaml: string, n: number): Promise<number> {
  const { createModel } = await importGenerated<Float32Array>(generateOrThrow(yaml));
  const m = createModel();
  m.train();
  const x = new Float32Array(n * 784).map((_, i) => (i % 7) / 7);
  const y = Int32Array.from({ length: n }, (_, i) => i % 10);
  m.trainStep(x, y, n);
  const t0 = performance.now();
  for (let s = 0; s < 6; s++) m.trainStep(x, y, n);
  return (6 * n * 1000) / (performance.now() - t0);
}

// examples/vite-app (issue 20, item 8): a vite app that depends on cnnc (`file:../..`), imports the module
// `cnnc build` wrote for its spec, trains it in the page on the embedded digits and classifies the test digits.
// The test builds it with the app's own `npm run build` (cnnc build, digits.mjs, vite build), serves dist/ with
// `vite preview` and the app's vite.config.js (whose COOP/COEP headers make the page cross-origin isolated, so
// threads start), opens it in Debian's headless Chromium and reads the page's state: trained accuracy well above
// chance (10%), several threads, and no error in the console. The same from vite's dev server (`npm run dev`).
// The build and the type-check of src/main.ts run without Chromium too.
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { createServer, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromiumMissing, launchChromium } from '../browser/chromium.js';
import { requireFreshDist } from '../runtime/dist.js';

const root = resolve(__dirname, '..', '..');
const appDir = join(root, 'examples', 'vite-app');
const STEPS = 300;
const missing = chromiumMissing();
if (missing !== null) console.warn(`SKIP test/examples/vite-app: ${missing}`);

interface AppState {
  state: 'loading' | 'training' | 'done' | 'error';
  isolated: boolean;
  threads: number;
  steps: number;
  losses: number[];
  trainMs: number;
  accuracy: number | null;
  error: string | null;
}

/**
 * What `npm install` does for the app's `"cnnc": "file:../.."` (a symlink, node_modules/cnnc → the repository)
 * and its bin link (`cnnc` on the scripts' PATH, here a shim in `bin`), without reaching a registry: vite
 * itself resolves from the repository's node_modules, above the app.
 */
function linkCnnc(bin: string): void {
  const link = join(appDir, 'node_modules', 'cnnc');
  if (lstatSync(link, { throwIfNoEntry: false }) === undefined) {
    mkdirSync(join(appDir, 'node_modules'), { recursive: true });
    symlinkSync(join('..', '..', '..'), link, 'dir');
  }
  if (realpathSync(link) !== realpathSync(root)) throw new Error(`${link} is not this repository (${realpathSync(link)}): remove examples/vite-app/node_modules`);
  writeFileSync(join(bin, 'cnnc'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, 'bin', 'cnnc.js'))} "$@"\n`);
  chmodSync(join(bin, 'cnnc'), 0o755);
}

describe('examples/vite-app', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cnnc-vite-app-'));

  beforeAll(() => {
    requireFreshDist(root);
    linkCnnc(tmp);
    const PATH = [tmp, join(root, 'node_modules', '.bin'), process.env['PATH'] ?? ''].join(delimiter);
    execFileSync('npm', ['run', 'build'], { cwd: appDir, env: { ...process.env, PATH }, stdio: 'pipe' });
  }, 120_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('npm run build wrote the generated model, and vite the page, the app bundle, cnnc\'s worker and the digits', () => {
    expect(readFileSync(join(appDir, 'src', 'mnist.model.ts'), 'utf8')).toContain('export class DigitsNet');
    const assets = readdirSync(join(appDir, 'dist', 'assets'));
    expect(assets.filter((f) => /^index-[\w-]+\.js$/.test(f))).toHaveLength(1);
    expect(assets.filter((f) => /^worker-[\w-]+\.js$/.test(f))).toHaveLength(1); // runtime/worker.js, bundled by vite
    expect(statSync(join(appDir, 'dist', 'digits.bin')).size).toBe(8 + 5000 * (1 + 28 * 28));
  });

  test('src/main.ts type-checks (strict, noUncheckedIndexedAccess) against the generated module and cnnc/runtime\'s .d.ts', () => {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', appDir], { stdio: 'pipe' });
  });

  describe.skipIf(missing !== null)('in headless Chromium', () => {
    let server: PreviewServer;
    let browser: Browser;
    let url = '';
    let builtAccuracy: number | null = null;

    beforeAll(async () => {
      server = await preview({ root: appDir, logLevel: 'silent', preview: { host: '127.0.0.1', port: 0, open: false } });
      url = server.resolvedUrls?.local[0] ?? '';
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    /** Opens the app, waits for its training to end, and returns its state, the page's core count and what its console said. */
    async function runApp(at: string): Promise<{ app: AppState; cores: number; errors: string[]; accuracyText: string | null; figures: number }> {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      try {
        await page.goto(at);
        await page.waitForFunction(() => ['done', 'error'].includes((window as unknown as { cnncApp?: AppState }).cnncApp?.state ?? ''), null, { timeout: 60_000 });
        const app = await page.evaluate(() => (window as unknown as { cnncApp: AppState }).cnncApp);
        const cores = await page.evaluate(() => navigator.hardwareConcurrency);
        console.log(`vite-app (${at}): ${app.steps} steps in ${(app.trainMs / 1000).toFixed(1)} s on ${app.threads} threads; test accuracy ${(100 * (app.accuracy ?? 0)).toFixed(2)}%`);
        return { app, cores, errors, accuracyText: await page.textContent('#accuracy'), figures: await page.locator('#digits figure').count() };
      } finally {
        await page.close();
      }
    }

    function expectTrained(r: Awaited<ReturnType<typeof runApp>>): void {
      const { app } = r;
      expect(app.error).toBeNull();
      expect(app.state).toBe('done');
      expect(app.isolated).toBe(true); // vite.config.js's headers
      expect(app.threads).toBe(Math.max(1, Math.min(4, r.cores)));
      expect(app.steps).toBe(STEPS);
      expect(app.losses.every(Number.isFinite)).toBe(true);
      const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
      expect(mean(app.losses.slice(-50))).toBeLessThan(mean(app.losses.slice(0, 10)) / 3);
      expect(app.accuracy).toBeGreaterThan(0.8); // chance is 0.1
      expect(r.accuracyText).toMatch(/^test accuracy: \d+\.\d\d% \(\d+\/1000\)$/);
      expect(r.figures).toBe(24);
      expect(r.errors).toEqual([]);
    }

    test(`the production build, served by vite preview: trains ${STEPS} steps on several threads and classifies 1,000 test digits far above chance, with a clean console`, async () => {
      const r = await runApp(url);
      expectTrained(r);
      builtAccuracy = r.app.accuracy;
    }, 90_000);

    test('the dev server (npm run dev) runs the same app from the sources: cnnc\'s worker file is served, and training reaches the production build\'s accuracy exactly', async () => {
      const dev = await createServer({ root: appDir, logLevel: 'silent', server: { host: '127.0.0.1', port: 0 } });
      try {
        await dev.listen();
        const at = dev.resolvedUrls?.local[0] ?? '';
        expect(at).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        const r = await runApp(at);
        expectTrained(r);
        // The same seed, batches and kernels (threads give the bits of one thread): the same model, unbundled.
        expect(r.app.accuracy).toBe(builtAccuracy);
      } finally {
        await dev.close();
      }
    }, 90_000);
  });
});

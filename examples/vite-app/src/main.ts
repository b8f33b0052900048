// The app: trains the module `cnnc build` wrote (src/mnist.model.ts, from model.yaml) on digits fetched from
// public/digits.bin (digits.mjs), then classifies the test digits and shows the accuracy. TypeScript + wasm
// kernels; on a cross-origin-isolated page (vite.config.js sends the headers) the matrix products run on
// several threads, with the same bits as one. Its state is on window.cnncApp, for the test and the console.
import { backendInfo, spawnWebWorker, startThreads } from 'cnnc/runtime';
import { createModel } from './mnist.model.ts';

const PIXELS = 28 * 28;
const params = new URLSearchParams(location.search);
const STEPS = Number(params.get('steps') ?? 300);
const BATCH = 32;
const SEED = 1;

interface Split {
  readonly n: number;
  readonly labels: Int32Array;
  readonly images: Float32Array; // [n, 1, 28, 28] in [0, 1]
}

const app = {
  state: 'loading' as 'loading' | 'training' | 'done' | 'error',
  isolated: globalThis.crossOriginIsolated === true,
  threads: 1,
  steps: 0,
  losses: [] as number[],
  trainMs: 0,
  accuracy: null as number | null,
  error: null as string | null,
};
(window as unknown as { cnncApp: typeof app }).cnncApp = app;

const $ = (id: string): HTMLElement => document.getElementById(id)!;

main().catch((e: unknown) => {
  app.state = 'error';
  app.error = String(e instanceof Error ? e.stack ?? e.message : e);
  $('status').textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
  $('status').className = 'error';
});

async function main(): Promise<void> {
  const [train, test] = await fetchDigits('digits.bin');
  if (app.isolated) {
    await startThreads(Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)), spawnWebWorker);
  }
  const info = backendInfo();
  app.threads = info.threads;
  $('backend').textContent = `kernels: ${info.gemm}${info.relaxedSimd ? ' (relaxed SIMD)' : ''}, ${info.threads} thread${info.threads === 1 ? '' : 's'}${app.isolated ? '' : ' (the page is not cross-origin isolated: one thread)'}`;

  const net = createModel({ seed: SEED });
  const count = net.parameters().reduce((a, p) => a + (p.trainable ? p.data.length : 0), 0);
  $('model').textContent = `${net.name}: input [${net.inputShape.join(', ')}], ${count.toLocaleString('en')} parameters; ${train.n} training and ${test.n} test digits`;

  app.state = 'training';
  net.train();
  const x = new Float32Array(BATCH * PIXELS);
  const y = new Int32Array(BATCH);
  const order = shuffled(train.n, SEED);
  const t0 = performance.now();
  for (let step = 0; step < STEPS; step++) {
    for (let i = 0; i < BATCH; i++) {
      const k = order[(step * BATCH + i) % train.n]!;
      x.set(train.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      y[i] = train.labels[k]!;
    }
    app.losses.push(net.trainStep(x, y, BATCH));
    app.steps = step + 1;
    if (step % 25 === 24 || step === STEPS - 1) {
      const recent = app.losses.slice(-25);
      $('status').textContent = `step ${step + 1}/${STEPS}: loss ${(recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(3)} (mean of the last ${recent.length})`;
      await new Promise((resolve) => setTimeout(resolve)); // let the page paint
    }
  }
  app.trainMs = performance.now() - t0;

  net.eval();
  const predicted = new Int32Array(test.n);
  for (let at = 0; at < test.n; at += 250) {
    const n = Math.min(250, test.n - at);
    predicted.set(net.predict(test.images.subarray(at * PIXELS, (at + n) * PIXELS), n).map((p) => p.class), at);
  }
  const correct = predicted.reduce((a, p, i) => a + (p === test.labels[i] ? 1 : 0), 0);
  app.accuracy = correct / test.n;
  $('status').textContent = `trained ${STEPS} steps of ${BATCH} digits in ${(app.trainMs / 1000).toFixed(1)} s`;
  $('accuracy').textContent = `test accuracy: ${(100 * app.accuracy).toFixed(2)}% (${correct}/${test.n})`;
  showDigits(test, predicted, 24);
  app.state = 'done';
}

async function fetchDigits(url: string): Promise<[Split, Split]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} (run \`npm run prepare-app\`, which writes public/digits.bin)`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const view = new DataView(bytes.buffer);
  const counts = [view.getUint32(0, true), view.getUint32(4, true)];
  let at = 8;
  const splits = counts.map((n) => {
    const labels = Int32Array.from(bytes.subarray(at, at + n));
    at += n;
    const images = Float32Array.from(bytes.subarray(at, at + n * PIXELS), (v) => v / 255);
    at += n * PIXELS;
    return { n, labels, images };
  });
  if (at !== bytes.length) throw new Error(`${url}: ${bytes.length} bytes, expected ${at}`);
  return [splits[0]!, splits[1]!];
}

/** 0 … n−1 in a seeded order (Fisher–Yates on a small LCG): the same batches every run. */
function shuffled(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The first `count` test digits (evenly spaced over the classes), each with its prediction. */
function showDigits(test: Split, predicted: Int32Array, count: number): void {
  const box = $('digits');
  for (let k = 0; k < count; k++) {
    const i = Math.floor((k * test.n) / count);
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 28;
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(28, 28);
    for (let p = 0; p < PIXELS; p++) {
      const v = 255 - Math.round(255 * test.images[i * PIXELS + p]!);
      img.data.set([v, v, v, 255], 4 * p);
    }
    ctx.putImageData(img, 0, 0);
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = `${predicted[i]}${predicted[i] === test.labels[i] ? '' : ` (is ${test.labels[i]})`}`;
    if (predicted[i] !== test.labels[i]) caption.className = 'wrong';
    figure.append(canvas, caption);
    box.append(figure);
  }
}

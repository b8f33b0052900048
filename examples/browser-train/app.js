// The demo page: trains the generated gpu.js module (/models/model.js, built from the server's spec)
// on a slice of the embedded digits, draws the loss per step and a few predictions, and keeps its state
// on window.cnncDemo (what the browser test reads). Plain browser ESM: no bundler for this file.
import { createModel } from '/models/model.js';
import { decodeDigits, PIXELS } from '/digits.mjs';

const params = new URLSearchParams(location.search);
const BACKEND = params.get('backend') ?? 'webgl2';
const STEPS = positive(params.get('steps'), 40);
const BATCH = positive(params.get('batch'), 16);

/** What the test (and a curious reader in the console) sees. */
const demo = {
  state: 'loading', // loading → training → evaluating → done | error
  requested: BACKEND,
  steps: STEPS,
  batch: BATCH,
  renderer: webglRenderer(),
  backendInfo: null,
  losses: [],
  stepMs: [],
  accuracy: null,
  predictions: [],
  error: null,
  runCase,
};
window.cnncDemo = demo;

const $ = (id) => document.getElementById(id);

main().catch((e) => {
  demo.state = 'error';
  demo.error = String(e?.stack ?? e);
  $('status').textContent = `error: ${e?.message ?? e}`;
  $('status').className = 'error';
});

async function main() {
  $('requested').textContent = BACKEND;
  $('renderer').textContent = demo.renderer ?? 'no WebGL2 context';
  const [train, test] = await Promise.all([fetchDigits('/data/train.bin'), fetchDigits('/data/test.bin')]);
  const net = createModel({ seed: 1, backend: BACKEND });
  const count = net.parameters().reduce((a, p) => a + (p.trainable ? p.data.length : 0), 0);
  $('title').textContent = `cnnc · training ${net.name} in the browser`;
  $('model').textContent = `${net.name}: input [${net.inputShape}], output [${net.outputShape}], ${count.toLocaleString('en')} parameters`;
  net.train();
  demo.state = 'training';
  const x = new Float32Array(BATCH * PIXELS);
  const y = new Int32Array(BATCH);
  const order = shuffled(train.n, 1);
  for (let step = 0; step < STEPS; step++) {
    for (let i = 0; i < BATCH; i++) {
      const k = order[(step * BATCH + i) % train.n];
      x.set(train.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      y[i] = train.labels[k];
    }
    const t0 = performance.now();
    const loss = await net.trainStepAsync(x, y, BATCH); // the first step compiles every kernel
    demo.stepMs.push(performance.now() - t0);
    demo.losses.push(loss);
    demo.backendInfo = net.backendInfo();
    $('status').textContent = `training: step ${step + 1} of ${STEPS} (batch ${BATCH})`;
    showBackend(demo.backendInfo);
    showLoss();
    await new Promise((r) => setTimeout(r, 0)); // let the page paint
  }
  demo.state = 'evaluating';
  $('status').textContent = 'evaluating on the test digits…';
  net.eval();
  await evaluate(net, test);
  demo.backendInfo = net.backendInfo();
  showBackend(demo.backendInfo);
  net.dispose();
  demo.state = 'done';
  $('status').textContent = `done: ${STEPS} steps of ${BATCH} digits`;
}

/** Accuracy on the test slice (in batches of BATCH: the kernels compiled for that size), and ten digits drawn. */
async function evaluate(net, test) {
  const batches = Math.floor(test.n / BATCH);
  const classes = net.outputShape[0];
  let correct = 0;
  const shown = new Set(Array.from({ length: 10 }, (_, i) => Math.floor(((i + 0.5) * batches * BATCH) / 10)));
  for (let b = 0; b < batches; b++) {
    const out = await net.forwardAsync(test.images.subarray(b * BATCH * PIXELS, (b + 1) * BATCH * PIXELS), BATCH);
    for (let i = 0; i < BATCH; i++) {
      const k = b * BATCH + i;
      const p = probabilities(out.subarray(i * classes, (i + 1) * classes));
      const pred = p.indexOf(Math.max(...p));
      if (pred === test.labels[k]) correct++;
      if (shown.has(k)) {
        demo.predictions.push({ label: test.labels[k], pred, p: p[pred] });
        drawDigit(test.images.subarray(k * PIXELS, (k + 1) * PIXELS), test.labels[k], pred, p[pred]);
      }
    }
  }
  demo.accuracy = correct / (batches * BATCH);
  $('accuracy').textContent = `${(100 * demo.accuracy).toFixed(1)}% of ${batches * BATCH} digits (after ${STEPS} steps only)`;
}

/**
 * Parity hook for the browser test: a fresh model of /models/<name>.js from `seed`, its forward output
 * on x, then (a second fresh model, so both start from the seed's state) its loss and every gradient
 * (running statistics for buffers). Float32Arrays travel as base64.
 */
async function runCase({ name, seed, mode, x, y, n, backend = BACKEND }) {
  const mod = await import(`/models/${name}.js`);
  const xs = fromBase64(x);
  const ys = Int32Array.from(y);
  const fresh = () => {
    const m = mod.createModel({ seed, backend });
    if (mode === 'train') m.train();
    else m.eval();
    return m;
  };
  const a = fresh();
  const forward = toBase64(await a.forwardAsync(xs, n));
  a.dispose();
  const b = fresh();
  const loss = await b.computeGradientsAsync(xs, ys, n);
  await b.downloadAsync();
  const tensors = b.parameters().map((p) => ({ name: p.name, trainable: p.trainable, values: toBase64(p.trainable ? p.grad : p.data) }));
  const info = b.backendInfo();
  b.dispose();
  return { forward, loss, tensors, info };
}

function showBackend(info) {
  $('mode').textContent = info.mode;
  $('kernels').textContent = Object.entries(info.kernelClasses).map(([k, v]) => `${k} × ${v}`).join(', ');
  $('honest').textContent = info.honest ? 'true: every kernel ran in that mode' : `false: ${info.fallbacks.map((f) => `${f.kernel} (${f.reason})`).join('; ') || `modes ${info.modes.join(', ')}`}`;
  $('honest').className = `honest-${info.honest}`;
}

function showLoss() {
  const L = demo.losses;
  $('loss').textContent = `${L[0].toFixed(3)} → ${L[L.length - 1].toFixed(3)}`;
  const warm = demo.stepMs.slice(1); // the first step compiles the kernels
  const ms = warm.length > 0 ? warm.reduce((a, b) => a + b, 0) / warm.length : demo.stepMs[0];
  $('speed').textContent = `first step ${(demo.stepMs[0] / 1000).toFixed(1)} s (kernels compile); then ${ms.toFixed(0)} ms per step, ${((1000 * BATCH) / ms).toFixed(1)} images/s`;
  drawChart(L);
}

function drawChart(L) {
  const W = 940, H = 240, left = 44, right = 12, top = 10, bottom = 28;
  const max = Math.max(...L, 0.1) * 1.05;
  const sx = (i) => left + ((W - left - right) * i) / Math.max(STEPS - 1, 1);
  const sy = (v) => top + (H - top - bottom) * (1 - v / max);
  const ticks = [0, max / 2, max].map((v) => `<line x1="${left}" x2="${W - right}" y1="${sy(v)}" y2="${sy(v)}" stroke="#e6e9ef"/><text x="${left - 6}" y="${sy(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`);
  const points = L.map((v, i) => `${sx(i).toFixed(1)},${sy(v).toFixed(1)}`).join(' ');
  $('chart').innerHTML = `${ticks.join('')}
    <text x="${left}" y="${H - 8}">step 1</text><text x="${W - right}" y="${H - 8}" text-anchor="end">step ${STEPS}</text>
    <polyline points="${points}" fill="none" stroke="#2f6fde" stroke-width="2"/>`;
}

function drawDigit(pixels, label, pred, p) {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 28;
  canvas.className = 'digit';
  const img = canvas.getContext('2d').createImageData(28, 28);
  for (let i = 0; i < PIXELS; i++) {
    const v = 255 - Math.round(pixels[i] * 255); // dark ink on white
    img.data.set([v, v, v, 255], i * 4);
  }
  canvas.getContext('2d').putImageData(img, 0, 0);
  const fig = document.createElement('figure');
  const cap = document.createElement('figcaption');
  cap.className = pred === label ? 'ok' : 'bad';
  cap.textContent = `pred ${pred} (${Math.round(100 * p)}%) · true ${label}`;
  fig.append(canvas, cap);
  $('digits').append(fig);
}

/** Class probabilities of one output row: log-probabilities (all ≤ 0) are exponentiated, logits softmaxed, probabilities kept. */
function probabilities(row) {
  const v = Array.from(row);
  const sum = v.reduce((a, b) => a + b, 0);
  if (v.every((q) => q >= 0 && q <= 1) && Math.abs(sum - 1) < 1e-3) return v;
  if (v.every((q) => q <= 0)) return v.map(Math.exp);
  const m = Math.max(...v);
  const e = v.map((q) => Math.exp(q - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((q) => q / z);
}

async function fetchDigits(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return decodeDigits(new Uint8Array(await r.arrayBuffer()));
}

/** A seeded Fisher–Yates permutation (so a reload trains on the same batches). */
function shuffled(n, seed) {
  let s = seed >>> 0;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function webglRenderer() {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (gl === null) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return gl.getParameter(ext === null ? gl.RENDERER : ext.UNMASKED_RENDERER_WEBGL);
}

function positive(text, fallback) {
  const v = Number(text ?? fallback);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

function toBase64(f32) {
  const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64) {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

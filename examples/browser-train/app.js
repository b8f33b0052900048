// The demo page: trains a generated module on the embedded digits in the browser, with controls (start/pause,
// model, learning rate, batch size), a live chart, a pad to draw a digit on and see it classified, and its
// state on window.cnncDemo (what the browser test reads). Plain browser ESM: no bundler for this file.
//
// Backends: `ts` (the default) runs the TypeScript target's module (/models/<id>.ts.js) on the wasm kernels of
// cnnc/runtime, with worker threads when the page is cross-origin isolated (serve.mjs sends COOP/COEP);
// ?backend=gpujs (WebGL2) or a gpu.js mode (webgl2, webgl, webgpu, gpu, cpu) runs the gpu.js module instead.
// Other query parameters: model=<id>, lr, batch, threads, steps (train that many steps, then pause and
// evaluate: state 'done').
import { outputProbabilities } from 'cnnc/runtime';
import { decodeDigits, PIXELS } from '/digits.mjs';
import { drawChart } from '/chart.js';
import { attachPad, toMnist } from '/draw.js';
import { runCase } from '/parity.js';
import { showDigits, showPrediction, showPreview } from '/view.js';

const params = new URLSearchParams(location.search);
const asked = params.get('backend') ?? 'ts';
const BACKEND = asked === 'gpujs' ? 'webgl2' : asked; // 'ts' or a gpu.js mode
const TS = BACKEND === 'ts';
const STEPS = positive(params.get('steps'), null);
const EVAL_EVERY = 100; // steps between test evaluations while training
const SLICE_MS = 60; // training time between two yields to the page (it repaints and reads input then)
const RATE_STEPS = 20; // img/s: over the last this many steps

/** What the test (and a curious reader in the console) sees. */
const demo = {
  state: 'loading', // loading → ready ⇄ training → paused | done | error
  backend: BACKEND,
  isolated: globalThis.crossOriginIsolated === true,
  running: false, // Start pressed, Pause not yet
  threads: 1,
  threadsError: null,
  renderer: TS ? null : webglRenderer(),
  backendInfo: null,
  models: [],
  model: null,
  lr: null,
  batch: null,
  step: 0,
  losses: [],
  stepMs: [],
  stepImages: [],
  imgPerSec: null, // images per second of training steps, over the last RATE_STEPS steps (not the first of a model)
  wallImgPerSec: null, // images per second of wall time while running: yields, drawing and evaluations included
  accuracy: null,
  accuracyHistory: [], // { step, accuracy, digits }
  predictions: [], // ten test digits at the last evaluation: { label, pred, p }
  prediction: null, // the pad's digit: { pred, probs } or null
  error: null,
  runCase: (a) => runCase({ backend: BACKEND, ...a }),
  start: () => start(),
  pause: () => pause(),
};
window.cnncDemo = demo;

const $ = (id) => document.getElementById(id);
let net = null; // the model being trained
let data = null; // { train, test }
let order = [];
let cursor = 0;
let busy = Promise.resolve(); // every use of the model, in order (gpu.js steps are asynchronous)
let runStart = 0; // wall clock and images of the current run, for wallImgPerSec
let runImages = 0;
let runId = 0; // a loop ends when a later Start (after a Pause) begins another

main().catch(fail);

function fail(e) {
  demo.state = 'error';
  demo.error = String(e?.stack ?? e);
  demo.running = false;
  $('status').textContent = `error: ${e?.message ?? e}`;
  $('status').className = 'error';
}

async function main() {
  $('backend').textContent = TS ? 'TypeScript + wasm' : `gpu.js (${BACKEND})`;
  const [train, test, models] = await Promise.all([fetchDigits('/data/train.bin'), fetchDigits('/data/test.bin'), fetchJson('/models.json')]);
  data = { train, test };
  demo.models = models;
  if (TS) await startThreads();
  const select = $('model');
  for (const m of models) select.append(new Option(`${m.name} (${m.id})`, m.id));
  select.value = models.some((m) => m.id === params.get('model')) ? params.get('model') : models[0].id;
  await useModel(select.value, { lr: positiveNumber(params.get('lr')), batch: positive(params.get('batch'), null) });
  select.addEventListener('change', () => useModel(select.value, {}).catch(fail));
  $('lr').addEventListener('change', () => setLr(Number($('lr').value)));
  $('batch').addEventListener('change', () => setBatch(Number($('batch').value)));
  $('start').addEventListener('click', () => (demo.running ? pause() : start()));
  const pad = attachPad($('pad'), schedulePrediction);
  $('clear').addEventListener('click', () => pad.clear());
  demo.state = 'ready';
  showStatus();
  if (STEPS !== null) start();
}

/** Threads for the wasm kernels: all the cores (at most 8) on an isolated page; one thread and the reason elsewhere. */
async function startThreads() {
  const rt = await import('cnnc/runtime');
  const want = positive(params.get('threads'), Math.min(8, navigator.hardwareConcurrency || 1));
  if (!demo.isolated) demo.threadsError = 'the page is not cross-origin isolated (no shared memory)';
  else if (want > 1) {
    try {
      await rt.startThreads(want, rt.spawnWebWorker);
    } catch (e) {
      demo.threadsError = String(e?.message ?? e);
    }
  }
  demo.threads = rt.getThreads();
  demo.backendInfo = rt.backendInfo();
  const i = demo.backendInfo;
  $('engine').textContent = `gemm ${i.gemm}, relaxed SIMD ${i.relaxedSimd ? 'on' : 'off'}, ${i.threads} thread${i.threads === 1 ? '' : 's'}` +
    (demo.threadsError === null ? '' : ` (${demo.threadsError})`);
}

/** Switches to a fresh model of spec `id` (seed 1), keeping lr and batch unless given; the chart starts over. */
async function useModel(id, { lr = null, batch = null }) {
  const wasRunning = demo.running;
  pause();
  await exclusive(async () => {
    const info = demo.models.find((m) => m.id === id);
    const mod = await import(`/models/${id}.${TS ? 'ts' : 'gpujs'}.js`);
    net?.dispose?.();
    net = TS ? mod.createModel({ seed: 1 }) : mod.createModel({ seed: 1, backend: BACKEND });
    net.train();
    demo.model = id;
    demo.step = 0;
    demo.losses = [];
    demo.stepMs = [];
    demo.stepImages = [];
    demo.imgPerSec = demo.wallImgPerSec = demo.accuracy = null;
    demo.accuracyHistory = [];
    order = shuffled(data.train.n, 1);
    cursor = 0;
    const count = net.parameters().reduce((a, p) => a + (p.trainable ? p.data.length : 0), 0);
    $('about').textContent = `${net.name}: input [${net.inputShape}], output [${net.outputShape}], ${count.toLocaleString('en')} parameters, from ${info.spec}`;
    setLr(lr ?? info.lr ?? 0.001); // each spec's own rate; the batch size stays
    setBatch(batch ?? demo.batch ?? info.batch ?? 32);
  });
  if (demo.state === 'paused' || demo.state === 'done') demo.state = 'ready'; // a fresh model: nothing to resume
  render();
  if (wasRunning) start();
}

function setLr(lr) {
  if (!(lr > 0 && lr < 10)) {
    $('lr').value = String(demo.lr); // refused: the field shows the rate in use
    return;
  }
  demo.lr = lr;
  net.setLearningRate(lr);
  $('lr').value = String(lr);
}

function setBatch(batch) {
  if (!(Number.isInteger(batch) && batch >= 1 && batch <= 1024)) {
    $('batch').value = String(demo.batch);
    return;
  }
  demo.batch = batch;
  const select = $('batch');
  if (![...select.options].some((o) => o.value === String(batch))) select.append(new Option(String(batch)));
  select.value = String(batch);
}

function start() {
  if (demo.running || demo.state === 'loading' || demo.state === 'error') return;
  demo.running = true;
  demo.state = 'training';
  runStart = performance.now();
  runImages = 0;
  $('start').textContent = 'Pause';
  showStatus();
  loop(++runId).catch(fail);
}

function pause() {
  if (!demo.running) return;
  demo.running = false;
  demo.state = 'paused';
  $('start').textContent = 'Start';
  showStatus();
}

/** Trains in slices of SLICE_MS, yielding to the page between them; evaluates every EVAL_EVERY steps. */
async function loop(run) {
  const x = new Float32Array(1024 * PIXELS);
  const y = new Int32Array(1024);
  const on = () => demo.running && run === runId;
  while (on()) {
    const t0 = performance.now();
    do {
      await exclusive(() => trainOne(x, y));
    } while (on() && performance.now() - t0 < SLICE_MS && demo.step % EVAL_EVERY !== 0 && demo.step !== STEPS);
    demo.wallImgPerSec = (1000 * runImages) / (performance.now() - runStart);
    if (demo.step === STEPS) {
      pause();
      await evaluate();
      demo.state = 'done';
      showStatus();
    } else if (demo.step % EVAL_EVERY === 0) await evaluate();
    render();
    schedulePrediction();
    await new Promise((r) => setTimeout(r, 0));
  }
}

async function trainOne(x, y) {
  const n = demo.batch;
  for (let i = 0; i < n; i++) {
    const k = order[cursor];
    cursor = (cursor + 1) % data.train.n;
    x.set(data.train.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    y[i] = data.train.labels[k];
  }
  const t0 = performance.now();
  const loss = TS ? net.trainStep(x, y, n) : await net.trainStepAsync(x, y, n); // a model's first step allocates (gpu.js: compiles)
  const ms = performance.now() - t0;
  demo.losses.push(loss);
  demo.stepMs.push(ms);
  demo.stepImages.push(n);
  demo.step++;
  runImages += n;
  const from = Math.max(1, demo.stepMs.length - RATE_STEPS);
  if (demo.stepMs.length > from) {
    const images = demo.stepImages.slice(from).reduce((a, b) => a + b, 0);
    demo.imgPerSec = (1000 * images) / demo.stepMs.slice(from).reduce((a, b) => a + b, 0);
  }
  if (!TS) demo.backendInfo = net.backendInfo();
}

/** Test accuracy on the test slice (eval mode, in batches, yielding between them), and ten digits shown. */
async function evaluate() {
  const model = net; // a model switched meanwhile ends this evaluation
  const test = data.test;
  const classes = net.outputShape[0];
  const BATCH = Math.min(TS ? 100 : demo.batch, test.n); // gpu.js: kernels are compiled per batch size, training's are there
  const batches = Math.floor(test.n / BATCH);
  const shown = new Set(Array.from({ length: 10 }, (_, i) => Math.floor(((i + 0.5) * batches * BATCH) / 10)));
  let correct = 0;
  const predictions = [];
  for (let b = 0; b < batches; b++) {
    const out = await exclusive(() => (net === model ? forward(test.images.subarray(b * BATCH * PIXELS, (b + 1) * BATCH * PIXELS), BATCH) : null));
    if (out === null) return;
    for (let i = 0; i < BATCH; i++) {
      const k = b * BATCH + i;
      const p = outputProbabilities(out.subarray(i * classes, (i + 1) * classes), net.metadata.output);
      const pred = argmax(p);
      if (pred === test.labels[k]) correct++;
      if (shown.has(k)) predictions.push({ k, label: test.labels[k], pred, p: p[pred] });
    }
    await new Promise((r) => setTimeout(r, 0));
  }
  demo.accuracy = correct / (batches * BATCH);
  demo.accuracyHistory.push({ step: demo.step, accuracy: demo.accuracy, digits: batches * BATCH });
  demo.predictions = predictions.map(({ label, pred, p }) => ({ label, pred, p }));
  showDigits(predictions.map((q) => ({ ...q, pixels: test.images.subarray(q.k * PIXELS, (q.k + 1) * PIXELS) })));
  render();
}

/** The model's output for n inputs in eval mode (a copy), back in train mode after. */
async function forward(x, n) {
  net.eval();
  try {
    return Float32Array.from(TS ? net.forward(x, n) : await net.forwardAsync(x, n));
  } finally {
    net.train();
  }
}

let predictionQueued = false;
/** Classifies the pad's digit once per frame at most: while drawing, and after each training slice. */
function schedulePrediction() {
  if (predictionQueued || net === null) return;
  predictionQueued = true;
  requestAnimationFrame(() => {
    predictionQueued = false;
    predictPad().catch(fail);
  });
}

async function predictPad() {
  const x = toMnist($('pad'));
  showPreview(x);
  if (x === null) {
    demo.prediction = null;
    showPrediction(null);
    return;
  }
  const probs = outputProbabilities(await exclusive(() => forward(x, 1)), net.metadata.output);
  demo.prediction = { pred: argmax(probs), probs };
  showPrediction(demo.prediction);
}

/** Runs `f` after every earlier use of the model has finished. */
function exclusive(f) {
  const r = busy.then(f);
  busy = r.catch(() => {});
  return r;
}

function showStatus() {
  const s = demo.state;
  $('status').className = '';
  $('status').textContent =
    s === 'training' ? `training, step ${demo.step}` : s === 'paused' ? `paused at step ${demo.step}` : s === 'done' ? `done: ${demo.step} steps` : s === 'ready' ? 'ready: press Start' : s;
}

function render() {
  showStatus();
  const L = demo.losses;
  const mean = (a) => a.reduce((p, q) => p + q, 0) / a.length;
  $('step').textContent = String(demo.step);
  $('loss').textContent = L.length === 0 ? '–' : `${mean(L.slice(-20)).toFixed(3)} (mean of the last ${Math.min(20, L.length)} steps; first ${L[0].toFixed(3)})`;
  $('speed').textContent =
    demo.imgPerSec === null ? '–' : `${demo.imgPerSec.toFixed(0)} img/s in training steps (last ${RATE_STEPS}), ${(demo.wallImgPerSec ?? 0).toFixed(0)} img/s of wall time`;
  const last = demo.accuracyHistory.at(-1);
  $('accuracy').textContent = last === undefined ? '–' : `${(100 * last.accuracy).toFixed(1)}% of ${last.digits} test digits at step ${last.step}`;
  if (!TS && demo.backendInfo !== null) {
    const i = demo.backendInfo;
    $('engine').textContent = `mode ${i.mode}, kernels ${Object.entries(i.kernelClasses).map(([k, v]) => `${k} × ${v}`).join(', ')}, ${i.honest ? 'honest: every kernel ran in that mode' : 'fell back'}; renderer ${demo.renderer ?? 'none'}`;
  }
  drawChart($('chart'), { losses: L, accuracy: demo.accuracyHistory, title: `${net?.name ?? ''}: training loss and test accuracy (batch ${demo.batch}, lr ${demo.lr})` });
}

/** The top class of a probability row (the first of equals, as model.predict's). */
const argmax = (p) => p.indexOf(Math.max(...p));

async function fetchDigits(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return decodeDigits(new Uint8Array(await r.arrayBuffer()));
}

async function fetchJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

/** A seeded Fisher–Yates permutation (so a reload trains on the same batches). */
function shuffled(n, seed) {
  let s = seed >>> 0;
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function webglRenderer() {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (gl === null) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return gl.getParameter(ext === null ? gl.RENDERER : ext.UNMASKED_RENDERER_WEBGL);
}

/** A query parameter's positive integer, else the fallback. */
function positive(text, fallback) {
  const v = Number(text);
  return text !== null && Number.isInteger(v) && v > 0 ? v : fallback;
}

/** A query parameter's positive number, else null. */
function positiveNumber(text) {
  const v = Number(text);
  return text !== null && v > 0 ? v : null;
}

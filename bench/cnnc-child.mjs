// One system per process (so peak RSS is this system's): cnnc's generated TypeScript for a spec,
// compiled in-process with `build` and loaded with `loadModule`, from dist/ (bench/cnnc-model.mjs).
// Run by bench/bench.mjs as `node --expose-gc --max-semi-space-size=64 bench/cnnc-child.mjs ...`, and by the
// suite (bench/suite.mjs) on each suite spec with `--heap-windows 0` (no heap measurement) and its own inputs.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { setImmediate as tick } from 'node:timers/promises';
import { loadCnncModel } from './cnnc-model.mjs';
import { childArgs, loadInputs, peakRssMb, report, timeBox } from './measure.mjs';

const args = childArgs();
const seconds = Number(args.seconds ?? 20);
const batch = Number(args.batch ?? 64);
const spec = args.spec ?? 'specs/mnist.yaml';
const threads = Number(args.threads ?? 1);
const numberState = new Float64Array(1); // returnsANumber's

const { net } = await loadCnncModel(spec, { threads });

const data = loadInputs(args.inputs);
// Per sample: the model's input elements, and the labels the loss reads (a class, a label map, 0/1 targets).
const pixels = net.inputShape.reduce((a, b) => a * b, 1);
const samples = Math.floor(data.images.length / pixels);
const labelSize = data.labels.length / samples;
let k = 0;
/** Consecutive batches of `size` of the shared inputs, cycling: each step sees new samples, no copy is made. */
function nextBatch(size) {
  const i = k++ % Math.floor(samples / size);
  return { x: data.images.subarray(i * size * pixels, (i + 1) * size * pixels), y: data.labels.subarray(i * size * labelSize, (i + 1) * size * labelSize) };
}

// Inference first, then training, in every child (tfjs `cpu` needs that order: its step takes minutes).
net.eval();
const infer = timeBox(() => net.forward(nextBatch(batch).x, batch), { warmup: 2, seconds, minSamples: 3 });
// --infer-batches 64: inference at other batch sizes too (the suite's onnxruntime comparison of the seed model).
const inferAt = {};
for (const b of String(args['infer-batches'] ?? '').split(',').filter(Boolean).map(Number)) {
  const t = timeBox(() => net.forward(nextBatch(b).x, b), { warmup: 2, seconds, minSamples: 3 });
  inferAt[b] = { img_s: (b * 1000) / t.median_ms, detail: t };
}
const x1 = data.images.subarray(0, pixels);
const latency = timeBox(() => net.forward(x1, 1), { warmup: 10, seconds: Math.min(seconds, 5), minSamples: 20 });

net.train();
const train = timeBox(() => {
  const { x, y } = nextBatch(batch);
  net.trainStep(x, y, batch);
}, { warmup: 2, seconds, minSamples: 3 });
const heapWindows = Number(args['heap-windows'] ?? 5);
const heap = heapWindows > 0 ? await heapPerStep(heapWindows, Number(args['heap-steps'] ?? 20), Number(args['heap-warmup'] ?? 2000)) : { note: 'not measured (--heap-windows 0)' };

report({
  system: threads > 1 ? `cnnc_t${threads}` : 'cnnc',
  spec,
  threads,
  inputs: data.source,
  batch,
  train_img_s: (batch * 1000) / train.median_ms,
  infer_img_s: (batch * 1000) / infer.median_ms,
  ...(Object.keys(inferAt).length > 0 ? { infer_at: inferAt } : {}),
  latency_b1_ms: latency.median_ms,
  peak_rss_mb: peakRssMb(),
  heap_per_step_bytes: heap.heap_per_step_bytes,
  heap_beyond_return_per_step_bytes: heap.beyond_return_per_step_bytes,
  array_buffer_per_step_bytes: heap.array_buffer_per_step_bytes,
  heap_measure: heap,
  detail: { train, infer, latency },
});

/**
 * Heap allocated per training step after warm-up. Node has no cumulative allocation counter, so:
 * collect (global.gc), run `steps` steps, and read how much each V8 heap space grew, plus the
 * growth of ArrayBuffer backing stores (typed arrays live outside the JS heap). Between
 * collections these only grow, so growth / steps is what a step allocates: exact when no GC ran
 * during the steps (`gc_events` 0; the young generation is enlarged to make that likely), a lower
 * bound otherwise. code_space (JIT output) is reported but not counted.
 *
 * `windows` windows of `steps` steps, after the training time box; the median window is the
 * figure. V8 still optimizes the odd function of a step a few hundred steps in (those that run a
 * few times a step tier up last), and each compilation's metadata lands in one window as a spike.
 *
 * The batches are made before measuring, and the same loop is measured around two stand-ins:
 * an empty step (the loop's own allocations, subtracted from every figure), and a step that returns
 * a fresh fractional number, as trainStep returns the loss. V8 makes a 16-byte heap object of
 * every number a call returns that is not a small integer, so `trainStep(): number` cannot reach
 * 0; `beyond_return_per_step_bytes` is what a step allocates besides that returned number.
 */
async function heapPerStep(windows, steps, warmupSteps) {
  if (typeof globalThis.gc !== 'function') return { note: 'run with --expose-gc to measure' };
  // V8 optimizes a function after some ~900 calls where it runs once a step (trainStep,
  // runForward, the optimizer's step): run that many cheap steps first, at a small batch.
  const small = Math.min(batch, 8);
  for (let i = 0; i < warmupSteps; i++) {
    const { x, y } = nextBatch(batch);
    net.trainStep(x, y, small);
  }
  const batches = Array.from({ length: steps }, () => nextBatch(batch));
  for (let i = 0; i < 100000; i++) returnsANumber(); // optimized, as trainStep is by now
  const empty = [], returning = [], model = [];
  for (let w = 0; w < windows; w++) {
    empty.push(await growthOver(batches, () => {}));
    returning.push(await growthOver(batches, () => returnsANumber()));
    model.push(await growthOver(batches, (x, y) => net.trainStep(x, y, batch)));
  }
  const harness = median(empty.map((g) => g.heap));
  const numberBox = Math.max(0, median(returning.map((g) => g.heap)) - harness);
  const heaps = model.map((g) => Math.max(0, g.heap - harness));
  const mid = model[heaps.reduce((best, h, i) => (Math.abs(h - median(heaps)) < Math.abs(heaps[best] - median(heaps)) ? i : best), 0)];
  const bySpace = {};
  for (const [name, grown] of Object.entries(mid.bySpace)) bySpace[name] = Math.max(0, grown - median(empty.map((g) => g.bySpace[name] ?? 0)));
  return {
    warmup_steps: warmupSteps,
    warmup_batch: small,
    steps,
    windows,
    gc_events: mid.gcEvents,
    exact: mid.gcEvents === 0,
    heap_per_step_bytes: median(heaps),
    beyond_return_per_step_bytes: Math.max(0, median(heaps) - numberBox),
    returned_number_bytes: numberBox,
    array_buffer_per_step_bytes: median(model.map((g) => Math.max(0, g.arrayBuffers - median(empty.map((e) => e.arrayBuffers))))),
    harness_per_step_bytes: harness,
    per_window_bytes: heaps,
    by_space: bySpace,
  };
}

/** A step's stand-in that returns a fresh fractional number (state in a Float64Array, so only the return boxes). */
function returnsANumber() {
  numberState[0] = numberState[0] * 0.75 + 0.3;
  return numberState[0];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Per-step growth of each heap space (and ArrayBuffers) over `step` run on each batch, after a collection. */
async function growthOver(batches, step) {
  // GC entries reach the observer late, so count them by start time, not by arrival.
  const gcStarts = [];
  const observer = new PerformanceObserver((list) => gcStarts.push(...list.getEntries().map((e) => e.startTime)));
  observer.observe({ entryTypes: ['gc'] });
  const spaces = () => new Map(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
  globalThis.gc();
  await tick();
  const t0 = performance.now();
  const before = { spaces: spaces(), arrayBuffers: process.memoryUsage().arrayBuffers };
  for (let i = 0; i < batches.length; i++) step(batches[i].x, batches[i].y);
  const after = { spaces: spaces(), arrayBuffers: process.memoryUsage().arrayBuffers };
  const t1 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  const bySpace = {};
  let heap = 0;
  for (const [name, used] of after.spaces) {
    const grown = Math.max(0, used - (before.spaces.get(name) ?? 0)) / batches.length;
    if (grown === 0) continue;
    bySpace[name] = grown;
    if (name !== 'code_space') heap += grown;
  }
  return {
    gcEvents: gcStarts.filter((t) => t >= t0 && t <= t1).length,
    heap,
    arrayBuffers: Math.max(0, after.arrayBuffers - before.arrayBuffers) / batches.length,
    bySpace,
  };
}

// One system per process (so peak RSS is this system's): cnnc's generated TypeScript for a spec,
// compiled in-process with `build` and loaded with `loadModule`, from dist/ (built by `npm ci`).
// Run by bench/bench.mjs as `node --expose-gc --max-semi-space-size=64 bench/cnnc-child.mjs ...`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { setImmediate as tick } from 'node:timers/promises';
import { childArgs, loadInputs, peakRssMb, report, timeBox } from './measure.mjs';

const args = childArgs();
const seconds = Number(args.seconds ?? 20);
const batch = Number(args.batch ?? 64);
const spec = args.spec ?? 'specs/mnist.yaml';
const threads = Number(args.threads ?? 1);

const { build } = await import('../dist/compiler/index.js');
const { loadModule } = await import('../dist/runtime/node/load-generated.js');
// Threads share out each large gemm (runtime/threads.ts); the rest of a step stays on this thread.
if (threads > 1) await (await import('../dist/runtime/node/threads.js')).initThreads(threads);

const built = build(readFileSync(spec, 'utf8'), spec, { dtype: 'float32' });
if (built.code === null) throw new Error(`${spec} does not compile:\n${built.diagnostics.map((d) => d.message).join('\n')}`);
const workDir = mkdtempSync(join(tmpdir(), 'cnnc-bench-'));
const net = (await loadModule(built.code, workDir)).createModel({ seed: 1 });
rmSync(workDir, { recursive: true, force: true });

const data = loadInputs(args.inputs);
const pixels = 28 * 28;
const batches = Math.floor(data.n / batch);
let k = 0;
/** Consecutive batches of the shared inputs, cycling: each step sees new digits, no copy is made. */
function nextBatch(size) {
  const i = k++ % batches;
  return { x: data.images.subarray(i * size * pixels, (i + 1) * size * pixels), y: data.labels.subarray(i * size, (i + 1) * size) };
}

// Inference first, then training, in every child (tfjs `cpu` needs that order: its step takes minutes).
net.eval();
const infer = timeBox(() => net.forward(nextBatch(batch).x, batch), { warmup: 2, seconds, minSamples: 3 });
const x1 = data.images.subarray(0, pixels);
const latency = timeBox(() => net.forward(x1, 1), { warmup: 10, seconds: Math.min(seconds, 5), minSamples: 20 });

net.train();
const train = timeBox(() => {
  const { x, y } = nextBatch(batch);
  net.trainStep(x, y, batch);
}, { warmup: 2, seconds, minSamples: 3 });
const heap = await heapPerStep(Number(args['heap-steps'] ?? 10));

report({
  system: threads > 1 ? `cnnc_t${threads}` : 'cnnc',
  threads,
  inputs: data.source,
  batch,
  train_img_s: (batch * 1000) / train.median_ms,
  infer_img_s: (batch * 1000) / infer.median_ms,
  latency_b1_ms: latency.median_ms,
  peak_rss_mb: peakRssMb(),
  heap_per_step_bytes: heap.heap_per_step_bytes,
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
 * bound otherwise. code_space (JIT output, settles after warm-up) is reported but not counted.
 * The batches are made before measuring, and the same loop around an empty step is measured too
 * and subtracted: what is left is the model's step (the harness's own allocations were ~1.4 KB).
 */
async function heapPerStep(steps) {
  if (typeof globalThis.gc !== 'function') return { note: 'run with --expose-gc to measure' };
  const batches = Array.from({ length: steps }, () => nextBatch(batch));
  const harness = await growthOver(batches, () => {});
  const model = await growthOver(batches, (x, y) => net.trainStep(x, y, batch));
  const bySpace = {};
  for (const [name, grown] of Object.entries(model.bySpace)) bySpace[name] = Math.max(0, grown - (harness.bySpace[name] ?? 0));
  return {
    steps,
    gc_events: model.gcEvents,
    exact: model.gcEvents === 0 && harness.gcEvents === 0,
    heap_per_step_bytes: Math.max(0, model.heap - harness.heap),
    array_buffer_per_step_bytes: Math.max(0, model.arrayBuffers - harness.arrayBuffers),
    harness_per_step_bytes: harness.heap,
    by_space: bySpace,
  };
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

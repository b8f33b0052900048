// Shared by the bench children: time-boxed sampling with medians, peak RSS, and the one-line
// result protocol the parent (bench/bench.mjs) reads back. Plain JavaScript, so the bench runs
// from a fresh clone after `npm ci` without a TypeScript loader.
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** The line prefix a child prints its JSON result after; everything else on stdout is a log. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

/** Command-line flags of a child: `--name value` pairs and bare `--flag`s. */
export function childArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) (out[key] = next), i++;
    else out[key] = true;
  }
  return out;
}

/**
 * Runs `fn` `warmup` times untimed, then times single calls until `seconds` have passed and at
 * least `minSamples` calls were made (or `maxSamples` were). Returns the median and the spread in
 * milliseconds. The median, not the mean: a shared machine's hiccups land in the tail.
 */
export function timeBox(fn, { warmup = 1, seconds = 20, minSamples = 3, maxSamples = Infinity } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const samples = [];
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (samples.length < maxSamples && (samples.length < minSamples || performance.now() - start < seconds * 1000)) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  // CPU time of this process / wall time: about 1 for a single-threaded system left alone; well
  // below 1 means other processes held the cores during the measurement (a shared machine).
  const cpu = process.cpuUsage(cpu0);
  return { ...summarize(samples, warmup), cpu_per_wall: (cpu.user + cpu.system) / 1000 / (performance.now() - start) };
}

/** timeBox for a function that returns a promise (onnxruntime's `session.run`): each call awaited before the next. */
export async function timeBoxAsync(fn, { warmup = 1, seconds = 20, minSamples = 3, maxSamples = Infinity } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (samples.length < maxSamples && (samples.length < minSamples || performance.now() - start < seconds * 1000)) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  return { ...summarize(samples, warmup), cpu_per_wall: (cpu.user + cpu.system) / 1000 / (performance.now() - start) };
}

export function summarize(samples, warmup = 0) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median_ms: median, min_ms: sorted[0], max_ms: sorted[sorted.length - 1], samples: sorted.length, warmup };
}

/** Peak resident set size of this process so far, in MB (getrusage's ru_maxrss, KiB on Linux). */
export function peakRssMb() {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * The shared input batches written by the parent: `<file>.f32` holds n images of 1×28×28 floats
 * (little-endian) and `<file>.i32` their labels. The suite (bench/suite.mjs) writes any input and label
 * shape, described by `<file>.json` ({ source, input_shape, label_shape, n }). Without a file,
 * deterministic pseudo-random images and labels (the parent always passes one; this keeps a child
 * runnable on its own).
 */
export function loadInputs(base, n = 1024) {
  if (typeof base === 'string') {
    const f = readFileSync(`${base}.f32`);
    const l = readFileSync(`${base}.i32`);
    const images = new Float32Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
    const labels = new Int32Array(l.buffer.slice(l.byteOffset, l.byteOffset + l.byteLength));
    const about = existsSync(`${base}.json`) ? JSON.parse(readFileSync(`${base}.json`, 'utf8')) : { source: 'mnist10k', n: labels.length };
    return { images, labels, n: about.n, source: about.source };
  }
  const images = new Float32Array(n * 784);
  let s = 12345;
  for (let i = 0; i < images.length; i++) images[i] = ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  return { images, labels, n, source: 'random' };
}

/** Prints the child's result for the parent. */
export function report(result) {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

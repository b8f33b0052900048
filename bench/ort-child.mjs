// The suite's inference peers (bench/suite.mjs): onnxruntime-node (CPU execution provider, intraOpNumThreads T)
// or onnxruntime-web (its wasm backend with SIMD, `ort.env.wasm.numThreads = 1`), running the ONNX model PyTorch
// exported from the same spec (bench/pytorch_suite.py --onnx). Both come from bench/peers/ (installed on demand,
// not by the project's `npm ci`). Prints one BENCH_RESULT line: img/s at each batch and batch-1 latency.
//
//   node bench/ort-child.mjs --runtime node|web --model FILE.onnx --inputs BASE [--threads T] [--batches 32,64] [--seconds S]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { childArgs, loadInputs, peakRssMb, report, timeBoxAsync } from './measure.mjs';

const args = childArgs();
const runtime = args.runtime ?? 'node';
const threads = Number(args.threads ?? 1);
const seconds = Number(args.seconds ?? 10);
const batches = String(args.batches ?? '32').split(',').map(Number);
const peers = createRequire(new URL('./peers/package.json', import.meta.url));

let ort;
let options;
if (runtime === 'node') {
  ort = peers('onnxruntime-node');
  options = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
} else {
  ort = await import(peers.resolve('onnxruntime-web'));
  ort.env.wasm.numThreads = 1; // Node has no cross-origin-isolated SharedArrayBuffer pool for it: one thread, SIMD
  options = { executionProviders: ['wasm'] };
}
const session = await ort.InferenceSession.create(args.model, options);
const input = session.inputNames[0];

const data = loadInputs(args.inputs);
const shape = JSON.parse(readFileSync(`${args.inputs}.json`, 'utf8')).input_shape; // [C, H, W]
const perSample = data.images.length / data.n;
let k = 0;
/** Consecutive batches of `size` of the shared inputs, to cycle through (the tensors are made before timing). */
const tensorsOf = (size) => Array.from({ length: Math.floor(data.n / size) }, (_, i) =>
  new ort.Tensor('float32', data.images.subarray(i * size * perSample, (i + 1) * size * perSample), [size, ...shape]));

const infer = {};
for (const b of batches) {
  const ts = tensorsOf(b);
  const t = await timeBoxAsync(() => session.run({ [input]: ts[k++ % ts.length] }), { warmup: 2, seconds, minSamples: 3 });
  infer[b] = { img_s: (b * 1000) / t.median_ms, detail: t };
}
const one = tensorsOf(1)[0];
const latency = await timeBoxAsync(() => session.run({ [input]: one }), { warmup: 10, seconds: Math.min(seconds, 5), minSamples: 20 });

report({
  system: runtime === 'node' ? `ort_node_t${threads}` : 'ort_web',
  runtime: `onnxruntime-${runtime} ${ort.env.versions?.[runtime] ?? ort.env.versions?.web ?? ''}`.trim(),
  threads: runtime === 'node' ? threads : 1,
  batch: batches[0],
  infer_img_s: infer[batches[0]].img_s,
  infer_at: infer,
  latency_b1_ms: latency.median_ms,
  peak_rss_mb: peakRssMb(),
  detail: { infer: infer[batches[0]].detail, latency },
});

// cnnc (1 thread) and onnxruntime-web (wasm, SIMD, 1 thread) in one process, taking turns (bench/suite.mjs): the
// suite's ratio to onnxruntime-web, which the separate children's figures (cnnc-child.mjs, ort-child.mjs) measure
// seconds apart. On a shared host a slow spell of a few seconds halves whichever child it falls on; here both systems
// run the same inputs in short alternating rounds (cnnc first in even rounds, onnxruntime first in odd ones), and the
// ratio is the median over rounds of each round's ratio of medians, so that a slow spell falls on both. Prints one
// BENCH_RESULT line: the ratio and both systems' img/s at the batch size, and the same for batch-1 latency.
//
//   node bench/paired-child.mjs --spec FILE --model FILE.onnx --inputs BASE [--batch 32] [--seconds S] [--rounds R]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadCnncModel } from './cnnc-model.mjs';
import { childArgs, loadInputs, report, summarize, timeBox, timeBoxAsync } from './measure.mjs';

const args = childArgs();
const batch = Number(args.batch ?? 32);
const seconds = Number(args.seconds ?? 8);
const rounds = Number(args.rounds ?? 10);
const peers = createRequire(new URL('./peers/package.json', import.meta.url));

const { net } = await loadCnncModel(args.spec, { threads: 1 });
net.eval();
const ort = await import(peers.resolve('onnxruntime-web'));
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(args.model, { executionProviders: ['wasm'] });
const input = session.inputNames[0];

const data = loadInputs(args.inputs);
const shape = JSON.parse(readFileSync(`${args.inputs}.json`, 'utf8')).input_shape;
const perSample = data.images.length / data.n;

/** Both systems at batch size b: consecutive batches of the shared inputs, cycled (the tensors made before timing). */
async function paired(b, totalSeconds) {
  const count = Math.floor(data.n / b);
  const views = Array.from({ length: count }, (_, i) => data.images.subarray(i * b * perSample, (i + 1) * b * perSample));
  const tensors = views.map((v) => new ort.Tensor('float32', v, [b, ...shape]));
  let kc = 0, ko = 0;
  const cnnc = () => net.forward(views[kc++ % count], b);
  const onnx = () => session.run({ [input]: tensors[ko++ % count] });
  // Warm-up: both until V8 has optimized cnnc's kernels and onnxruntime has planned its buffers.
  timeBox(cnnc, { warmup: 2, seconds: 0.5, minSamples: 3 });
  await timeBoxAsync(onnx, { warmup: 2, seconds: 0.5, minSamples: 3 });
  const box = { warmup: 1, seconds: totalSeconds / (2 * rounds), minSamples: 3 };
  const ratios = [], all = { cnnc: [], onnx: [] };
  for (let r = 0; r < rounds; r++) {
    let c, o;
    if (r % 2 === 0) {
      c = timeBox(cnnc, box);
      o = await timeBoxAsync(onnx, box);
    } else {
      o = await timeBoxAsync(onnx, box);
      c = timeBox(cnnc, box);
    }
    ratios.push(o.median_ms / c.median_ms);
    all.cnnc.push(c.median_ms);
    all.onnx.push(o.median_ms);
  }
  const median = (xs) => summarize(xs).median_ms;
  return { ratio: median(ratios), cnnc_ms: median(all.cnnc), ort_web_ms: median(all.onnx), round_ratios: ratios };
}

const throughput = await paired(batch, seconds);
const latency = await paired(1, Math.min(seconds, 5));
report({
  system: 'paired_web',
  batch,
  rounds,
  ratio_infer: throughput.ratio,
  cnnc_infer_img_s: (batch * 1000) / throughput.cnnc_ms,
  ort_web_infer_img_s: (batch * 1000) / throughput.ort_web_ms,
  ratio_latency_b1: latency.ratio,
  cnnc_latency_b1_ms: latency.cnnc_ms,
  ort_web_latency_b1_ms: latency.ort_web_ms,
  detail: { throughput, latency },
});

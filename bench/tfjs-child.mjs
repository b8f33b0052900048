// TensorFlow.js 4.22 peer, one backend per process: the seed's model written with tfjs-core ops
// (the layers API would add tfjs-layers, which the project does not depend on). tfjs wants NHWC,
// so images go in as [n, 28, 28, 1] and filters as [kh, kw, in, out]; flatten is then H-W-C
// ordered instead of PyTorch's C-H-W, which changes nothing in the work done.
// Run by bench/bench.mjs as `node bench/tfjs-child.mjs --backend cpu|wasm ...`.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { childArgs, loadInputs, peakRssMb, report, timeBox } from './measure.mjs';
import { registerModelGradients } from './tfjs-gradients.mjs';

const args = childArgs();
const backend = args.backend ?? 'cpu';
const seconds = Number(args.seconds ?? 20);
const batch = Number(args.batch ?? 64);
const trainMode = args.train ?? 'yes'; // yes | no | try (one step, to show whether the backend can train)

// The npm packages' Node entries are CommonJS; require keeps one tfjs-core instance for both backends.
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
registerModelGradients(tf); // tfjs-core's bundles ship no gradients: see tfjs-gradients.mjs
const notes = [];
if (backend === 'wasm') {
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  // The .wasm binaries sit next to the package's Node entry (node_modules/@tensorflow/tfjs-backend-wasm/dist/).
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  notes.push(`wasm threads: ${wasm.getThreadsCount()}`, `WASM_HAS_SIMD_SUPPORT: ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}`,
    `WASM_HAS_MULTITHREAD_SUPPORT: ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}`);
} else {
  await tf.setBackend('cpu');
  await tf.ready();
}
if (tf.getBackend() !== backend) throw new Error(`tfjs runs on ${tf.getBackend()}, not ${backend}`);

// Parameters initialised as PyTorch's Conv2d / Linear do: U(-1/√fanIn, 1/√fanIn) for weight and bias.
const param = (shape, fanIn, seed) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', seed));
const w = {
  conv1W: param([3, 3, 1, 32], 9, 1), conv1B: param([32], 9, 2),
  conv2W: param([3, 3, 32, 64], 288, 3), conv2B: param([64], 288, 4),
  fc1W: param([9216, 128], 9216, 5), fc1B: param([128], 9216, 6),
  fc2W: param([128, 10], 128, 7), fc2B: param([10], 128, 8),
};

/** The seed's forward pass; x is [n, 28, 28, 1]. Returns log-probabilities [n, 10]. */
function forward(x, training) {
  const n = x.shape[0];
  let h = tf.relu(tf.add(tf.conv2d(x, w.conv1W, 1, 'valid'), w.conv1B)); // [n, 26, 26, 32]
  h = tf.relu(tf.add(tf.conv2d(h, w.conv2W, 1, 'valid'), w.conv2B)); // [n, 24, 24, 64]
  h = tf.maxPool(h, 2, 2, 'valid'); // [n, 12, 12, 64]
  // Dropout2d(0.25): whole channels, i.e. spatial dropout through noiseShape [n, 1, 1, C].
  if (training) h = tf.dropout(h, 0.25, [n, 1, 1, 64]);
  h = tf.reshape(h, [n, 9216]);
  h = tf.relu(tf.add(tf.matMul(h, w.fc1W), w.fc1B)); // [n, 128]
  if (training) h = tf.dropout(h, 0.5);
  return tf.logSoftmax(tf.add(tf.matMul(h, w.fc2W), w.fc2B)); // [n, 10]
}

/** nll on log_softmax, mean over the batch: the spec's loss (= cross-entropy on the logits). */
const nll = (logProbs, oneHot) => tf.neg(tf.mean(tf.sum(tf.mul(logProbs, oneHot), 1)));

const data = loadInputs(args.inputs);
const batches = Math.floor(data.n / batch);
const toImages = (from, n) => tf.tensor4d(data.images.subarray(from * 784, (from + n) * 784), [n, 28, 28, 1]);
const trainSet = Array.from({ length: Math.min(batches, 4) }, (_, i) => ({
  x: toImages(i * batch, batch),
  y: tf.cast(tf.oneHot(tf.tensor1d(data.labels.subarray(i * batch, (i + 1) * batch), 'int32'), 10), 'float32'),
}));
let k = 0;
const nextBatch = () => trainSet[k++ % trainSet.length];

const optimizer = tf.train.adam(1e-3);
function trainStep() {
  const { x, y } = nextBatch();
  const loss = tf.tidy(() => optimizer.minimize(() => nll(forward(x, true), y), true, Object.values(w)));
  loss.dataSync(); // wait for the step and read the loss, as cnnc's trainStep returns it
  loss.dispose();
}
/** Inference through to the host: dataSync is the point where the result is usable. */
const infer = (x) => tf.tidy(() => forward(x, false).dataSync());

const result = { system: `tfjs_${backend}`, inputs: data.source, batch, backend, notes, detail: {} };

// Inference first: on the cpu backend training takes minutes per step.
result.detail.infer = timeBox(() => infer(nextBatch().x), { warmup: 2, seconds, minSamples: 3 });
result.infer_img_s = (batch * 1000) / result.detail.infer.median_ms;
const x1 = toImages(0, 1);
result.detail.latency = timeBox(() => infer(x1), { warmup: 5, seconds: Math.min(seconds, 5), minSamples: 10 });
result.latency_b1_ms = result.detail.latency.median_ms;

if (trainMode === 'try') {
  // One step to see whether the backend trains at all (wasm: some backward kernels are missing).
  try {
    trainStep();
    result.train_error = null;
  } catch (e) {
    result.train_error = e instanceof Error ? e.message : String(e);
  }
} else if (trainMode === 'yes') {
  // Slow backends: no untimed warm-up (a step is minutes, its JIT warm-up is noise), at most
  // --train-steps steps, and no new step once --train-seconds have passed.
  const steps = Number(args['train-steps'] ?? Infinity);
  const warmup = Number(args['train-warmup'] ?? 1);
  result.detail.train = timeBox(trainStep, { warmup, seconds: Number(args['train-seconds'] ?? seconds), minSamples: 1, maxSamples: steps });
  result.train_img_s = (batch * 1000) / result.detail.train.median_ms;
}

result.peak_rss_mb = peakRssMb();
report(result);

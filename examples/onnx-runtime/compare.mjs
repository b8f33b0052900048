// The ONNX export run by onnxruntime-node beside the cnnc module it came from, on the embedded mnist10k test digits:
// accuracy, how often the two pick the same class, and the largest difference of their log-probabilities.
//
//   npx cnnc train specs/mnist.yaml --max-steps 125      # writes runs/mnist/model.safetensors
//   npx cnnc export specs/mnist.yaml --weights runs/mnist/model.safetensors --to onnx -o mnist.onnx
//   npx cnnc build specs/mnist.yaml --emit js -o examples/onnx-runtime/mnist.model.js
//   npm ci --ignore-scripts --prefix bench/peers          # onnxruntime-node (not a dependency of cnnc)
//   node examples/onnx-runtime/compare.mjs mnist.onnx runs/mnist/model.safetensors
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadMnist10k } from 'cnnc/runtime/node';
import { createModel } from './mnist.model.js';

const [onnxPath, weightsPath] = process.argv.slice(2);
if (!onnxPath || !weightsPath) {
  console.error('usage: node compare.mjs MODEL.onnx WEIGHTS.safetensors');
  process.exit(2);
}
const ort = createRequire(new URL('../../bench/peers/package.json', import.meta.url))('onnxruntime-node');

const { test } = loadMnist10k();
const session = await ort.InferenceSession.create(onnxPath);
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', test.images, [test.n, 1, 28, 28]) }; // one batch of all
const got = (await session.run(feeds))[session.outputNames[0]].data;

const net = createModel();                                   // eval mode, as the export
net.loadWeights(readFileSync(weightsPath));
const want = net.forward(test.images, test.n);              // [n, 10] log-probabilities

const argmax = (a, i) => { let b = 0; for (let c = 1; c < 10; c++) if (a[i * 10 + c] > a[i * 10 + b]) b = c; return b; };
let correct = 0, same = 0, worst = 0, scale = 0;
for (let i = 0; i < test.n; i++) {
  if (argmax(got, i) === test.labels[i]) correct++;
  if (argmax(got, i) === argmax(want, i)) same++;
}
for (let i = 0; i < want.length; i++) { worst = Math.max(worst, Math.abs(got[i] - want[i])); scale = Math.max(scale, Math.abs(want[i])); }
console.log(`onnxruntime-node ${ort.env.versions?.node ?? ''}: ${test.n} test digits, accuracy ${(100 * correct / test.n).toFixed(2)}% (${correct}/${test.n})`);
console.log(`same class as cnnc: ${same}/${test.n}; max |log-prob difference| ${worst.toExponential(2)} (${(worst / scale).toExponential(2)} of the largest)`);

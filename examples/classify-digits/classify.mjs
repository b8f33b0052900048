// A small Node app built on a cnnc-generated module: it loads trained weights and classifies digits.
//
//   npx cnnc build specs/mnist.yaml --emit js -o examples/classify-digits/mnist.model.js
//   npx cnnc train specs/mnist.yaml --epochs 1           # writes runs/mnist/model.safetensors
//   node examples/classify-digits/classify.mjs runs/mnist/model.safetensors [count]
//
// The generated module imports only `cnnc/runtime`; the digits come from the embedded mnist10k test split.
import { readFileSync } from 'node:fs';
import { loadMnist10k } from 'cnnc/runtime/node';
import { createModel } from './mnist.model.js';

const [weightsPath, countArg = '10'] = process.argv.slice(2);
if (!weightsPath) {
  console.error('usage: node classify.mjs WEIGHTS.safetensors [count]');
  process.exit(2);
}

const net = createModel();                       // eval mode: dropout off
try {
  net.loadWeights(readFileSync(weightsPath));    // safetensors, PyTorch names (conv1.weight, ...)
} catch (e) {
  console.error(`error: ${weightsPath}: ${e.message}`); // names the tensor or byte offset; the model is unchanged
  process.exit(1);
}

const { test } = loadMnist10k();
const count = Math.min(Number(countArg), test.n);
const pixels = 28 * 28;
const predictions = net.predict(test.images.subarray(0, count * pixels), count); // per digit: class, probability, probabilities

let correct = 0;
predictions.forEach((p, i) => {
  if (p.class === test.labels[i]) correct++;
  console.log(`digit ${i}: predicted ${p.class} (p = ${p.probability.toFixed(3)}), label ${test.labels[i]}`);
});
console.log(`${correct}/${count} correct`);

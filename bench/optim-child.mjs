// What an optimizer step costs on its own: 1.2M float32 parameters (the seed MNIST model's 1,199,882, in one
// tensor), median ms per step of each optimizer two ways: the parameter, its gradient and the optimizer's slots
// in wasm memory (rt.allocFloats, as a generated float32 model's are: the wasm kernels of runtime/wasm/adam.ts and
// optim-more.ts, where the optimizer has one), and in ordinary Float32Arrays (the JavaScript of runtime/optim.ts
// and optim-more.ts). Steps of the two alternate, so a busy moment of a shared machine hits both alike.
//
//   node bench/optim-child.mjs [--steps 15] [--params 1199882] [--root DIR]
//
// --root: a checkout whose dist/ is built (default: this one). bench/bench.mjs runs it and reads its BENCH_RESULT line.
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { childArgs, report, summarize } from './measure.mjs';

const args = childArgs();
const root = resolve(args.root ?? fileURLToPath(new URL('..', import.meta.url)));
const steps = Number(args.steps ?? 15);
const n = Number(args.params ?? 1_199_882);
await import(pathToFileURL(join(root, 'dist/runtime/node/index.js')).href); // an older --root: only cnnc/runtime/node turned relaxed SIMD on then (now the runtime decides, sgemm-kernel.ts)
const rt = await import(pathToFileURL(join(root, 'dist/runtime/index.js')).href);

const OPTIMIZERS = {
  'sgd (momentum 0.9)': (p) => new rt.Sgd(p, { lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 }),
  adam: (p) => new rt.Adam(p, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }),
  'adam (amsgrad)': (p) => new rt.Adam(p, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true }),
  rmsprop: (p) => new rt.RMSprop(p, rt.RMSPROP_DEFAULTS),
  'rmsprop (centered, momentum 0.9)': (p) => new rt.RMSprop(p, { ...rt.RMSPROP_DEFAULTS, centered: true, momentum: 0.9 }),
  adagrad: (p) => new rt.Adagrad(p, rt.ADAGRAD_DEFAULTS),
  adadelta: (p) => new rt.Adadelta(p, rt.ADADELTA_DEFAULTS),
};

/** One parameter of n values with its gradient: weights in ±0.05, gradients in ±0.005 (deterministic). */
function parameter(inWasm) {
  const alloc = (k) => (inWasm ? rt.allocFloats(Float32Array, k) : new Float32Array(k));
  const data = alloc(n), grad = alloc(n);
  const rng = new rt.Rng(1);
  for (let i = 0; i < n; i++) {
    data[i] = rng.uniform(-0.05, 0.05);
    grad[i] = rng.uniform(-0.005, 0.005);
  }
  return [{ name: 'w', data, grad }];
}

const entries = {};
for (const [name, make] of Object.entries(OPTIMIZERS)) {
  const wasm = make(parameter(true)), js = make(parameter(false));
  const ms = { wasm: [], js: [] };
  for (let i = 0; i < 3 + steps; i++) {
    for (const [path, opt] of [['wasm', wasm], ['js', js]]) {
      const t0 = performance.now();
      opt.step();
      if (i >= 3) ms[path].push(performance.now() - t0);
    }
  }
  entries[name] = { wasm: summarize(ms.wasm, 3), js: summarize(ms.js, 3) };
  console.log(`${name}: wasm memory ${entries[name].wasm.median_ms.toFixed(2)} ms, ordinary arrays ${entries[name].js.median_ms.toFixed(2)} ms`);
}
report({ params: n, steps, entries });

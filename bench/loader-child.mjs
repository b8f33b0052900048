// The data loader next to training (issue 15): for the seed's model on 28×28 gray PNG folders and for a
// 3×32×32 model on colour JPEG folders with augmentation (random_crop 32 padding 4, horizontal flip), the
// images per second of (1) decoding + the eval transforms, done once before training, (2) one epoch's
// augmentation on the main thread (LabeledImages.sample: a fresh draw per image), (3) the same epoch's batches
// made ahead by the loader's worker threads (LabeledImages.batches, CNNC_LOADER_WORKERS, default 1 per 4 cores),
// taken as fast as they come, (4) training steps (batch 64, the loaded images) on one thread, and (5) training
// steps each on the next prefetched batch, with the time the step waited for it. The ratios loader / train
// are the figures: the loader must never be what training waits for.
//
//   node bench/loader-child.mjs [--images N] [--steps S] [--workers W]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { childArgs, report } from './measure.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = childArgs();
const N = Number(args.images ?? 2000);
const STEPS = Number(args.steps ?? 12);
const { build, loadModule } = await import(join(root, 'dist/compiler/index.js'));
const { chooseData, loadDataAsync } = await import(join(root, 'dist/runtime/node/data/load.js'));
const { epochPermutation } = await import(join(root, 'dist/runtime/train/shuffle.js'));
if (args.workers !== undefined) process.env.CNNC_LOADER_WORKERS = String(args.workers);
const idx = '/usr/share/datasets/fashion-mnist';

const work = mkdtempSync(join(tmpdir(), 'cnnc-loader-'));
// A cache of this run's own, so that decoding is measured (a user's warm cache would hold these same images).
process.env.CNNC_CACHE_DIR = join(work, 'cache');
delete process.env.CNNC_CACHE;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(label, format, color, specText, stream = 'off') {
  process.env.CNNC_STREAM = stream;
  const dir = join(work, label);
  const r = stream === 'on' ? { status: 0 } : spawnSync(process.execPath, [join(root, 'tools/data/export-idx-folder.mjs'), '--idx', idx, '--out', dir, '--format', format, '--limit', String(N), ...(color ? ['--color'] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const specFile = join(work, `${label}.yaml`);
  writeFileSync(specFile, specText.replace('PATH', dir));
  const built = build(readFileSync(specFile, 'utf8'), specFile, { dtype: 'float32' });
  if (built.code === null) throw new Error(JSON.stringify(built.diagnostics));
  const { ir } = built;
  const context = { data: ir.data, specFile, shape: ir.input.shape, seed: 1 };
  const t0 = performance.now();
  const data = await loadDataAsync(chooseData(ir.data, specFile), 10, undefined, context);
  const decodeMs = performance.now() - t0;
  const train = data.train;
  const size = train.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  let augmentPerS = null;
  if (train.sample) {
    const t1 = performance.now();
    for (let k = 0; k < train.n; k++) train.sample(k, 0, out, 0);
    augmentPerS = (train.n * 1000) / (performance.now() - t1);
  }
  const B = 64;
  const order = epochPermutation(1, 0, train.n);
  let prefetchPerS = null;
  if (train.batches) {
    const stream = train.batches.open(order, 0, B, 0);
    const t1 = performance.now();
    for (let j = 0; j * B < train.n; j++) await stream.next();
    prefetchPerS = (train.n * 1000) / (performance.now() - t1);
    stream.close();
  }
  const net = (await loadModule(built.code, join(work, `${label}-${stream}-module`))).createModel({ seed: 1 });
  net.train();
  const y = train.labels.subarray(0, B);
  const x = train.images.length > 0 ? train.images.subarray(0, B * size) : new Float32Array(B * size);
  if (train.images.length === 0) for (let i = 0; i < B; i++) train.read(i, x, i * size); // streamed
  const times = [];
  for (let s = 0; s < STEPS + 3; s++) {
    const t = performance.now();
    net.trainStep(x, y, B);
    if (s >= 3) times.push(performance.now() - t);
  }
  const trainPerS = (B * 1000) / median(times);
  // Steps on the prefetched batches of epoch 1: the wait is the time next() took once the step before ended.
  let fed = null;
  if (train.batches) {
    const stream = train.batches.open(epochPermutation(1, 1, train.n), 1, B, 0);
    const steps = Math.min(Math.floor(train.n / B), STEPS + 3);
    const stepMs = [];
    let waited = 0;
    for (let s = 0; s < steps; s++) {
      const t = performance.now();
      const batch = await stream.next();
      const w = performance.now() - t;
      net.trainStep(batch, y, B);
      if (s >= 3) {
        stepMs.push(performance.now() - t);
        waited += w;
      }
    }
    stream.close();
    fed = { train_fed_per_s: (B * 1000) / median(stepMs), wait_ms_per_step: waited / stepMs.length, workers: train.batches.workers };
  }
  const decodePerS = ((train.n + data.test.n) * 1000) / decodeMs;
  return { images: train.n + data.test.n, decode_per_s: decodePerS, augment_per_s: augmentPerS, prefetch_per_s: prefetchPerS, train_per_s: trainPerS, ...fed };
}

const layers = (c) => `layers:
  - { kind: conv2d, out_channels: 32, kernel_size: 3 }
  - relu
  - { kind: conv2d, out_channels: 64, kernel_size: 3 }
  - relu
  - { kind: maxpool2d, kernel_size: 2 }
  - flatten
  - { kind: linear, out_features: 128 }
  - relu
  - { kind: linear, out_features: 10 }
  - log_softmax
loss: { kind: nll }
optimizer: { kind: adam }
train: { batch_size: 64, seed: 1 }
`;
try {
  const gray = await measure('png-gray-28', 'png', false, `cnnc: 1\nname: Gray\ninput: { shape: [1, 28, 28] }\n${layers(1)}data: { source: folder, path: PATH }\n`);
  const colour = await measure('jpeg-rgb-32', 'jpeg', true, `cnnc: 1\nname: Colour\ninput: { shape: [3, 32, 32] }\n${layers(3)}data:\n  source: folder\n  path: PATH\n  transforms: [{ kind: resize, size: [32, 32] }, { kind: normalize, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }]\n  train_transforms: [{ kind: resize, size: [32, 32] }, { kind: random_crop, size: 32, padding: 4 }, random_horizontal_flip, { kind: normalize, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }]\n`);
  // The same gray folder streamed from the cache (CNNC_STREAM=on): each batch read from disk by the workers.
  const streamed = await measure('png-gray-28', 'png', false, `cnnc: 1\nname: Gray\ninput: { shape: [1, 28, 28] }\n${layers(1)}data: { source: folder, path: PATH }\n`, 'on');
  report({ node: process.version, entries: { 'seed model, 28×28 gray PNG': gray, 'seed model, 28×28 gray PNG, streamed (warm cache)': streamed, '3×32×32, colour JPEG + augmentation': colour } });
} finally {
  rmSync(work, { recursive: true, force: true });
}

// Resident memory of training on an image folder held in memory against streamed from the decoded-image cache
// (issue 15: "a dataset bigger than memory streams from that cache with bounded RSS"). The parent (the bench's
// loader section, or `node bench/stream-child.mjs --sweep`) makes synthetic folders of 3×S×S PNGs, N and 4N
// train images, and runs one child per case: it loads the folder (CNNC_STREAM=off or on; a cold cache decodes,
// a warm one reads the entry written before) and trains one epoch of a small model on it (augmentation:
// random_crop and a flip, batch 64), then reports its peak RSS (getrusage). Held, the peak grows with the data
// (4 bytes a pixel for the tensors, plus the 8-bit images); streamed it stays near the runtime's own.
//
//   node bench/stream-child.mjs --sweep [--images N] [--side S]
//   node bench/stream-child.mjs --folder DIR --cache DIR --stream on|off --side S   (one case)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { childArgs, peakRssMb, report, RESULT_PREFIX } from './measure.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = childArgs();
const side = Number(args.side ?? 64);

const spec = (folder) => `cnnc: 1
name: Streamed
input: { shape: [3, ${side}, ${side}] }
layers:
  - { kind: avgpool2d, kernel_size: 4 }
  - { kind: conv2d, out_channels: 4, kernel_size: 3 }
  - relu
  - flatten
  - { kind: linear, out_features: 2 }
  - log_softmax
loss: { kind: nll }
optimizer: { kind: adam }
train: { batch_size: 64, epochs: 1, seed: 1 }
data:
  source: folder
  path: ${folder}
  transforms: [ { kind: normalize, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } ]
  train_transforms: [ { kind: random_crop, size: ${side}, padding: 4 }, random_horizontal_flip, { kind: normalize, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } ]
`;

async function oneCase() {
  process.env.CNNC_STREAM = args.stream;
  process.env.CNNC_CACHE_DIR = args.cache;
  delete process.env.CNNC_CACHE;
  const { build, loadModule } = await import(join(root, 'dist/compiler/index.js'));
  const { chooseData, loadDataAsync } = await import(join(root, 'dist/runtime/node/data/load.js'));
  const { trainLoop } = await import(join(root, 'dist/runtime/train/loop.js'));
  const work = mkdtempSync(join(tmpdir(), 'cnnc-stream-child-'));
  try {
    const specFile = join(work, 'spec.yaml');
    writeFileSync(specFile, spec(args.folder));
    const built = build(readFileSync(specFile, 'utf8'), specFile, { dtype: 'float32' });
    if (built.code === null) throw new Error(JSON.stringify(built.diagnostics));
    const { ir } = built;
    const baseline = peakRssMb();
    const t0 = performance.now();
    const data = await loadDataAsync(chooseData(ir.data, specFile), 2, undefined, { data: ir.data, specFile, shape: ir.input.shape, seed: 1 });
    const loadS = (performance.now() - t0) / 1000;
    const net = (await loadModule(built.code, join(work, 'module'))).createModel({ seed: 1 });
    const t1 = performance.now();
    const r = await trainLoop(net, data, { seed: 1, batchSize: 64, epochs: 1, loss: ir.loss, lr: ir.optimizer.lr });
    if (r.kind !== 'done') throw new Error(`training ended ${r.kind}`);
    report({ images: data.train.n + data.test.n, streamed: data.train.images.length === 0, load_s: loadS, epoch_s: (performance.now() - t1) / 1000, peak_rss_mb: peakRssMb(), before_load_rss_mb: baseline });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** DIR/train/{a,b}/ and DIR/test/{a,b}/ of seeded 3×side×side PNGs (gradients and noise, ~side² bytes each). */
async function makeFolder(dir, train, test) {
  const { encode } = await import('fast-png');
  let s = 9;
  for (const [split, count] of [['train', train], ['test', test]]) {
    for (const c of ['a', 'b']) {
      mkdirSync(join(dir, split, c), { recursive: true });
      for (let i = 0; i < count / 2; i++) {
        const data = new Uint8Array(side * side * 3);
        for (let p = 0; p < data.length; p++) data[p] = ((p % (side * 3)) + (c === 'a' ? 0 : 80) + ((s = (s * 1103515245 + 12345) >>> 0) >>> 28)) & 255;
        writeFileSync(join(dir, split, c, `${i}.png`), encode({ width: side, height: side, data, channels: 3, depth: 8 }));
      }
    }
  }
}

function run(folder, cache, stream) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--folder', folder, '--cache', cache, '--stream', stream, '--side', String(side)], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (r.status !== 0 || line === undefined) throw new Error(`stream child (${stream}) failed: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length));
}

async function sweep() {
  const n = Number(args.images ?? 2000);
  const work = mkdtempSync(join(tmpdir(), 'cnnc-stream-'));
  try {
    const entries = {};
    for (const train of [n, 4 * n]) {
      const folder = join(work, `f${train}`);
      await makeFolder(folder, train, 64);
      const cache = join(work, `cache${train}`);
      const tensors = ((train + 64) * 3 * side * side * 4) / 2 ** 20;
      const label = `${train.toLocaleString('en-US')} train images 3×${side}×${side} (${tensors.toFixed(0)} MB of float32 tensors)`;
      entries[label] = {
        streamed_cold: run(folder, cache, 'on'), // decodes, writing the cache entry image by image
        streamed: run(folder, cache, 'on'),
        held: run(folder, cache, 'off'),
      };
      rmSync(folder, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
    report({ node: process.version, side, entries });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await (args.sweep ? sweep() : oneCase());

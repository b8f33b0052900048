// Throughput of the data transforms (runtime/data/transforms), one thread: resize 28×28 → 32×32 gray (an MNIST
// image to a 32×32 model), 500×375 → Resize(224) RGB (a photo, ImageNet-style: 298×224), and for context
// toTensor + normalize and two training pipelines. A measuring tool, not a test.
//
//   npm run build && node bench/transforms.mjs
//   node bench/transforms.mjs --dist /tmp/other-dist --json
//
// Each figure: images per second from the median of `--reps` timed rounds (after 2 untimed ones), each round
// at least ~50 ms of calls on the same input. Rounds are timed in this process's CPU time (process.cpuUsage),
// not wall time, so other load on a shared machine inflates them less (it still does, through caches and SMT).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, fallback) => { const i = argv.indexOf(name); return i < 0 ? fallback : argv[i + 1]; };
const dist = pathToFileURL(resolve(opt('--dist', new URL('../dist', import.meta.url).pathname))).href;
const reps = Number(opt('--reps', 9));
const json = argv.includes('--json');

const T = await import(`${dist}/runtime/data/transforms/index.js`);

const fixtures = new URL('../test/fixtures/transforms/inputs/', import.meta.url);
const gray28 = { width: 28, height: 28, channels: 1, data: new Uint8Array(readFileSync(new URL('fmnist0.u8', fixtures))) };
const icon128 = { width: 128, height: 128, channels: 3, data: new Uint8Array(readFileSync(new URL('icon128.u8', fixtures))) };
// A 500×375 photo-sized RGB image with real content: the icon, upscaled.
const photo = T.resizeBilinear(icon128, 500, 375);
const rgb32 = T.resizeBilinear(icon128, 32, 32);

/** Milliseconds of CPU time this process has used. */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function measure(name, fn, pixelsOut) {
  let calls = 1;
  for (;;) { // calls per round: about 50 ms
    const t0 = cpuMs();
    for (let i = 0; i < calls; i++) fn(i);
    if (cpuMs() - t0 > 50) break;
    calls *= 2;
  }
  const rounds = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = cpuMs();
    for (let i = 0; i < calls; i++) fn(i);
    rounds.push((cpuMs() - t0) / calls);
  }
  const ms = rounds.slice(2).sort((a, b) => a - b)[Math.floor(reps / 2)];
  return { name, imagesPerSec: Math.round(1000 / ms), usPerImage: +(ms * 1000).toFixed(2), mpixPerSec: +((pixelsOut / ms) / 1000).toFixed(1) };
}

const out3x32 = new Float32Array(3 * 32 * 32);
const norm = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261] };
const cifarTrain = [{ kind: 'random_crop', size: 32, padding: 4 }, { kind: 'random_horizontal_flip' }];
const imagenetTrain = [
  { kind: 'random_resized_crop', size: 224 },
  { kind: 'random_horizontal_flip' },
  { kind: 'color_jitter', brightness: 0.4, contrast: 0.4, saturation: 0.4 },
];

const results = [
  measure('resize 28×28 → 32×32 gray', () => T.resize(gray28, 32), 32 * 32),
  measure('resize 500×375 → Resize(224) = 298×224 RGB', () => T.resize(photo, 224), 298 * 224),
  measure('resize 500×375 → [224, 224] RGB', () => T.resize(photo, [224, 224]), 224 * 224),
  measure('toTensor + normalize 3×32×32', () => T.toTensor(rgb32, out3x32, 0, norm), 32 * 32),
  measure('train: random_crop 32 pad 4 + flip, 3×32×32', (i) => T.applyPipeline(rgb32, cifarTrain, { train: true, rng: T.sampleRng(1, 0, i) }), 32 * 32),
  measure('train: random_resized_crop 224 + flip + color_jitter, 500×375', (i) => T.applyPipeline(photo, imagenetTrain, { train: true, rng: T.sampleRng(1, 0, i) }), 224 * 224),
];

if (json) console.log(JSON.stringify({ node: process.version, results }));
else {
  console.log(`transforms, one thread, node ${process.version} (median of ${reps} rounds, CPU time)`);
  for (const r of results) console.log(`  ${r.name.padEnd(62)} ${String(r.imagesPerSec).padStart(8)} images/s  ${String(r.usPerImage).padStart(9)} µs  ${String(r.mpixPerSec).padStart(6)} Mpix/s out`);
}

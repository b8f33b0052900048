// Throughput of the image decoders (runtime/data/decode), one thread: a 28×28 grey PNG (a Fashion-MNIST
// image, as a class folder of them holds), a 48×48 and a 500×375 colour JPEG (4:2:0, quality 85: an icon
// and a photo-sized file), to L and to RGB. A measuring tool, not a test.
//
//   npm run build && node bench/decode.mjs
//   node bench/decode.mjs --dist /tmp/other-dist --json
//
// Each figure: images per second from the median of `--reps` timed rounds (after 2 untimed ones), each round
// at least ~50 ms of calls on the same file. Rounds are timed in this process's CPU time (process.cpuUsage),
// so other load on a shared machine inflates them less.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, fallback) => { const i = argv.indexOf(name); return i < 0 ? fallback : argv[i + 1]; };
const dist = pathToFileURL(resolve(opt('--dist', new URL('../dist', import.meta.url).pathname))).href;
const reps = Number(opt('--reps', 9));
const json = argv.includes('--json');

const D = await import(`${dist}/runtime/data/decode/index.js`);

const fixtures = new URL('../test/fixtures/images/', import.meta.url);
const png28 = new Uint8Array(readFileSync(new URL('bench-28x28.png', fixtures)));
const jpeg500 = new Uint8Array(readFileSync(new URL('bench-500x375.jpg', fixtures)));
const jpeg48 = new Uint8Array(readFileSync(new URL('rgb-420.jpg', fixtures)));

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function measure(name, fn) {
  let calls = 1;
  for (;;) {
    const t0 = cpuMs();
    for (let i = 0; i < calls; i++) fn();
    if (cpuMs() - t0 >= 50) break;
    calls *= 2;
  }
  const rounds = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = cpuMs();
    for (let i = 0; i < calls; i++) fn();
    if (r >= 2) rounds.push((cpuMs() - t0) / calls);
  }
  rounds.sort((a, b) => a - b);
  const ms = rounds[rounds.length >> 1];
  return { name, ms_per_image: ms, images_per_s: 1000 / ms };
}

const results = [
  measure('PNG 28×28 grey → L', () => D.decodeImage(png28, 'bench-28x28.png', 'L')),
  measure('PNG 28×28 grey → RGB', () => D.decodeImage(png28, 'bench-28x28.png', 'RGB')),
  measure('JPEG 48×48 4:2:0 → RGB', () => D.decodeImage(jpeg48, 'rgb-420.jpg', 'RGB')),
  measure('JPEG 500×375 4:2:0 → RGB', () => D.decodeImage(jpeg500, 'bench-500x375.jpg', 'RGB')),
  measure('JPEG 500×375 4:2:0 → L', () => D.decodeImage(jpeg500, 'bench-500x375.jpg', 'L')),
  measure('readImageHeader, JPEG 500×375', () => D.readImageHeader(jpeg500, 'bench-500x375.jpg')),
];

if (json) console.log(JSON.stringify({ node: process.version, results }, null, 1));
else {
  console.log(`decode throughput, one thread, node ${process.version} (median of ${reps} rounds, CPU time)`);
  for (const r of results) console.log(`  ${r.name.padEnd(34)} ${r.images_per_s.toFixed(0).padStart(9)} images/s  (${r.ms_per_image.toFixed(3)} ms)`);
}

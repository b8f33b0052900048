// Writes public/digits.bin: evenly spaced digits of the MNIST set embedded in cnnc (cnnc/runtime/node), for the
// page to fetch. Each split is sorted by digit, so evenly spaced samples hold every class.
//   u32 LE nTrain, u32 LE nTest, then per split: n labels (u8), n·784 pixels (u8, round(255·v), row-major 28×28)
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadMnist10k } from 'cnnc/runtime/node';

const TRAIN = 4000;
const TEST = 1000;
const PIXELS = 28 * 28;

function slice(split, count) {
  const n = Math.min(count, split.n);
  const labels = new Uint8Array(n);
  const pixels = new Uint8Array(n * PIXELS);
  for (let i = 0; i < n; i++) {
    const k = Math.floor((i * split.n) / n);
    labels[i] = split.labels[k];
    for (let p = 0; p < PIXELS; p++) pixels[i * PIXELS + p] = Math.round(split.images[k * PIXELS + p] * 255);
  }
  return { n, labels, pixels };
}

const { train, test } = loadMnist10k();
const parts = [slice(train, TRAIN), slice(test, TEST)];
const header = new Uint8Array(8);
new DataView(header.buffer).setUint32(0, parts[0].n, true);
new DataView(header.buffer).setUint32(4, parts[1].n, true);
mkdirSync(new URL('./public/', import.meta.url), { recursive: true });
const out = new URL('./public/digits.bin', import.meta.url);
writeFileSync(out, Buffer.concat([header, ...parts.flatMap((p) => [p.labels, p.pixels])]));
console.log(`wrote public/digits.bin: ${parts[0].n} training and ${parts[1].n} test digits`);

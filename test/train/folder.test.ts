// Training on a user's own images, end to end with real data: Debian's Fashion-MNIST exported into class
// folders by tools/data/export-idx-folder.mjs (PNG, and tinted RGB JPEG), loaded through the same path as
// `cnnc train` (loadDataAsync), trained by the in-process CLI, evaluated and predicted with class names.
// Then bad input: a corrupt or truncated image, a 0-byte file, a decompression bomb: exit 1, one line
// naming the file, and nothing written into the run directory. The Fashion-MNIST parts skip (with a line
// saying so) where /usr/share/datasets/fashion-mnist is absent; the bad-input ones use the repo's fixtures.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import jpeg from 'jpeg-js';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { build } from '../../compiler/index.js';
import type { DataDescription } from '../../runtime/contracts.js';
import { classNamesOf } from '../../runtime/class-names.js';
import { parseIdx } from '../../runtime/data/idx.js';
import { findIdxFile, IDX_FILES, loadIdxDirectory } from '../../runtime/node/data/idx-files.js';
import { loadDataAsync } from '../../runtime/node/data/load.js';
import { readMaybeGzip } from '../../runtime/node/data/read-maybe-gzip.js';
import { decodeSafetensors, readTensor } from '../../runtime/safetensors.js';
import { cnnc } from '../cli.js';
import { idxBytes } from './idx-bytes.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const HAVE_FASHION = existsSync(FASHION);
if (!HAVE_FASHION) console.log(`test/train/folder.test.ts: skipping the Fashion-MNIST folder tests: ${FASHION} is absent (apt install dataset-fashion-mnist)`);
const FIXTURES = 'test/fixtures/images';

const made: string[] = [];
const tmp = (what: string) => {
  const dir = mkdtempSync(join(tmpdir(), `cnnc-folder-${what}-`));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** specs/fashion.yaml (the seed's network) with its data line replaced. */
const fashionSpec = (data: string, extra = ''): string =>
  readFileSync('specs/fashion.yaml', 'utf8').replace(/^data: .*$/m, `${extra}data: ${data}`);

/** The seed's input, layers and recipe for a 3×32×32 input: a small conv net, so the colour runs take seconds. */
const COLOR_SPEC = `cnnc: 1
name: FashionColor
input: { shape: [3, 32, 32] }
layers:
  - { kind: conv2d, name: conv1, out_channels: 8, kernel_size: 3 }
  - relu
  - { kind: maxpool2d, kernel_size: 2 }
  - flatten
  - { kind: linear, name: fc1, out_features: 10 }
  - log_softmax
loss: { kind: nll }
optimizer: { kind: adam, lr: 0.003 }
train: { batch_size: 32, epochs: 1, seed: 3 }
data:
  source: folder
  path: jpeg
  transforms: [ { kind: resize, size: [32, 32] }, { kind: normalize, mean: [0.5, 0.4, 0.3], std: [0.25, 0.25, 0.3] } ]
  train_transforms:
    - { kind: resize, size: [32, 32] }
    - { kind: random_crop, size: 32, padding: 4 }
    - random_horizontal_flip
    - { kind: normalize, mean: [0.5, 0.4, 0.3], std: [0.25, 0.25, 0.3] }
`;

/** The data description cnnc train passes to the loader, from the spec as compiled. */
function dataOf(source: string, file: string): { data: DataDescription; shape: readonly number[]; seed: number } {
  const r = build(source, file);
  if (r.ir === null) throw new Error(`test spec does not build: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return { data: r.ir.data, shape: r.ir.input.shape, seed: r.ir.train.seed };
}

/** tools/data/export-idx-folder.mjs (it runs on dist/, as `npm test` builds it). */
function exportFolder(out: string, ...args: string[]): void {
  if (!existsSync('dist/runtime/node/data/idx-files.js')) throw new Error('dist/ is missing: `npm test` builds it first (tsc)');
  execFileSync(process.execPath, ['tools/data/export-idx-folder.mjs', '--out', out, ...args], { stdio: 'pipe' });
}

/** Removes the test images whose IDX index is `keep` or more (the exporter's --limit cuts both splits alike). */
function cutTest(root: string, keep: number): void {
  for (const c of readdirSync(join(root, 'test'))) {
    for (const f of readdirSync(join(root, 'test', c))) if (Number.parseInt(f, 10) >= keep) rmSync(join(root, 'test', c, f));
  }
}

const indexOf = (file: string): number => Number.parseInt(basename(file), 10);

/** Every tensor of a weights file, by name (the metadata left out). */
function tensorsOf(file: string): Record<string, number[]> {
  const bytes = new Uint8Array(readFileSync(file));
  const out: Record<string, number[]> = {};
  for (const [name, entry] of decodeSafetensors(bytes).tensors) out[name] = [...readTensor(bytes, entry)];
  return out;
}

const lastMetrics = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!) as { loss: number; test_loss: number; test_accuracy: number };

afterEach(() => vi.restoreAllMocks());

describe.skipIf(!HAVE_FASHION)('Fashion-MNIST as a PNG folder', () => {
  let root: string;
  let png: string;
  beforeAll(() => {
    root = tmp('png');
    png = join(root, 'png');
    exportFolder(png, '--limit', '600');
    cutTest(png, 200);
    writeFileSync(join(root, 'folder.yaml'), fashionSpec('{ source: folder, path: png }'));
  }, 60_000);

  it('loads as the IDX files do, bit for bit: each image the float32 tensor of the IDX image its file name indexes, same labels', async () => {
    const ctx = { ...dataOf(readFileSync(join(root, 'folder.yaml'), 'utf8'), join(root, 'folder.yaml')), specFile: join(root, 'folder.yaml') };
    const folder = await loadDataAsync(`folder:${png}`, 10, undefined, ctx);
    const idx = loadIdxDirectory(FASHION, 10);
    expect([folder.train.n, folder.test.n]).toEqual([600, 200]);
    expect(folder.classNames).toEqual(['0_T-shirt_top', '1_Trouser', '2_Pullover', '3_Dress', '4_Coat', '5_Sandal', '6_Shirt', '7_Sneaker', '8_Bag', '9_Ankle_boot']);
    for (const [mine, theirs, split] of [[folder.train, idx.train, 'train'], [folder.test, idx.test, 'test']] as const) {
      const files = readdirSync(join(png, split)).sort().flatMap((c) => readdirSync(join(png, split, c)).sort());
      expect(files).toHaveLength(mine.n);
      files.forEach((f, i) => {
        const k = indexOf(f);
        expect(mine.labels[i]).toBe(theirs.labels[k]);
        const a = mine.images.subarray(i * 784, (i + 1) * 784);
        const b = theirs.images.subarray(k * 784, (k + 1) * 784);
        if (!a.every((v, j) => Object.is(v, b[j]))) expect.fail(`${split}/${f}: its tensor differs from IDX image ${k}`);
      });
    }
  });

  it("trains the seed's network to the IDX path's weights and accuracy exactly, on the same images in the same order; a CSV manifest of them too", async () => {
    // IDX files holding the folder's images in the folder's order (class by class)
    const idxDir = join(root, 'idx');
    mkdirSync(idxDir);
    const list = (split: string) => readdirSync(join(png, split)).sort().flatMap((c) => readdirSync(join(png, split, c)).sort().map((f) => join(split, c, f)));
    for (const [split, images, labels] of [['train', IDX_FILES.trainImages, IDX_FILES.trainLabels], ['test', IDX_FILES.testImages, IDX_FILES.testLabels]] as const) {
      const img = parseIdx(readMaybeGzip(findIdxFile(FASHION, images)), images);
      const lab = parseIdx(readMaybeGzip(findIdxFile(FASHION, labels)), labels);
      const order = list(split).map(indexOf);
      const px = new Uint8Array(order.length * 784);
      order.forEach((k, i) => px.set(img.bytes.subarray(k * 784, (k + 1) * 784), i * 784));
      writeFileSync(join(idxDir, images), idxBytes([order.length, 28, 28], px));
      writeFileSync(join(idxDir, labels), idxBytes([order.length], order.map((k) => lab.bytes[k]!)));
      // and a manifest of the same files, relative to the manifest's folder
      mkdirSync(join(root, 'csv'), { recursive: true });
      writeFileSync(join(root, 'csv', `${split}.csv`), `path,label\n${list(split).map((f) => `../png/${f},${basename(join(f, '..'))}`).join('\n')}\n`);
    }
    writeFileSync(join(root, 'idx.yaml'), fashionSpec('{ source: idx, path: idx }'));
    writeFileSync(join(root, 'csv.yaml'), fashionSpec('{ source: csv, train: csv/train.csv, test: csv/test.csv }'));

    const runs: Record<string, string> = {};
    for (const kind of ['folder', 'idx', 'csv']) {
      runs[kind] = join(root, `run-${kind}`);
      const r = await cnnc('train', join(root, `${kind}.yaml`), '--out', runs[kind]!);
      expect(r.err).not.toMatch(/error/);
      expect(r.code).toBe(0);
    }
    const [folder, idx, csv] = [lastMetrics(runs.folder!), lastMetrics(runs.idx!), lastMetrics(runs.csv!)];
    console.log(`seed network, 1 epoch on 600 Fashion-MNIST images: test accuracy ${(100 * folder.test_accuracy).toFixed(2)}% from the PNG folder, ${(100 * idx.test_accuracy).toFixed(2)}% from IDX, ${(100 * csv.test_accuracy).toFixed(2)}% from the CSV manifest (200 test images)`);
    expect(folder.test_accuracy).toBeGreaterThan(0.3); // chance is 0.1: it learned
    const same = (m: typeof folder) => [m.loss, m.test_loss, m.test_accuracy];
    expect(same(idx)).toEqual(same(folder));
    expect(same(csv)).toEqual(same(folder));
    const weights = tensorsOf(join(runs.folder!, 'model.safetensors'));
    expect(tensorsOf(join(runs.idx!, 'model.safetensors'))).toEqual(weights);
    expect(tensorsOf(join(runs.csv!, 'model.safetensors'))).toEqual(weights);
    // the folder's class names travel with its weights; IDX files have none
    const names = (dir: string) => classNamesOf(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    expect(names(runs.folder!)).toEqual(readdirSync(join(png, 'train')).sort());
    expect(names(runs.csv!)).toEqual(readdirSync(join(png, 'train')).sort());
    expect(names(runs.idx!)).toBeNull();
  }, 120_000);
});

describe.skipIf(!HAVE_FASHION)('Fashion-MNIST as a tinted RGB JPEG folder, 3×32×32 with augmentation', () => {
  let root: string;
  let spec: string;
  const NAMES = ['0_T-shirt_top', '1_Trouser', '2_Pullover', '3_Dress', '4_Coat', '5_Sandal', '6_Shirt', '7_Sneaker', '8_Bag', '9_Ankle_boot'];
  beforeAll(() => {
    root = tmp('jpeg');
    // jpeg-js builds its encoder's tables for every image (30-90 ms here): a small set
    exportFolder(join(root, 'jpeg'), '--limit', '120', '--color', '--format', 'jpeg');
    cutTest(join(root, 'jpeg'), 40);
    spec = join(root, 'color.yaml');
    writeFileSync(spec, COLOR_SPEC);
  }, 60_000);

  it("draws each sample's augmentation from (seed, epoch, index): the same draw twice, another epoch or seed another one", async () => {
    const ctx = { ...dataOf(COLOR_SPEC, spec), specFile: spec };
    const a = await loadDataAsync(`folder:${join(root, 'jpeg')}`, 10, 64, ctx);
    const b = await loadDataAsync(`folder:${join(root, 'jpeg')}`, 10, 64, { ...ctx, seed: ctx.seed + 1 });
    expect(a.train.shape).toEqual([3, 32, 32]);
    expect(a.test.sample).toBeUndefined(); // the test split is not augmented
    const size = 3 * 32 * 32;
    const draw = (d: typeof a, k: number, epoch: number) => {
      const out = new Float32Array(size);
      d.train.sample!(k, epoch, out, 0);
      return out;
    };
    let epochDiffers = 0;
    let seedDiffers = 0;
    let augmented = 0;
    for (let k = 0; k < 64; k++) {
      const first = draw(a, k, 0);
      expect(draw(a, k, 0)).toEqual(first);
      if (draw(a, k, 1).some((v, j) => v !== first[j])) epochDiffers++;
      if (draw(b, k, 0).some((v, j) => v !== first[j])) seedDiffers++;
      if (first.some((v, j) => v !== a.train.images[k * size + j])) augmented++;
    }
    // a crop offset of 9² choices and a flip: nearly every sample changes between draws
    expect(epochDiffers).toBeGreaterThan(50);
    expect(seedDiffers).toBeGreaterThan(50);
    expect(augmented).toBeGreaterThan(50);
  });

  it('trains with augmentation to the same weights bytes twice, and at 1 or 2 threads; the weights name the classes; eval and predict print names', async () => {
    const run = async (dir: string, threads: string) => {
      const r = await cnnc('train', spec, '--out', join(root, dir), '--threads', threads);
      expect(r.err).not.toMatch(/error/);
      expect(r.code).toBe(0);
      return new Uint8Array(readFileSync(join(root, dir, 'model.safetensors')));
    };
    const one = await run('run-1', '1');
    expect(await run('run-1-again', '1')).toEqual(one);
    expect(await run('run-2', '2')).toEqual(one);
    expect(Number.isFinite(lastMetrics(join(root, 'run-1')).loss)).toBe(true);
    expect(classNamesOf(one)).toEqual(NAMES);
    const weights = join(root, 'run-1', 'model.safetensors');

    const e = await cnnc('eval', spec, '--weights', weights);
    expect(e.code).toBe(0);
    const rows = e.out.split('\n').filter((l) => /^\s+\d( +\d+){10} +\d+\.\d\d% +\S+$/.test(l));
    expect(rows.map((l) => l.trim().split(/\s+/).pop())).toEqual(NAMES);
    // predict preprocesses as the loader does: its answers on the 40 test files make eval's confusion matrix
    const tests = readdirSync(join(root, 'jpeg', 'test')).sort().flatMap((c) => readdirSync(join(root, 'jpeg', 'test', c)).map((f) => join(root, 'jpeg', 'test', c, f)));
    expect(tests).toHaveLength(40);
    const all = await cnnc('predict', spec, '--weights', weights, '--json', ...tests);
    expect(all.code).toBe(0);
    const confusion = NAMES.map(() => NAMES.map(() => 0));
    all.out.trim().split('\n').forEach((l, i) => {
      const answer = JSON.parse(l) as { file: string; class: number };
      expect(answer.file).toBe(tests[i]);
      confusion[NAMES.indexOf(basename(join(tests[i]!, '..')))]![answer.class]!++;
    });
    expect(rows.map((l) => l.trim().split(/\s+/).slice(1, 11).map(Number))).toEqual(confusion);

    // a 100×80 RGB photo-like JPEG: a coloured gradient with a dark blob, not the input's size
    const [w, h] = [100, 80];
    const rgba = Buffer.alloc(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const dark = (x - 50) ** 2 / 900 + (y - 40) ** 2 / 600 < 1;
        rgba.set([dark ? 30 : (x * 255) / w, dark ? 20 : (y * 255) / h, dark ? 60 : 128, 255], (y * w + x) * 4);
      }
    }
    const photo = join(root, 'photo.jpg');
    writeFileSync(photo, jpeg.encode({ data: rgba, width: w, height: h }, 90).data);
    const p = await cnnc('predict', spec, '--weights', weights, photo);
    expect(p.err).toBe('');
    expect(p.code).toBe(0);
    const head = p.out.split('\n')[0]!.match(/^(.+): (\S+) \(class (\d), (\d+\.\d\d)%\)$/);
    expect(head).not.toBeNull();
    expect(head![1]).toBe(photo);
    expect(head![2]).toBe(NAMES[Number(head![3])]);
    const j = await cnnc('predict', spec, '--weights', weights, photo, '--json');
    expect(j.code).toBe(0);
    const line = JSON.parse(j.out.trim()) as { file: string; class: number; name: string; probability: number; probabilities: number[] };
    expect(line).toMatchObject({ file: photo, class: Number(head![3]), name: head![2] });
    expect(line.probabilities).toHaveLength(10);
    expect(line.probabilities.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    expect(line.probability).toBe(Math.max(...line.probabilities));
  }, 120_000);

  it('resumed in the middle of the second epoch, augmentation and all, it ends at the same weights bytes as a straight run', async () => {
    const straight = join(root, 'straight');
    expect((await cnnc('train', spec, '--out', straight, '--epochs', '2')).code).toBe(0);
    const cut = join(root, 'cut');
    expect((await cnnc('train', spec, '--out', cut, '--epochs', '2', '--max-steps', '6')).code).toBe(0); // 4 steps an epoch
    expect(existsSync(join(cut, 'checkpoint.safetensors'))).toBe(true);
    expect((await cnnc('train', spec, '--resume', cut)).code).toBe(0);
    expect(new Uint8Array(readFileSync(join(cut, 'model.safetensors')))).toEqual(new Uint8Array(readFileSync(join(straight, 'model.safetensors'))));
  }, 60_000);
});

describe('bad input in an image folder: exit 1, one line naming the file, nothing written', () => {
  const CLASSES = ['a', 'b'];
  const TINY = `cnnc: 1
name: Tiny
input: { shape: [1, 28, 28] }
layers:
  - flatten
  - { kind: linear, out_features: 2 }
  - log_softmax
loss: { kind: nll }
optimizer: { kind: adam }
train: { batch_size: 4, epochs: 1, seed: 0 }
data: { source: folder, path: imgs }
`;

  /** A folder of good 28×28 gray PNGs (the fixtures) with `bad` written into train/b/ as `name`. */
  function folderWith(name: string, bad: Uint8Array, spec = TINY): { spec: string; file: string; out: string } {
    const root = tmp('bad');
    for (const split of ['train', 'test']) {
      for (const c of CLASSES) {
        mkdirSync(join(root, 'imgs', split, c), { recursive: true });
        copyFileSync(join(FIXTURES, 'bench-28x28.png'), join(root, 'imgs', split, c, '1.png'));
        copyFileSync(join(FIXTURES, 'gray8.png'), join(root, 'imgs', split, c, '2.png'));
      }
    }
    const file = join(root, 'imgs', 'train', 'b', name);
    writeFileSync(file, bad);
    writeFileSync(join(root, 'spec.yaml'), spec);
    return { spec: join(root, 'spec.yaml'), file, out: join(root, 'run') };
  }

  async function refused(name: string, bad: Uint8Array): Promise<string> {
    const { spec, file, out } = folderWith(name, bad);
    const r = await cnnc('train', spec, '--out', out);
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/epoch/);
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`error: ${file}`)).toBe(true);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    return lines[0]!.slice(`error: ${file}`.length);
  }

  const good = (f: string) => new Uint8Array(readFileSync(join(FIXTURES, f)));

  it('the good folder itself trains (so the refusals below are the bad file)', async () => {
    const { spec, out } = folderWith('3.png', good('gray8.png'));
    const r = await cnnc('train', spec, '--out', out);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
  });

  it('a corrupt PNG: a bad CRC, and broken compressed data under a good CRC', async () => {
    const png = good('gray8.png');
    const idat = Buffer.from(png).indexOf('IDAT');
    const flipped = png.slice();
    flipped[idat + 8] ^= 0xff;
    expect(await refused('3.png', flipped)).toBe(' (byte 33): corrupt PNG: CRC mismatch in chunk "IDAT"');
    // the deflate stream overwritten past its zlib header, the chunk's CRC made right again
    const length = new DataView(png.buffer, png.byteOffset).getUint32(idat - 4);
    const broken = png.slice();
    broken.fill(0xff, idat + 6, idat + 4 + length);
    new DataView(broken.buffer).setUint32(idat + 4 + length, crc32(broken.subarray(idat, idat + 4 + length)));
    expect(await refused('3.png', broken)).toMatch(/corrupt PNG|compressed|deflate|zlib|inflate/i);
  });

  it('a truncated JPEG', async () => {
    const jpg = good('gray.jpg');
    expect(await refused('3.jpg', jpg.subarray(0, Math.floor(jpg.length / 2)))).toMatch(/trunc|end|EOI|ends/i);
  });

  it('a 0-byte file', async () => {
    expect(await refused('3.png', new Uint8Array(0))).toMatch(/empty|0 bytes|no data/i);
  });

  it('text named .png, and a non-image file', async () => {
    expect(await refused('3.png', new TextEncoder().encode('hello, not a png'))).toMatch(/not a PNG|signature|not an image/i);
    expect(await refused('notes.txt', new TextEncoder().encode('hello'))).toBe(': not an image file (cnnc reads .png, .jpg, .jpeg); move it out of the data folder');
  });

  it("an image whose header says 100000×100000 is refused from the header, by PIL's decompression-bomb limit", async () => {
    const bomb = good('bomb-100000x100000.png');
    expect(bomb.length).toBeLessThan(10_000); // the header claims 10¹⁰ pixels; the file is tiny
    const before = process.memoryUsage().rss;
    const message = await refused('3.png', bomb);
    expect(message).toMatch(/100000×100000 = 10000000000 pixels, over the limit of 178956970/);
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 2 ** 20);
  });

  it('an image smaller than the training random_crop (no pad_if_needed) is refused while loading, naming it, before training starts', async () => {
    const crop = TINY.replace('[1, 28, 28]', '[1, 32, 32]').replace(/^data: .*$/m, 'data:\n  source: folder\n  path: imgs\n  train_transforms: [ { kind: random_crop, size: 32 } ]');
    const { spec, out } = folderWith('3.png', good('gray8.png'), crop);
    const r = await cnnc('train', spec, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${join(spec, '..', 'imgs', 'train', 'a', '1.png')}: random_crop: the crop 32×32 is larger than the (padded) image 28×28; set pad_if_needed: true or a larger padding\n`);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    // with padding 2 the 28×28 images are 32×32 before the crop: the same folder trains
    const padded = folderWith('3.png', good('gray8.png'), crop.replace('size: 32 }', 'size: 32, padding: 2 }'));
    const ok = await cnnc('train', padded.spec, '--out', padded.out);
    expect(ok.err).not.toMatch(/error/);
    expect(ok.code).toBe(0);
  });

  it("a folder whose class count is not the model's output is refused in one line naming both", async () => {
    const { spec, out } = folderWith('3.png', good('gray8.png'), TINY.replace('out_features: 2', 'out_features: 3'));
    const r = await cnnc('train', spec, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${join(spec, '..', 'imgs')}: 2 classes (a, b), but the model's output has 3\n`);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('a symbolic-link loop, and a class of test missing from train, through cnnc train', async () => {
    const loop = folderWith('3.png', good('gray8.png'));
    const up = join(loop.spec, '..', 'imgs', 'train', 'a', 'up');
    symlinkSync('.', up);
    const l = await cnnc('train', loop.spec, '--out', loop.out);
    expect(l.code).toBe(1);
    expect(l.err).toBe(`error: ${up}: a symbolic-link loop (it leads back to ${join(up, '..')})\n`);
    expect(existsSync(loop.out) ? readdirSync(loop.out) : []).toEqual([]);

    const { spec, out } = folderWith('3.png', good('gray8.png'));
    const root = join(spec, '..');
    mkdirSync(join(root, 'imgs', 'test', 'zebra'));
    copyFileSync(join(FIXTURES, 'gray8.png'), join(root, 'imgs', 'test', 'zebra', '1.png'));
    const r = await cnnc('train', spec, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${join(root, 'imgs', 'test', 'zebra')}: class "zebra" has no folder in train (its classes: a, b)\n`);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});

// train.py reads every kind of data a spec names, and the weights it writes score in `cnnc eval` what they scored in
// PyTorch: specs of specs/ (the embedded digits with their derived tasks and val_split, Fashion-MNIST's IDX files) for two steps
// on 128 images of each split (`--limit`, the evenly spaced subset cnnc's --limit takes), and an image folder and CSV
// manifests of PNGs (decoded by PIL) with crops, flips, a resize and normalize. Skips where torch is absent.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { cnnc } from '../cli.js';
import { python, skipWithoutTorch } from '../torch.js';

const skip = skipWithoutTorch('test/pytorch/data');
const root = mkdtempSync(join(tmpdir(), 'cnnc-pytorch-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Eval { correct: number; positions: number; test_images: number }

/** Exports `spec`, trains two steps on `limit` images, and returns PyTorch's and cnnc's test counts. */
async function roundTrip(spec: string, name: string, limit: number | null): Promise<{ torch: Eval; cnnc: Eval }> {
  const dir = join(root, name);
  const exported = await cnnc('export', spec, '--to', 'pytorch', '-o', dir);
  expect(exported.code, exported.err).toBe(0);
  const lim = limit === null ? [] : ['--limit', String(limit)];
  const r = await python([join(dir, 'train.py'), ...lim, '--max-steps', '2', '--out', join(dir, 'run')], root);
  expect(r.code, r.err).toBe(0);
  const torch = JSON.parse(readFileSync(join(dir, 'run', 'eval.json'), 'utf8')) as Eval;
  const e = await cnnc('eval', spec, '--weights', join(dir, 'run', 'model.safetensors'), ...lim, '--json');
  expect(e.code, e.err).toBe(0);
  return { torch, cnnc: JSON.parse(e.out) as Eval };
}

/** One spec per way train.py reads data (specs/mnist.yaml's plain digits: train.test.ts). */
const SPECS = [
  'gan-discriminator.yaml', // the embedded digits' real-vs-fake task, derived by cnnc: 0/1 targets of the output's shape
  'segmentation.yaml', // label maps [H, W], per-pixel accuracy
  'mnist-warmup-cosine.yaml', // val_split, held out by cnnc and written as val-*.idx; a per-step schedule
  ...(existsSync('/usr/share/datasets/fashion-mnist') ? ['resnet-mini.yaml'] : []), // IDX files (gzipped); batchnorm's state
];

describe.skipIf(skip)('train.py on each spec\'s data: cnnc eval counts what PyTorch counted', () => {
  for (const f of SPECS) {
    it(`specs/${f}: two steps on 128 images of each split`, async () => {
      const { torch, cnnc: ours } = await roundTrip(join('specs', f), f.replace('.yaml', ''), 128);
      expect(ours.test_images).toBe(torch.test_images);
      expect([ours.correct, ours.positions]).toEqual([torch.correct, torch.positions]);
    }, 120_000);
  }

  // Ten 10×10 gray PNGs per class: class a is bright in its top half, class b in its bottom half, with noise.
  const images = join(root, 'images');
  const png = (cls: number, k: number): Uint8Array => {
    let s = 17 * (cls + 1) + k;
    const data = new Uint8Array(100);
    for (let i = 0; i < 100; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const bright = (i < 50) === (cls === 0);
      data[i] = Math.min(255, (bright ? 150 : 30) + (s >>> 26));
    }
    return encode({ width: 10, height: 10, data, channels: 1, depth: 8 });
  };
  const spec = (data: string[]): string => ['cnnc: 1', 'name: Halves', 'input: { shape: [1, 8, 8] }', 'layers:',
    '  - { kind: conv2d, name: conv, out_channels: 2, kernel_size: 3 }', '  - relu', '  - flatten', '  - { kind: linear, name: fc, out_features: 2 }',
    'loss: { kind: cross_entropy }', 'optimizer: { kind: sgd, lr: 0.1 }', 'train: { batch_size: 4, epochs: 1, seed: 1 }', 'data:', ...data, ''].join('\n');

  /** images/{train,test}/{a,b}/<k>.png and train.csv, test.csv listing them; made once. */
  const makeImages = (): void => {
    if (existsSync(join(root, 'test.csv'))) return;
    const manifest: Record<string, string[]> = { train: [], test: [] };
    for (const split of ['train', 'test']) {
      for (const [c, cls] of ['a', 'b'].entries()) {
        mkdirSync(join(images, split, cls), { recursive: true });
        for (let k = 0; k < 10; k++) {
          writeFileSync(join(images, split, cls, `${k}.png`), png(c, k + (split === 'test' ? 100 : 0)));
          manifest[split]!.push(`images/${split}/${cls}/${k}.png,${cls}`);
        }
      }
      writeFileSync(join(root, `${split}.csv`), `path,label\n${manifest[split]!.join('\n')}\n`);
    }
  };

  it('an image folder: train_transforms random_crop (padding), random_horizontal_flip, normalize; transforms center_crop, normalize', async () => {
    makeImages();
    writeFileSync(join(root, 'folder.yaml'), spec(['  source: folder', '  path: images',
      '  transforms: [{ kind: center_crop, size: 8 }, { kind: normalize, mean: [0.5], std: [0.25] }]',
      '  train_transforms: [{ kind: random_crop, size: 8, padding: 1 }, random_horizontal_flip, { kind: normalize, mean: [0.5], std: [0.25] }]']));
    const { torch, cnnc: ours } = await roundTrip(join(root, 'folder.yaml'), 'folder', null);
    expect(torch.test_images).toBe(20);
    expect([ours.correct, ours.positions]).toEqual([torch.correct, torch.positions]);
  }, 120_000);

  it('CSV manifests: train_transforms random_resized_crop; transforms resize (PIL bilinear, as cnnc\'s)', async () => {
    makeImages();
    writeFileSync(join(root, 'csv.yaml'), spec(['  source: csv', '  train: train.csv', '  test: test.csv',
      '  transforms: [{ kind: resize, size: 8 }]', '  train_transforms: [{ kind: random_resized_crop, size: 8 }]']));
    const { torch, cnnc: ours } = await roundTrip(join(root, 'csv.yaml'), 'csv', null);
    expect(torch.test_images).toBe(20);
    expect([ours.correct, ours.positions]).toEqual([torch.correct, torch.positions]);
  }, 120_000);
});

// The data tasks (runtime/data/tasks.ts) and training on them: the documented rules on small inputs, the
// splits they make from the embedded digits, and short `cnnc train` runs whose metric improves — binary
// accuracy for a one-logit discriminator, mean IoU for per-pixel outputs (reported per epoch).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { build } from '../../compiler/index.js';
import type { LabeledImages } from '../../runtime/data/idx.js';
import { realVsFake, segmentation } from '../../runtime/data/tasks.js';
import { loadData, subset } from '../../runtime/node/data/load.js';
import { loadModule } from '../../compiler/load-generated.js';
import { evaluate } from '../../runtime/train/evaluate.js';
import { TMP } from '../codegen/helpers.js';
import { cnnc } from '../cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'cnnc-tasks-'));

afterEach(() => vi.restoreAllMocks());

interface Metrics { loss: number; test_loss: number; test_accuracy: number; test_miou?: number }
const metricsOf = (dir: string): Metrics[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Metrics);

/** Two 1×4×4 images: with a 4×4 grid, each tile is one pixel. */
const tiny: LabeledImages = {
  images: Float32Array.from({ length: 32 }, (_, i) => i / 32),
  labels: Int32Array.from([3, 7]),
  n: 2,
  shape: [1, 4, 4],
};

describe('real-vs-fake', () => {
  it('pairs every image (target 1) with a fake (target 0) whose tiles are a derangement of its own', () => {
    const d = realVsFake(tiny, 5);
    expect([d.n, [...d.labels]]).toEqual([4, [1, 0, 1, 0]]);
    for (let i = 0; i < 2; i++) {
      const real = [...d.images.subarray(2 * i * 16, (2 * i + 1) * 16)];
      const fake = [...d.images.subarray((2 * i + 1) * 16, (2 * i + 2) * 16)];
      expect(real).toEqual([...tiny.images.subarray(i * 16, (i + 1) * 16)]);
      expect([...fake].sort()).toEqual([...real].sort()); // the same ink
      expect(fake.every((v, k) => v !== real[k])).toBe(true); // no tile in place
    }
  });

  it('is a pure function of the images and the seed; train and test use different seeds', () => {
    expect(realVsFake(tiny, 5).images).toEqual(realVsFake(tiny, 5).images);
    expect(realVsFake(tiny, 5).images).not.toEqual(realVsFake(tiny, 6).images);
  });

  it('refuses images that a 4×4 grid does not divide', () => {
    expect(() => realVsFake({ ...tiny, images: new Float32Array(2 * 15), shape: [1, 3, 5] }, 1)).toThrow(/4×4 grid: 3×5 does not divide/);
  });

  it('doubles the embedded splits: 16,008 train and 3,992 test samples, half of them real', () => {
    const s = loadData('real-vs-fake+mnist10k', 1);
    expect([s.train.n, s.test.n, s.description]).toEqual([16008, 3992, 'real-vs-fake+mnist10k']);
    expect(s.test.labels.reduce((a, b) => a + b, 0)).toBe(1996);
  });
});

describe('segmentation', () => {
  it('labels a pixel with the image\'s class where the ink is above 0.5, else background', () => {
    const d = segmentation(tiny, 10);
    expect(d.labelShape).toEqual([4, 4]);
    expect([...d.labels.subarray(0, 16)]).toEqual(Array.from({ length: 16 }, (_, p) => (p / 32 > 0.5 ? 3 : 10)));
    expect([...d.labels.subarray(16)]).toEqual(Array.from({ length: 16 }, (_, p) => ((16 + p) / 32 > 0.5 ? 7 : 10)));
  });

  it('gives the embedded digits [28, 28] label maps over 11 classes', () => {
    const { train } = loadData('segmentation+mnist10k', 11);
    expect([train.n, train.labels.length, train.labelShape]).toEqual([8004, 8004 * 784, [28, 28]]);
    const seen = new Set(train.labels);
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const small = subset(train, 10); // subsets keep whole label maps
    expect(small.labels.length).toBe(10 * 784);
  });
});

describe('cnnc train on the tasks', () => {
  it('a one-logit discriminator learns real from fake: binary accuracy far above chance (50%)', async () => {
    const dir = tmp();
    const r = await cnnc('train', 'test/train/fixtures/tiny-gan.yaml', '--out', dir, '--limit', '600');
    expect(r.code).toBe(0);
    const m = metricsOf(dir);
    expect(m).toHaveLength(3);
    expect(m[2]!.loss).toBeLessThan(m[0]!.loss * 0.5);
    expect(m[2]!.test_accuracy).toBeGreaterThan(0.9);
    expect(m[0]!.test_miou).toBeUndefined();
    expect(r.out).toMatch(/^final test accuracy: \d+\.\d\d% \(600 test digits; binary accuracy\)$/m);
  });

  it('a per-pixel network improves its mean IoU over the untrained model, reported every epoch', async () => {
    const spec = 'test/train/fixtures/tiny-seg.yaml';
    const dir = tmp();
    const r = await cnnc('train', spec, '--out', dir, '--limit', '600');
    expect(r.code).toBe(0);
    const m = metricsOf(dir);
    expect(m.map((e) => typeof e.test_miou)).toEqual(Array(6).fill('number'));
    const last = m[5]!;
    expect(last.loss).toBeLessThan(m[0]!.loss * 0.7);
    expect(r.out).toMatch(/mIoU \d+\.\d\d%/);
    expect(readFileSync(join(dir, 'report.svg'), 'utf8')).toContain('test mean IoU');
    expect(r.out).toMatch(/^final test accuracy: \d+\.\d\d%, mean IoU \d+\.\d\d% \(600 test digits; accuracy per pixel\)$/m);
    // The same model before training, on the same test digits.
    const { code, ir } = build(readFileSync(spec, 'utf8'), spec);
    const mod = await loadModule(code!, join(TMP, 'tasks-seg'));
    const test = subset(loadData('segmentation+mnist10k', 11).test, 600);
    const untrained = evaluate(mod.createModel({ seed: 0 }), test, ir!.loss, 64);
    console.log(`tiny-seg mIoU: untrained ${untrained.miou!.toFixed(4)}, after ${m.length} epochs ${last.test_miou!.toFixed(4)}`);
    // Untrained, it calls (almost) every pixel background: mIoU ≈ background IoU / 11. Learning which digit
    // a stroke belongs to takes longer than a test may run (specs/segmentation.yaml: README figures).
    expect(last.test_miou!).toBeGreaterThan(1.5 * untrained.miou!);
    expect(last.test_accuracy).toBeGreaterThan(untrained.accuracy);
    expect(last.test_loss).toBeLessThan(untrained.loss * 0.7);
  });
});

describe('cnnc predict on the tasks', () => {
  it('a one-logit output prints p(1) and the call; a label map, the pixels of each predicted class', async () => {
    const { formatBinary, formatLabelMap } = await import('../../bin/commands/predict.js');
    expect(formatBinary('a.png', [2], true)).toBe('a.png: 1 (p(1) = 88.08%)\n');
    expect(formatBinary('a.png', [0.3], false)).toBe('a.png: 0 (p(1) = 30.00%)\n');
    expect(formatBinary('a.png', [0.7, 0.2, 0.9], false)).toBe('a.png: 2 of 3 outputs are 1 (p > 0.5)\n');
    // 3 classes × 2 pixels: pixel 0 → class 2, pixel 1 → class 0
    expect(formatLabelMap('a.png', [5, 0, 1, 0, 9, -1], [3, 1, 2])).toBe('a.png: a [1, 2] label map, pixels per predicted class\n   0       1\n   2       1\n');
  });
});

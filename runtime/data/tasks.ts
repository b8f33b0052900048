// Tasks derived from labelled images (the spec's `data.task`), so that every task trains on data that
// needs no download. Pure functions of the images: the same split always gives the same samples.
//
// - classification: the images and their classes, as loaded.
// - real-vs-fake: for a GAN-style discriminator. Sample 2i is image i (target 1, real); sample 2i + 1 is
//   its fake (target 0): the image cut into a 4×4 grid of tiles (7×7 pixels for 28×28) whose tiles are
//   permuted by a derangement (no tile stays in place), drawn by Fisher–Yates from the runtime's Rng seeded
//   FAKE_SEED (train) or FAKE_SEED + 1 (test), one permutation per image in order, redrawn until it moves
//   every tile. A fake keeps the real digit's ink and strokes, only their arrangement is wrong.
// - segmentation: a label map per image, [H, W]: the image's class where the ink is above 0.5, else
//   the background class, `classes` (10 for MNIST digits: 11 classes in all).
import { Rng } from '../rng.js';
import { uniformInt } from '../train/shuffle.js';
import type { DataTask } from '../contracts.js';
import type { LabeledImages } from './idx.js';

export const FAKE_SEED = 20260;
export const INK_THRESHOLD = 0.5;
const GRID = 4;

export function deriveTask(split: LabeledImages, task: DataTask, which: 'train' | 'test', classes: number): LabeledImages {
  switch (task) {
    case 'classification': return split;
    case 'real-vs-fake': return realVsFake(split, which === 'train' ? FAKE_SEED : FAKE_SEED + 1);
    case 'segmentation': return segmentation(split, classes);
  }
}

export function realVsFake(split: LabeledImages, seed: number): LabeledImages {
  const [C = 1, H = 0, W = 0] = split.shape;
  if (H % GRID !== 0 || W % GRID !== 0) throw new RangeError(`real-vs-fake cuts images into a ${GRID}×${GRID} grid: ${H}×${W} does not divide`);
  const size = C * H * W;
  const th = H / GRID;
  const tw = W / GRID;
  const images = new Float32Array(2 * split.n * size);
  const labels = new Int32Array(2 * split.n);
  const rng = new Rng(seed);
  for (let i = 0; i < split.n; i++) {
    const src = split.images.subarray(i * size, (i + 1) * size);
    images.set(src, 2 * i * size);
    labels[2 * i] = 1;
    const perm = derangement(rng, GRID * GRID);
    const dst = images.subarray((2 * i + 1) * size, (2 * i + 2) * size);
    // Tile k of the fake is tile perm[k] of the image.
    for (let k = 0; k < GRID * GRID; k++) {
      const [ty, tx] = [Math.floor(k / GRID), k % GRID];
      const [sy, sx] = [Math.floor(perm[k]! / GRID), perm[k]! % GRID];
      for (let c = 0; c < C; c++) {
        for (let y = 0; y < th; y++) {
          const from = c * H * W + (sy * th + y) * W + sx * tw;
          dst.set(src.subarray(from, from + tw), c * H * W + (ty * th + y) * W + tx * tw);
        }
      }
    }
    labels[2 * i + 1] = 0;
  }
  return { images, labels, n: 2 * split.n, shape: split.shape, labelShape: [] };
}

/** A uniformly random permutation of 0..k-1 with no fixed point (rejection). */
function derangement(rng: Rng, k: number): Uint8Array {
  const p = new Uint8Array(k);
  for (;;) {
    for (let i = 0; i < k; i++) p[i] = i;
    for (let i = k - 1; i > 0; i--) {
      const j = uniformInt(rng, i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    if (p.every((v, i) => v !== i)) return p;
  }
}

export function segmentation(split: LabeledImages, classes: number): LabeledImages {
  const [C = 1, H = 0, W = 0] = split.shape;
  if (C !== 1) throw new RangeError(`segmentation labels pixels by their ink: it needs one-channel images, not ${C} channels`);
  const pixels = H * W;
  const labels = new Int32Array(split.n * pixels);
  for (let i = 0; i < split.n; i++) {
    const cls = split.labels[i]!;
    for (let p = 0; p < pixels; p++) labels[i * pixels + p] = split.images[i * pixels + p]! > INK_THRESHOLD ? cls : classes;
  }
  return { images: split.images, labels, n: split.n, shape: split.shape, labelShape: [H, W] };
}

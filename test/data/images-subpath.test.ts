// cnnc/runtime/node/images, imported as an app does (package exports → dist/): an image folder listed, decoded and
// made into tensors without the compiler or the CLI.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { listImageFolder, loadImages } from 'cnnc/runtime/node/images';

/** A w×h gray PNG whose pixels are all `v`. */
function png(w: number, h: number, v: number): Buffer {
  const img = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, bitDepth: 8 });
  img.data = Buffer.alloc(w * h, v);
  return PNG.sync.write(img, { colorType: 0, inputColorType: 0 });
}

describe('cnnc/runtime/node/images', () => {
  it('lists a torchvision ImageFolder and loads it resized to the input, classes in sorted order', () => {
    const root = mkdtempSync(join(tmpdir(), 'cnnc-images-subpath-'));
    for (const [split, cls, v] of [['train', 'cat', 10], ['train', 'dog', 200], ['test', 'cat', 10], ['test', 'dog', 200]] as const) {
      mkdirSync(join(root, split, cls), { recursive: true });
      writeFileSync(join(root, split, cls, 'a.png'), png(12, 9, v));
    }
    const splits = listImageFolder(root);
    expect(splits.classes).toEqual(['cat', 'dog']);
    const { train, test, classes } = loadImages(splits, { shape: [1, 6, 6], transforms: { eval: [{ kind: 'resize', size: [6, 6] }], train: [{ kind: 'resize', size: [6, 6] }] }, seed: 0 });
    expect(classes).toEqual(['cat', 'dog']);
    expect([train.n, test.n, [...train.shape]]).toEqual([2, 2, [1, 6, 6]]);
    expect([...train.labels]).toEqual([0, 1]);
    // A flat image resizes to itself: 10/255 and 200/255 everywhere.
    expect(new Set(train.images.subarray(0, 36))).toEqual(new Set([Math.fround(10 / 255)]));
    expect(new Set(train.images.subarray(36))).toEqual(new Set([Math.fround(200 / 255)]));
  });
});

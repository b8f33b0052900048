// `cnnc eval` and `cnnc predict` with a weights file that holds a NaN or -Infinity (issue 14, item 3):
// refused in one line naming the file, the tensor and the index, exit 1 (a user error), where eval
// used to print `test loss: NaN` and exit 0.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeSafetensors } from '../../runtime/safetensors.js';
import { cnnc } from '../cli.js';

const SPEC = 'test/train/fixtures/tiny.yaml';
const dir = mkdtempSync(join(tmpdir(), 'cnnc-nonfinite-'));


/** A copy of the trained weights with `value` at index `index` of tensor `name`. */
function poisoned(name: string, index: number, value: number): string {
  const bytes = new Uint8Array(readFileSync(join(dir, 'run', 'model.safetensors')));
  const entry = decodeSafetensors(bytes).tensors.get(name)!;
  new DataView(bytes.buffer).setFloat32(entry.begin + 4 * index, value, true);
  const file = join(dir, `${name}-${index}.safetensors`);
  writeFileSync(file, bytes);
  return file;
}

afterEach(() => vi.restoreAllMocks());

beforeAll(async () => {
  const r = await cnnc('train', SPEC, '--limit', '32', '--epochs', '1', '--threads', '1', '--out', join(dir, 'run'));
  expect(r.code).toBe(0);
});

describe('non-finite weights', () => {
  it('cnnc eval: NaN in fc1.weight is refused, exit 1, nothing evaluated', async () => {
    const f = poisoned('fc1.weight', 300, NaN);
    const r = await cnnc('eval', SPEC, '--weights', f, '--limit', '32');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(
      `^error: ${f.replace(/[.]/g, '\\.')}: cannot load weights: tensor "fc1\\.weight" holds NaN at index 300, element \\[2, 12\\] of \\[10, 144\\] \\(byte \\d+ of the file\\); a model with it computes only NaN\\n$`,
    ));
  });

  it('cnnc predict: -Infinity in conv1.bias is refused, exit 1', async () => {
    const f = poisoned('conv1.bias', 2, -Infinity);
    const png = new PNG({ width: 28, height: 28 });
    png.data.fill(255);
    const image = join(dir, 'digit.png');
    writeFileSync(image, PNG.sync.write(png));
    const r = await cnnc('predict', SPEC, image, '--weights', f);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error: .+: cannot load weights: tensor "conv1\.bias" holds -Infinity at index 2 \(byte \d+ of the file\)/);
  });

  it('the unpoisoned weights still evaluate', async () => {
    const r = await cnnc('eval', SPEC, '--weights', join(dir, 'run', 'model.safetensors'), '--limit', '32');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^data: .+\ntest loss: \d+\.\d{4}\n/);
  });
});

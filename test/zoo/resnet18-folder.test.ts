// specs/zoo/resnet18.yaml's network at 3×32×32 with 10 classes (the CIFAR-sized use of it) trains from a folder
// of colour JPEGs with `cnnc train`, as a user would: Fashion-MNIST exported by tools/data/export-idx-folder.mjs,
// augmented, a few steps; the weights carry torchvision's keys (fc resized to 10) and the class names.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../runtime/safetensors.js';
import { cnnc } from '../cli.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const root = mkdtempSync(join(tmpdir(), 'cnnc-resnet18-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!existsSync(FASHION))('resnet18 (specs/zoo) at 3×32×32, 10 classes, on a JPEG folder', () => {
  it('trains two steps with augmentation (--max-steps 2): finite losses, torchvision\'s keys, the class names in the weights', async () => {
    execFileSync(process.execPath, ['tools/data/export-idx-folder.mjs', '--out', join(root, 'jpeg'), '--limit', '64', '--color', '--format', 'jpeg'], { stdio: 'pipe' });
    const spec = readFileSync('specs/zoo/resnet18.yaml', 'utf8')
      .replace('input: { shape: [3, 224, 224] }', 'input: { shape: [3, 32, 32] }')
      .replace('out_features: 1000', 'out_features: 10')
      .replace(/train: \{[^}]*\}/, `train: { batch_size: 16, epochs: 1, seed: 3 }
data:
  source: folder
  path: ${JSON.stringify(join(root, 'jpeg'))}
  transforms: [{ kind: resize, size: [32, 32] }]
  train_transforms: [{ kind: resize, size: [32, 32] }, { kind: random_crop, size: 32, padding: 4 }, random_horizontal_flip]`);
    expect(spec).toContain('out_features: 10');
    const file = join(root, 'resnet18-10.yaml');
    writeFileSync(file, spec);
    const r = await cnnc('train', file, '--out', join(root, 'run'), '--max-steps', '2');
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const losses = [...`${r.out}\n${r.err}`.matchAll(/step \d+\/\d+ +loss (\S+)/g)].map((m) => Number(m[1]));
    expect(losses).toHaveLength(2);
    expect(losses.every(Number.isFinite)).toBe(true);
    const weights = decodeSafetensors(new Uint8Array(readFileSync(join(root, 'run', 'model.safetensors'))));
    expect([...weights.tensors.keys()]).toContain('layer4.1.bn2.running_var');
    expect(weights.tensors.get('fc.weight')!.shape).toEqual([10, 512]);
    expect(weights.tensors.size).toBe(122);
    expect(JSON.parse(weights.metadata['classes']!)).toHaveLength(10);
  }, 300_000);
});

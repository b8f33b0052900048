// cnnc train / eval / predict end to end, with a model generated from a spec (test/train/fixtures/tiny.yaml)
// on evenly spaced subsets of the embedded digits (--limit), so the suite stays fast on 2 cores.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadMnist10k } from '../../runtime/node/data/mnist10k.js';
import { readCheckpointInfo } from '../../runtime/train/checkpoint.js';
import { idxBytes } from './idx-bytes.js';
import { cnnc } from '../cli.js';

const SPEC = 'test/train/fixtures/tiny.yaml';
const tmp = () => mkdtempSync(join(tmpdir(), 'cnnc-cli-'));
const bytes = (dir: string, f: string) => new Uint8Array(readFileSync(join(dir, f)));

/** Runs the CLI in-process; returns the exit code and what it printed. */

afterEach(() => vi.restoreAllMocks());

describe('cnnc train', () => {
  const runDir = tmp();

  it('trains a generated model: the loss goes down and accuracy beats chance widely', async () => {
    const r = await cnnc('train', SPEC, '--out', runDir, '--limit', '600');
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number; test_accuracy: number });
    expect(metrics).toHaveLength(3);
    expect(metrics[2]!.loss).toBeLessThan(metrics[0]!.loss * 0.7);
    expect(metrics[2]!.test_accuracy).toBeGreaterThan(0.7); // chance is 0.1; wrong gradients stay near it
    expect(r.out).toMatch(/^final test accuracy: \d+\.\d\d% \(600 test digits\)$/m);
  });

  it('resumes an interrupted run to the same weights, bit for bit', async () => {
    const straight = tmp();
    expect((await cnnc('train', SPEC, '--out', straight, '--limit', '300', '--epochs', '2')).code).toBe(0);
    const cut = tmp();
    expect((await cnnc('train', SPEC, '--out', cut, '--limit', '300', '--epochs', '2', '--max-steps', '13')).code).toBe(0);
    expect(readCheckpointInfo(bytes(cut, 'checkpoint.safetensors'), 'cp').position).toMatchObject({ epoch: 1, stepInEpoch: 3, globalStep: 13 });
    expect((await cnnc('train', SPEC, '--resume', cut, '--limit', '300')).code).toBe(0);
    expect(bytes(cut, 'model.safetensors')).toEqual(bytes(straight, 'model.safetensors'));
  });

  it('refuses to resume with a different spec (exit 1, both hashes named)', async () => {
    const r = await cnnc('train', 'test/train/fixtures/tiny-other.yaml', '--resume', runDir, '--limit', '100');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: .*checkpoint\.safetensors belongs to a different spec: checkpoint spec hash [0-9a-f]{16}…, test\/train\/fixtures\/tiny-other\.yaml has [0-9a-f]{16}…/);
  });

  it('stops a NaN loss with exit 3 naming epoch, step and layer; the checkpoint stays readable', async () => {
    const dir = tmp();
    const r = await cnnc('train', SPEC, '--out', dir, '--limit', '200', '--lr', '1e30');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^error: loss became (NaN|Inf) at epoch 1, step \d+ \(first non-finite: \w+ \w+\)$/m);
    expect(readCheckpointInfo(bytes(dir, 'checkpoint.safetensors'), 'cp').position.globalStep).toBe(0);
  });

  it('prints diagnostics and exits 1 for a spec with errors', async () => {
    const r = await cnnc('train', 'test/train/fixtures/broken.yaml', '--out', tmp());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/broken\.yaml:5:\d+/);
  });

  it('refuses a missing data directory in one line, exit 1', async () => {
    const r = await cnnc('train', SPEC, '--out', tmp(), '--data', '/nonexistent/dir');
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe('error: /nonexistent/dir: no such directory (expected the IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, or image folders train/<class>/… and test/<class>/…)');
  });

  it('cnnc eval prints loss, accuracy, a confusion matrix and per-class accuracy', async () => {
    const r = await cnnc('eval', SPEC, '--weights', join(runDir, 'model.safetensors'), '--limit', '600');
    expect(r.code).toBe(0);
    const trained = JSON.parse(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!) as { test_accuracy: number };
    expect(r.out).toContain(`test accuracy: ${(trained.test_accuracy * 100).toFixed(2)}%`);
    expect(r.out).toMatch(/confusion matrix \(rows: true class, columns: predicted\)/);
    expect(r.out.split('\n').filter((l) => /^\s+\d( +\d+){10} +\d+\.\d\d%$/.test(l))).toHaveLength(10);
  });

  it('cnnc eval refuses a corrupt weights file in one line, exit 1', async () => {
    const f = join(tmp(), 'bad.safetensors');
    writeFileSync(f, 'not safetensors');
    const r = await cnnc('eval', SPEC, '--weights', f);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^error: ${f.replace(/[.]/g, '\\.')}: .+\\n$`));
  });

  it('cnnc predict classifies a PNG and an IDX sample, printing every probability', async () => {
    const { test } = loadMnist10k();
    const k = test.labels.indexOf(7);
    const pixels = test.images.subarray(k * 784, (k + 1) * 784);
    const png = new PNG({ width: 28, height: 28 });
    pixels.forEach((v, i) => png.data.set([Math.round(v * 255), Math.round(v * 255), Math.round(v * 255), 255], 4 * i));
    const dir = tmp();
    writeFileSync(join(dir, 'seven.png'), PNG.sync.write(png));
    writeFileSync(join(dir, 'digits-idx3-ubyte'), idxBytes([2, 28, 28], [...new Uint8Array(784), ...Array.from(pixels, (v) => Math.round(v * 255))]));
    const r = await cnnc('predict', SPEC, '--weights', join(runDir, 'model.safetensors'), join(dir, 'seven.png'), `${join(dir, 'digits-idx3-ubyte')}:1`);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const blocks = r.out.trim().split(/\n(?=\S)/);
    expect(blocks).toHaveLength(2);
    for (const b of blocks) {
      expect(b).toMatch(/: class 7 \(\d+\.\d\d%\)/);
      const probs = [...b.matchAll(/^\s+\d\s+(\d+\.\d\d)%/gm)].map((m) => Number(m[1]));
      expect(probs).toHaveLength(10);
      expect(probs.reduce((a, p) => a + p, 0)).toBeCloseTo(100, 0);
    }
  });

  it('cnnc predict resizes an image of another size to the input (the eval pipeline), and refuses a file that is no image, exit 1', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'big.png'), PNG.sync.write(new PNG({ width: 32, height: 30 })));
    writeFileSync(join(dir, 'junk.png'), 'hello');
    const weights = join(runDir, 'model.safetensors');
    const big = await cnnc('predict', SPEC, '--weights', weights, join(dir, 'big.png'));
    expect(big.err).toBe('');
    expect(big.code).toBe(0);
    expect(big.out).toMatch(/big\.png: class \d \(\d+\.\d\d%\)/);
    const junk = await cnnc('predict', SPEC, '--weights', weights, join(dir, 'junk.png'));
    expect(junk.code).toBe(1);
    expect(junk.err).toBe(`error: ${join(dir, 'junk.png')}: neither a PNG, a JPEG nor an IDX file (first bytes 68 65 6c 6c)\n`);
  });
});

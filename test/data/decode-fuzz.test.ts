// Mutated fixtures through decodeImage: whatever the bytes, the outcome is an Image8 whose data fits its size,
// or an ImageError naming the file — never another exception (which the CLI would report as a bug in cnnc,
// exit 70) and never a hang. Seeded, so a failure reproduces; the mutation is printed with it.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { decodeImage } from '../../runtime/data/decode/index.js';
import { ImageError } from '../../runtime/data/image.js';

const DIR = fileURLToPath(new URL('../fixtures/images/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => /\.(png|jpg)$/.test(f) && !f.startsWith('bench'));
const ROUNDS = 1500;

test(`${ROUNDS} mutated PNG and JPEG files (bytes overwritten, 0xFF runs, spliced copies, cuts) decode or are refused by name`, () => {
  let seed = 20261203;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return Math.floor((seed / 2 ** 32) * n);
  };
  const outcomes = { decoded: 0, refused: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const file = FILES[round % FILES.length];
    const b = new Uint8Array(readFileSync(DIR + file));
    let what: string;
    switch (round % 4) {
      case 0: {
        const k = 1 + rnd(8);
        for (let j = 0; j < k; j++) b[rnd(b.length)] = rnd(256);
        what = `${k} random bytes`;
        break;
      }
      case 1: {
        const at = rnd(b.length);
        b.fill(0xff, at, at + 1 + rnd(4));
        what = `0xFF run at ${at}`;
        break;
      }
      case 2: {
        const at = rnd(b.length);
        const from = rnd(b.length);
        b.copyWithin(at, from, from + 1 + rnd(16));
        what = `copy of ${from} to ${at}`;
        break;
      }
      default: {
        const at = 1 + rnd(b.length - 1);
        b[at] ^= 1 << rnd(8);
        what = `bit flip at ${at}`;
      }
    }
    const mode = round & 1 ? 'L' : 'RGB';
    const t0 = performance.now();
    try {
      const img = decodeImage(b, file, mode);
      expect(img.data.length, `${file}, ${what}`).toBe(img.width * img.height * img.channels);
      outcomes.decoded++;
    } catch (e) {
      if (!(e instanceof ImageError)) throw new Error(`${file}, ${what}: ${String(e)}`);
      expect(e.message.startsWith(file), `${file}, ${what}`).toBe(true);
      outcomes.refused++;
    }
    expect(performance.now() - t0, `${file}, ${what}`).toBeLessThan(5000);
  }
  // Both outcomes happen (the mutations reach past the headers and the checks refuse many).
  expect(outcomes.decoded).toBeGreaterThan(ROUNDS / 10);
  expect(outcomes.refused).toBeGreaterThan(ROUNDS / 10);
});

// Per-epoch shuffling, a pure function of (seed, epoch): a run resumed in the middle of an epoch
// recomputes the same order and skips the batches already done, so it matches an uninterrupted run.
import { Rng } from '../rng.js';

/** A seed for epoch `epoch` of a run seeded `seed` (murmur3's 32-bit finalizer over both). */
export function epochSeed(seed: number, epoch: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates, unbiased integers by rejection). */
export function epochPermutation(seed: number, epoch: number, n: number): Uint32Array {
  return permutation(new Rng(epochSeed(seed, epoch)), new Uint32Array(n));
}

/** Fills `into` with a uniformly random permutation of 0..length-1 drawn from rng (Fisher–Yates from the
 *  end, unbiased integers by rejection); returns it. */
export function permutation<A extends { length: number; [i: number]: number }>(rng: Rng, into: A): A {
  const n = into.length;
  for (let i = 0; i < n; i++) into[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = uniformInt(rng, i + 1);
    const t = into[i]!;
    into[i] = into[j]!;
    into[j] = t;
  }
  return into;
}

/** An integer in [0, bound) without modulo bias: reject the top, incomplete block of 2^32. */
export function uniformInt(rng: Rng, bound: number): number {
  const limit = 0x100000000 - (0x100000000 % bound);
  for (;;) {
    const u = rng.nextUint32();
    if (u < limit) return u % bound;
  }
}

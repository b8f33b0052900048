// The runtime's one random number generator: weight init and dropout masks draw from it, so a
// seed reproduces a run bit for bit, on every platform and in the browser.
//
// Algorithm (fully specified, so other implementations can reproduce a stream):
// - xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c): 128 bits
//   of state as four uint32 words s0..s3; output rotl(s1 · 5, 7) · 9 (mod 2^32), then the
//   xorshift state update below. Period 2^128 − 1; passes BigCrush.
// - Seeding: splitmix32 (a 32-bit SplitMix: Weyl increment 0x9e3779b9, then the
//   hash-prospector mixer x ^= x >>> 16; x *= 0x21f0aaad; x ^= x >>> 15; x *= 0x735a2d97;
//   x ^= x >>> 15) run four times from the seed gives s0..s3. splitmix32 is a bijection of its
//   counter, so the four words differ and the state is never all zero (the one bad state).
// - Seeds: any safe integer. The low 32 bits (two's complement for negatives) seed the counter;
//   bits above 32 are hashed in, so 1 and 2^32 + 1 give different streams.
// - nextFloat: the top 24 bits of a draw over 2^24, in [0, 1 − 2^−24]: every value is a float32,
//   so storing it in a Float32Array can never round it up to 1.
// - nextDouble: two draws a, b; ((a >>> 5) · 2^26 + (b >>> 6)) / 2^53, in [0, 1 − 2^−53] with 53 random bits.
// - normal(mean, std): Box–Muller in float64 from two nextDouble()s u1, u2:
//   mean + std · √(−2 ln(1 − u1)) · cos(2π · u2). Only the cosine half is used — the sine half would have to
//   be kept for the next call, and the state must stay the four words that getState returns. 1 − u1 is in
//   (0, 1], so the log is finite (|z| ≤ √(2 · 53 ln 2) ≈ 8.57). Math.log and Math.cos are V8's fdlibm ports,
//   the same on every platform; another JS engine may round their last bit otherwise.

const TWO_POW_32 = 0x100000000;
const TWO_POW_NEG_24 = 1 / 0x1000000;
const TWO_POW_26 = 0x4000000;
const TWO_POW_NEG_53 = 1 / 0x20000000000000;

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      // Thrown here, the one place every model's createModel({ seed }) passes through, so a bad
      // seed fails with what is wrong instead of a number bug later in the stream.
      throw new RangeError(`seed must be a safe integer, −(2^53 − 1) … 2^53 − 1 (a spec's train.seed: 0 … 4294967295), got ${describeSeed(seed)}`);
    }
    const high = Math.floor(seed / TWO_POW_32);
    let x = (seed >>> 0) ^ (high === 0 ? 0 : mix32(high >>> 0 ^ 0x85ebca6b));
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      return mix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniform integer in [0, 2^32). */
  nextUint32(): number {
    const s0 = this.s0, s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    const s2 = this.s2 ^ s0;
    const s3 = this.s3 ^ s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = rotl(s3, 11);
    return result >>> 0;
  }

  /** A uniform float in [0, 1) with 24 random bits (exactly representable in float32). */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) * TWO_POW_NEG_24;
  }

  /** A uniform float in [lo, hi): lo + (hi − lo) · u, the formula of torch's `uniform_`. */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** A uniform float in [0, 1) with 53 random bits, from two draws. */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * TWO_POW_26 + b) * TWO_POW_NEG_53;
  }

  /** One draw of N(mean, std²) by Box–Muller, cosine half (see the header); four uint32 draws. */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.nextDouble();
    const u2 = this.nextDouble();
    return mean + std * (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  }

  /** The four state words (uint32); `setState` of them continues the stream exactly. */
  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(s: readonly number[]): void {
    if (s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
      throw new RangeError(`Rng state must be four uint32 words, got ${JSON.stringify(s)}`);
    }
    if (s.every((w) => w === 0)) throw new RangeError('Rng state must not be all zero (xoshiro128** would emit only zeros)');
    this.s0 = s[0]! | 0;
    this.s1 = s[1]! | 0;
    this.s2 = s[2]! | 0;
    this.s3 = s[3]! | 0;
  }
}

function describeSeed(seed: unknown): string {
  if (typeof seed === 'string') return `the string ${JSON.stringify(seed)}`;
  if (typeof seed !== 'number') return seed === null ? 'null' : typeof seed;
  if (Number.isInteger(seed)) return `${seed.toPrecision(4)}, past 2^53 where integers are no longer exact`;
  return String(seed);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The splitmix32 output mixer (Chris Wellons' hash-prospector constants); a bijection on uint32. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) | 0;
}

// A bad seed handed to the runtime (createModel({ seed }) of any generated module goes through
// new Rng(seed)) fails at once with a RangeError that says what a seed must be and what it got.
import { describe, expect, it } from 'vitest';
import { Rng } from 'cnnc/runtime';

const RANGE = 'seed must be a safe integer, −(2^53 − 1) … 2^53 − 1 (a spec\'s train.seed: 0 … 4294967295)';

describe('new Rng(seed) refuses a seed it cannot honour', () => {
  it.each([
    [1e300, 'got 1.000e+300, past 2^53 where integers are no longer exact'],
    [2 ** 53, 'got 9.007e+15, past 2^53 where integers are no longer exact'],
    [1.5, 'got 1.5'],
    [NaN, 'got NaN'],
    [Infinity, 'got Infinity'],
    ['7' as unknown as number, 'got the string "7"'],
    [undefined as unknown as number, 'got undefined'],
  ])('%s', (seed, got) => {
    expect(() => new Rng(seed)).toThrow(RangeError);
    expect(() => new Rng(seed)).toThrow(`${RANGE}, ${got}`);
  });

  it('the extremes of the range are accepted', () => {
    for (const s of [0, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) expect(() => new Rng(s)).not.toThrow();
  });
});

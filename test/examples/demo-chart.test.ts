// The browser demo's chart axes (examples/browser-train/chart.js, plain browser ESM that Node imports as it is):
// the ticks are round numbers from 0 and the last one reaches the data, so no curve runs past its axis.
import { describe, expect, it } from 'vitest';
// tsconfig.test.json's allowJs types it from its JavaScript.
import { ticks as tick } from '../../examples/browser-train/chart.js';

describe('the demo chart\'s ticks', () => {
  it('start at 0, step by 1, 2 or 5 × 10^k, and end at the first tick at or past the maximum', () => {
    expect(tick(1100, 8)).toEqual([0, 200, 400, 600, 800, 1000, 1200]);
    expect(tick(2.298, 5)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(tick(10, 8)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(tick(0.1, 5)).toEqual([0, 0.02, 0.04, 0.06, 0.08, 0.1]);
    for (const max of [0.37, 3, 129, 4999, 123456]) {
      const t = tick(max, 6);
      const step = t[1]! - t[0]!;
      expect(t[0]).toBe(0);
      expect(t[t.length - 1]).toBeGreaterThanOrEqual(max);
      expect(t[t.length - 2]).toBeLessThan(max);
      expect(step / 10 ** Math.floor(Math.log10(step))).toSatisfy((m: number) => [1, 2, 5].some((k) => Math.abs(m - k) < 1e-9));
    }
  });
});

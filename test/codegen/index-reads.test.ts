// assertIndexReads (compiler/5-codegen/index-reads.ts): which element accesses of the printed module get a `!`.
import { describe, expect, it } from 'vitest';
import { assertIndexReads } from '../../compiler/5-codegen/index-reads.js';

describe('assertIndexReads', () => {
  it('asserts reads, compound and ++ targets, nested indices; not a plain = target', () => {
    expect(assertIndexReads('y[o + q] = x[i] * W[c];\n')).toBe('y[o + q] = x[i]! * W[c]!;\n');
    expect(assertIndexReads('dB[co] += acc; n[0]++; --n[1];\n')).toBe('dB[co]! += acc; n[0]!++; --n[1]!;\n');
    expect(assertIndexReads('dX[xo + argmax[yo + q]] += dY[yo + q];\n')).toBe('dX[xo + argmax[yo + q]!]! += dY[yo + q]!;\n');
  });

  it('keeps an unspaced comparison a comparison', () => {
    expect(assertIndexReads('if (x[i]==y[j]) f();\n')).toBe('if (x[i]! ==y[j]!) f();\n');
  });

  it('leaves an asserted read, an optional chain, comments and strings as they are', () => {
    const same = "const a = x[i]!; const b = m?.[0]; // x[i]\nconst s = 'y[j]';\n";
    expect(assertIndexReads(same)).toBe(same);
  });
});

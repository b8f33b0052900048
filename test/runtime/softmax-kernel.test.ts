// The loss's shared softmax in wasm (runtime/wasm/softmax.ts) against the generated module's loop
// (compiler/5-codegen/losses/softmax.ts), written out here: the same prob and logSumExp bits, on logits with
// NaN, ±∞, −0, ties and a class row of all −∞; even and odd pixel counts (the odd one's last pixel alone in its pair).
// A NaN is a NaN either way, but not always of the same sign (∞ − ∞ in JavaScript gives x64's negative default NaN,
// which fdlibm's exp passes on; the kernel's exp makes a positive one): NaNs compare as NaNs, the rest bit for bit.
import { describe, expect, test } from 'vitest';
import * as rt from 'cnnc/runtime';

/** The generated lossSoftmax, for n samples of C classes × inner pixels. */
function loop(n: number, C: number, inner: number, z: Float32Array, prob: Float32Array, logSumExp: Float32Array): void {
  const M = new Float64Array(inner), S = new Float64Array(inner), E = new Float64Array(C * inner);
  for (let s = 0; s < n; s++) {
    const o = s * C * inner;
    M.fill(-Infinity);
    S.fill(0);
    for (let c = 0; c < C; c++) for (let i = 0; i < inner; i++) if (z[o + c * inner + i]! > M[i]!) M[i] = z[o + c * inner + i]!;
    for (let c = 0; c < C; c++) for (let i = 0; i < inner; i++) {
      const e = Math.exp(z[o + c * inner + i]! - M[i]!);
      E[c * inner + i] = e;
      S[i]! += e;
    }
    for (let c = 0; c < C; c++) for (let i = 0; i < inner; i++) prob[o + c * inner + i] = E[c * inner + i]! / S[i]!;
    for (let i = 0; i < inner; i++) logSumExp[s * inner + i] = M[i]! + Math.log(S[i]!);
  }
}

/** The float32 bits of a, every NaN as the one canonical NaN. */
const bits = (a: Float32Array): Buffer => Buffer.from(Float32Array.from(a, (v) => (Number.isNaN(v) ? NaN : v)).buffer);

describe.runIf(process.env['CNNC_NO_WASM'] !== '1')('the loss softmax in wasm', () => {
  test.each([[3, 11, 784], [2, 3, 7], [1, 1, 5], [4, 10, 1], [2, 5, 64]])('n %i, C %i, %i pixels: the loop\'s bits', (n, C, inner) => {
    const z = rt.allocFloats(Float32Array, n * C * inner), prob = rt.allocFloats(Float32Array, n * C * inner), lse = new Float32Array(n * inner);
    let seed = 7 + C;
    for (let i = 0; i < z.length; i++) { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; z[i] = (seed / 2 ** 32 - 0.5) * 60; }
    const special = [NaN, Infinity, -Infinity, -0, 0, 88.7, -103, 1e-30];
    special.forEach((v, j) => { if (j * 3 < z.length) z[j * 3] = v; });
    if (C > 1 && inner > 2) { z[1] = z[inner + 1]!; for (let c = 0; c < C; c++) z[c * inner + 2] = -Infinity; }
    const wantProb = new Float32Array(prob.length), wantLse = new Float32Array(lse.length);
    loop(n, C, inner, z, wantProb, wantLse);
    expect(rt.lossSoftmax(z, prob, lse, n, C, inner)).toBe(true);
    expect(bits(prob).equals(bits(wantProb)), 'prob').toBe(true);
    expect(bits(lse).equals(bits(wantLse)), 'logSumExp').toBe(true);
  });

  test('arrays outside wasm memory are left to the loop', () => {
    expect(rt.lossSoftmax(new Float32Array(6), new Float32Array(6), new Float32Array(2), 1, 3, 2)).toBe(false);
  });
});

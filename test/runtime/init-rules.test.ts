// The draws of the `init:` rules (runtime/init.ts): Rng.normal's Box–Muller, the statistics of normal, U(a, b)
// and the truncated normal over large tensors, and orthogonal_ as torch computes it. Every seed is fixed, so a
// check either always passes or always fails; the margins are several standard errors wide.
import { describe, expect, it } from 'vitest';
import { Rng, initParameter } from 'cnnc/runtime';

function moments(d: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < d.length; i++) {
    s += d[i]!;
    min = Math.min(min, d[i]!);
    max = Math.max(max, d[i]!);
  }
  const mean = s / d.length;
  let v = 0;
  for (let i = 0; i < d.length; i++) v += (d[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / d.length), min, max };
}

const N = 200_000;

describe('Rng.normal: Box–Muller in float64', () => {
  it('takes exactly four uint32 draws (two 53-bit doubles), so the state stays the four words', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    a.normal();
    for (let i = 0; i < 4; i++) b.nextUint32();
    expect(a.getState()).toEqual(b.getState());
    const c = new Rng(7);
    const d1 = c.nextDouble();
    expect(d1).toBeGreaterThanOrEqual(0);
    expect(d1).toBeLessThan(1);
    expect(Number.isInteger(d1 * 2 ** 53)).toBe(true);
  });

  it('N(0, 1): mean, std, the mass within 1σ and 2σ', () => {
    const rng = new Rng(1);
    const z = Float64Array.from({ length: N }, () => rng.normal());
    const m = moments(z);
    expect(Math.abs(m.mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(m.std - 1)).toBeLessThan(0.01);
    const within = (k: number) => z.filter((x) => Math.abs(x) < k).length / N;
    expect(Math.abs(within(1) - 0.6826894921)).toBeLessThan(0.005);
    expect(Math.abs(within(2) - 0.9544997361)).toBeLessThan(0.003);
    expect(Math.max(m.max, -m.min)).toBeLessThan(Math.sqrt(2 * 53 * Math.LN2)); // the largest |z| Box–Muller can give
  });
});

describe('initParameter: normal, uniform_range, trunc_normal, constant', () => {
  it('normal(mean 0.5, std 2): in index order from the Rng, with its mean and std', () => {
    const d = new Float64Array(N);
    initParameter(new Rng(2), d, { kind: 'normal', mean: 0.5, std: 2 });
    expect(d[0]).toBe(new Rng(2).normal(0.5, 2));
    const m = moments(d);
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(5 * 2 / Math.sqrt(N));
    expect(Math.abs(m.std - 2)).toBeLessThan(0.02);
  });

  it('uniform_range(−0.3, 0.7): within [a, b), mean (a + b)/2, std (b − a)/√12', () => {
    const d = new Float32Array(N);
    initParameter(new Rng(3), d, { kind: 'uniform_range', a: -0.3, b: 0.7 });
    const m = moments(d);
    expect(m.min).toBeGreaterThanOrEqual(Math.fround(-0.3));
    expect(m.max).toBeLessThanOrEqual(Math.fround(0.7));
    expect(m.min).toBeLessThan(-0.299);
    expect(m.max).toBeGreaterThan(0.699);
    expect(Math.abs(m.mean - 0.2)).toBeLessThan(0.003);
    expect(Math.abs(m.std - 1 / Math.sqrt(12))).toBeLessThan(0.002);
  });

  it('trunc_normal(0, 1) on [−0.5, 1.5]: every value inside, and the truncated normal\'s mean and std', () => {
    const d = new Float64Array(N);
    initParameter(new Rng(4), d, { kind: 'trunc_normal', mean: 0, std: 1, a: -0.5, b: 1.5 });
    const m = moments(d);
    expect(m.min).toBeGreaterThanOrEqual(-0.5);
    expect(m.max).toBeLessThanOrEqual(1.5);
    // φ and Φ at α = −0.5, β = 1.5: mean = (φ(α) − φ(β))/Z, var = 1 + (αφ(α) − βφ(β))/Z − mean², Z = Φ(β) − Φ(α).
    const phiA = 0.3520653267642995, phiB = 0.12951759566589174, z = 0.9331927987311419 - 0.3085375387259869;
    const mean = (phiA - phiB) / z;
    const std = Math.sqrt(1 + (-0.5 * phiA - 1.5 * phiB) / z - mean ** 2);
    expect(Math.abs(m.mean - mean)).toBeLessThan(0.004);
    expect(Math.abs(m.std - std)).toBeLessThan(0.004);
  });

  it('constant fills val and draws nothing', () => {
    const rng = new Rng(5);
    const before = rng.getState();
    const d = new Float32Array(10);
    initParameter(rng, d, { kind: 'constant', val: 0.1 });
    expect(Array.from(d)).toEqual(Array(10).fill(Math.fround(0.1)));
    expect(rng.getState()).toEqual(before);
  });

  it('bad rules throw, naming what is wrong', () => {
    expect(() => initParameter(new Rng(1), new Float64Array(4), { kind: 'normal', mean: 0, std: -1 })).toThrow(/std ≥ 0/);
    expect(() => initParameter(new Rng(1), new Float64Array(4), { kind: 'uniform_range', a: 1, b: 0 })).toThrow(/a ≤ b/);
    expect(() => initParameter(new Rng(1), new Float64Array(4), { kind: 'orthogonal', rows: 3, cols: 2, gain: 1 })).toThrow(/\[3, 2\] does not flatten a tensor of 4/);
  });
});

describe('initParameter: orthogonal as torch.nn.init.orthogonal_', () => {
  /** W·Wᵀ (rows ≤ cols) or Wᵀ·W (rows > cols) minus gain²·I, largest |entry|. */
  function orthoError(w: Float64Array, rows: number, cols: number, gain: number): number {
    const k = Math.min(rows, cols);
    let err = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        if (rows <= cols) for (let c = 0; c < cols; c++) s += w[i * cols + c]! * w[j * cols + c]!;
        else for (let r = 0; r < rows; r++) s += w[r * cols + i]! * w[r * cols + j]!;
        err = Math.max(err, Math.abs(s - (i === j ? gain * gain : 0)));
      }
    }
    return err;
  }

  it('W·Wᵀ = gain²·I (rows ≤ cols), Wᵀ·W = gain²·I (rows > cols), within 1e-12 in float64', () => {
    for (const [rows, cols, gain] of [[3, 7, 1], [8, 8, 5 / 3], [16, 36, Math.SQRT2], [10, 3, 0.5], [64, 576, 1]] as const) {
      const w = new Float64Array(rows * cols);
      initParameter(new Rng(rows * cols), w, { kind: 'orthogonal', rows, cols, gain });
      expect([rows, cols, orthoError(w, rows, cols, gain) < 1e-12]).toEqual([rows, cols, true]);
    }
  });

  it('is the QR of the row-major normal draws (transposed when rows < cols) with R\'s diagonal made positive', () => {
    // With A the draws as torch arranges them (m × n, m ≥ n) and Q = W/gain (transposed back to m × n), QᵀA
    // must be upper triangular with a positive diagonal: that is the unique QR after q *= sign(diag(r)).
    for (const [rows, cols] of [[5, 3], [3, 5], [4, 4]] as const) {
      const gain = 2;
      const w = new Float64Array(rows * cols);
      initParameter(new Rng(11), w, { kind: 'orthogonal', rows, cols, gain });
      const rng = new Rng(11);
      const flat = Float64Array.from({ length: rows * cols }, () => rng.normal());
      const t = rows < cols;
      const [m, n] = t ? [cols, rows] : [rows, cols];
      const A = (i: number, j: number) => (t ? flat[j * cols + i]! : flat[i * cols + j]!);
      const Q = (i: number, j: number) => (t ? w[j * cols + i]! : w[i * cols + j]!) / gain;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let r = 0;
          for (let k = 0; k < m; k++) r += Q(k, i) * A(k, j);
          if (i > j) expect(Math.abs(r)).toBeLessThan(1e-12);
          if (i === j) expect(r).toBeGreaterThan(0);
        }
      }
    }
  });
});

// Parameter initialisation as PyTorch does it, drawn from the model's Rng in row-major order.
// (The numbers differ from PyTorch's, whose generator is another; the distributions are the same.)
// The rules are torch.nn.init 1.13's (https://pytorch.org/docs/1.13/nn.init.html) after the compiler has
// resolved fans and gains (compiler/3-lower/init.ts): what is left here is the draw.
import { assertNever } from './assert-never.js';
import type { InitRule } from './contracts.js';
import type { FloatArray } from './model.js';
import type { Rng } from './rng.js';

/** The `a` that nn.Conv2d and nn.Linear pass to kaiming_uniform_ in reset_parameters(). */
const CONV_LINEAR_A = Math.sqrt(5);

/** Fills `data` by `rule`; ones, zeros and constant draw nothing from `rng`. */
export function initParameter(rng: Rng, data: FloatArray, rule: InitRule): void {
  switch (rule.kind) {
    case 'kaiming_uniform':
      return fillUniform(rng, data, kaimingUniformBound(rule.fanIn, CONV_LINEAR_A));
    case 'uniform':
      return fillUniform(rng, data, rule.bound);
    case 'uniform_range':
      return fillUniformRange(rng, data, rule.a, rule.b);
    case 'normal':
      return fillNormal(rng, data, rule.mean, rule.std);
    case 'trunc_normal':
      return fillTruncNormal(rng, data, rule);
    case 'orthogonal':
      return fillOrthogonal(rng, data, rule.rows, rule.cols, rule.gain);
    case 'constant':
      data.fill(rule.val);
      return;
    case 'ones':
      data.fill(1);
      return;
    case 'zeros':
      data.fill(0);
      return;
    default:
      return assertNever(rule, 'init rule');
  }
}

/**
 * torch.nn.init.kaiming_uniform_(w, a, mode='fan_in', nonlinearity='leaky_relu'), computed in the
 * same order as torch/nn/init.py so the bound is the same double:
 * gain = √(2 / (1 + a²)), std = gain / √fan_in, bound = √3 · std. With a = √5 that is 1/√fan_in.
 */
export function kaimingUniformBound(fanIn: number, a: number): number {
  if (!(Number.isInteger(fanIn) && fanIn > 0)) throw new RangeError(`kaiming_uniform: fan_in must be a positive integer, got ${fanIn}`);
  const gain = Math.sqrt(2.0 / (1 + a ** 2));
  const std = gain / Math.sqrt(fanIn);
  return Math.sqrt(3.0) * std;
}

/** U(−bound, bound) for every element, in index order (torch's uniform_ formula: lo + (hi − lo)·u). */
function fillUniform(rng: Rng, data: FloatArray, bound: number): void {
  if (!(Number.isFinite(bound) && bound >= 0)) throw new RangeError(`uniform init: bound must be finite and ≥ 0, got ${bound}`);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
}

/** torch's uniform_(a, b): a + (b − a)·u for every element, in index order. */
function fillUniformRange(rng: Rng, data: FloatArray, a: number, b: number): void {
  if (!(Number.isFinite(a) && Number.isFinite(b) && a <= b)) throw new RangeError(`uniform init: need finite a ≤ b, got a = ${a}, b = ${b}`);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(a, b);
}

/** N(mean, std²) for every element, in index order (Rng.normal: Box–Muller in float64). */
function fillNormal(rng: Rng, data: FloatArray, mean: number, std: number): void {
  if (!(Number.isFinite(mean) && Number.isFinite(std) && std >= 0)) throw new RangeError(`normal init: need a finite mean and std ≥ 0, got mean = ${mean}, std = ${std}`);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(mean, std);
}

/** A draw of N(mean, std²) outside [a, b] after this many tries in a row: the compiler refuses an interval
 *  that holds less than 1e-3 of the mass, so reaching it means a rule the compiler never made. */
const TRUNC_NORMAL_TRIES = 100_000;

/**
 * N(mean, std²) conditioned on [a, b], by rejection: draw until the value lies in [a, b]. That is the
 * distribution torch's trunc_normal_ samples (it maps a uniform through the inverse normal CDF, then clamps);
 * the draws differ, as every draw here does.
 */
function fillTruncNormal(rng: Rng, data: FloatArray, r: Extract<InitRule, { kind: 'trunc_normal' }>): void {
  const { mean, std, a, b } = r;
  if (!([mean, std, a, b].every(Number.isFinite) && std > 0 && a < b)) {
    throw new RangeError(`trunc_normal init: need finite values, std > 0 and a < b, got mean = ${mean}, std = ${std}, a = ${a}, b = ${b}`);
  }
  for (let i = 0; i < data.length; i++) {
    let x = rng.normal(mean, std);
    for (let tries = 1; x < a || x > b; tries++) {
      if (tries === TRUNC_NORMAL_TRIES) throw new RangeError(`trunc_normal init: [${a}, ${b}] holds almost none of N(${mean}, ${std}²)`);
      x = rng.normal(mean, std);
    }
    data[i] = x;
  }
}

/**
 * torch.nn.init.orthogonal_: the [rows, cols] flattening of the tensor is filled with N(0, 1) in row-major
 * order, transposed when rows < cols (so the matrix A is m × n with m ≥ n), factored A = QR, each column j of
 * Q multiplied by sign(R[j, j]) (which makes Q unique: the QR whose R has a positive diagonal), transposed
 * back and multiplied by gain. Rows (rows ≤ cols) or columns (rows > cols) are then orthogonal with norm gain.
 */
function fillOrthogonal(rng: Rng, data: FloatArray, rows: number, cols: number, gain: number): void {
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows > 0 && cols > 0 && rows * cols === data.length)) {
    throw new RangeError(`orthogonal init: [${rows}, ${cols}] does not flatten a tensor of ${data.length} elements`);
  }
  const flat = new Float64Array(rows * cols);
  for (let i = 0; i < flat.length; i++) flat[i] = rng.normal();
  const t = rows < cols;
  const m = t ? cols : rows;
  const n = t ? rows : cols;
  // A, m × n, column-major (column j at [j·m, (j + 1)·m)), so every reflection runs along contiguous columns.
  const a = new Float64Array(m * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) a[j * m + i] = t ? flat[j * cols + i]! : flat[i * cols + j]!;
  const q = householderQ(a, m, n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) data[t ? j * cols + i : i * cols + j] = q[j * m + i]! * gain;
  }
}

/**
 * The Q of A = QR (A column-major m × n, m ≥ n; A is overwritten by R), by Householder reflections in float64
 * (Golub & Van Loan, Matrix Computations, 5.2.1), its column j multiplied by sign(R[j, j]) as orthogonal_ does.
 * Reflection k maps A[k:, k] to (α, 0, …, 0) with α = −sign(A[k, k])·‖A[k:, k]‖, the sign that avoids
 * cancellation; R[k, k] = α. Q comes back column-major too.
 */
function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  if (m < n) throw new RangeError(`householderQ: needs rows ≥ columns, got ${m} × ${n}`);
  const vs: Float64Array[] = [];
  const betas: number[] = [];
  const diag: number[] = [];
  for (let k = 0; k < n; k++) {
    const v = a.slice(k * m + k, (k + 1) * m); // A[k:, k]
    let norm2 = 0;
    for (let i = 0; i < v.length; i++) norm2 += v[i]! ** 2;
    const norm = Math.sqrt(norm2);
    const alpha = v[0]! > 0 ? -norm : norm;
    v[0] = v[0]! - alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i]! ** 2;
    const beta = vv === 0 ? 0 : 2 / vv; // a zero column: no reflection (probability zero for normal draws)
    reflect(a, m, n, k, k, v, beta);
    vs.push(v);
    betas.push(beta);
    diag.push(alpha);
  }
  // Q = H_0 · H_1 ⋯ H_{n−1} applied to the first n columns of the identity, the last reflection first.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * m + j] = 1;
  for (let k = n - 1; k >= 0; k--) reflect(q, m, n, k, k, vs[k]!, betas[k]!);
  for (let j = 0; j < n; j++) {
    const s = Math.sign(diag[j]!); // torch: q *= sign(diag(r)); sign(0) = 0 as torch's
    for (let i = 0; i < m; i++) q[j * m + i] = q[j * m + i]! * s;
  }
  return q;
}

/** X[k:, j0:] −= β·v·(vᵀ·X[k:, j0:]) for the column-major m × n matrix X. */
function reflect(x: Float64Array, m: number, n: number, k: number, j0: number, v: Float64Array, beta: number): void {
  if (beta === 0) return;
  for (let j = j0; j < n; j++) {
    const c = j * m + k;
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * x[c + i]!;
    s *= beta;
    for (let i = 0; i < v.length; i++) x[c + i] = x[c + i]! - s * v[i]!;
  }
}

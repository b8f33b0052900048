// torch.nn.Conv2d's definition in float64 (direct loops, groups included), the geometry of a test case, and the checks
// the wasm convolutions' tests (conv-direct.test.ts, conv-depthwise.test.ts) run their float32 results through.
import { expect } from 'vitest';
import { allocFloats, conv2dBackward, conv2dForward, Rng, setThreads, type Conv2dGeometry } from 'cnnc/runtime';
import { CTRL } from '../../runtime/wasm/gemm-part.js';
import { pool } from '../../runtime/wasm/pool.js';
import { wasmSgemm } from '../../runtime/wasm/sgemm.js';
import { random, relError } from './float-error.js';

export interface Case {
  readonly title: string;
  readonly cin: number; readonly h: number; readonly w: number; readonly cout: number;
  readonly k: [number, number]; readonly s?: [number, number]; readonly d?: [number, number];
  /** top, bottom, left, right */
  readonly pad?: [number, number, number, number];
  readonly groups?: number;
  readonly n: number;
}

/** The case's geometry, computed by `algorithm`. */
export function geometryOf(c: Case, algorithm: NonNullable<Conv2dGeometry['algorithm']>): Conv2dGeometry {
  const [top, bottom, left, right] = c.pad ?? [0, 0, 0, 0];
  const [kh, kw] = c.k, [sh, sw] = c.s ?? [1, 1], [dh, dw] = c.d ?? [1, 1];
  const ho = Math.floor((c.h + top + bottom - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((c.w + left + right - dw * (kw - 1) - 1) / sw) + 1;
  return { cin: c.cin, h: c.h, w: c.w, cout: c.cout, ho, wo, kh, kw, sh, sw, dh, dw, top, left, groups: c.groups ?? 1, algorithm };
}

/** y = conv2d(x, W) + B, and for dY its input gradient dX, dW0 + its weight gradient and dB0 + its bias
 *  gradient, in float64 by the definition (torch.nn.Conv2d, groups included). */
export function reference(g: Conv2dGeometry, n: number, x: Float32Array, W: Float32Array, B: Float32Array, dY: Float32Array, dW0: Float32Array, dB0: Float32Array): { y: Float64Array; dX: Float64Array; dW: Float64Array; dB: Float64Array } {
  const y = new Float64Array(n * g.cout * g.ho * g.wo), dX = new Float64Array(x.length), dW = Float64Array.from(dW0), dB = Float64Array.from(dB0);
  const cig = g.cin / g.groups, cog = g.cout / g.groups;
  for (let s = 0; s < n; s++) for (let co = 0; co < g.cout; co++) for (let oh = 0; oh < g.ho; oh++) for (let ow = 0; ow < g.wo; ow++) {
    const yi = ((s * g.cout + co) * g.ho + oh) * g.wo + ow, gi = Math.floor(co / cog);
    let acc = B[co]!;
    dB[co]! += dY[yi]!;
    for (let c = 0; c < cig; c++) for (let ki = 0; ki < g.kh; ki++) for (let kj = 0; kj < g.kw; kj++) {
      const ih = oh * g.sh + ki * g.dh - g.top, iw = ow * g.sw + kj * g.dw - g.left;
      if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
      const xi = ((s * g.cin + gi * cig + c) * g.h + ih) * g.w + iw, wi = ((co * cig + c) * g.kh + ki) * g.kw + kj;
      acc += W[wi]! * x[xi]!;
      dX[xi]! += W[wi]! * dY[yi]!;
      dW[wi]! += dY[yi]! * x[xi]!;
    }
    y[yi] = acc;
  }
  return { y, dX, dW, dB };
}

/** im2col's tolerance (conv-wasm.test.ts): 2e-6 of the largest magnitude. */
export const TOLERANCE = 2e-6;

type Algorithm = NonNullable<Conv2dGeometry['algorithm']>;

/** The case's inputs for n samples, drawn from seed `seed` in this order: x, W, B, dY, dW0, dB0. */
export function inputs(c: Case, g: Conv2dGeometry, n: number, seed: number) {
  const rng = new Rng(seed), cig = c.cin / (c.groups ?? 1);
  const x = random(n * c.cin * c.h * c.w, rng), W = random(c.cout * cig * c.k[0] * c.k[1], rng), B = random(c.cout, rng);
  const dY = random(n * c.cout * g.ho * g.wo, rng), dW0 = random(W.length, rng), dB0 = random(c.cout, rng);
  return { x, W, B, dY, dW0, dB0 };
}

/**
 * The case by `algorithm` against float64 (im2col's errors printed beside it): y, dX, and dW and dB accumulated onto
 * their old values within TOLERANCE; dW alone (no dX, no dB) the same bits; no bias within TOLERANCE; a second run and
 * the last sample alone the same bits.
 */
export function checkAgainstFloat64(c: Case, algorithm: Algorithm): void {
  const ga = geometryOf(c, algorithm), gi = geometryOf(c, 'im2col'), n = c.n;
  const { x, W, B, dY, dW0, dB0 } = inputs(c, ga, n, 5);
  const ref = reference(ga, n, x, W, B, dY, dW0, dB0);
  const run = (g: Conv2dGeometry) => {
    const y = new Float32Array(dY.length).fill(NaN), dX = new Float32Array(x.length).fill(NaN);
    const dW = Float32Array.from(dW0), dB = Float32Array.from(dB0);
    expect(conv2dForward(g, n, x, W, B, y)).toBe(true);
    expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB)).toBe(true);
    return { y, dX, dW, dB, err: [relError(y, ref.y), relError(dX, ref.dX), relError(dW, ref.dW), relError(dB, ref.dB)] };
  };
  const fast = run(ga), im2col = run(gi);
  const fmt = (e: number[]) => ['y', 'dX', 'dW', 'dB'].map((t, i) => `${t} ${e[i]!.toExponential(1)}`).join(', ');
  console.log(`${c.title}: ${algorithm} ${fmt(fast.err)}; im2col ${fmt(im2col.err)}`);
  expect(fast.err[0], 'y').toBeLessThan(TOLERANCE);
  expect(fast.err[1], 'dX').toBeLessThan(TOLERANCE);
  expect(fast.err[2], 'dW (accumulated onto its old value)').toBeLessThan(TOLERANCE);
  expect(fast.err[3], 'dB (accumulated onto its old value)').toBeLessThan(TOLERANCE);
  // dW without dX asked for: the same bits.
  const dWOnly = Float32Array.from(dW0);
  expect(conv2dBackward(ga, n, x, dY, W, dWOnly, null)).toBe(true);
  expect(Array.from(dWOnly)).toEqual(Array.from(fast.dW));
  // Without a bias: the same sums, from 0.
  const yNoBias = new Float32Array(dY.length);
  expect(conv2dForward(ga, n, x, W, null, yNoBias)).toBe(true);
  expect(relError(yNoBias, reference(ga, n, x, W, new Float32Array(c.cout), dY, dW0, dB0).y)).toBeLessThan(TOLERANCE);
  // Same bits on a second run (no state carried between calls), and per sample what the batch gave.
  expect(Array.from(run(ga).y)).toEqual(Array.from(fast.y));
  const outS = c.cout * ga.ho * ga.wo, inS = c.cin * c.h * c.w, last = new Float32Array(outS);
  expect(conv2dForward(ga, 1, x.subarray((n - 1) * inS), W, B, last)).toBe(true);
  expect(Array.from(last)).toEqual(Array.from(fast.y.subarray((n - 1) * outS)));
}

/** A fused relu by `algorithm`, arrays in wasm memory: reluY = relu(y), and dY becomes reluDY·[reluY > 0] before dW, dB and dX. */
export function checkFusedRelu(c: Case, algorithm: Algorithm): void {
  const g = geometryOf(c, algorithm), n = c.n, rng = new Rng(3);
  const cig = c.cin / (c.groups ?? 1);
  const inWasm = (a: Float32Array): Float32Array => { const r = allocFloats(Float32Array, a.length); r.set(a); return r; };
  const x = inWasm(random(n * c.cin * c.h * c.w, rng)), W = inWasm(random(c.cout * cig * c.k[0] * c.k[1], rng)), B = inWasm(random(c.cout, rng));
  const outLen = n * c.cout * g.ho * g.wo;
  const y = allocFloats(Float32Array, outLen), reluY = allocFloats(Float32Array, outLen);
  expect(conv2dForward(g, n, x, W, B, y, reluY)).toBe(true);
  expect(Array.from(reluY)).toEqual(Array.from(y, (v) => (v > 0 ? v : 0)));
  const reluDY = inWasm(random(outLen, rng)), dY = allocFloats(Float32Array, outLen);
  const dW = allocFloats(Float32Array, W.length), dX = allocFloats(Float32Array, x.length), dB = allocFloats(Float32Array, c.cout);
  expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB, reluY, reluDY)).toBe(true);
  const masked = Float32Array.from(reluDY, (v, i) => (reluY[i]! > 0 ? v : 0));
  expect(Array.from(dY)).toEqual(Array.from(masked));
  const ref = reference(g, n, x, W, B, masked, new Float32Array(W.length), new Float32Array(c.cout));
  expect(relError(y, ref.y)).toBeLessThan(TOLERANCE);
  expect(relError(dX, ref.dX)).toBeLessThan(TOLERANCE);
  expect(relError(dW, ref.dW)).toBeLessThan(TOLERANCE);
  expect(relError(dB, ref.dB)).toBeLessThan(TOLERANCE);
}

/**
 * n samples by `algorithm` forward and backward at 3 threads with the workers alone (one job each way, and, where
 * `workerUnits` is given, that many units claimed by the workers), then at 2 with the caller: the bits of one thread.
 * Threads must be started (initThreads(3)).
 */
export function checkWorkersAlone(c: Case, algorithm: Algorithm, n: number, workerUnits: number | null = null): void {
  const g = geometryOf(c, algorithm);
  const { x, W, B, dY, dW0 } = inputs(c, g, n, 4);
  const run = (T: number): Float32Array[] => {
    setThreads(T);
    const y = new Float32Array(dY.length), dW = Float32Array.from(dW0), dX = new Float32Array(x.length), dB = Float32Array.from(B);
    expect(conv2dForward(g, n, x, W, B, y)).toBe(true);
    expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB)).toBe(true);
    return [y, dW, dX, dB];
  };
  const one = run(1);
  const saved = pool.minMacs;
  pool.minMacs = 0;
  pool.callerWorks = false;
  try {
    const ctrl = wasmSgemm()!.ctrl, jobs = Atomics.load(ctrl, CTRL.gen), chunks = Atomics.load(ctrl, CTRL.workerChunks);
    const three = run(3);
    expect(Atomics.load(ctrl, CTRL.gen)).toBe(jobs + 2); // one job each way
    if (workerUnits !== null) expect(Atomics.load(ctrl, CTRL.workerChunks) - chunks).toBe(workerUnits);
    three.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(one[i]!.buffer)), ['y', 'dW', 'dX', 'dB'][i]).toBe(true));
    pool.callerWorks = true;
    const two = run(2);
    two.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(one[i]!.buffer)), ['y', 'dW', 'dX', 'dB'][i]).toBe(true));
  } finally {
    pool.minMacs = saved;
    pool.callerWorks = true;
    setThreads(1);
  }
}

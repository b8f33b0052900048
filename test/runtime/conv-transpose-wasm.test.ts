// conv_transpose2d on the float32 wasm path (runtime/wasm/conv.ts: convTranspose2dForward/Backward,
// run as the adjoint conv2d's backward-data, forward and weight-gradient jobs): y, dX, dW and dB
// against torch.nn.ConvTranspose2d's definition in float64 (direct loops over its weight [Cin,
// Cout/groups, kh, kw]), within the im2col path's tolerance (conv-wasm.test.ts: 2e-6 of the largest
// magnitude); the bits of one thread with three; the same bits with the arrays in wasm memory or outside it. The
// cases: the segmentation spec's two up-convolutions, and the decoder reference's output_padding,
// dilation, groups, asymmetric stride and no bias (test/fixtures/reference/specs/decoder-layers.yaml).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allocFloats, batchedSamples, convTranspose2dBackward, convTranspose2dForward, Rng, setGemmBackend, setThreads, stopThreads, type Conv2dGeometry, type GemmBackend } from 'cnnc/runtime';
import { initThreads } from 'cnnc/runtime/node';
import { CTRL } from '../../runtime/wasm/gemm-part.js';
import { pool } from '../../runtime/wasm/pool.js';
import { wasmSgemm } from '../../runtime/wasm/sgemm.js';
import { random, relError } from './float-error.js';

/** torch.nn.ConvTranspose2d's arguments, per axis [h, w]. */
interface Case {
  readonly title: string;
  readonly cin: number; readonly h: number; readonly w: number; readonly cout: number;
  readonly k: [number, number]; readonly s: [number, number]; readonly p: [number, number];
  readonly op: [number, number]; readonly d: [number, number];
  readonly groups: number;
  readonly bias: boolean;
  readonly n: number;
}

const CASES: Case[] = [
  { title: "segmentation's up2 (64 → 32, 2×2 stride 2, 7×7 → 14×14), 3 samples", cin: 64, h: 7, w: 7, cout: 32, k: [2, 2], s: [2, 2], p: [0, 0], op: [0, 0], d: [1, 1], groups: 1, bias: true, n: 3 },
  { title: "segmentation's up1 (32 → 16, 2×2 stride 2, 14×14 → 28×28), 2 samples", cin: 32, h: 14, w: 14, cout: 16, k: [2, 2], s: [2, 2], p: [0, 0], op: [0, 0], d: [1, 1], groups: 1, bias: true, n: 2 },
  { title: 'stride 2, padding 1, output_padding 1, 3×3 (4 → 6, 5×6 → 10×12)', cin: 4, h: 5, w: 6, cout: 6, k: [3, 3], s: [2, 2], p: [1, 1], op: [1, 1], d: [1, 1], groups: 1, bias: true, n: 3 },
  { title: 'groups 2, kernel 2×3, stride 1×2, padding 1×0, dilation 2×1, no bias (6 → 4, 10×12 → 10×25)', cin: 6, h: 10, w: 12, cout: 4, k: [2, 3], s: [1, 2], p: [1, 0], op: [0, 0], d: [2, 1], groups: 2, bias: false, n: 2 },
  { title: 'stride 3 with output_padding 2, 1 sample (3 → 5, 4×3 → 12×9)', cin: 3, h: 4, w: 3, cout: 5, k: [3, 3], s: [3, 3], p: [0, 0], op: [2, 2], d: [1, 1], groups: 1, bias: true, n: 1 },
];

/** The transpose's output shape, and the conv2d it is the adjoint of (output shape → input shape), as the compiler writes it. */
function adjointOf(c: Case): Conv2dGeometry {
  const ho = (c.h - 1) * c.s[0] - 2 * c.p[0] + c.d[0] * (c.k[0] - 1) + c.op[0] + 1;
  const wo = (c.w - 1) * c.s[1] - 2 * c.p[1] + c.d[1] * (c.k[1] - 1) + c.op[1] + 1;
  return { cin: c.cout, h: ho, w: wo, cout: c.cin, ho: c.h, wo: c.w, kh: c.k[0], kw: c.k[1], sh: c.s[0], sw: c.s[1], dh: c.d[0], dw: c.d[1], top: c.p[0], left: c.p[1], groups: c.groups, algorithm: 'im2col' };
}

/** y = conv_transpose2d(x, W) + B and, for dY, dX, dW0 + dW and dB0 + dB, in float64 by the definition:
 *  input (ci, ih, iw) reaches output (co, ih·sh − ph + ki·dh, iw·sw − pw + kj·dw) through W[ci, co − group·cog, ki, kj]. */
function reference(c: Case, x: Float32Array, W: Float32Array, B: Float32Array | null, dY: Float32Array, dW0: Float32Array, dB0: Float32Array) {
  const g = adjointOf(c), ho = g.h, wo = g.w, n = c.n;
  const cig = c.cin / c.groups, cog = c.cout / c.groups;
  const y = new Float64Array(n * c.cout * ho * wo), dX = new Float64Array(x.length), dW = Float64Array.from(dW0), dB = Float64Array.from(dB0);
  for (let s = 0; s < n; s++) {
    for (let co = 0; co < c.cout; co++) {
      for (let q = 0; q < ho * wo; q++) {
        const yi = (s * c.cout + co) * ho * wo + q;
        y[yi] = B === null ? 0 : B[co]!;
        dB[co]! += dY[yi]!;
      }
    }
    for (let ci = 0; ci < c.cin; ci++) {
      const group = Math.floor(ci / cig);
      for (let col = 0; col < cog; col++) for (let ki = 0; ki < c.k[0]; ki++) for (let kj = 0; kj < c.k[1]; kj++) {
        const wi = ((ci * cog + col) * c.k[0] + ki) * c.k[1] + kj, co = group * cog + col;
        for (let ih = 0; ih < c.h; ih++) for (let iw = 0; iw < c.w; iw++) {
          const oh = ih * c.s[0] - c.p[0] + ki * c.d[0], ow = iw * c.s[1] - c.p[1] + kj * c.d[1];
          if (oh < 0 || oh >= ho || ow < 0 || ow >= wo) continue;
          const xi = ((s * c.cin + ci) * c.h + ih) * c.w + iw, yi = ((s * c.cout + co) * ho + oh) * wo + ow;
          y[yi]! += W[wi]! * x[xi]!;
          dX[xi]! += W[wi]! * dY[yi]!;
          dW[wi]! += x[xi]! * dY[yi]!;
        }
      }
    }
  }
  return { y, dX, dW, dB };
}

const TOLERANCE = 2e-6; // conv-wasm.test.ts's, for im2col

interface Operands { x: Float32Array; W: Float32Array; B: Float32Array | null; dY: Float32Array; dW0: Float32Array; dB0: Float32Array }

function operands(c: Case, n: number, seed: number): Operands {
  const g = adjointOf(c), rng = new Rng(seed);
  const x = random(n * c.cin * c.h * c.w, rng), W = random(c.cin * (c.cout / c.groups) * c.k[0] * c.k[1], rng);
  const B = c.bias ? random(c.cout, rng) : null;
  return { x, W, B, dY: random(n * c.cout * g.h * g.w, rng), dW0: random(W.length, rng), dB0: random(c.cout, rng) };
}

/** Forward and backward; `where` makes each array (wasm memory: allocFloats, or a plain Float32Array). */
function run(c: Case, n: number, o: Operands, where: (a: Float32Array) => Float32Array): Float32Array[] {
  const g = adjointOf(c);
  const y = where(new Float32Array(o.dY.length).fill(NaN)), dX = where(new Float32Array(o.x.length).fill(NaN));
  const dW = where(o.dW0), dB = where(o.dB0);
  const x = where(o.x), W = where(o.W), B = o.B === null ? null : where(o.B), dY = where(o.dY);
  expect(convTranspose2dForward(g, n, x, W, B, y)).toBe(true);
  expect(convTranspose2dBackward(g, n, x, dY, W, dW, B === null ? null : dB, dX)).toBe(true);
  return [y, dX, dW, dB];
}

const copy = (a: Float32Array): Float32Array => Float32Array.from(a);
const inWasm = (a: Float32Array): Float32Array => { const r = allocFloats(Float32Array, a.length); r.set(a); return r; };
const NAMES = ['y', 'dX', 'dW', 'dB'];

describe('conv_transpose2d on the wasm path, as its adjoint conv2d, against float64', () => {
  let previous: GemmBackend;
  beforeAll(() => { previous = setGemmBackend('wasm'); });
  afterAll(() => { setGemmBackend(previous); });

  for (const c of CASES) {
    test(c.title, () => {
      const o = operands(c, c.n, 7);
      const ref = reference(c, o.x, o.W, o.B, o.dY, o.dW0, o.dB0);
      const ways: Float32Array[][] = [];
      for (const [where, label] of [[copy, 'copied in and out'], [inWasm, 'in wasm memory']] as const) {
        const got = run(c, c.n, o, where);
        ways.push(got);
        const err = [relError(got[0]!, ref.y), relError(got[1]!, ref.dX), relError(got[2]!, ref.dW), relError(got[3]!, ref.dB)];
        console.log(`${c.title}, ${label}: ${NAMES.slice(0, c.bias ? 4 : 3).map((t, i) => `${t} ${err[i]!.toExponential(1)}`).join(', ')}`);
        for (let i = 0; i < (c.bias ? 4 : 3); i++) expect(err[i], `${NAMES[i]}, ${label}`).toBeLessThan(TOLERANCE);
        if (!c.bias) expect(Array.from(got[3]!), 'dB untouched without a bias').toEqual(Array.from(o.dB0));
      }
      // Copied or in place, the same kernels in the same order: the same bits.
      ways[1]!.forEach((a, i) => expect(Array.from(a), NAMES[i]).toEqual(Array.from(ways[0]![i]!)));
    });
  }

  test('without dX asked for, dW and dB are the same bits', () => {
    const c = CASES[2]!, o = operands(c, c.n, 8), g = adjointOf(c);
    const full = run(c, c.n, o, copy);
    const dW = copy(o.dW0), dB = copy(o.dB0);
    expect(convTranspose2dBackward(g, c.n, o.x, o.dY, o.W, dW, dB, null)).toBe(true);
    expect(Array.from(dW)).toEqual(Array.from(full[2]!));
    expect(Array.from(dB)).toEqual(Array.from(full[3]!));
  });

  test('float64 arrays are left to the TypeScript loops: false, nothing written', () => {
    const c = CASES[2]!, g = adjointOf(c);
    const y = new Float64Array(c.n * c.cout * g.h * g.w);
    expect(convTranspose2dForward(g, c.n, new Float64Array(c.n * c.cin * c.h * c.w), new Float64Array(c.cin * c.cout * 9), null, y)).toBe(false);
  });
});

describe('conv_transpose2d on the wasm path with workers', () => {
  let previous: GemmBackend;
  beforeAll(async () => {
    previous = setGemmBackend('wasm');
    await initThreads(3);
  });
  afterAll(async () => {
    pool.callerWorks = true;
    await stopThreads();
    setGemmBackend(previous);
  });

  for (const c of [CASES[0]!, CASES[3]!]) {
    test(`11 samples computed by the workers alone, and by 2 threads, give the bits of one thread: ${c.title}`, () => {
      const n = 11, o = operands(c, n, 9);
      setThreads(1);
      const one = run(c, n, o, copy);
      const saved = pool.minMacs;
      pool.minMacs = 0;
      pool.callerWorks = false;
      try {
        const jobs = Atomics.load(wasmSgemm()!.ctrl, CTRL.gen);
        setThreads(3);
        const three = run(c, n, o, copy);
        // forward, and backward's dX and dW jobs; a dX that is a batched conv2d forward (few positions a sample, as segmentation's
        // up2's 7×7) is three: its columns, its product and its copy out
        const dXJobs = batchedSamples(adjointOf(c), n) > 0 ? 3 : 1;
        expect(Atomics.load(wasmSgemm()!.ctrl, CTRL.gen)).toBe(jobs + 2 + dXJobs);
        three.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(one[i]!.buffer)), NAMES[i]).toBe(true));
        pool.callerWorks = true;
        setThreads(2);
        const two = run(c, n, o, copy);
        two.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(one[i]!.buffer)), NAMES[i]).toBe(true));
      } finally {
        pool.minMacs = saved;
        pool.callerWorks = true;
        setThreads(1);
      }
    });
  }
});

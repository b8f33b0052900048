// Winograd F(2×2,3×3) on the float32 wasm path (runtime/wasm/winograd.ts, chosen by a geometry's
// `algorithm: 'winograd'`): the forward pass, the backward-data pass and the weight and bias gradients against torch.nn.Conv2d's
// definition in float64 (direct loops), within the tolerance of the im2col path's own test
// (conv-wasm.test.ts: 2e-6 of the largest magnitude; dW: see DW_TOLERANCE). Each case prints its
// largest errors (relative to that magnitude), and im2col's on the same data beside them; on the seed's
// conv2 shape: winograd y 2.6e-7, dX 3.9e-7, dW 9.7e-7, dB 2.7e-7; im2col 7.7e-7, 1.8e-7, 7.1e-7, 2.7e-7. The shapes
// cover what the tiles branch on: outputs of odd size (a cut last tile), padding on one side, padding
// beyond 2 (the backward-data pass then crops), chunks of one and of many samples, channels that are not
// whole micro-kernel tiles.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allocFloats, conv2dBackward, conv2dForward, Rng, setGemmBackend, setThreads, stopThreads, type ConvAlgorithm, type Conv2dGeometry, type GemmBackend } from 'cnnc/runtime';
import { initThreads } from 'cnnc/runtime/node';
import { CTRL } from '../../runtime/wasm/gemm-part.js';
import { pool } from '../../runtime/wasm/pool.js';
import { wasmSgemm } from '../../runtime/wasm/sgemm.js';
import { WINOGRAD_MODULES } from '../../runtime/wasm/winograd.js';
import { random, relError } from './float-error.js';

interface Case {
  readonly title: string;
  readonly cin: number; readonly h: number; readonly w: number; readonly cout: number;
  /** top, bottom, left, right */
  readonly pad?: [number, number, number, number];
  readonly n: number;
}

const CASES: Case[] = [
  { title: "the seed model's conv2 (32→64, 26×26 → 24×24), 3 samples", cin: 32, h: 26, w: 26, cout: 64, n: 3 },
  { title: "padding 1 ('same'), odd output 7×9 (cut tiles), 5 → 7 channels", cin: 5, h: 7, w: 9, cout: 7, pad: [1, 1, 1, 1], n: 2 },
  { title: 'padding on one side only (top 1, right 2), 16 → 16', cin: 16, h: 9, w: 6, cout: 16, pad: [1, 0, 0, 2], n: 2 },
  { title: 'padding 3 (beyond the kernel: the data pass crops), 3 → 4', cin: 3, h: 5, w: 5, cout: 4, pad: [3, 3, 3, 3], n: 2 },
  { title: 'a 1-row output (3 input rows), 4 → 3', cin: 4, h: 3, w: 8, cout: 3, n: 2 },
  { title: '20 samples of 28×28 at padding 1 (a chunk a sample), 8 → 8', cin: 8, h: 28, w: 28, cout: 8, pad: [1, 1, 1, 1], n: 20 },
  { title: '40 samples of 6×6 at padding 1 (28 samples a chunk of 256 tile columns, then 12), 4 → 6', cin: 4, h: 6, w: 6, cout: 6, pad: [1, 1, 1, 1], n: 40 },
];

function geometryOf(c: Case, algorithm: ConvAlgorithm): Conv2dGeometry {
  const [top, bottom, left, right] = c.pad ?? [0, 0, 0, 0];
  return { cin: c.cin, h: c.h, w: c.w, cout: c.cout, ho: c.h + top + bottom - 2, wo: c.w + left + right - 2, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, top, left, groups: 1, algorithm };
}

/** y = conv2d(x, W) + B, and for dY its input gradient dX, dW0 + its weight gradient and dB0 + its bias
 *  gradient, in float64 by the definition. */
function reference(g: Conv2dGeometry, n: number, x: Float32Array, W: Float32Array, B: Float32Array, dY: Float32Array, dW0: Float32Array, dB0: Float32Array): { y: Float64Array; dX: Float64Array; dW: Float64Array; dB: Float64Array } {
  const y = new Float64Array(n * g.cout * g.ho * g.wo), dX = new Float64Array(x.length), dW = Float64Array.from(dW0), dB = Float64Array.from(dB0);
  for (let s = 0; s < n; s++) for (let co = 0; co < g.cout; co++) for (let oh = 0; oh < g.ho; oh++) for (let ow = 0; ow < g.wo; ow++) {
    const yi = ((s * g.cout + co) * g.ho + oh) * g.wo + ow;
    let acc = B[co]!;
    dB[co]! += dY[yi]!;
    for (let ci = 0; ci < g.cin; ci++) for (let ki = 0; ki < 3; ki++) for (let kj = 0; kj < 3; kj++) {
      const ih = oh + ki - g.top, iw = ow + kj - g.left;
      if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
      const xi = ((s * g.cin + ci) * g.h + ih) * g.w + iw, wi = ((co * g.cin + ci) * 3 + ki) * 3 + kj;
      acc += W[wi]! * x[xi]!;
      dX[xi]! += W[wi]! * dY[yi]!;
      dW[wi]! += dY[yi]! * x[xi]!;
    }
    y[yi] = acc;
  }
  return { y, dX, dW, dB };
}

// y, dX: im2col's bound (conv-wasm.test.ts: 2e-6) for F(2×2). F(4×4)'s transforms scale by up to 5 (Bᵀ), 1/24 (G)
// and 8 (Aᵀ), and its 36 products cancel more: worst measured y 4.4e-6, dX 5.3e-6 (the seed's conv2, 3 samples; F(2×2)
// 2.6e-7, 3.9e-7 there), bound 1e-5: still ten times under the PyTorch parity tests' float32 tolerance
// (test/reference/compare.ts FLOAT32_TOLERANCE: 1e-4 relative).
const TOLERANCE = { winograd: 2e-6, winograd4: 1e-5 };
// dW sums dU_e = dM_e · V_eᵀ over every tile of every sample in float32, on values the transforms made up
// to 4× larger (F(4×4): up to 100×), and Gᵀ dU G then cancels part of it: worst measured F(2×2) 2.2e-6, F(4×4)
// 1.3e-5 (20 samples of 28×28; im2col 9.2e-7 on the same data). Bounds 1e-5 and 5e-5, under the PyTorch parity
// tests' 1e-4.
const DW_TOLERANCE = { winograd: 1e-5, winograd4: 5e-5 };

for (const [algorithm, name] of [['winograd', 'F(2×2,3×3)'], ['winograd4', 'F(4×4,3×3)']] as const) describe(`winograd ${name} on the wasm path, against float64`, () => {
  let previous: GemmBackend;
  beforeAll(() => { previous = setGemmBackend('wasm'); });
  afterAll(() => { setGemmBackend(previous); });

  for (const c of CASES) {
    test(c.title, () => {
      const gw = geometryOf(c, algorithm), gi = geometryOf(c, 'im2col'), n = c.n;
      const rng = new Rng(11);
      const x = random(n * c.cin * c.h * c.w, rng), W = random(c.cout * c.cin * 9, rng), B = random(c.cout, rng);
      const dY = random(n * c.cout * gw.ho * gw.wo, rng), dW0 = random(W.length, rng), dB0 = random(c.cout, rng);
      const ref = reference(gw, n, x, W, B, dY, dW0, dB0);

      const run = (g: Conv2dGeometry) => {
        const y = new Float32Array(dY.length).fill(NaN), dX = new Float32Array(x.length).fill(NaN);
        const dW = Float32Array.from(dW0), dB = Float32Array.from(dB0);
        expect(conv2dForward(g, n, x, W, B, y)).toBe(true);
        expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB)).toBe(true);
        const err = [relError(y, ref.y), relError(dX, ref.dX), relError(dW, ref.dW), relError(dB, ref.dB)];
        return { y, dX, dW, dB, err };
      };
      const wino = run(gw), im2col = run(gi);
      const fmt = (e: number[]) => ['y', 'dX', 'dW', 'dB'].map((t, i) => `${t} ${e[i]!.toExponential(1)}`).join(', ');
      console.log(`${c.title}: ${algorithm} ${fmt(wino.err)}; im2col ${fmt(im2col.err)}`);
      expect(wino.err[0], 'y').toBeLessThan(TOLERANCE[algorithm]);
      expect(wino.err[1], 'dX').toBeLessThan(TOLERANCE[algorithm]);
      expect(wino.err[2], 'dW (accumulated onto its old value)').toBeLessThan(DW_TOLERANCE[algorithm]);
      expect(wino.err[3], 'dB (accumulated onto its old value)').toBeLessThan(TOLERANCE.winograd);
      // dW without dX asked for: the same bits.
      const dWOnly = Float32Array.from(dW0);
      expect(conv2dBackward(gw, n, x, dY, W, dWOnly, null)).toBe(true);
      expect(Array.from(dWOnly)).toEqual(Array.from(wino.dW));
      // Same bits on a second run (no state carried between calls).
      expect(Array.from(run(gw).y)).toEqual(Array.from(wino.y));
    });
  }

  test('a fused relu, arrays in wasm memory: reluY = relu(y), and dY becomes reluDY·[reluY > 0] before dW, dB and dX', () => {
    const c = CASES[1]!, g = geometryOf(c, algorithm), n = c.n, rng = new Rng(3);
    const inWasm = (a: Float32Array): Float32Array => { const r = allocFloats(Float32Array, a.length); r.set(a); return r; };
    const x = inWasm(random(n * c.cin * c.h * c.w, rng)), W = inWasm(random(c.cout * c.cin * 9, rng)), B = inWasm(random(c.cout, rng));
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
    expect(relError(dX, ref.dX)).toBeLessThan(TOLERANCE[algorithm]);
    expect(relError(dW, ref.dW)).toBeLessThan(DW_TOLERANCE[algorithm]);
    expect(relError(dB, ref.dB)).toBeLessThan(TOLERANCE.winograd);
  });

  test('winogradFrom: a batch under it runs im2col (its bits), a batch at it runs winograd (its bits), both passes', () => {
    const c = CASES[2]!, from = 3;
    const run = (g: Conv2dGeometry, n: number) => {
      const r = new Rng(9);
      const x = random(n * c.cin * c.h * c.w, r), W = random(c.cout * c.cin * 9, r), B = random(c.cout, r), dY = random(n * c.cout * g.ho * g.wo, r);
      const y = new Float32Array(dY.length), dX = new Float32Array(x.length), dW = new Float32Array(W.length), dB = new Float32Array(c.cout);
      expect(conv2dForward(g, n, x, W, B, y)).toBe(true);
      expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB)).toBe(true);
      return [y, dX, dW, dB].map((a) => Array.from(a));
    };
    const gated: Conv2dGeometry = { ...geometryOf(c, algorithm), winogradFrom: from };
    expect(run(gated, from - 1)).toEqual(run(geometryOf(c, 'im2col'), from - 1));
    expect(run(gated, from)).toEqual(run(geometryOf(c, algorithm), from));
    expect(run(gated, from)).not.toEqual(run(geometryOf(c, 'im2col'), from));
  });

  test('a geometry that asks for winograd where it cannot apply is refused, naming why', () => {
    const g: Conv2dGeometry = { ...geometryOf(CASES[1]!, algorithm), sh: 2, sw: 2, ho: 4, wo: 5 };
    expect(() => conv2dForward(g, 1, new Float32Array(5 * 7 * 9), new Float32Array(7 * 5 * 9), null, new Float32Array(7 * 20))).toThrow(/needs 3×3, stride 1.*stride 2×2/);
  });
});

test('the winograd side modules validate, each small enough for a browser main thread (under 4 KiB)', () => {
  for (const [name, encode] of Object.entries(WINOGRAD_MODULES)) {
    for (const shared of [false, true]) {
      const bytes = encode(shared ? { shared, pages: 1, maxPages: 65536 } : { shared, pages: 1 });
      expect(WebAssembly.validate(bytes), name).toBe(true);
      expect(bytes.length, name).toBeLessThan(4096);
    }
  }
});

describe.runIf(process.env['CNNC_NO_WASM'] !== '1')('winograd on threads', () => {
  beforeAll(async () => { await initThreads(3); });
  afterAll(async () => { setThreads(1); await stopThreads(); });

  test('F(2×2) and F(4×4), every product split among 3 threads (pool.minMacs 0): y, dW, dX, dB bit for bit those of 1 thread', () => {
    const c = CASES[1]!, n = 9, rng = new Rng(8); // padding 1, 7×9 out (cut tiles), 5 → 7 channels
    const x = random(n * c.cin * c.h * c.w, rng), W = random(c.cout * c.cin * 9, rng), B = random(c.cout, rng);
    for (const algorithm of ['winograd', 'winograd4'] as const) {
      const g = geometryOf(c, algorithm), dY = random(n * c.cout * g.ho * g.wo, rng), dW0 = random(W.length, rng);
      const run = (T: number): Float32Array[] => {
        setThreads(T);
        const y = new Float32Array(dY.length), dW = Float32Array.from(dW0), dX = new Float32Array(x.length), dB = Float32Array.from(B);
        expect(conv2dForward(g, n, x, W, B, y)).toBe(true);
        expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB)).toBe(true);
        return [y, dW, dX, dB];
      };
      const one = run(1), saved = pool.minMacs;
      pool.minMacs = 0;
      try {
        const chunks = Atomics.load(wasmSgemm()!.ctrl, CTRL.workerChunks);
        const three = run(3);
        expect(Atomics.load(wasmSgemm()!.ctrl, CTRL.workerChunks), 'the workers computed some of it').toBeGreaterThan(chunks);
        three.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(one[i]!.buffer)), `${algorithm} ${['y', 'dW', 'dX', 'dB'][i]}`).toBe(true));
      } finally {
        pool.minMacs = saved;
      }
    }
  });
});

// rt.conv2dForward / rt.conv2dBackward (the float32 batch path in wasm: runtime/wasm/conv.ts)
// against torch.nn.Conv2d's definition written as direct loops in float64:
//   y[s, co, oh, ow] = B[co] + Σ_{ci, ki, kj} W[co, ci, ki, kj] · x[s, g·cig + ci, oh·sh + ki·dh − top, ow·sw + kj·dw − left]
// (zero outside the image), dW and dX its adjoints. The geometries cover what the index math
// branches on: padding on either side, stride (gaps and partial runs), dilation, groups whose
// rows are not a whole micro-kernel tile (depthwise too), 1×1, outputs that are and are not a whole
// number of tiles, and the first layer (no dX).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allocFloats, BATCHED_P_MAX, batchedSamples, conv2dBackward, conv2dForward, Rng, setGemmBackend, type Conv2dGeometry, type GemmBackend } from 'cnnc/runtime';
import { random } from './float-error.js';

interface Case {
  readonly title: string;
  readonly cin: number; readonly h: number; readonly w: number; readonly cout: number;
  readonly kh: number; readonly kw: number;
  readonly stride?: [number, number]; readonly dilation?: [number, number];
  /** top, bottom, left, right */
  readonly pad?: [number, number, number, number];
  readonly groups?: number;
  readonly n?: number;
}

const CASES: Case[] = [
  { title: 'the seed model\'s conv2 shape, smaller (3×3, P = 35: not whole tiles)', cin: 3, h: 7, w: 9, cout: 8, kh: 3, kw: 3 },
  { title: 'whole tiles (P = 64, cout = 8): C copied out as it is', cin: 2, h: 10, w: 10, cout: 8, kh: 3, kw: 3 },
  { title: 'asymmetric padding, stride 2, dilation 2', cin: 3, h: 9, w: 11, cout: 5, kh: 3, kw: 3, stride: [2, 2], dilation: [2, 2], pad: [1, 2, 2, 0] },
  { title: 'stride 3 wider than the kernel (gaps), padding 2 on the left', cin: 2, h: 8, w: 10, cout: 4, kh: 2, kw: 2, stride: [3, 3], pad: [0, 1, 2, 1] },
  { title: 'groups 3, 3 output channels per group (not a whole tile of rows), 3×2 kernel', cin: 6, h: 6, w: 7, cout: 9, kh: 3, kw: 2, pad: [1, 1, 1, 1], groups: 3 },
  { title: 'depthwise (groups = channels), padding 1', cin: 4, h: 5, w: 6, cout: 4, kh: 3, kw: 3, pad: [1, 1, 1, 1], groups: 4 },
  { title: '1×1, stride 1', cin: 5, h: 4, w: 6, cout: 7, kh: 1, kw: 1, n: 3 },
  { title: 'a kernel as wide as the padded input (one output column)', cin: 2, h: 5, w: 4, cout: 3, kh: 3, kw: 6, pad: [1, 1, 1, 1] },
  // P ≥ BATCHED_P_MAX: one sample a product (the job path); the cases above with groups 1 take the samples together.
  { title: 'one sample a product: 3×3, P = 100', cin: 3, h: 12, w: 12, cout: 8, kh: 3, kw: 3 },
  { title: 'one sample a product: asymmetric padding, stride 2, dilation 2, P = 90', cin: 3, h: 19, w: 21, cout: 5, kh: 3, kw: 3, stride: [2, 2], dilation: [2, 2], pad: [1, 2, 2, 0] },
  { title: 'one sample a product: stride 3 wider than the kernel, P = 90', cin: 2, h: 26, w: 28, cout: 4, kh: 2, kw: 2, stride: [3, 3], pad: [0, 1, 2, 1] },
  { title: 'samples together in products of 16 (P = 63, 40 samples: 16, 16 and a last one of 8)', cin: 3, h: 9, w: 7, cout: 6, kh: 1, kw: 1, n: 40 },
];

function geometryOf(c: Case): Conv2dGeometry {
  const [sh, sw] = c.stride ?? [1, 1];
  const [dh, dw] = c.dilation ?? [1, 1];
  const [top, bottom, left, right] = c.pad ?? [0, 0, 0, 0];
  const ho = Math.floor((c.h + top + bottom - dh * (c.kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((c.w + left + right - dw * (c.kw - 1) - 1) / sw) + 1;
  return { cin: c.cin, h: c.h, w: c.w, cout: c.cout, ho, wo, kh: c.kh, kw: c.kw, sh, sw, dh, dw, top, left, groups: c.groups ?? 1 };
}

/** Calls f(s, co, ci, oh, ow, ki, kj, xIndex) for every term of the sum that reads inside the image. */
function eachTerm(g: Conv2dGeometry, n: number, f: (yi: number, wi: number, xi: number) => void): void {
  const cig = g.cin / g.groups, cog = g.cout / g.groups;
  for (let s = 0; s < n; s++) {
    for (let co = 0; co < g.cout; co++) {
      const gi = Math.floor(co / cog);
      for (let oh = 0; oh < g.ho; oh++) {
        for (let ow = 0; ow < g.wo; ow++) {
          const yi = ((s * g.cout + co) * g.ho + oh) * g.wo + ow;
          for (let ci = 0; ci < cig; ci++) {
            for (let ki = 0; ki < g.kh; ki++) {
              for (let kj = 0; kj < g.kw; kj++) {
                const ih = oh * g.sh + ki * g.dh - g.top, iw = ow * g.sw + kj * g.dw - g.left;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                f(yi, ((co * cig + ci) * g.kh + ki) * g.kw + kj, ((s * g.cin + gi * cig + ci) * g.h + ih) * g.w + iw);
              }
            }
          }
        }
      }
    }
  }
}

function expectClose(actual: Float32Array, expected: Float64Array, what: string): void {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst / Math.max(scale, 1e-30), what).toBeLessThan(2e-6);
}

describe('conv2d batch path in wasm', () => {
  let previous: GemmBackend;
  beforeAll(() => { previous = setGemmBackend('wasm'); });
  afterAll(() => { setGemmBackend(previous); });

  for (const c of CASES) {
    test(c.title, () => {
      const g = geometryOf(c);
      const n = c.n ?? 2;
      // Which product the case exercises: the samples together (groups 1, P < BATCHED_P_MAX) or one at a time.
      expect(batchedSamples(g, n) > 0).toBe(g.groups === 1 && g.ho * g.wo < BATCHED_P_MAX);
      const rng = new Rng(7);
      const K = (g.cin / g.groups) * g.kh * g.kw;
      const x = random(n * g.cin * g.h * g.w, rng), W = random(g.cout * K, rng), B = random(g.cout, rng);
      const dY = random(n * g.cout * g.ho * g.wo, rng), dW0 = random(g.cout * K, rng);

      const yRef = new Float64Array(dY.length);
      for (let i = 0; i < yRef.length; i++) yRef[i] = B[Math.floor(i / (g.ho * g.wo)) % g.cout]!;
      const dWRef = Float64Array.from(dW0), dXRef = new Float64Array(x.length);
      eachTerm(g, n, (yi, wi, xi) => {
        yRef[yi]! += W[wi]! * x[xi]!;
        dWRef[wi]! += dY[yi]! * x[xi]!;
        dXRef[xi]! += W[wi]! * dY[yi]!;
      });

      const y = new Float32Array(dY.length).fill(NaN);
      expect(conv2dForward(g, n, x, W, B, y)).toBe(true);
      expectClose(y, yRef, 'y');
      const noBias = new Float32Array(dY.length);
      expect(conv2dForward(g, n, x, W, null, noBias)).toBe(true);
      const yNoBiasRef = yRef.map((v, i) => v - B[Math.floor(i / (g.ho * g.wo)) % g.cout]!);
      expectClose(noBias, yNoBiasRef, 'y without bias');

      const dW = Float32Array.from(dW0), dX = new Float32Array(x.length).fill(NaN);
      expect(conv2dBackward(g, n, x, dY, W, dW, dX)).toBe(true);
      expectClose(dW, dWRef, 'dW (accumulated onto its old value)');
      expectClose(dX, dXRef, 'dX');
      const dWOnly = Float32Array.from(dW0);
      expect(conv2dBackward(g, n, x, dY, W, dWOnly, null)).toBe(true);
      expect(Array.from(dWOnly)).toEqual(Array.from(dW));
      // The bias gradient, accumulated onto its old value: Σ over samples and positions of dY.
      const dB0 = random(g.cout, rng), dB = Float32Array.from(dB0), dBRef = Float64Array.from(dB0);
      for (let i = 0; i < dY.length; i++) dBRef[Math.floor(i / (g.ho * g.wo)) % g.cout]! += dY[i]!;
      const dWWithBias = Float32Array.from(dW0);
      expect(conv2dBackward(g, n, x, dY, W, dWWithBias, null, dB)).toBe(true);
      expectClose(dB, dBRef, 'dB (accumulated onto its old value)');
      expect(Array.from(dWWithBias), 'dW is the same with the bias gradient alongside').toEqual(Array.from(dW));
    });
  }

  // A relu fused into the conv (compiler/4-passes/fuse.ts): the conv writes relu(y) too, and its
  // backward first sets dY = reluDY·[reluY > 0]. Inside the job (arrays in wasm memory, a sample a
  // whole number of vectors) or over the batch around it (otherwise): the bits of the two steps
  // done apart, either way.
  describe.each([['arrays in wasm memory', true], ['ordinary arrays', false]] as const)('a fused relu, %s', (_, resident) => {
    const alloc = (a: Float32Array): Float32Array => {
      if (!resident) return Float32Array.from(a);
      const r = allocFloats(Float32Array, a.length);
      r.set(a);
      return r;
    };
    test.each(CASES.map((c) => [c.title, c] as const))('%s', (_title, c) => {
      const g = geometryOf(c);
      const n = c.n ?? 2;
      const rng = new Rng(11);
      const K = (g.cin / g.groups) * g.kh * g.kw, outLen = n * g.cout * g.ho * g.wo;
      const x = alloc(random(n * g.cin * g.h * g.w, rng)), W = alloc(random(g.cout * K, rng)), B = alloc(random(g.cout, rng));
      const y = alloc(new Float32Array(outLen)), reluY = alloc(new Float32Array(outLen).fill(NaN));
      expect(conv2dForward(g, n, x, W, B, y, reluY)).toBe(true);
      const yApart = new Float32Array(outLen);
      conv2dForward(g, n, x, W, B, yApart);
      expect(Array.from(y)).toEqual(Array.from(yApart));
      expect(Array.from(reluY)).toEqual(Array.from(y, (v) => (v < 0 ? 0 : v)));
      expect(reluY.some((v) => v > 0) && reluY.some((v) => v === 0)).toBe(true); // both sides of the relu are exercised

      const reluDY = alloc(random(outLen, rng)), dY = alloc(new Float32Array(outLen).fill(NaN));
      const dW0 = random(g.cout * K, rng), dB0 = random(g.cout, rng);
      const dW = alloc(dW0), dB = alloc(dB0), dX = alloc(new Float32Array(x.length));
      expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB, reluY, reluDY)).toBe(true);
      const dYApart = Float32Array.from(reluDY, (d, i) => (reluY[i]! > 0 ? d : 0));
      const dWApart = Float32Array.from(dW0), dBApart = Float32Array.from(dB0), dXApart = new Float32Array(x.length);
      conv2dBackward(g, n, x, dYApart, W, dWApart, dXApart, dBApart);
      expect(Array.from(dY), 'dY').toEqual(Array.from(dYApart));
      expect(Array.from(dW), 'dW').toEqual(Array.from(dWApart));
      expect(Array.from(dB), 'dB').toEqual(Array.from(dBApart));
      expect(Array.from(dX), 'dX').toEqual(Array.from(dXApart));
    });
  });

  test('a non-finite input in one group stays in that group\'s outputs', () => {
    const g = geometryOf({ title: '', cin: 6, h: 5, w: 5, cout: 6, kh: 3, kw: 3, pad: [1, 1, 1, 1], groups: 3 });
    const rng = new Rng(3);
    const x = random(g.cin * 25, rng), W = random(g.cout * 2 * 9, rng);
    x[0] = Infinity; // channel 0: group 0
    const y = new Float32Array(g.cout * 25);
    conv2dForward(g, 1, x, W, null, y);
    expect(y.subarray(2 * 25).every(Number.isFinite)).toBe(true); // groups 1 and 2
    const dY = random(g.cout * 25, rng), dW = new Float32Array(W.length), dX = new Float32Array(x.length);
    conv2dBackward(g, 1, x, dY, W, dW, dX);
    expect(dW.subarray(2 * 18).every(Number.isFinite)).toBe(true);
  });

  test('float64 arrays and the JS gemm path are declined (the generated loops run instead)', () => {
    const g = geometryOf(CASES[0]!);
    const f64 = new Float64Array(1000);
    expect(conv2dForward(g, 1, f64, f64, null, f64)).toBe(false);
    setGemmBackend('js');
    try {
      const f32 = new Float32Array(1000);
      expect(conv2dForward(g, 1, f32, f32, null, f32)).toBe(false);
      expect(conv2dBackward(g, 1, f32, f32, f32, f32, null)).toBe(false);
    } finally {
      setGemmBackend('wasm');
    }
  });
});

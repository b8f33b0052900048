// maxpool2d's generated forward and backward bodies, run as they are emitted, against PyTorch's CPU
// loop written out here (aten/src/ATen/native/cpu/MaxPoolKernel.cpp: max starts at −∞, index at the
// window's first element; `val > max || isnan(val)` replaces). Inputs full of what that rule is
// about: ties (first max wins), NaN (wins; the last of several), −∞ windows, ±0. Both the unrolled
// body (no padding, small window) and the generic one (padding, a large window, or a ceil_mode window
// past the input) are covered, and the runtime's wasm kernels for every geometry they take (padding and
// windows past the input included: runtime/wasm/maxpool.ts).
import { describe, expect, test } from 'vitest';
import type { MaxPool2dNode } from '../../compiler/ir/types.js';
import type { NodePlan } from '../../compiler/ir/plan.js';
import { emitMaxPool2d } from '../../compiler/5-codegen/layers/pool2d.js';
import { geometryOf } from '../../compiler/4-passes/geometry.js';
import { poolOut } from '../../compiler/3-lower/layers/pool.js';
import * as rt from 'cnnc/runtime';
import { Rng } from 'cnnc/runtime';

type Pair = readonly [number, number];
type Forward = (n: number, x: Float32Array, y: Float32Array, argmax: Int32Array) => void;
type Backward = (n: number, dY: Float32Array, argmax: Int32Array, dX: Float32Array) => void;

function pool(c: number, h: number, w: number, kernel: Pair, stride: Pair, padding: Pair, ceilMode: boolean): { node: MaxPool2dNode; ho: number; wo: number } {
  const ho = poolOut(h, kernel[0], stride[0], padding[0], ceilMode);
  const wo = poolOut(w, kernel[1], stride[1], padding[1], ceilMode);
  const node = { kind: 'maxpool2d', name: 'pool', inShapes: [[c, h, w]], outShape: [c, ho, wo], kernel, stride, padding, ceilMode } as unknown as MaxPool2dNode;
  return { node, ho, wo };
}

/** PyTorch's loop: y and argmax (index in the input plane) for every window. */
function torchMaxPool(n: number, c: number, h: number, w: number, ho: number, wo: number, k: Pair, s: Pair, p: Pair, x: Float32Array): { y: Float32Array; argmax: Int32Array } {
  const y = new Float32Array(n * c * ho * wo), argmax = new Int32Array(y.length);
  for (let sc = 0; sc < n * c; sc++) {
    for (let oh = 0; oh < ho; oh++) {
      for (let ow = 0; ow < wo; ow++) {
        const hs = oh * s[0] - p[0], ws = ow * s[1] - p[1];
        const he = Math.min(hs + k[0], h), we = Math.min(ws + k[1], w);
        const h0 = Math.max(hs, 0), w0 = Math.max(ws, 0);
        let max = -Infinity, at = h0 * w + w0;
        for (let ih = h0; ih < he; ih++) {
          for (let iw = w0; iw < we; iw++) {
            const v = x[sc * h * w + ih * w + iw]!;
            if (v > max || Number.isNaN(v)) { max = v; at = ih * w + iw; }
          }
        }
        y[sc * ho * wo + oh * wo + ow] = max;
        argmax[sc * ho * wo + oh * wo + ow] = at;
      }
    }
  }
  return { y, argmax };
}

/** Small integers (many ties), zeros of both signs, a few NaN and −∞, and one all −∞ plane. */
function nasty(rng: Rng, len: number, plane: number): Float32Array {
  const x = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    const u = rng.nextFloat();
    x[i] = u < 0.03 ? NaN : u < 0.06 ? -Infinity : u < 0.2 ? -0 : u < 0.3 ? 0 : Math.floor(rng.uniform(-3, 3));
  }
  x.fill(-Infinity, 0, plane);
  return x;
}

const cases: [string, number, number, number, Pair, Pair, Pair, boolean?][] = [
  ['2×2 stride 2 (MNIST), unrolled', 3, 8, 10, [2, 2], [2, 2], [0, 0]],
  ['2×2 stride 2, odd size (last row and column dropped; wasm: four at a time)', 2, 7, 9, [2, 2], [2, 2], [0, 0]],
  ['2×2 stride 2, 12 outputs a row (wasm: four at a time, as the seed\'s 24×24)', 3, 6, 24, [2, 2], [2, 2], [0, 0]],
  ['3×3 stride 2 overlapping, unrolled', 2, 9, 8, [3, 3], [2, 2], [0, 0]],
  ['2×3 stride 1×2, unrolled', 2, 6, 9, [2, 3], [1, 2], [0, 0]],
  ['1×1, unrolled', 1, 4, 5, [1, 1], [1, 1], [0, 0]],
  ['3×3 stride 2 ceil_mode on 31×31 (squeezenet\'s 15×15; wasm: stride-2 groups, the last at wo - 4)', 2, 31, 31, [3, 3], [2, 2], [0, 0], true],
  ['3×3 stride 1 on 6×11 (wasm: stride-1 groups of four, 9 a row)', 2, 6, 11, [3, 3], [1, 1], [0, 0]],
  ['2×2 stride 2 on 5×11 (5 a row: wasm stride-2 groups, not four at a time)', 2, 5, 11, [2, 2], [2, 2], [0, 0]],
  ['5×5 stride 2 on 11×13 (25 > 9; wasm: stride-2 groups)', 2, 11, 13, [5, 5], [2, 2], [0, 0]],
  ['4×4 (16 > 9): the generic loop', 2, 9, 9, [4, 4], [2, 2], [0, 0]],
  ['3×3 stride 2 padding 1: the generic loop', 2, 8, 7, [3, 3], [2, 2], [1, 1]],
  ['2×2 stride 2 ceil_mode on 7×9 (4×5, last row and column clipped): the generic loop', 2, 7, 9, [2, 2], [2, 2], [0, 0], true],
  ['3×3 stride 2 ceil_mode on 8×9 (4×4, last row past the input, columns inside): the generic loop', 2, 8, 9, [3, 3], [2, 2], [0, 0], true],
  ['2×2 stride 2 ceil_mode on 6×8 (no window past the input: unrolled)', 2, 6, 8, [2, 2], [2, 2], [0, 0], true],
  ['3×3 stride 2 padding 1 ceil_mode on 6×7 (4×4: the last row\'s windows run past the padded input)', 2, 6, 7, [3, 3], [2, 2], [1, 1], true],
  ['2×2 stride 2 padding 1 ceil_mode on 6×7 (4×4: a 5th column would start in the right padding, so is dropped)', 2, 6, 7, [2, 2], [2, 2], [1, 1], true],
  ['3×3 stride 2 padding 1 on 32×32 (resnet18\'s 16×16 at 64×64 in; wasm: column 0 alone, 1–15 four at a time)', 2, 32, 32, [3, 3], [2, 2], [1, 1]],
  ['3×3 stride 2 padding 1 on 13×15 (wasm: the last column past the stride-2 groups alone)', 2, 13, 15, [3, 3], [2, 2], [1, 1]],
  ['3×3 stride 1 padding 1 on 5×9 (wasm: first and last column alone, stride-1 groups between)', 2, 5, 9, [3, 3], [1, 1], [1, 1]],
  ['5×5 stride 1 padding 2 on 4×6 (two columns each side alone, two inside: no groups)', 2, 4, 6, [5, 5], [1, 1], [2, 2]],
  ['3×3 stride 2 on 7×7 (squeezenet\'s features.8 at 64×64 in: 3 a row, wasm one at a time)', 2, 7, 7, [3, 3], [2, 2], [0, 0]],
  ['3×3 stride 3 padding 1 on 10×11 (stride 3: wasm one at a time)', 2, 10, 11, [3, 3], [3, 3], [1, 1]],
  ['2×3 stride 2×1 padding 1×1 ceil_mode on 7×10 (rows past the input, stride-1 groups)', 2, 7, 10, [2, 3], [2, 1], [1, 1], true],
];

describe.each(cases)('maxpool2d %s', (_, c, h, w, kernel, stride, padding, ceilMode = false) => {
  const { node, ho, wo } = pool(c, h, w, kernel, stride, padding, ceilMode);
  // Every window inside the input: the unrolled body and the wasm kernel apply.
  const inside = padding[0] === 0 && padding[1] === 0 && (ho - 1) * stride[0] + kernel[0] <= h && (wo - 1) * stride[1] + kernel[1] <= w;
  // The node's plan record, as 4-passes/plan.ts makes it for a pool read from the input and writing its dX.
  const plan: NodePlan = {
    node, comment: '', geometry: geometryOf(node), readers: [], fusedRelu: null, fusedInto: null, fusedIntoLoss: false, evalFold: null, evalFoldedInto: null,
    io: { node: node.name, x: null, xs: [null], y: `${node.name}_y`, dX: 'dX', dXs: ['dX'], accumulate: [], dY: `${node.name}_dY`, backward: true, alias: false },
  };
  const kernels = emitMaxPool2d(node, { dtype: 'float32', plan, writesDX: true, writesDXs: [true], backward: true });
  // The body reads the module's geometry constant and calls rt.maxpool2dForward first (the wasm
  // kernel, which runs only on arrays in wasm memory): both are given, as the generated module has them.
  const geometry = kernels.constants === undefined ? {} : (new Function('rt', `${kernels.constants.text.replace(/^const (\w+)[^=]*=/, 'return ')}`))(rt);
  const forward = ((n, x, y, argmax) => new Function('rt', `${node.name}_geometry`, 'n', 'x', 'y', 'argmax', kernels.forward.body)(rt, geometry, n, x, y, argmax)) as Forward;
  const backward = ((n, dY, argmax, dX) => new Function('rt', 'n', 'dY', 'argmax', 'dX', kernels.backward!.body)(rt, n, dY, argmax, dX)) as Backward;
  const n = 3;
  const x = nasty(new Rng(h * 100 + w), n * c * h * w, h * w);
  const want = torchMaxPool(n, c, h, w, ho, wo, kernel, stride, padding, x);

  test.each(['JS loop', 'wasm kernel'])('forward (%s): the values (NaN, ±0 and all) and argmax indices of PyTorch\'s loop', (path) => {
    const inWasm = path === 'wasm kernel';
    // Arrays in wasm memory take the wasm kernel (but for small unpadded windows with no four-at-a-time
    // kernel, which the unrolled loop does faster: maxpool2dInWasm false); ordinary ones the loop.
    const y = inWasm ? rt.allocFloats(Float32Array, want.y.length) : new Float32Array(want.y.length);
    const argmax = inWasm ? rt.allocInt32(want.y.length) : new Int32Array(want.y.length);
    const xs = inWasm ? rt.allocFloats(Float32Array, x.length) : x;
    xs.set(x);
    y.fill(7);
    argmax.fill(-1);
    expect(rt.maxpool2dForward(geometry as rt.Pool2dGeometry, n, xs, y, argmax)).toBe(inWasm && rt.maxpool2dInWasm(geometry as rt.Pool2dGeometry));
    forward(n, xs, y, argmax);
    expect(Array.from(argmax)).toEqual(Array.from(want.argmax));
    const differ = Array.from(y).findIndex((v, i) => !Object.is(v, want.y[i]));
    expect(differ, `y[${differ}] = ${y[differ]}, PyTorch ${want.y[differ]}`).toBe(-1);
  });

  test.each(['JS loop', 'wasm kernel'])('backward (%s): dY summed into dX at each argmax, zero elsewhere', (path) => {
    // Arrays in wasm memory take rt.maxpool2dBackward (padded or not), ordinary ones the loop.
    const inWasm = path === 'wasm kernel';
    const dY = inWasm ? rt.allocFloats(Float32Array, want.y.length) : new Float32Array(want.y.length);
    dY.set(Float32Array.from({ length: want.y.length }, (_, i) => (i + 1) / 3));
    const argmax = inWasm ? rt.allocInt32(want.y.length) : new Int32Array(want.y.length);
    argmax.set(want.argmax);
    const dX = inWasm ? rt.allocFloats(Float32Array, n * c * h * w) : new Float32Array(n * c * h * w);
    dX.fill(NaN);
    expect(rt.maxpool2dBackward(n * c, h * w, ho * wo, dY, argmax, new Float32Array(dX.length))).toBe(false); // not every array in wasm memory
    backward(n, dY, argmax, dX);
    const expected = new Float32Array(dX.length);
    for (let q = 0; q < dY.length; q++) expected[Math.floor(q / (ho * wo)) * h * w + want.argmax[q]!]! += dY[q]!;
    expect(Array.from(dX)).toEqual(Array.from(expected));
  });

  test(`the ${inside && kernel[0] * kernel[1] <= 9 ? 'unrolled' : 'generic'} body is the one emitted`, () => {
    expect(kernels.forward.body.includes('for (let ih')).toBe(!(inside && kernel[0] * kernel[1] <= 9));
  });
});

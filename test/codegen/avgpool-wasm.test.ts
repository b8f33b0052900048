// avgpool2d's bodies as emitted (the unrolled one where every window is inside the input, the window loops
// elsewhere: padding, ceil_mode, count_include_pad off, large windows) and adaptive_avgpool2d's uniform one, run on
// ordinary arrays (their JavaScript loops) and on arrays in wasm memory (the runtime's kernels they call first,
// runtime/wasm/maxpool.ts): the same bits forward and backward, overlapping windows included, over values of many
// magnitudes with NaN, ±∞ and ±0. Unrolled windows the kernels do not take (a column stride over 2, fewer than four
// outputs a row) return false forward and the loop runs; backward takes every geometry.
import { describe, expect, test } from 'vitest';
import type { AdaptivePool2dNode, AvgPool2dNode } from '../../compiler/ir/types.js';
import type { EmitOptions, LayerKernels } from '../../compiler/5-codegen/kernel.js';
import type { NodePlan } from '../../compiler/ir/plan.js';
import { emitAvgPool2d } from '../../compiler/5-codegen/layers/pool2d.js';
import { emitAdaptivePool2d } from '../../compiler/5-codegen/layers/adaptive_pool2d.js';
import { geometryOf } from '../../compiler/4-passes/geometry.js';
import { poolOut } from '../../compiler/3-lower/layers/pool.js';
import * as rt from 'cnnc/runtime';
import { Rng } from 'cnnc/runtime';

type Pair = readonly [number, number];

/** name, channels, h, w, kernel, stride, padding, ceil_mode, count_include_pad, whether forward runs in wasm. */
const cases: [string, number, number, number, Pair, Pair, Pair, boolean, boolean, boolean][] = [
  ['2×2 stride 2 on 28×28 (LeNet-5\'s first pool)', 3, 28, 28, [2, 2], [2, 2], [0, 0], false, true, true],
  ['2×2 stride 2 on 10×11 (5 a row: the last group at wo − 4)', 2, 10, 11, [2, 2], [2, 2], [0, 0], false, true, true],
  ['3×3 stride 1 on 6×9 (overlapping)', 2, 6, 9, [3, 3], [1, 1], [0, 0], false, true, true],
  ['3×3 stride 2 on 9×13 (overlapping)', 2, 9, 13, [3, 3], [2, 2], [0, 0], false, true, true],
  ['4×4 stride 2×1 on 8×10', 2, 8, 10, [4, 4], [2, 1], [0, 0], false, true, true],
  ['2×2 stride 3 on 8×14 (no kernel forward: the loop)', 2, 8, 14, [2, 2], [3, 3], [0, 0], false, true, false],
  ['2×2 stride 2 on 6×6 (3 a row: the loop forward)', 2, 6, 6, [2, 2], [2, 2], [0, 0], false, true, false],
  ['3×3 stride 2 padding 1 on 14×14 (conv-features\' pool)', 3, 14, 14, [3, 3], [2, 2], [1, 1], false, true, true],
  ['3×3 stride 2 padding 1 on 14×14, count_include_pad off', 3, 14, 14, [3, 3], [2, 2], [1, 1], false, false, true],
  ['3×3 stride 1 padding 1 on 7×11 (same size)', 2, 7, 11, [3, 3], [1, 1], [1, 1], false, true, true],
  ['5×3 stride 2×1 padding 2×1 on 9×12, count_include_pad off', 2, 9, 12, [5, 3], [2, 1], [2, 1], false, false, true],
  ['3×3 stride 2 ceil_mode on 10×13 (windows past the end)', 2, 10, 13, [3, 3], [2, 2], [0, 0], true, true, true],
  ['3×3 stride 2 padding 1 ceil_mode on 10×10', 2, 10, 10, [3, 3], [2, 2], [1, 1], true, true, true],
  ['3×3 stride 2 padding 1 ceil_mode on 10×10, count_include_pad off', 2, 10, 10, [3, 3], [2, 2], [1, 1], true, false, true],
  ['2×2 stride 3 padding 1 on 8×14 (one at a time)', 2, 8, 14, [2, 2], [3, 3], [1, 1], false, true, true],
  ['5×5 stride 1 on 9×9 (25 elements: the window loops, inside)', 2, 9, 9, [5, 5], [1, 1], [0, 0], false, true, true],
  ['5×5 stride 3 on 11×11 (the window loops, one at a time)', 2, 11, 11, [5, 5], [3, 3], [0, 0], false, true, true],
];

function values(rng: Rng, count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => {
    const u = rng.nextFloat();
    return i % 97 === 5 ? NaN : i % 89 === 7 ? -Infinity : i % 13 === 3 ? -0 : u < 0.5 ? rng.uniform(-1, 1) * 2 ** Math.floor(rng.uniform(-20, 20)) : Math.floor(rng.uniform(-4, 4));
  });
}

const same = (got: Float32Array, want: Float32Array): number => Array.from(got).findIndex((v, i) => !Object.is(v, want[i]));

describe.each(cases)('avgpool2d %s', (_, c, h, w, kernel, stride, padding, ceilMode, countIncludePad, forwardInWasm) => {
  const ho = poolOut(h, kernel[0], stride[0], padding[0], ceilMode), wo = poolOut(w, kernel[1], stride[1], padding[1], ceilMode);
  const node = { kind: 'avgpool2d', name: 'pool', inShapes: [[c, h, w]], outShape: [c, ho, wo], kernel, stride, padding, ceilMode, countIncludePad } as unknown as AvgPool2dNode;
  bitsAgree(node, emitAvgPool2d, c, h, w, ho, wo, forwardInWasm);
});

/** adaptive_avgpool2d's and adaptive_maxpool2d's windows: uniform (out divides in: a pool's geometry) or the tables'. */
const adaptive: [string, number, number, number, Pair][] = [
  ['14×14 → 7×7', 3, 14, 14, [7, 7]],
  ['8×12 → 2×3 (4×4 windows)', 2, 8, 12, [2, 3]],
  ['6×6 → 1×1 (global)', 4, 6, 6, [1, 1]],
  ['9×15 → 3×5 (3×3 windows)', 2, 9, 15, [3, 5]],
  ['15×10 → 3×2 (5×5 windows)', 2, 15, 10, [3, 2]],
  ['7×5 → 3×2 (the tables: overlapping windows)', 2, 7, 5, [3, 2]],
  ['1×1 → 6×6 (the tables: AlexNet\'s pool at 64×64 inputs)', 3, 1, 1, [6, 6]],
  ['13×6 → 6×4 (the tables)', 2, 13, 6, [6, 4]],
];

describe.each(adaptive)('adaptive_avgpool2d %s', (_, c, h, w, out) => {
  const node = { kind: 'adaptive_avgpool2d', name: 'pool', inShapes: [[c, h, w]], outShape: [c, out[0], out[1]] } as unknown as AdaptivePool2dNode;
  bitsAgree(node, emitAdaptivePool2d, c, h, w, out[0], out[1], true);
});

describe.each(adaptive)('adaptive_maxpool2d %s', (_, c, h, w, out) => {
  const node = { kind: 'adaptive_maxpool2d', name: 'pool', inShapes: [[c, h, w]], outShape: [c, out[0], out[1]] } as unknown as AdaptivePool2dNode;
  // uniform windows are maxpool2d's, which leaves some small ones to its unrolled loop (maxpool-forward.test.ts)
  const kh = h / out[0], kw = w / out[1];
  const uniform = Number.isInteger(kh) && Number.isInteger(kw);
  bitsAgree(node, emitAdaptivePool2d, c, h, w, out[0], out[1], !uniform || rt.maxpool2dInWasm({ c, h, w, ho: out[0], wo: out[1], kh, kw, sh: kh, sw: kw }));
});

/**
 * The emitted forward and backward run on ordinary arrays (the loops), then on arrays in wasm memory: the same bits.
 * `forwardInWasm`: whether the forward's runtime call takes them (it returns true); backward takes every geometry.
 */
function bitsAgree<T extends AvgPool2dNode | AdaptivePool2dNode>(node: T, emit: (node: T, o: EmitOptions) => LayerKernels, c: number, h: number, w: number, ho: number, wo: number, forwardInWasm: boolean): void {
  const max = node.kind === 'adaptive_maxpool2d';
  const plan: NodePlan = {
    node, comment: '', geometry: geometryOf(node), readers: [], fusedRelu: null, fusedInto: null, fusedIntoLoss: false, evalFold: null, evalFoldedInto: null,
    io: { node: node.name, x: null, xs: [null], y: `${node.name}_y`, dX: 'dX', dXs: ['dX'], accumulate: [], dY: `${node.name}_dY`, backward: true, alias: false },
  };
  const kernels = emit(node, { dtype: 'float32', plan, writesDX: true, writesDXs: [true], backward: true });
  const constant = kernels.constants!.text.match(/^const (\w+)/)![1]!;
  const geometry = (new Function('rt', `${kernels.constants!.text.replace(/^const (\w+)[^=]*=/, 'return ')}`))(rt) as unknown;
  const forward = (x: Float32Array, y: Float32Array, argmax: Int32Array, n: number): void =>
    new Function('rt', constant, 'n', 'x', 'y', 'argmax', kernels.forward.body)(rt, geometry, n, x, y, argmax);
  const backward = (dY: Float32Array, argmax: Int32Array, dX: Float32Array, n: number): void =>
    new Function('rt', constant, 'n', 'dY', 'argmax', 'dX', kernels.backward!.body)(rt, geometry, n, dY, argmax, dX);
  /** Whether the forward's runtime call ran (it fills y with something other than the 7s it was given). */
  const took = (x: Float32Array, argmax: Int32Array, n: number): boolean => {
    const y = rt.allocFloats(Float32Array, n * c * ho * wo).fill(7);
    const body = kernels.forward.body.split('\n')[0]!.replace(') return;', ') return true; return false;');
    return new Function('rt', constant, 'n', 'x', 'y', 'argmax', body)(rt, geometry, n, x, y, argmax) as boolean;
  };
  const n = 3, rng = new Rng(h * 31 + w);
  const x = values(rng, n * c * h * w), dY = values(rng, n * c * ho * wo);

  test('forward and backward: the loops\' bits on arrays in wasm memory', () => {
    const want = new Float32Array(n * c * ho * wo), wantArg = new Int32Array(want.length), wantDX = new Float32Array(x.length).fill(NaN);
    forward(x, want, wantArg, n);
    backward(dY, wantArg, wantDX, n);
    const xs = rt.allocFloats(Float32Array, x.length), y = rt.allocFloats(Float32Array, want.length), arg = rt.allocInt32(want.length);
    xs.set(x);
    expect(took(xs, arg, n)).toBe(forwardInWasm && rt.gemmBackend() === 'wasm');
    expect(took(x, new Int32Array(want.length), n)).toBe(false); // not every array in wasm memory
    y.fill(7);
    forward(xs, y, arg, n);
    let i = same(y, want);
    expect(i, `y[${i}] = ${y[i]}, the loop's ${want[i]}`).toBe(-1);
    if (max) expect(Array.from(arg)).toEqual(Array.from(wantArg));
    const dYs = rt.allocFloats(Float32Array, dY.length), dX = rt.allocFloats(Float32Array, x.length);
    dYs.set(dY);
    dX.fill(NaN);
    backward(dYs, arg, dX, n);
    i = same(dX, wantDX);
    expect(i, `dX[${i}] = ${dX[i]}, the loop's ${wantDX[i]}`).toBe(-1);
  });
}

// avgpool2d's unrolled body (every window inside the input) as emitted, run on ordinary arrays (its JavaScript
// loops) and on arrays in wasm memory (the runtime's kernels it calls first, runtime/wasm/maxpool.ts): the same
// bits forward and backward, overlapping windows included, over values of many magnitudes with NaN, ±∞ and ±0.
// Geometries the kernels do not take (a column stride over 2, fewer than four outputs a row) return false forward
// and the loop runs; backward takes every inside geometry.
import { describe, expect, test } from 'vitest';
import type { AvgPool2dNode } from '../../compiler/ir/types.js';
import type { NodePlan } from '../../compiler/ir/plan.js';
import { emitAvgPool2d } from '../../compiler/5-codegen/layers/pool2d.js';
import { geometryOf } from '../../compiler/4-passes/geometry.js';
import { poolOut } from '../../compiler/3-lower/layers/pool.js';
import * as rt from 'cnnc/runtime';
import { Rng } from 'cnnc/runtime';

type Pair = readonly [number, number];

const cases: [string, number, number, number, Pair, Pair, boolean][] = [
  ['2×2 stride 2 on 28×28 (LeNet-5\'s first pool)', 3, 28, 28, [2, 2], [2, 2], true],
  ['2×2 stride 2 on 10×11 (5 a row: the last group at wo − 4)', 2, 10, 11, [2, 2], [2, 2], true],
  ['3×3 stride 1 on 6×9 (overlapping)', 2, 6, 9, [3, 3], [1, 1], true],
  ['3×3 stride 2 on 9×13 (overlapping)', 2, 9, 13, [3, 3], [2, 2], true],
  ['4×4 stride 2×1 on 8×10', 2, 8, 10, [4, 4], [2, 1], true],
  ['2×2 stride 3 on 8×14 (no kernel forward: the loop)', 2, 8, 14, [2, 2], [3, 3], false],
  ['2×2 stride 2 on 6×6 (3 a row: the loop forward)', 2, 6, 6, [2, 2], [2, 2], false],
];

function values(rng: Rng, count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => {
    const u = rng.nextFloat();
    return i % 97 === 5 ? NaN : i % 89 === 7 ? -Infinity : i % 13 === 3 ? -0 : u < 0.5 ? rng.uniform(-1, 1) * 2 ** Math.floor(rng.uniform(-20, 20)) : Math.floor(rng.uniform(-4, 4));
  });
}

const same = (got: Float32Array, want: Float32Array): number => Array.from(got).findIndex((v, i) => !Object.is(v, want[i]));

describe.each(cases)('avgpool2d %s', (_, c, h, w, kernel, stride, forwardInWasm) => {
  const ho = poolOut(h, kernel[0], stride[0], 0, false), wo = poolOut(w, kernel[1], stride[1], 0, false);
  const node = { kind: 'avgpool2d', name: 'pool', inShapes: [[c, h, w]], outShape: [c, ho, wo], kernel, stride, padding: [0, 0], ceilMode: false, countIncludePad: true } as unknown as AvgPool2dNode;
  const plan: NodePlan = {
    node, comment: '', geometry: geometryOf(node), readers: [], fusedRelu: null, fusedInto: null, fusedIntoLoss: false, evalFold: null, evalFoldedInto: null,
    io: { node: node.name, x: null, xs: [null], y: `${node.name}_y`, dX: 'dX', dXs: ['dX'], accumulate: [], dY: `${node.name}_dY`, backward: true, alias: false },
  };
  const kernels = emitAvgPool2d(node, { dtype: 'float32', plan, writesDX: true, writesDXs: [true], backward: true });
  const geometry = (new Function('rt', `${kernels.constants!.text.replace(/^const (\w+)[^=]*=/, 'return ')}`))(rt) as rt.Pool2dGeometry;
  const forward = (x: Float32Array, y: Float32Array, n: number): void => new Function('rt', 'pool_geometry', 'n', 'x', 'y', kernels.forward.body)(rt, geometry, n, x, y);
  const backward = (dY: Float32Array, dX: Float32Array, n: number): void => new Function('rt', 'pool_geometry', 'n', 'dY', 'dX', kernels.backward!.body)(rt, geometry, n, dY, dX);
  const n = 3, rng = new Rng(h * 31 + w);
  const x = values(rng, n * c * h * w), dY = values(rng, n * c * ho * wo);

  test('forward and backward: the loops\' bits on arrays in wasm memory', () => {
    const want = new Float32Array(n * c * ho * wo), wantDX = new Float32Array(x.length).fill(NaN);
    forward(x, want, n);
    backward(dY, wantDX, n);
    const xs = rt.allocFloats(Float32Array, x.length), y = rt.allocFloats(Float32Array, want.length);
    xs.set(x);
    expect(rt.avgpool2dForward(geometry, n, xs, y)).toBe(forwardInWasm && rt.gemmBackend() === 'wasm');
    y.fill(7);
    forward(xs, y, n);
    let i = same(y, want);
    expect(i, `y[${i}] = ${y[i]}, the loop's ${want[i]}`).toBe(-1);
    const dYs = rt.allocFloats(Float32Array, dY.length), dX = rt.allocFloats(Float32Array, x.length);
    dYs.set(dY);
    dX.fill(NaN);
    expect(rt.avgpool2dBackward(geometry, n, dYs, new Float32Array(x.length))).toBe(false); // not every array in wasm memory
    backward(dYs, dX, n);
    i = same(dX, wantDX);
    expect(i, `dX[${i}] = ${dX[i]}, the loop's ${wantDX[i]}`).toBe(-1);
  });
});

// The wasm kernels of the activations with a piecewise-linear `fast` rule (leaky_relu, relu6, hardtanh: compiler/ir/
// activations.ts) against the loop a float32 module runs where they do not: that loop is built here from
// the rule's own formulas, with the constants rounded to float32 as the emitter prints them, and the two
// must give the same bits (Object.is: -0, NaN) over specials, values at the kinks, every tail length, in
// place and not; nothing past `count` is written. Arrays outside wasm memory, or Float64Array: false.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ACTIVATIONS, ACTIVATION_KINDS } from '../../compiler/ir/activations.js';
import type { ActivationNode } from '../../compiler/ir/types.js';
import * as rt from 'cnnc/runtime';
import { activationModule } from '../../runtime/wasm/elementwise-kernel.js';

type Kernel = (x: Float32Array, y: Float32Array, count: number, ...args: number[]) => boolean;
type KernelBackward = (x: Float32Array, dY: Float32Array, dX: Float32Array, count: number, ...args: number[]) => boolean;

const num = (v: number): string => String(Math.fround(v));
const SLOPES = [0.01, 0.2, -0.5];
// Every kind with a piecewise-linear fast kernel (runtime/wasm/relu.ts; tanh, sigmoid and silu have theirs in
// smooth-kernels.test.ts), with the attribute values it is tried at.
interface Case { readonly kind: string; readonly title: string; readonly node: ActivationNode }
const PIECEWISE = new Set(['leakyRelu', 'clamp']);
const CASES = ACTIVATION_KINDS.filter((k) => PIECEWISE.has((ACTIVATIONS[k].fast as ((n: never) => { kernel: string }) | undefined)?.({} as never).kernel ?? '')).flatMap((kind): unknown[] =>
  kind === 'leaky_relu' ? SLOPES.map((s) => ({ kind, title: `leaky_relu, slope ${s}`, node: { kind, negativeSlope: s } })) : [{ kind, title: kind, node: { kind } }]) as Case[];

function specials(count: number, seed: number): Float32Array {
  const fixed = [NaN, -0, 0, Infinity, -Infinity, 1e-40, -1e-40, -1, 1, 6, -6, 3, -3, 5.999999, 1.0000001, -0.9999999, 0.5, -0.5];
  const rng = new rt.Rng(seed);
  const a = rt.allocFloats(Float32Array, count + 3);
  for (let i = 0; i < count + 3; i++) a[i] = i < fixed.length ? fixed[(i + seed) % fixed.length]! : rng.uniform(-8, 8);
  return a;
}

/** The rule's forward and backward as the float32 module's loop computes them (float64 arithmetic, float32 stores). */
function ruleLoops(node: ActivationNode): { forward: (x: Float32Array, y: Float32Array, n: number) => void; backward: (v: Float32Array, dY: Float32Array, dX: Float32Array, n: number) => void } {
  const rule = ACTIVATIONS[node.kind] as unknown as (typeof ACTIVATIONS)['relu6'];
  const f = rule.forward('v', node as never, num);
  const b = rule.backward('g', 'v', node as never, num);
  return {
    forward: new Function('x', 'y', 'n', `for (let i = 0; i < n; i++) { const v = x[i]; y[i] = ${f}; }`) as never,
    backward: new Function('s', 'dY', 'dX', 'n', `for (let i = 0; i < n; i++) { const v = s[i]; const g = dY[i]; dX[i] = ${b}; }`) as never,
  };
}

describe('activation kernels: the bits of the rule', () => {
  let previous: rt.GemmBackend;
  beforeAll(() => { previous = rt.setGemmBackend('wasm'); });
  afterAll(() => { rt.setGemmBackend(previous); });

  test('their module validates, small enough for a browser main thread (under 4 KiB, beside the gemm module)', () => {
    for (const shared of [false, true]) {
      const bytes = activationModule(shared ? { shared, pages: 1, maxPages: 65536 } : { shared, pages: 1 });
      expect(WebAssembly.validate(bytes)).toBe(true);
      expect(bytes.length).toBeLessThan(4096);
    }
  });

  test('every kind with a piecewise-linear fast kernel is covered', () => {
    expect(CASES.map((c) => c.kind).filter((k, i, a) => a.indexOf(k) === i).sort()).toEqual(['hardtanh', 'leaky_relu', 'relu6']);
  });

  describe.each(CASES)('$title', ({ node }) => {
    const fast = ACTIVATIONS[node.kind].fast!(node as never);
    const forward = (rt as unknown as Record<string, Kernel>)[fast.kernel]!;
    const backward = (rt as unknown as Record<string, KernelBackward>)[`${fast.kernel}Backward`]!;
    const ref = ruleLoops(node);

    test.each([1, 3, 4, 7, 18, 1001])('count %i: forward and backward as the loop, nothing past count', (count) => {
      const x = specials(count, count);
      const y = rt.allocFloats(Float32Array, count + 3).fill(7);
      const want = new Float32Array(count + 3).fill(7);
      expect(forward(x, y, count, ...fast.args)).toBe(true);
      ref.forward(x, want, count);
      for (let i = 0; i < count + 3; i++) expect(Object.is(y[i], want[i]), `y[${i}] of x ${x[i]}: ${y[i]} vs ${want[i]}`).toBe(true);

      const dY = specials(count, count + 5);
      const dX = rt.allocFloats(Float32Array, count + 3).fill(7);
      const wantDX = new Float32Array(count + 3).fill(7);
      expect(backward(x, dY, dX, count, ...fast.args)).toBe(true);
      ref.backward(x, dY, wantDX, count);
      for (let i = 0; i < count + 3; i++) expect(Object.is(dX[i], wantDX[i]), `dX[${i}] at x ${x[i]}, dY ${dY[i]}`).toBe(true);
    });

    test('in place: y = x, dX = dY', () => {
      const x = specials(50, 2);
      const want = new Float32Array(50);
      ref.forward(x, want, 50);
      const dY = specials(50, 9);
      const wantDX = new Float32Array(50);
      ref.backward(x, dY, wantDX, 50);
      expect(backward(x, dY, dY, 50, ...fast.args)).toBe(true);
      expect(forward(x, x, 50, ...fast.args)).toBe(true);
      expect(Array.from(x.subarray(0, 50))).toEqual(Array.from(want));
      expect(Array.from(dY.subarray(0, 50))).toEqual(Array.from(wantDX));
    });

    test('false (nothing written) outside wasm memory, for Float64Array and with the JS gemm', () => {
      const plain = new Float32Array(8).fill(7);
      expect(forward(specials(8, 1), plain, 8, ...fast.args)).toBe(false);
      expect(Array.from(plain)).toEqual(Array(8).fill(7));
      expect((forward as unknown as (a: Float64Array, b: Float64Array, n: number, ...r: number[]) => boolean)(new Float64Array(8), new Float64Array(8), 8, ...fast.args)).toBe(false);
      rt.setGemmBackend('js');
      try {
        expect(forward(specials(8, 1), rt.allocFloats(Float32Array, 8), 8, ...fast.args)).toBe(false);
      } finally {
        rt.setGemmBackend('wasm');
      }
    });
  });
});

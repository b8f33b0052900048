// The wasm kernels of hardswish and hardsigmoid (forward and backward) and silu's backward
// (runtime/wasm/exact-kernel.ts) against the loop a float32 module runs where they do not: the loop is
// built here from the rule's own formulas (compiler/ir/activations.ts), float64 arithmetic rounded once to
// float32, Math.exp for silu. The kernels must give the loop's bits exactly (Object.is, so ±0 apart and any
// NaN for a NaN) over the kinks, exp's branch points, specials, wide ranges and random bit patterns; every
// tail length, in place and not; nothing past `count` is written; Float64Array or arrays outside wasm
// memory: false, nothing written.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ACTIVATIONS } from '../../compiler/ir/activations.js';
import type { ActivationKind, ActivationNode } from '../../compiler/ir/types.js';
import * as rt from 'cnnc/runtime';
import { constants, exactModule, exp } from '../../runtime/wasm/exact-kernel.js';
import { encodeModule, FunctionBuilder, ValType, type Local } from '../../runtime/wasm/encoder.js';

/** exp(p, q, pairs): q = the kernels' exp of p, float64 in and out, two at a time (a test-only module). */
function expKernel(): (x: Float64Array) => Float64Array {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const f = new FunctionBuilder('exp', [ValType.i32, ValType.i32, ValType.i32]);
  const [p, q, pairs] = f.params as Local<ValType.i32>[];
  const k = constants(f, 1, (g, [a], kk) => { exp(g, a!, kk); });
  const a = f.local(ValType.v128);
  f.block(() => f.loop(() => {
    f.get(pairs!).i32Eqz().brIf(1);
    f.get(p!).v128Load(0).set(a);
    f.get(q!);
    exp(f, a, k);
    f.v128Store(0);
    f.addTo(p!, 16).addTo(q!, 16).get(pairs!).i32Const(1).i32Sub().set(pairs!).br(0);
  }));
  const bytes = encodeModule([f], { shared: false, pages: 256 });
  const run = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports['exp'] as (p: number, q: number, n: number) => void;
  return (x) => {
    const n = x.length >> 1, heap = new Float64Array(memory.buffer);
    heap.set(x, 0);
    run(0, 8 * x.length, n);
    return heap.slice(x.length, 2 * x.length);
  };
}

type Kernel = (...args: (Float32Array | number)[]) => boolean;
const kernels = rt as unknown as Record<string, (...args: (Float32Array | number)[]) => boolean>;
const num = (v: number): string => String(Math.fround(v));

/** The rule's forward or backward loop as the float32 module runs it. */
function ruleLoop(kind: ActivationKind, pass: 'forward' | 'backward'): (...args: (Float32Array | number)[]) => void {
  const node = { kind } as ActivationNode;
  const rule = ACTIVATIONS[kind] as unknown as (typeof ACTIVATIONS)['silu'];
  return pass === 'forward'
    ? new Function('x', 'y', 'n', `for (let i = 0; i < n; i++) { const v = x[i]; y[i] = ${rule.forward('v', node as never, num)}; }`) as never
    : new Function('s', 'dY', 'dX', 'n', `for (let i = 0; i < n; i++) { const v = s[i]; const g = dY[i]; dX[i] = ${rule.backward('g', 'v', node as never, num)}; }`) as never;
}

const f32 = (v: number): number => Math.fround(v);
const next = (v: number, by: number): number => {
  const b = new Float32Array([v]), i = new Int32Array(b.buffer);
  i[0]! += by;
  return b[0]!;
};
const LN2 = Math.LN2;
// the kinks (±3), exp's branch points (ln2/2, 1.5·ln2, 2^−28, 1, o/u thresholds) as −x, with their neighbours
const EDGES = [-3, 3, -6, 6, 0, -1, 1, LN2 / 2, 1.5 * LN2, 2 ** -28, 709.78, 745.13, 708.4, 700, 87.3, 103.9, 20, 0.5]
  .flatMap((v) => [v, -v]).flatMap((v) => [f32(v), next(f32(v), 1), next(f32(v), -1)]);
const SPECIALS = [NaN, -0, 0, Infinity, -Infinity, 1e-40, -1e-40, 1e-20, -1e-20, 3.4e38, -3.4e38, ...EDGES];

/** count + 3 floats in wasm memory: the specials first, then by `mode` uniform in ±range or random bit patterns. */
function inputs(count: number, seed: number, range: number | 'bits'): Float32Array {
  const rng = new rt.Rng(seed);
  const a = rt.allocFloats(Float32Array, count + 3);
  const bits = new Int32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < count + 3; i++) {
    if (i < SPECIALS.length) a[i] = SPECIALS[(i + seed) % SPECIALS.length]!;
    else if (range === 'bits') bits[i] = rng.nextUint32() | 0;
    else a[i] = rng.uniform(-range, range);
  }
  return a;
}

/** The first element where got and want differ (Object.is), or null. */
function firstDifference(got: Float32Array, want: Float32Array, operand: Float32Array): string | null {
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) return `[${i}] at x = ${operand[i]}: ${got[i]}, the loop ${want[i]}`;
  return null;
}

const CASES: [ActivationKind, 'forward' | 'backward', string][] = [
  ['hardswish', 'forward', 'hardswish'], ['hardswish', 'backward', 'hardswishBackward'],
  ['hardsigmoid', 'forward', 'hardsigmoid'], ['hardsigmoid', 'backward', 'hardsigmoidBackward'],
  ['silu', 'backward', 'siluBackward'],
];

describe('exact activation kernels: hardswish, hardsigmoid, silu backward', () => {
  let previous: rt.GemmBackend;
  beforeAll(() => { previous = rt.setGemmBackend('wasm'); });
  afterAll(() => { rt.setGemmBackend(previous); });

  test('their module validates, small enough for a browser main thread (under 4 KiB)', () => {
    for (const shared of [false, true]) {
      const bytes = exactModule(shared ? { shared, pages: 1, maxPages: 65536 } : { shared, pages: 1 });
      expect(WebAssembly.validate(bytes)).toBe(true);
      expect(bytes.length).toBeLessThan(4096);
    }
  });

  test('their exp is Math.exp bit for bit (fdlibm), over its branch points, specials and 2^20 float64s', () => {
    const rng = new rt.Rng(5);
    const edges = [0.5 * Math.LN2, 1.5 * Math.LN2, 2 ** -28, 1, 709.782712893384, -745.1332191019411, 709.5, -708.5, -744.5, 0.3, 700, -700]
      .flatMap((v) => [v, -v]).flatMap((v) => [v, v * (1 + 2 ** -52), v * (1 - 2 ** -53)]);
    const x = new Float64Array(2 ** 20);
    const words = new Uint32Array(x.buffer);
    for (let i = 0; i < x.length; i++) {
      if (i < edges.length) x[i] = edges[i]!;
      else if (i < edges.length + 12) x[i] = [NaN, Infinity, -Infinity, 0, -0, 5e-324, -5e-324, 1e-300, -1e-300, 1e300, -1e300, 2 ** -1074][i - edges.length]!;
      else if (i % 3 === 0) { words[2 * i] = rng.nextUint32(); words[2 * i + 1] = rng.nextUint32(); } // any float64
      else x[i] = (rng.nextDouble() - 0.5) * (i % 3 === 1 ? 1500 : 8);
    }
    const got = expKernel()(x);
    let first: string | null = null;
    for (let i = 0; i < x.length && first === null; i++) if (!Object.is(got[i], Math.exp(x[i]!))) first = `exp(${x[i]}): ${got[i]}, Math.exp ${Math.exp(x[i]!)}`;
    expect(first).toBeNull();
  });

  test('the rules name these kernels, backward included', () => {
    for (const kind of ['hardswish', 'hardsigmoid', 'silu'] as const) {
      const fast = ACTIVATIONS[kind].fast!({} as never);
      expect(fast.backward).not.toBe(false);
      expect(typeof kernels[`${fast.kernel}Backward`]).toBe('function');
    }
  });

  describe.each(CASES)('%s %s (rt.%s)', (kind, pass, name) => {
    const loop = ruleLoop(kind, pass);
    const kernel = kernels[name] as unknown as Kernel;
    const run = (operands: Float32Array[], out: Float32Array, count: number, f: (...a: (Float32Array | number)[]) => unknown): unknown => f(...operands, out, count);

    test.each([[1, 8], [2, 8], [3, 8], [7, 1], [18, 30], [1001, 8], [4099, 800], [100003, 'bits' as const]])('count %i, inputs %s: the loop\'s bits, nothing past count', (count, range) => {
      const x = inputs(count, count, range);
      const operands = pass === 'forward' ? [x] : [x, inputs(count, count + 7, 4)];
      const got = rt.allocFloats(Float32Array, count + 3).fill(7);
      const want = new Float32Array(count + 3).fill(7);
      expect(run(operands, got, count, kernel)).toBe(true);
      run(operands, want, count, loop);
      expect(firstDifference(got, want, x)).toBeNull();
    });

    test('in place (y = x, dX = dY), the same as out of place', () => {
      const x = inputs(51, 3, 6);
      const other = pass === 'forward' ? [] : [inputs(51, 4, 2)];
      const out = rt.allocFloats(Float32Array, 54);
      expect(run([x, ...other], out, 51, kernel)).toBe(true);
      const target = pass === 'forward' ? x : other[0]!;
      expect(run([x, ...other], target, 51, kernel)).toBe(true);
      expect(Array.from(target.subarray(0, 51))).toEqual(Array.from(out.subarray(0, 51)));
    });

    test('false (nothing written) outside wasm memory, for Float64Array and with the JS gemm', () => {
      const operands = pass === 'forward' ? [inputs(8, 1, 2)] : [inputs(8, 1, 2), inputs(8, 2, 2)];
      const plain = new Float32Array(8).fill(7);
      expect(run(operands, plain, 8, kernel)).toBe(false);
      expect(Array.from(plain)).toEqual(Array(8).fill(7));
      expect(run(operands.map(() => new Float64Array(8) as unknown as Float32Array), new Float64Array(8) as unknown as Float32Array, 8, kernel)).toBe(false);
      rt.setGemmBackend('js');
      try {
        expect(run(operands, rt.allocFloats(Float32Array, 8), 8, kernel)).toBe(false);
      } finally {
        rt.setGemmBackend('wasm');
      }
    });
  });
});

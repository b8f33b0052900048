// The wasm kernels of tanh, sigmoid and silu (runtime/wasm/smooth-kernel.ts) against the loop a float32
// module runs where they do not: the loop is built here from the rule's own formulas (compiler/ir/
// activations.ts), float64 arithmetic rounded once to float32. Forward is an approximation and must stay
// within its stated units in the last place (tanh 1, sigmoid 2, silu 3) over specials, wide ranges and a dense sweep
// of float32 values (one bit pattern in 61 up to ±120: the random ranges never met silu's 3),
// and give ±0, ±1, NaN where the loop does; backward must give the loop's bits exactly. Every tail length,
// in place and not; nothing past `count` is written. Arrays outside wasm memory, or Float64Array: false.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ACTIVATIONS, ACTIVATION_KINDS } from '../../compiler/ir/activations.js';
import type { ActivationNode } from '../../compiler/ir/types.js';
import * as rt from 'cnnc/runtime';
import { smoothModule } from '../../runtime/wasm/smooth-kernel.js';
import { yieldToWorker } from '../worker.js';

type Kernel = (x: Float32Array, y: Float32Array, count: number) => boolean;
type KernelBackward = (s: Float32Array, dY: Float32Array, dX: Float32Array, count: number) => boolean;
const kernels = rt as unknown as Record<string, Kernel & KernelBackward>;

const num = (v: number): string => String(Math.fround(v));
const SMOOTH = ['tanh', 'sigmoid', 'silu'];
const ULPS: Record<string, number> = { tanh: 1, sigmoid: 2, silu: 3 };
const KINDS = ACTIVATION_KINDS.filter((k) => SMOOTH.includes(ACTIVATIONS[k].fast?.({} as never).kernel ?? ''));

/** The rule's forward and backward as the float32 module's loop computes them. */
function ruleLoops(kind: string): { forward: (x: Float32Array, y: Float32Array, n: number) => void; backward: (v: Float32Array, dY: Float32Array, dX: Float32Array, n: number) => void } {
  const node = { kind } as ActivationNode;
  const rule = ACTIVATIONS[node.kind] as unknown as (typeof ACTIVATIONS)['tanh'];
  const f = rule.forward('v', node as never, num);
  const b = rule.backward('g', 'v', node as never, num);
  return {
    forward: new Function('x', 'y', 'n', `for (let i = 0; i < n; i++) { const v = x[i]; y[i] = ${f}; }`) as never,
    backward: new Function('s', 'dY', 'dX', 'n', `for (let i = 0; i < n; i++) { const v = s[i]; const g = dY[i]; dX[i] = ${b}; }`) as never,
  };
}

/** A float32's bits (as an int32) mapped to an integer line on which adjacent floats are 1 apart (±0 both at 0). */
const ordered = (v: number): number => (v < 0 ? -(v & 0x7fffffff) : v);

/** The distance of two float32 values in units in the last place (0 for two NaNs; ±0 are 0 apart). */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const i = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(ordered(i[0]!) - ordered(i[1]!));
}

const SPECIALS = [NaN, -0, 0, Infinity, -Infinity, 1e-40, -1e-40, 1e-20, -1e-20, 0.625, -0.625, 0.62499994, 9.5, -9.5, 20, -20,
  88, -88, -87.5, -100, -103.9, -104, -110, 1e30, -1e30, 1, -1, 0.5, -0.5];

function inputs(count: number, seed: number, range: number): Float32Array {
  const rng = new rt.Rng(seed);
  const a = rt.allocFloats(Float32Array, count + 3);
  for (let i = 0; i < count + 3; i++) a[i] = i < SPECIALS.length ? SPECIALS[(i + seed) % SPECIALS.length]! : rng.uniform(-range, range);
  return a;
}

describe('smooth activation kernels: tanh, sigmoid, silu', () => {
  let previous: rt.GemmBackend;
  beforeAll(() => { previous = rt.setGemmBackend('wasm'); });
  afterAll(() => { rt.setGemmBackend(previous); });

  test('their module validates, small enough for a browser main thread (under 4 KiB, beside the gemm module)', () => {
    for (const shared of [false, true]) {
      const bytes = smoothModule(shared ? { shared, pages: 1, maxPages: 65536 } : { shared, pages: 1 });
      expect(WebAssembly.validate(bytes)).toBe(true);
      expect(bytes.length).toBeLessThan(4096);
    }
  });

  test('tanh, sigmoid and silu have these kernels (silu\'s backward is exact-kernel.ts\'s, tested there too)', () => {
    expect([...KINDS].sort()).toEqual(['sigmoid', 'silu', 'tanh']);
  });

  describe.each(KINDS)('%s', (kind) => {
    const ref = ruleLoops(kind);
    const forward = kernels[kind]!;
    const backward = kernels[`${kind}Backward`];

    test.each([[1, 8], [3, 8], [4, 8], [7, 1], [18, 30], [1001, 8], [4099, 120]])(`count %i, inputs in ±%i: forward within ${ULPS[kind]} ulp of the loop, nothing past count`, (count, range) => {
      const x = inputs(count, count, range);
      const y = rt.allocFloats(Float32Array, count + 3).fill(7);
      const want = new Float32Array(count + 3).fill(7);
      expect(forward(x, y, count)).toBe(true);
      ref.forward(x, want, count);
      let worst = 0, at = '';
      for (let i = 0; i < count; i++) {
        const w = want[i]!, g = y[i]!;
        // silu below x = −87.3, where exp(x) is a denormal with few bits, is held to an absolute 2^−140 instead
        const d = kind === 'silu' && x[i]! < -87.3 ? (ulps(g, w) === 0 || Math.abs(g - w) <= 2 ** -140 ? 0 : Infinity) : ulps(g, w);
        if (d > worst) [worst, at] = [d, `${kind}(${x[i]}) = ${g}, the loop ${w}`];
        if (w === 0 || w === 1 || w === -1 || !Number.isFinite(w)) expect(Object.is(g, w), `${kind}(${x[i]}): ${g}, the loop ${w}`).toBe(true);
      }
      expect(worst, at).toBeLessThanOrEqual(ULPS[kind]!);
      for (let i = count; i < count + 3; i++) expect(y[i]).toBe(7);
    });

    test(`every 61st float32 bit pattern of magnitude below 120, either sign: forward within ${ULPS[kind]} ulp of the loop`, async () => {
      const chunk = 1 << 20, top = 0x42f00000; // 120's bits
      const x = rt.allocFloats(Float32Array, chunk), y = rt.allocFloats(Float32Array, chunk);
      const bits = new Uint32Array(x.buffer, x.byteOffset, chunk), got = new Int32Array(y.buffer, y.byteOffset, chunk);
      const want = new Float32Array(chunk), wanted = new Int32Array(want.buffer);
      // ulps() on the bits directly (it allocates per call; no NaN comes out of a finite input here)
      let worst = 0, at = '', seen = 0;
      for (const sign of [0, 0x80000000]) {
        for (let b = 0; b < top;) {
          let n = 0;
          for (; n < chunk && b < top; n++, b += 61) bits[n] = (b | sign) >>> 0;
          expect(forward(x, y, n)).toBe(true);
          ref.forward(x, want, n);
          for (let i = 0; i < n; i++) {
            if (kind === 'silu' && x[i]! < -87.3) continue; // held to an absolute 2^−140 there (the test above)
            const d = Math.abs(ordered(got[i]!) - ordered(wanted[i]!));
            if (d > worst) [worst, at] = [d, `${kind}(${x[i]}) = ${y[i]}, the loop ${want[i]}`];
          }
          seen += n;
          await yieldToWorker(); // a second or so a chunk: vitest's worker must not wait
        }
      }
      expect(seen).toBeGreaterThan(36_000_000);
      expect(worst, at).toBeLessThanOrEqual(ULPS[kind]!);
    });

    test.runIf(backward !== undefined).each([1, 2, 3, 18, 1001])('count %i: backward gives the loop\'s bits, nothing past count', (count) => {
      const s = inputs(count, count + 1, 1);
      const dY = inputs(count, count + 2, 4);
      const dX = rt.allocFloats(Float32Array, count + 3).fill(7);
      const want = new Float32Array(count + 3).fill(7);
      expect(backward!(s, dY, dX, count)).toBe(true);
      ref.backward(s, dY, want, count);
      for (let i = 0; i < count + 3; i++) expect(Object.is(dX[i], want[i]), `dX[${i}] at saved ${s[i]}, dY ${dY[i]}: ${dX[i]} vs ${want[i]}`).toBe(true);
    });

    test('in place (y = x, dX = dY), the same as out of place', () => {
      const x = inputs(50, 3, 6);
      const y = rt.allocFloats(Float32Array, 50);
      expect(forward(x, y, 50)).toBe(true);
      expect(forward(x, x, 50)).toBe(true);
      expect(Array.from(x.subarray(0, 50))).toEqual(Array.from(y));
      if (backward !== undefined) {
        const dY = inputs(50, 4, 2);
        const dX = rt.allocFloats(Float32Array, 50);
        expect(backward(y, dY, dX, 50)).toBe(true);
        expect(backward(y, dY, dY, 50)).toBe(true);
        expect(Array.from(dY.subarray(0, 50))).toEqual(Array.from(dX));
      }
    });

    test('false (nothing written) outside wasm memory, for Float64Array and with the JS gemm', () => {
      const plain = new Float32Array(8).fill(7);
      expect(forward(inputs(8, 1, 2), plain, 8)).toBe(false);
      expect(Array.from(plain)).toEqual(Array(8).fill(7));
      expect((forward as unknown as (a: Float64Array, b: Float64Array, n: number) => boolean)(new Float64Array(8), new Float64Array(8), 8)).toBe(false);
      rt.setGemmBackend('js');
      try {
        expect(forward(inputs(8, 1, 2), rt.allocFloats(Float32Array, 8), 8)).toBe(false);
      } finally {
        rt.setGemmBackend('wasm');
      }
    });
  });
});

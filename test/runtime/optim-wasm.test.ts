// The wasm kernels of RMSprop, Adagrad, Adadelta and Adam(W) with amsgrad (runtime/wasm/optim-kernel.ts) against
// the JavaScript updates of runtime/optim-more.ts, which are torch.optim 1.13's bits (test/train/optim-more.test.ts
// runs torch's fixtures through both paths): the kernels' fma against fma32 on hard triples, then each optimizer on
// the same random float32 data through both paths, compared byte for byte after every step; last, that a generated
// float32 model's optimizer takes the wasm path (its parameters, gradients and slots live in wasm memory).
// Both fmas: the emulation in double, and relaxed_madd where this engine fuses it (cnnc/runtime/node lets Node 20
// have relaxed SIMD, as `cnnc train` does).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import 'cnnc/runtime/node';
import {
  ADADELTA_DEFAULTS, ADAGRAD_DEFAULTS, Adadelta, Adagrad, Adam, AdamW, RMSPROP_DEFAULTS, RMSprop, Rng, allocFloats, type OptParam,
} from 'cnnc/runtime';
import { fma32 } from '../../runtime/optim-more.js';
import { encodeModule, FunctionBuilder, ValType, type Local } from '../../runtime/wasm/encoder.js';
import { optimModule, type OptimKernel } from '../../runtime/wasm/optim-kernel.js';
import { elementLoops, maddIsFused, type Fma } from '../../runtime/wasm/optim-lanes.js';
import { optimFma, setOptimFma, wasmOptimUpdates } from '../../runtime/wasm/optim-more.js';
import { residentAt, wasmSgemm } from '../../runtime/wasm/sgemm.js';
import { kernelMadd } from '../../runtime/wasm/sgemm-kernel.js';
import { generateOrThrow, importGenerated, specYaml } from '../codegen/helpers.js';

const f = Math.fround;
/** x64 with FMA3 and arm64: V8's relaxed_madd is fused there. */
// After the runtime's relaxed SIMD decision (kernelMadd), which turns on Node 20's flag for it.
const FUSED = kernelMadd() === 'relaxed' && maddIsFused();
const FMAS: Fma[] = FUSED ? ['emulated', 'fused'] : ['emulated'];

test('the fma is chosen once: fused where relaxed_madd is (this machine: ' + (FUSED ? 'fused' : 'not fused') + ')', () => {
  expect(optimFma()).toBe(FUSED ? 'fused' : 'emulated');
});

test.each(['rmsprop', 'adagrad', 'adadelta', 'amsgrad'] as const)('the %s module validates and stays under the 4 KB a browser compiles on its main thread', (kind: OptimKernel) => {
  for (const how of FMAS) {
    const bytes = optimModule(kind, { shared: true, pages: 1, maxPages: 65536 }, how);
    expect(WebAssembly.validate(bytes), how).toBe(true);
    expect(bytes.length, how).toBeLessThan(4096);
  }
});

describe.each(FMAS)("the kernels' fma (optim-lanes.ts, %s) is fma32: a·b + c rounded once to float32", (how) => {
  /** out[i] = fma(a[i], b[i], c[i]) through the lanes' loops (four lanes, then the scalar tail). */
  function wasmFma(a: Float32Array, b: Float32Array, c: Float32Array): Float32Array {
    const w = wasmSgemm()!;
    const fn = new FunctionBuilder('fma', Array<ValType>(5).fill(ValType.i32));
    const [pA, pB, pC, pOut, n] = fn.params as [Local<ValType.i32>, Local<ValType.i32>, Local<ValType.i32>, Local<ValType.i32>, Local<ValType.i32>];
    elementLoops(fn, how, n, [pA, pB, pC, pOut], (W) => {
      const x = fn.local(W.type), y = fn.local(W.type), z = fn.local(W.type);
      return () => {
        for (const [l, p] of [[x, pA], [y, pB], [z, pC]] as const) { fn.get(p); W.load(); fn.set(l); }
        fn.get(pOut); W.fma(x, y, z); W.store();
      };
    });
    const bytes = encodeModule([fn], { shared: true, pages: 1, maxPages: 65536 });
    const run = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: w.memory } }).exports['fma'] as (...x: number[]) => void;
    const at = (x: Float32Array): number => 4 * residentAt(w, x);
    const copy = (x: Float32Array): Float32Array => { const r = allocFloats(Float32Array, x.length); r.set(x); return r; };
    const ra = copy(a), rb = copy(b), rc = copy(c), out = allocFloats(Float32Array, a.length);
    run(at(ra), at(rb), at(rc), at(out), a.length);
    return out;
  }

  /** Triples where a·b + c lands on or next to a float32 tie, and subnormal, zero, signed-zero and infinite cases. */
  function hardTriples(count: number): [Float32Array, Float32Array, Float32Array] {
    const rng = new Rng(17);
    const a = new Float32Array(count), b = new Float32Array(count), c = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const kind = i % 6;
      const x = f(rng.uniform(1, 2)), y = f(rng.uniform(-1, 1) * 2 ** Math.floor(rng.uniform(-20, 20)));
      if (kind === 0) {
        // c + a·b within a few ulps of 2^-24 of a tie: c = 1 + k·2^-23, a·b ≈ ±2^-24(1 ± 2^-n).
        a[i] = f(1 + 2 ** -23 * Math.floor(rng.uniform(0, 64)));
        b[i] = f((rng.uniform(0, 1) < 0.5 ? -1 : 1) * 2 ** -24 * (1 + (rng.uniform(0, 1) < 0.5 ? -1 : 1) * 2 ** -Math.floor(rng.uniform(1, 24))) / a[i]!);
        c[i] = f(1 + 2 ** -23 * Math.floor(rng.uniform(0, 1000)));
      } else if (kind === 1) {
        // a·b = exactly half an ulp of c (a tie the exact sum is on): c + a·b rounds to even.
        a[i] = f(2 ** Math.floor(rng.uniform(-10, 10)));
        c[i] = f(x * 2 ** Math.floor(rng.uniform(-5, 5)));
        const ulp = Math.abs(f(c[i]! * (1 + 2 ** -23)) - c[i]!);
        b[i] = f((rng.uniform(0, 1) < 0.5 ? -0.5 : 0.5) * ulp / a[i]!);
      } else if (kind === 2) {
        // Subnormal results and operands.
        a[i] = f(y * 2 ** -120); b[i] = f(x * 2 ** -10); c[i] = f(rng.uniform(-1, 1) * 2 ** -135);
      } else if (kind === 3) {
        // Cancellation: c ≈ −a·b.
        a[i] = x; b[i] = y; c[i] = f(-(a[i]! * b[i]!) * (1 + rng.uniform(-1, 1) * 2 ** -20));
      } else if (kind === 4) {
        a[i] = x; b[i] = y; c[i] = f(rng.uniform(-1, 1) * 2 ** Math.floor(rng.uniform(-30, 30)));
      } else {
        const special = [0, -0, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-45];
        a[i] = special[i % 8]!; b[i] = i % 12 < 6 ? y : special[(i >> 3) % 8]!; c[i] = i % 18 < 9 ? special[(i >> 6) % 8]! : x;
      }
    }
    return [a, b, c];
  }

  test('on 60003 hard triples (ties, near-ties, subnormals, ±0, ±∞, overflow), four lanes and the scalar tail', () => {
    const [a, b, c] = hardTriples(60003);
    const got = wasmFma(a, b, c);
    const bad: string[] = [];
    let ties = 0;
    for (let i = 0; i < a.length; i++) {
      const want = fma32(a[i]!, b[i]!, c[i]!);
      if (f(a[i]! * b[i]! + c[i]!) !== want) ties++; // the double sum rounded again: wrong on a tie
      if (!Object.is(got[i], want) && !(Number.isNaN(got[i]) && Number.isNaN(want))) bad.push(`fma(${a[i]}, ${b[i]}, ${c[i]}) = ${got[i]}, fma32 ${want}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    // The double sum rounded to float32 (an emulation without the tie correction) is wrong on many of them.
    expect(ties).toBeGreaterThan(500);
  });
});

/** Random float32 values over 60 binades with zeros, signed zeros and subnormals among them. */
function fillHard(x: Float32Array, rng: Rng, scale: number): void {
  for (let i = 0; i < x.length; i++) {
    const k = i % 37;
    x[i] = k === 0 ? 0 : k === 1 ? -0 : k === 2 ? f(rng.uniform(-1, 1) * 2 ** -140) : f(scale * rng.uniform(-1, 1) * 2 ** Math.floor(rng.uniform(-30, 4)));
  }
}

type Make = (p: OptParam[]) => { step(): void; getState(): { slots: ReadonlyArray<{ name: string; data: ArrayLike<number> }> } };

const CASES: [string, Make][] = [
  ['rmsprop (defaults)', (p) => new RMSprop(p, RMSPROP_DEFAULTS)],
  ['rmsprop weight decay', (p) => new RMSprop(p, { ...RMSPROP_DEFAULTS, weightDecay: 0.1, alpha: 0.9 })],
  ['rmsprop centered', (p) => new RMSprop(p, { ...RMSPROP_DEFAULTS, centered: true })],
  ['rmsprop momentum', (p) => new RMSprop(p, { ...RMSPROP_DEFAULTS, momentum: 0.9 })],
  ['rmsprop centered, momentum, weight decay', (p) => new RMSprop(p, { ...RMSPROP_DEFAULTS, centered: true, momentum: 0.8, weightDecay: 0.01, lr: 0.03 })],
  ['adagrad (defaults)', (p) => new Adagrad(p, ADAGRAD_DEFAULTS)],
  ['adagrad lr decay, weight decay, initial accumulator', (p) => new Adagrad(p, { ...ADAGRAD_DEFAULTS, lrDecay: 0.1, weightDecay: 0.05, initialAccumulatorValue: 0.1 })],
  ['adadelta (defaults)', (p) => new Adadelta(p, ADADELTA_DEFAULTS)],
  ['adadelta rho, weight decay', (p) => new Adadelta(p, { ...ADADELTA_DEFAULTS, rho: 0.5, weightDecay: 0.1, lr: 0.5 })],
  ['adam amsgrad', (p) => new Adam(p, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true })],
  ['adam amsgrad, L2 weight decay', (p) => new Adam(p, { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1, amsgrad: true })],
  ['adamw amsgrad', (p) => new AdamW(p, { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1, amsgrad: true })],
];

// Parameter sizes: a multiple of four, a tail of 1–3, a single element.
const SIZES = [64, 7, 1, 1027];
const STEPS = 6;

/** Bytes differ, except where both are NaN (whose payload JS does not keep). */
function byteDifferences(a: Float32Array, b: Float32Array): number[] {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const bad: number[] = [];
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) bad.push(i);
  return bad;
}

describe.each(FMAS.flatMap((how) => CASES.map(([name, make]) => [name, how, make] as const)))('%s (%s fma): the wasm kernel and the JavaScript give the same bytes', (_, how, make) => {
  let before: Fma;
  beforeAll(() => { before = optimFma(); setOptimFma(how); });
  afterAll(() => setOptimFma(before));
  test(`every parameter and slot after each of ${STEPS} steps, on random data with zeros, −0 and subnormals (sizes ${SIZES.join(', ')})`, () => {
    const setup = (inWasm: boolean) => {
      const rng = new Rng(5);
      const alloc = (n: number) => (inWasm ? allocFloats(Float32Array, n) : new Float32Array(n));
      const params: OptParam[] = SIZES.map((n, k) => {
        const data = alloc(n);
        fillHard(data, rng, 1);
        return { name: `p${k}`, data, grad: alloc(n) };
      });
      return { params, opt: make(params), rng: new Rng(99) };
    };
    const wasm = setup(true), js = setup(false);
    expect(residentAt(wasmSgemm()!, wasm.params[0]!.data as Float32Array)).toBeGreaterThanOrEqual(0);
    for (let t = 1; t <= STEPS; t++) {
      for (const run of [wasm, js]) for (const p of run.params) fillHard(p.grad as Float32Array, run.rng, 0.1);
      const before = wasmOptimUpdates.calls;
      wasm.opt.step();
      expect(wasmOptimUpdates.calls - before, 'one kernel call per parameter').toBe(SIZES.length);
      js.opt.step();
      expect(wasmOptimUpdates.calls - before, 'the ordinary arrays take the JavaScript').toBe(SIZES.length);
      wasm.params.forEach((p, k) => {
        const bad = byteDifferences(p.data as Float32Array, js.params[k]!.data as Float32Array);
        expect(bad.slice(0, 5).map((i) => `${p.name}[${i}]: wasm ${p.data[i]}, js ${js.params[k]!.data[i]}`), `step ${t}`).toEqual([]);
      });
      const slotsJs = js.opt.getState().slots;
      wasm.opt.getState().slots.forEach((s, k) => {
        expect(byteDifferences(s.data as Float32Array, slotsJs[k]!.data as Float32Array).length, `${s.name} at step ${t}`).toBe(0);
      });
    }
    // Most values are finite: the comparison is of numbers, not of NaNs.
    const finite = wasm.params.reduce((s, p) => s + Array.from(p.data).filter(Number.isFinite).length, 0);
    expect(finite).toBeGreaterThan(0.9 * SIZES.reduce((a, b) => a + b));
  });
});

// `cnnc train` runs the generated model's trainStep, whose optimizer gets the model's parameter views: on Node those
// live in wasm memory (rt.allocFloats), so the slots go there too and every parameter takes its kernel.
describe.each([
  ['adadelta', '{ kind: adadelta }'],
  ['rmsprop', '{ kind: rmsprop, lr: 0.01, momentum: 0.9, centered: true }'],
  ['adagrad', '{ kind: adagrad, lr: 0.01 }'],
  ['adam amsgrad', '{ kind: adam, lr: 0.001, amsgrad: true }'],
])('a generated float32 model with %s', (_, optimizer) => {
  test('trainStep updates every trainable parameter on the wasm kernel', async () => {
    const yaml = specYaml({
      name: 'Tiny', input: [1, 6, 6], optimizer,
      layers: ['{ kind: conv2d, out_channels: 3, kernel_size: 3 }', 'relu', 'flatten', '{ kind: linear, out_features: 5 }', 'log_softmax'],
      loss: '{ kind: nll }',
    });
    const m = (await importGenerated<Float32Array>(generateOrThrow(yaml, 'float32'))).createModel({ seed: 1 });
    const views = m.parameters();
    for (const v of views) expect(residentAt(wasmSgemm()!, v.data), v.name).toBeGreaterThanOrEqual(0);
    const x = new Float32Array(4 * 36).map((_, i) => Math.sin(i));
    const y = Int32Array.from([0, 1, 2, 3]);
    const before = { ...wasmOptimUpdates };
    const start = views.map((v) => Float32Array.from(v.data));
    m.trainStep(x, y, 4);
    const elements = views.reduce((s, v) => s + v.data.length, 0);
    expect(wasmOptimUpdates.calls - before.calls).toBe(views.length);
    expect(wasmOptimUpdates.elements - before.elements).toBe(elements);
    expect(views.some((v, k) => byteDifferences(v.data, start[k]!).length > 0)).toBe(true);
  });
});

// SGD's wasm kernel (runtime/wasm/sgd-kernel.ts) against its JavaScript update (optim.ts sgdUpdate, whose
// float64 arithmetic it repeats): the same random float32 parameters and gradients, once in wasm memory (the
// kernel runs) and once in ordinary Float32Arrays (the JavaScript runs), compared bit for bit after every
// step, over momentum, dampening, nesterov and weight decay, odd lengths and non-finite values.
import { describe, expect, test } from 'vitest';
import { Rng, Sgd, allocFloats, type OptParam } from 'cnnc/runtime';
import { sgdModule } from '../../runtime/wasm/sgd-kernel.js';
import { sgdInWasm } from '../../runtime/wasm/sgd.js';

interface Case { readonly title: string; readonly momentum: number; readonly dampening: number; readonly nesterov: boolean; readonly weightDecay: number }
const CASES: Case[] = [
  { title: 'plain', momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
  { title: 'weight decay, no momentum', momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.01 },
  { title: 'momentum', momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
  { title: 'momentum, dampening, weight decay', momentum: 0.8, dampening: 0.3, nesterov: false, weightDecay: 5e-4 },
  { title: 'nesterov, weight decay', momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 5e-4 },
];
const SIZES = [1, 2, 3, 17, 1001];

function params(where: 'wasm' | 'js', seed: number): OptParam[] {
  const rng = new Rng(seed);
  return SIZES.map((n, i) => {
    const make = (): Float32Array => (where === 'wasm' ? allocFloats(Float32Array, n) : new Float32Array(n));
    const data = make(), grad = make();
    for (let j = 0; j < n; j++) { data[j] = rng.uniform(-2, 2); grad[j] = rng.uniform(-1, 1); }
    if (n > 10) { data[3] = Infinity; grad[4] = NaN; data[5] = -0; grad[5] = -0; grad[6] = 1e-40; }
    return { name: `p${i}`, data, grad };
  });
}

function refreshGrads(ps: OptParam[], step: number): void {
  const rng = new Rng(100 + step);
  for (const p of ps) for (let j = 0; j < p.grad.length; j++) p.grad[j] = j === 4 && p.grad.length > 10 ? NaN : rng.uniform(-1, 1);
}

test('its module validates and stays under the 4 KB a browser compiles on its main thread', () => {
  for (const shared of [false, true]) {
    const bytes = sgdModule(shared ? { shared, pages: 1, maxPages: 65536 } : { shared, pages: 1 });
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(4096);
  }
});

test('the kernel runs where every array lives in wasm memory, and answers false (nothing done) elsewhere', () => {
  const hyper = allocFloats(Float32Array, 12);
  new Float64Array(hyper.buffer, hyper.byteOffset, 4).set([0.5, 0, 1, 0]);
  const p = allocFloats(Float32Array, 3).fill(1), g = allocFloats(Float32Array, 3).fill(2);
  expect(sgdInWasm(hyper, p, g, null, true, false)).toBe(true);
  expect(Array.from(p)).toEqual([0, 0, 0]); // 1 − 0.5·2
  const plain = new Float32Array(3).fill(1);
  expect(sgdInWasm(hyper, plain, g, null, true, false)).toBe(false);
  expect(Array.from(plain)).toEqual([1, 1, 1]);
  expect(sgdInWasm(new Float32Array(12), p, g, null, true, false)).toBe(false);
});

describe.each(CASES)('SGD, $title: the kernel gives the JavaScript\'s bits, step after step', (c) => {
  test('4 steps over lengths 1, 2, 3, 17, 1001 (NaN, ±∞, −0, denormal among them)', () => {
    const W = params('wasm', 7), J = params('js', 7);
    const opts = { lr: 0.05, momentum: c.momentum, dampening: c.dampening, nesterov: c.nesterov, weightDecay: c.weightDecay };
    const ow = new Sgd(W, opts), oj = new Sgd(J, opts);
    for (let step = 0; step < 4; step++) {
      ow.step();
      oj.step();
      for (let i = 0; i < SIZES.length; i++) {
        const a = new Uint32Array(W[i]!.data.buffer, W[i]!.data.byteOffset, SIZES[i]!), b = new Uint32Array((J[i]!.data as Float32Array).buffer, 0, SIZES[i]!);
        expect(Array.from(a), `step ${step + 1}, parameter ${i}`).toEqual(Array.from(b));
      }
      const sw = ow.getState(), sj = oj.getState();
      expect(sw.slots.map((s) => Array.from(s.data, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v)))).toEqual(
        sj.slots.map((s) => Array.from(s.data, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v))));
      refreshGrads(W, step);
      refreshGrads(J, step);
    }
  });
});

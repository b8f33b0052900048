// RMSprop, Adagrad, Adadelta and Adam/AdamW with amsgrad against torch.optim 1.13, bit for bit: the fixtures
// (tools/pytorch/make_optim_fixtures.py, test/fixtures/optim/more-*.json) hold two parameters' start values, 20 steps
// of gradients and the parameters after every step, in float64 and float32, and the state after the last step.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  ADADELTA_DEFAULTS, ADAGRAD_DEFAULTS, Adadelta, Adagrad, Adam, AdamW, RMSPROP_DEFAULTS, RMSprop, type OptParam,
} from '../../runtime/optim.js';
import { fma32, fma64, powCorrect } from '../../runtime/optim-more.js';
import { wasmOptimUpdates } from '../../runtime/wasm/optim-more.js';
import { allocFloats } from '../../runtime/wasm/resident.js';

const DIR = new URL('../fixtures/optim/', import.meta.url);

interface Run { initial: number[][]; grads: number[][][]; after: number[][][]; slots: Record<string, number[]>; step: number }
interface Fixture {
  kind: 'rmsprop' | 'adagrad' | 'adadelta' | 'adam' | 'adamw';
  args: Record<string, number | boolean | number[]>;
  params: { name: string; shape: number[] }[];
  steps: number;
  float64: Run;
  float32: Run;
}

/** torch's keyword arguments (defaults filled in as torch's) → cnnc's optimizer. */
function makeOptimizer(fx: Fixture, params: OptParam[]) {
  const a = fx.args as Record<string, never>;
  const pick = <T>(key: string, dflt: T): T => (key in a ? (a[key] as T) : dflt);
  switch (fx.kind) {
    case 'rmsprop': {
      const d = RMSPROP_DEFAULTS;
      return new RMSprop(params, { lr: pick('lr', d.lr), alpha: pick('alpha', d.alpha), eps: pick('eps', d.eps), weightDecay: pick('weight_decay', d.weightDecay), momentum: pick('momentum', d.momentum), centered: pick('centered', d.centered) });
    }
    case 'adagrad': {
      const d = ADAGRAD_DEFAULTS;
      return new Adagrad(params, { lr: pick('lr', d.lr), lrDecay: pick('lr_decay', d.lrDecay), weightDecay: pick('weight_decay', d.weightDecay), initialAccumulatorValue: pick('initial_accumulator_value', d.initialAccumulatorValue), eps: pick('eps', d.eps) });
    }
    case 'adadelta': {
      const d = ADADELTA_DEFAULTS;
      return new Adadelta(params, { lr: pick('lr', d.lr), rho: pick('rho', d.rho), eps: pick('eps', d.eps), weightDecay: pick('weight_decay', d.weightDecay) });
    }
    case 'adam':
    case 'adamw': {
      // torch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0 (Adam) / 1e-2 (AdamW).
      const o = { lr: pick('lr', 1e-3), betas: pick<[number, number]>('betas', [0.9, 0.999]), eps: pick('eps', 1e-8), weightDecay: pick('weight_decay', fx.kind === 'adam' ? 0 : 1e-2), amsgrad: pick('amsgrad', false) };
      return fx.kind === 'adam' ? new Adam(params, o) : new AdamW(params, o);
    }
  }
}

/** Indices where a and b differ as numbers (bit for bit for these finite values; -0 and 0 are told apart). */
function differences(actual: ArrayLike<number>, expected: readonly number[]): number[] {
  const bad: number[] = [];
  for (let i = 0; i < expected.length; i++) if (!Object.is(actual[i], expected[i])) bad.push(i);
  return bad;
}

const files = readdirSync(DIR).filter((f) => f.startsWith('more-') && f.endsWith('.json') && f !== 'more-pow.json').sort();

test('the fixtures are there (run tools/pytorch/make_optim_fixtures.py)', () => {
  expect(files.length).toBeGreaterThanOrEqual(13);
  const kinds = new Set(files.map((f) => (JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) as Fixture).kind));
  expect([...kinds].sort()).toEqual(['adadelta', 'adagrad', 'adam', 'adamw', 'rmsprop']);
});

type Where = 'float64' | 'float32' | 'float32 in wasm memory';
const cases = files.flatMap((f) => (['float64', 'float32', 'float32 in wasm memory'] as const).map((w) => [f, w] as [string, Where]));

describe.each(cases)('%s (%s) equals torch.optim bit for bit', (file, where) => {
  const fx = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as Fixture;
  const run = where === 'float64' ? fx.float64 : fx.float32;
  const alloc = (n: number) => (where === 'float64' ? new Float64Array(n) : where === 'float32' ? new Float32Array(n) : allocFloats(Float32Array, n));
  const params: OptParam[] = fx.params.map((p, k) => {
    const data = alloc(run.initial[k]!.length);
    data.set(run.initial[k]!);
    return { name: p.name, data, grad: alloc(data.length) };
  });
  const opt = makeOptimizer(fx, params);

  test('the inputs are as stored (float32 values exact)', () => {
    params.forEach((p, k) => expect(differences(p.data, run.initial[k]!)).toEqual([]));
  });

  test(`every parameter after each of the ${fx.steps} steps`, () => {
    for (let t = 0; t < fx.steps; t++) {
      params.forEach((p, k) => p.grad.set(run.grads[t]![k]!));
      const calls = wasmOptimUpdates.calls;
      opt.step();
      // Arrays in wasm memory take the wasm kernels (runtime/wasm/optim-kernel.ts), the others the JavaScript.
      expect(wasmOptimUpdates.calls - calls, 'parameters updated in wasm').toBe(where === 'float32 in wasm memory' ? params.length : 0);
      params.forEach((p, k) => {
        const bad = differences(p.data, run.after[t]![k]!);
        expect(bad.map((i) => `${p.name}[${i}]: ${p.data[i]} vs torch ${run.after[t]![k]![i]}`), `step ${t + 1}`).toEqual([]);
        // The step moved the parameter: an optimizer that does nothing cannot pass.
        const before = t === 0 ? run.initial[k]! : run.after[t - 1]![k]!;
        expect(differences(p.data, before).length, `${p.name} moved at step ${t + 1}`).toBeGreaterThan(0);
      });
    }
  });

  test('the state after the last step: step count, torch\'s slot names and values', () => {
    const state = opt.getState();
    expect(state.step).toBe(run.step);
    expect(state.slots.map((s) => s.name).sort()).toEqual(Object.keys(run.slots).sort());
    for (const s of state.slots) expect(differences(s.data, run.slots[s.name]!), s.name).toEqual([]);
  });
});

describe('bad arguments throw a RangeError naming the argument, as torch refuses them', () => {
  const params = (): OptParam[] => [{ name: 'w', data: new Float32Array(2), grad: new Float32Array(2) }];
  test.each([
    ['lr', () => new RMSprop(params(), { ...RMSPROP_DEFAULTS, lr: -1e-3 })],
    ['eps', () => new RMSprop(params(), { ...RMSPROP_DEFAULTS, eps: -1 })],
    ['alpha', () => new RMSprop(params(), { ...RMSPROP_DEFAULTS, alpha: -0.1 })],
    ['momentum', () => new RMSprop(params(), { ...RMSPROP_DEFAULTS, momentum: -0.9 })],
    ['weight_decay', () => new RMSprop(params(), { ...RMSPROP_DEFAULTS, weightDecay: -0.1 })],
    ['alpha', () => new RMSprop(params(), { ...RMSPROP_DEFAULTS, alpha: Number.NaN })],
    ['lr', () => new Adagrad(params(), { ...ADAGRAD_DEFAULTS, lr: -1 })],
    ['lr_decay', () => new Adagrad(params(), { ...ADAGRAD_DEFAULTS, lrDecay: -0.01 })],
    ['weight_decay', () => new Adagrad(params(), { ...ADAGRAD_DEFAULTS, weightDecay: -1 })],
    ['initial_accumulator_value', () => new Adagrad(params(), { ...ADAGRAD_DEFAULTS, initialAccumulatorValue: -0.1 })],
    ['eps', () => new Adagrad(params(), { ...ADAGRAD_DEFAULTS, eps: -1e-10 })],
    ['lr', () => new Adadelta(params(), { ...ADADELTA_DEFAULTS, lr: -1 })],
    ['rho', () => new Adadelta(params(), { ...ADADELTA_DEFAULTS, rho: 1.5 })],
    ['rho', () => new Adadelta(params(), { ...ADADELTA_DEFAULTS, rho: -0.1 })],
    ['eps', () => new Adadelta(params(), { ...ADADELTA_DEFAULTS, eps: -1e-6 })],
    ['weight_decay', () => new Adadelta(params(), { ...ADADELTA_DEFAULTS, weightDecay: -0.5 })],
    ['beta parameter at index 1', () => new Adam(params(), { lr: 1e-3, betas: [0.9, 1], eps: 1e-8, weightDecay: 0, amsgrad: true })],
  ] as const)('%s', (name, make) => {
    expect(make).toThrow(RangeError);
    expect(make).toThrow(name);
  });

  test('the edges torch accepts are accepted: rho 0 and 1, alpha 0, lr 0, eps 0', () => {
    expect(() => new Adadelta(params(), { ...ADADELTA_DEFAULTS, rho: 0 })).not.toThrow();
    expect(() => new Adadelta(params(), { ...ADADELTA_DEFAULTS, rho: 1 })).not.toThrow();
    expect(() => new RMSprop(params(), { ...RMSPROP_DEFAULTS, alpha: 0, lr: 0, eps: 0 })).not.toThrow();
  });
});

describe('slots as torch keeps them', () => {
  const params = (): OptParam[] => [{ name: 'w', data: new Float64Array(3), grad: new Float64Array(3) }];
  test('RMSprop: momentum_buffer only with momentum > 0, grad_avg only centered', () => {
    expect(new RMSprop(params(), RMSPROP_DEFAULTS).getState().slots.map((s) => s.name)).toEqual(['w.square_avg']);
    expect(new RMSprop(params(), { ...RMSPROP_DEFAULTS, momentum: 0.9, centered: true }).getState().slots.map((s) => s.name)).toEqual(['w.square_avg', 'w.momentum_buffer', 'w.grad_avg']);
  });
  test('Adagrad: sum starts at initial_accumulator_value', () => {
    const s = new Adagrad(params(), { ...ADAGRAD_DEFAULTS, initialAccumulatorValue: 0.25 }).getState();
    expect(s.slots.map((x) => [x.name, [...x.data]])).toEqual([['w.sum', [0.25, 0.25, 0.25]]]);
  });
  test('Adam: max_exp_avg_sq only with amsgrad; a state saved with amsgrad does not load without it', () => {
    const o = { lr: 1e-3, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0 };
    const ams = new Adam(params(), { ...o, amsgrad: true });
    expect(ams.getState().slots.map((s) => s.name)).toEqual(['w.exp_avg', 'w.exp_avg_sq', 'w.max_exp_avg_sq']);
    expect(new Adam(params(), o).getState().slots.map((s) => s.name)).toEqual(['w.exp_avg', 'w.exp_avg_sq']);
    expect(() => new Adam(params(), o).setState(ams.getState())).toThrow(/unexpected slot "w.max_exp_avg_sq"/);
  });
  test('a run resumed from getState/setState continues bit for bit (RMSprop centered, momentum)', () => {
    const make = () => {
      const p: OptParam[] = [{ name: 'w', data: Float32Array.from([0.5, -1, 2]), grad: new Float32Array(3) }];
      return { p, opt: new RMSprop(p, { ...RMSPROP_DEFAULTS, momentum: 0.9, centered: true }) };
    };
    const grads = [[0.1, -0.2, 0.3], [0.05, 0.4, -0.1], [-0.3, 0.2, 0.2], [0.01, -0.02, 0.5]];
    const a = make();
    for (const g of grads) { a.p[0]!.grad.set(g); a.opt.step(); }
    const b = make();
    for (const g of grads.slice(0, 2)) { b.p[0]!.grad.set(g); b.opt.step(); }
    const c = make();
    c.opt.setState(b.opt.getState());
    c.p[0]!.data.set(b.p[0]!.data);
    for (const g of grads.slice(2)) { c.p[0]!.grad.set(g); c.opt.step(); }
    expect([...c.p[0]!.data]).toEqual([...a.p[0]!.data]);
  });
});

describe('the exact arithmetic under the updates', () => {
  test('fma64 rounds a·b + c once: cases where a·b then + c rounds twice differently', () => {
    // (1 + 2^-27)(1 - 2^-27) = 1 - 2^-54 exactly: a·b rounds to 1, so a·b − 1 is 0 but the fused result is −2^-54.
    expect(fma64(1 + 2 ** -27, 1 - 2 ** -27, -1)).toBe(-(2 ** -54));
    expect(fma64(0.1, 10, -1)).toBe(5.551115123125783e-17);
    expect(fma64(3, 5, 7)).toBe(22);
  });
  test('fma32 rounds a·b + c once to float32, also where the double sum lands on a float32 tie', () => {
    const f = Math.fround;
    // a·b = 2^-24 − 2^-70; c + a·b lies just below the tie between 1 + 2^-23 and 1 + 2^-22. The double sum rounds
    // onto the tie (and then to even, 1 + 2^-22); fused, it is 1 + 2^-23.
    const a = f(1 + 2 ** -23), b = f(2 ** -24 * (1 - 2 ** -23)), c = f(1 + 2 ** -23);
    expect(f(a * b + c)).toBe(1 + 2 ** -22);
    expect(fma32(a, b, c)).toBe(1 + 2 ** -23);
    expect(fma32(-a, b, -c)).toBe(-(1 + 2 ** -23));
    expect(fma32(f(1 + 2 ** -12), f(1 - 2 ** -12), -1)).toBe(-(2 ** -24));
  });
  test('fma32 and fma64 equal a·b + c rounded once (exact integer arithmetic) on 20000 random triples each', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = (bits: number, spread: number) => {
      const x = (rand() * 2 - 1) * 2 ** Math.floor(rand() * spread - spread / 2);
      return bits === 24 ? Math.fround(x) : x;
    };
    for (const [bits, fma] of [[24, fma32], [53, fma64]] as const) {
      let bad = 0, differsFromUnfused = 0;
      for (let i = 0; i < 20000; i++) {
        const a = pick(bits, 20), b = pick(bits, 20), c = i % 2 === 0 ? pick(bits, 20) : (bits === 24 ? Math.fround(a * b * (1 + rand())) : a * b * (1 + rand()));
        const want = exactFma(a, b, c, bits);
        if (!Object.is(fma(a, b, c), want)) bad++;
        if (want !== (bits === 24 ? Math.fround(Math.fround(a * b) + c) : a * b + c)) differsFromUnfused++;
      }
      expect(bad, `${bits}-bit`).toBe(0);
      expect(differsFromUnfused, `${bits}-bit cases where fusing matters`).toBeGreaterThan(100);
    }
  });
  test('powCorrect is β^t correctly rounded where JavaScript\'s ** is not (0.9^4, as Python\'s pow returns it)', () => {
    expect(0.9 ** 4).toBe(0.6561000000000001); // one ulp above 0.9^4 correctly rounded
    expect(powCorrect(0.9, 4)).toBe(0.6561);
    expect(powCorrect(0.9, 1)).toBe(0.9);
    expect(powCorrect(0.999, 20)).toBe(0.9801888648295347);
  });
  test("Adam's bias correction 1 − β^t equals Python's (glibc pow) at steps 1..1000 and on to 30000, for 6 betas", () => {
    const fx = JSON.parse(readFileSync(new URL('more-pow.json', DIR), 'utf8')) as { steps: number[]; one_minus_pow: Record<string, number[]> };
    expect(Object.keys(fx.one_minus_pow).length).toBe(6);
    for (const [b, want] of Object.entries(fx.one_minus_pow)) {
      const bad = fx.steps.filter((t, k) => 1 - powCorrect(Number(b), t) !== want[k]);
      expect(bad, `beta ${b}`).toEqual([]);
    }
  });
});

/** a·b + c rounded once to `bits` significant bits, ties to even, in exact integer arithmetic (values of moderate
 *  exponent: each is an integer multiple of 2^-100, no subnormal result). */
function exactFma(a: number, b: number, c: number, bits: number): number {
  const K = 100;
  const big = (x: number) => BigInt(x * 2 ** K); // exact: x is a multiple of 2^-K and below 2^53·2^-K·2^K
  const s = big(a) * big(b) + big(c) * (1n << BigInt(K)); // (a·b + c)·2^(2K)
  if (s === 0n) return 0;
  const neg = s < 0n, m = neg ? -s : s;
  const shift = m.toString(2).length - bits;
  let q = shift > 0 ? m >> BigInt(shift) : m << BigInt(-shift);
  if (shift > 0) {
    const r = m - (q << BigInt(shift)), half = 1n << BigInt(shift - 1);
    if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
  }
  const v = Number(q) * 2 ** (shift - 2 * K);
  return neg ? -v : v;
}

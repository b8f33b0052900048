// Optimizer parity with PyTorch 1.13: the fixtures (test/fixtures/make_optim_fixtures.py) hold
// parameters, gradients and optimizer state of 3 steps of torch.optim.SGD / Adam / AdamW; cnnc's
// optimizers replay the same steps from the same start and must land on the same numbers.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Adam, AdamW, Sgd, allocFloats, decodeSafetensors, readTensor, type OptParam } from 'cnnc/runtime';
import { adamPrepare } from '../../runtime/wasm/adam.js';
import { CTRL } from '../../runtime/wasm/gemm-part.js';
import { wasmSgemm } from '../../runtime/wasm/sgemm.js';

const DIR = new URL('../fixtures/optim/', import.meta.url);
const STEPS = 3;
// float32 storage: PyTorch rounds every intermediate tensor, cnnc only the stored results.
const ABS = 1e-6;
const REL = 1e-5;

type Config =
  | { kind: 'sgd'; lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number }
  | { kind: 'adam' | 'adamw'; lr: number; betas: [number, number]; eps: number; weightDecay: number };

function loadFixture(file: string) {
  const bytes = new Uint8Array(readFileSync(new URL(file, DIR)));
  const { metadata, tensors } = decodeSafetensors(bytes);
  const tensor = (name: string): Float32Array => {
    const e = tensors.get(name);
    if (e === undefined) throw new Error(`${file}: no tensor ${name}`);
    return readTensor(bytes, e) as Float32Array;
  };
  return {
    config: JSON.parse(metadata.config!) as Config,
    lrs: JSON.parse(metadata.lrs!) as number[],
    params: JSON.parse(metadata.params!) as { name: string; shape: number[] }[],
    slotNames: [...tensors.keys()].filter((n) => /\.(exp_avg|exp_avg_sq|momentum_buffer)$/.test(n)),
    tensor,
  };
}

function makeOptimizer(c: Config, params: OptParam[]) {
  switch (c.kind) {
    case 'sgd': return new Sgd(params, c);
    case 'adam': return new Adam(params, c);
    case 'adamw': return new AdamW(params, c);
  }
}

/** Largest |a − b| and the worst ratio of |a − b| to the tolerance ABS + REL·|b|. */
function compare(actual: ArrayLike<number>, expected: ArrayLike<number>) {
  let maxAbs = 0, worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    maxAbs = Math.max(maxAbs, d);
    worst = Math.max(worst, d / (ABS + REL * Math.abs(expected[i]!)));
  }
  return { maxAbs, worst };
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.safetensors')).sort();

test('the fixtures are there (run test/fixtures/make_optim_fixtures.py)', () => {
  expect(files.length).toBeGreaterThanOrEqual(9);
});

// Ordinary arrays take the float64-per-element loop; arrays in wasm memory (a generated float32
// model's, rt.allocFloats) take Adam's float32 wasm kernel (SGD's loop either way).
const cases = files.flatMap((f) => [[f, 'ordinary arrays'], [f, 'arrays in wasm memory']] as const);

describe.each(cases)('%s (%s) matches torch.optim', (file, where) => {
  const fx = loadFixture(file);
  const alloc = (n: number): Float32Array => (where === 'ordinary arrays' ? new Float32Array(n) : allocFloats(Float32Array, n));
  const params: OptParam[] = fx.params.map((p) => {
    const initial = fx.tensor(`${p.name}.initial`);
    const data = alloc(initial.length);
    data.set(initial);
    return { name: p.name, data, grad: alloc(initial.length) };
  });
  const opt = makeOptimizer(fx.config, params);

  test.each(Array.from({ length: STEPS }, (_, i) => i + 1))('step %i: every parameter', (t) => {
    opt.lr = fx.lrs[t - 1]!;
    for (const p of params) p.grad.set(fx.tensor(`${p.name}.grad.step${t}`));
    opt.step();
    for (const p of params) {
      const expected = fx.tensor(`${p.name}.after.step${t}`);
      const { maxAbs, worst } = compare(p.data, expected);
      console.log(`${file} (${where}) step ${t} ${p.name}: max |Δ| ${maxAbs.toExponential(2)} (${(worst * 100).toFixed(1)}% of tolerance)`);
      expect(worst, `${p.name} after step ${t}`).toBeLessThanOrEqual(1);
      // The step moved the parameter: a no-op optimizer cannot pass.
      expect(compare(p.data, fx.tensor(`${p.name}.${t === 1 ? 'initial' : `after.step${t - 1}`}`)).maxAbs).toBeGreaterThan(0);
    }
  });

  test('state after the last step: step count and every slot', () => {
    const state = opt.getState();
    expect(state.step).toBe(STEPS);
    expect(state.slots.map((s) => s.name).sort()).toEqual([...fx.slotNames].sort());
    for (const s of state.slots) {
      const { maxAbs, worst } = compare(s.data, fx.tensor(s.name));
      console.log(`${file} ${s.name}: max |Δ| ${maxAbs.toExponential(2)}`);
      expect(worst, s.name).toBeLessThanOrEqual(1);
    }
  });
});

// The wasm kernel derives step t's scalars itself (no float crosses from JS), β^t by repeated
// squaring rather than pow(): the fixtures stop at step 3, so long runs are checked here against
// the float64 formula torch evaluates in Python, rounded to float32 as the kernel stores them.
describe("Adam's wasm scalars (adamPrepare) at long step counts", () => {
  const f32 = Math.fround;
  test.each([
    [1, false], [2, false], [7, false], [1000, false], [12345, true], [1 << 20, false], [3_000_001, true],
  ] as const)('step %i (decoupled %s): within one float32 ulp of the float64 formula', (t, decoupled) => {
    const lr = 3e-4, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, wd = 0.01;
    const hyperBlock = allocFloats(Float32Array, 12);
    new Float64Array(hyperBlock.buffer, hyperBlock.byteOffset, 6).set([lr, beta1, beta2, eps, wd, decoupled ? 1 : 0]);
    expect(adamPrepare(hyperBlock, t)).toBe(true);
    const s = wasmSgemm()!.f32.subarray(CTRL.adam, CTRL.adam + 9);
    const expected = [beta1, beta2, 1 - beta1, 1 - beta2, lr / (1 - beta1 ** t), Math.sqrt(1 - beta2 ** t), eps, decoupled ? 0 : wd, decoupled ? 1 - lr * wd : 1];
    for (let k = 0; k < 9; k++) {
      const want = f32(expected[k]!);
      const ulp = Math.max(Number.MIN_VALUE, Math.abs(f32(want * (1 + 2 ** -23)) - want));
      expect(Math.abs(s[k]! - want), `scalar ${k}`).toBeLessThanOrEqual(ulp);
    }
  });
});

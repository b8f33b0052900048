// The optimizers a spec names (issue 16: rmsprop, adagrad, adadelta, amsgrad on adam/adamw), end to end:
// cnnc builds the spec and trains it 5 steps in float64; PyTorch builds the same spec with
// tools/pytorch/spec_to_torch.py (build_model, build_loss, build_optimizer: the spec's optimizer keys as
// torch.optim's keyword arguments, so an option left out is torch's own default), loads cnnc's initial
// weights, and trains on the same batches. Every loss, parameter and optimizer state tensor must agree: this
// tests the spec's wiring (schema → lowering → generated constructor), not only the runtime class, which
// test/train/optim-more.test.ts compares with torch bit for bit. Runs PyTorch at test time; skips, saying
// why, where Debian's /usr/bin/python3 with torch and yaml is absent (CI installs them).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateOrThrow, importGenerated } from '../codegen/helpers.js';
import { pythonOutput, skipWithoutTorch } from '../torch.js';

const skip = skipWithoutTorch("test/reference/optimizers-torch.test.ts (cnnc's optimizers against torch.optim)");

const OPTIMIZERS = [
  '{ kind: rmsprop }',
  '{ kind: rmsprop, lr: 0.005, alpha: 0.9, eps: 1e-6, weight_decay: 0.01, momentum: 0.5, centered: true }',
  '{ kind: rmsprop, lr: 0.002, momentum: 0.9 }',
  '{ kind: adagrad }',
  '{ kind: adagrad, lr: 0.05, lr_decay: 0.1, weight_decay: 0.01, initial_accumulator_value: 0.1, eps: 1e-8 }',
  '{ kind: adadelta }',
  '{ kind: adadelta, lr: 0.5, rho: 0.8, eps: 1e-5, weight_decay: 0.01 }',
  // betas[1] 0.5: the running g² falls between steps, so amsgrad's maximum is not the running average itself.
  '{ kind: adam, lr: 0.01, betas: [0.9, 0.5], amsgrad: true }',
  '{ kind: adamw, lr: 0.01, betas: [0.8, 0.6], weight_decay: 0.1, amsgrad: true }',
] as const;

const specOf = (optimizer: string) => `cnnc: 1
name: OptNet
input: { shape: [2, 5, 5] }
layers:
  - { kind: conv2d, name: conv, out_channels: 3, kernel_size: 3 }
  - tanh
  - flatten
  - { kind: linear, name: fc, out_features: 4 }
loss: { kind: cross_entropy }
optimizer: ${optimizer}
`;
const N = 6;
const STEPS = 5;
const SAMPLE = 2 * 5 * 5;

/** Batch s of the run: inputs in [-1, 1) and labels in [0, 4), from a fixed LCG (the same numbers both sides). */
function batch(s: number): { x: number[]; y: number[] } {
  let r = (1234 + 977 * s) >>> 0;
  const next = () => ((r = (Math.imul(r, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return { x: Array.from({ length: N * SAMPLE }, () => next() * 2 - 1), y: Array.from({ length: N }, () => Math.floor(next() * 4)) };
}

// One Python process for every case: for each, the spec file, cnnc's initial weights and the batches in;
// the losses, the parameters and the optimizer's state (torch's state keys) after STEPS steps out.
const SCRIPT = String.raw`
import json, sys, torch
sys.path.insert(0, 'tools/pytorch')
from spec_to_torch import build_loss, build_model, build_optimizer, load_spec
torch.set_default_dtype(torch.float64)
out = []
for case in json.load(open(sys.argv[1])):
    spec = load_spec(case['spec'])
    model = build_model(spec).double()
    model.load_state_dict({k: torch.tensor(v['data']).reshape(v['shape']) for k, v in case['weights'].items()}, strict=True)
    loss_fn = build_loss(spec)
    opt = build_optimizer(spec, model.parameters())
    losses = []
    for b in case['batches']:
        x = torch.tensor(b['x']).reshape(-1, 2, 5, 5)
        opt.zero_grad()
        loss = loss_fn(model(x), torch.tensor(b['y']))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    names = {p: n for n, p in model.named_parameters()}
    state = {}
    for p, s in opt.state.items():
        for k, v in s.items():
            if k != 'step':
                state[names[p] + '.' + k] = v.flatten().tolist()
    out.append({'losses': losses, 'params': {n: p.detach().flatten().tolist() for n, p in model.named_parameters()}, 'state': state,
                'cls': type(opt).__name__, 'defaults': {k: v for k, v in opt.defaults.items() if isinstance(v, (int, float, bool, tuple, list))}})
print(json.dumps(out))
`;

interface TorchRun {
  readonly losses: number[];
  readonly params: Record<string, number[]>;
  readonly state: Record<string, number[]>;
  readonly cls: string;
}

/** Float64 on both sides, the same formulas: what differs is the order of sums (torch's conv and matmul
 *  blocking), a few ulps of each gradient, which 5 steps carry into the weights; rmsprop and adagrad divide
 *  by √(running g²) and so pass a gradient's relative error on to the step. 1e-9 of the tensor's largest
 *  magnitude is far above that and far below any wrong default, key or slot (errors of order 1e-3 or more). */
const RELATIVE = 1e-9;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; scale: number } {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return { diff, scale };
}

const dir = mkdtempSync(join(tmpdir(), 'cnnc-optim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skip)('a spec\'s optimizer trains as torch.optim does (float64, 5 steps, same weights and batches)', () => {
  const batches = Array.from({ length: STEPS }, (_, s) => batch(s));
  const runs = (async () => {
    const cases: { spec: string; weights: Record<string, { shape: readonly number[]; data: number[] }>; batches: typeof batches }[] = [];
    const models = [];
    for (const [i, optimizer] of OPTIMIZERS.entries()) {
      const spec = specOf(optimizer);
      const file = join(dir, `opt${i}.yaml`);
      writeFileSync(file, spec);
      const model = (await importGenerated<Float64Array>(generateOrThrow(spec, 'float64'))).createModel({ seed: 5 });
      const weights = Object.fromEntries(model.parameters().map((p) => [p.name, { shape: p.shape, data: Array.from(p.data) }]));
      cases.push({ spec: file, weights, batches });
      models.push(model);
    }
    const input = join(dir, 'cases.json');
    writeFileSync(input, JSON.stringify(cases));
    const torch = JSON.parse(await pythonOutput(['-c', SCRIPT, input])) as TorchRun[];
    return { models, torch, cases };
  })();

  it.each(OPTIMIZERS.map((o, i) => [o, i] as const))('%s', async (optimizer, i) => {
    const { models, torch, cases } = await runs;
    const model = models[i]!;
    const ref = torch[i]!;
    model.train();
    const losses = batches.map((b) => model.trainStep(Float64Array.from(b.x), Int32Array.from(b.y), N));
    const rows: { name: string; diff: number; scale: number }[] = [];
    rows.push({ name: 'losses', ...maxDiff(losses, ref.losses) });
    const params = model.parameters();
    expect(params.map((p) => p.name).sort()).toEqual(Object.keys(ref.params).sort());
    for (const p of params) rows.push({ name: p.name, ...maxDiff(p.data, ref.params[p.name]!) });
    // The same optimizer state, slot by slot: torch's state keys are cnnc's slot names.
    const slots = model.getTrainingState().slots;
    expect(slots.map((s) => s.name).sort()).toEqual(Object.keys(ref.state).sort());
    for (const s of slots) rows.push({ name: s.name, ...maxDiff(s.data, ref.state[s.name]!) });
    console.log(`${optimizer} (torch.optim.${ref.cls}), ${STEPS} steps\n${rows.map((r) => `  ${r.name.padEnd(26)} max |Δ| ${r.diff.toExponential(2)}  of scale ${r.scale.toExponential(2)}`).join('\n')}`);
    for (const r of rows) expect(r.diff, r.name).toBeLessThanOrEqual(RELATIVE * Math.max(r.scale, 1e-3));
    // The weights moved (by more than 1e-4 somewhere), so agreeing is not agreeing on a step of nothing.
    for (const p of params) expect(maxDiff(p.data, cases[i]!.weights[p.name]!.data).diff, p.name).toBeGreaterThan(1e-4);
    // amsgrad's maximum differs from the running average somewhere: the amsgrad path ran, on both sides.
    if (optimizer.includes('amsgrad')) {
      const pairs = slots.filter((s) => s.name.endsWith('.max_exp_avg_sq')).map((s) => [s, slots.find((v) => v.name === s.name.replace('max_exp_avg_sq', 'exp_avg_sq'))!] as const);
      expect(pairs.some(([m, v]) => maxDiff(m.data, v.data).diff > 0)).toBe(true);
    }
  });
});

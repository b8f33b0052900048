// `init:` against PyTorch 1.13 itself: tools/pytorch/spec_to_torch.py builds the spec and applies the same
// torch.nn.init calls (apply_init); the arguments torch then passes to Tensor.uniform_ / normal_ are recorded
// per parameter, and cnnc's literal rules must hold the very same doubles (toBe, not toBeCloseTo) — grouped
// and transposed convs, fan_in and fan_out, every calculate_gain nonlinearity. The draws differ (another
// generator); test/runtime/init-rules.test.ts checks their statistics. Skips where Debian's PyTorch is absent.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calculateGain } from '../../compiler/3-lower/init.js';
import type { Nonlinearity } from '../../compiler/spec/types.js';
import { ok } from '../lower/helpers.js';
import { PY, skipWithoutTorch } from '../torch.js';


const SPEC = `cnnc: 1
name: InitNet
input: { shape: [4, 9, 9] }
layers:
  - { kind: conv2d, name: c1, out_channels: 6, kernel_size: 3, init: { weight: kaiming_uniform, bias: { kind: normal, mean: 0.1, std: 0.5 } } }
  - { kind: conv2d, name: c2, out_channels: 8, kernel_size: [3, 2], groups: 2, init: { weight: { kind: kaiming_normal, mode: fan_out, nonlinearity: relu } } }
  - { kind: conv2d, name: c3, out_channels: 4, kernel_size: 1, groups: 4, init: { weight: { kind: kaiming_uniform, a: 0.2, mode: fan_out } } }
  - { kind: conv_transpose2d, name: t1, out_channels: 6, kernel_size: 2, stride: 2, groups: 2, init: { weight: xavier_uniform, bias: { kind: uniform, a: -0.3, b: 0.7 } } }
  - { kind: conv2d, name: c4, out_channels: 5, kernel_size: 3, init: { weight: { kind: xavier_normal, gain: tanh } } }
  - { kind: batchnorm2d, name: bn, init: { weight: { kind: normal, mean: 1, std: 0.02 } } }
  - flatten
  - { kind: linear, name: fc, out_features: 7, init: { weight: { kind: xavier_uniform, gain: { nonlinearity: leaky_relu, param: 0.3 } } } }
  - { kind: linear, name: fc2, out_features: 3, init: { weight: { kind: kaiming_normal, nonlinearity: selu } } }
  - { kind: linear, name: fc3, out_features: 2, init: { weight: { kind: kaiming_uniform, mode: fan_out, nonlinearity: tanh } } }
loss: { kind: cross_entropy }
optimizer: { kind: sgd, lr: 0.1 }
`;

const NONLINEARITIES: readonly Nonlinearity[] = ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'];
const SLOPES = [0, 0.01, 0.2, 0.3, 1, Math.sqrt(5)];

// Records the last uniform_/normal_ call on each parameter (reset_parameters() first, then apply_init's).
const SCRIPT = String.raw`
import json, sys, torch
sys.path.insert(0, 'tools/pytorch')
from spec_to_torch import build_model, load_spec
calls = {}
uniform, normal = torch.Tensor.uniform_, torch.Tensor.normal_
def rec(kind, f):
    def g(self, a, b, **kw):
        calls[id(self)] = [kind, a, b]
        return f(self, a, b, **kw)
    return g
torch.Tensor.uniform_, torch.Tensor.normal_ = rec('uniform', uniform), rec('normal', normal)
m = build_model(load_spec(sys.argv[1]))
params = {name: calls.get(id(p)) for name, p in m.named_parameters()}
nl = json.loads(sys.argv[2])
gains = {n: torch.nn.init.calculate_gain(n) for n in nl}
slopes = [torch.nn.init.calculate_gain('leaky_relu', s) for s in json.loads(sys.argv[3])]
print(json.dumps({'params': params, 'gains': gains, 'slopes': slopes}))
`;

const dir = mkdtempSync(join(tmpdir(), 'cnnc-init-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skipWithoutTorch('test/reference/init-torch.test.ts (init bounds against torch.nn.init)'))('init: the bounds and stds are the doubles torch.nn.init computes', () => {
  const file = join(dir, 'init.yaml');
  writeFileSync(file, SPEC);
  const torch = JSON.parse(execFileSync(PY, ['-c', SCRIPT, file, JSON.stringify(NONLINEARITIES), JSON.stringify(SLOPES)], { encoding: 'utf8' })) as {
    params: Record<string, [string, number, number] | null>;
    gains: Record<string, number>;
    slopes: number[];
  };

  it('calculate_gain: every nonlinearity, and leaky_relu over slopes', () => {
    for (const n of NONLINEARITIES) expect([n, calculateGain(n)]).toEqual([n, torch.gains[n]]);
    SLOPES.forEach((s, i) => expect([s, calculateGain('leaky_relu', s)]).toEqual([s, torch.slopes[i]]));
  });

  it('every parameter: uniform_(−bound, bound), uniform_(a, b) or normal_(mean, std) with the same doubles', () => {
    const ir = ok(SPEC);
    let checked = 0;
    for (const p of ir.nodes.flatMap((n) => n.params)) {
      const t = torch.params[p.name];
      if (t === undefined) continue; // a buffer: not a torch parameter
      const r = p.init;
      const ours = r.kind === 'uniform' ? ['uniform', -r.bound, r.bound]
        : r.kind === 'uniform_range' ? ['uniform', r.a, r.b]
          : r.kind === 'normal' ? ['normal', r.mean, r.std]
            : r.kind === 'ones' || r.kind === 'zeros' ? ['none'] // ones_ / zeros_: no draw
              : [r.kind];
      expect([p.name, ...ours]).toEqual([p.name, ...(t ?? ['none'])]);
      checked++;
    }
    expect(checked).toBe(18); // c1–c4, t1, bn, fc–fc3: weight and bias each
  });
});

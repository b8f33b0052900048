// A spec with `init:` end to end: the generated code holds each rule as a literal with its torch.nn.init call in a
// comment (and PyTorch's defaults without one), a fresh model's weights follow the rules, the gpu.js target draws
// the same weights from the same seed, and the model trains (cnnc train on a few hundred digits).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cnnc } from '../cli.js';
import { buildOrThrow, importGpujs } from '../gpujs/helpers.js';
import { generateOrThrow, importGenerated } from './helpers.js';

const SPEC = `cnnc: 1
name: InitNet
input: { shape: [2, 8, 8] }
layers:
  - { kind: conv2d, name: conv1, out_channels: 4, kernel_size: 3, bias: false, init: { weight: { kind: kaiming_normal, mode: fan_out, nonlinearity: relu } } }
  - { kind: batchnorm2d, name: bn1, init: { weight: zeros } }
  - relu
  - flatten
  - { kind: linear, name: fc1, out_features: 8, init: { weight: { kind: orthogonal, gain: relu }, bias: { kind: constant, val: 0.1 } } }
  - { kind: linear, name: fc2, out_features: 3, init: { weight: xavier_uniform, bias: zeros } }
loss: { kind: cross_entropy }
optimizer: { kind: sgd, lr: 0.1 }
`;

describe('init: generated code, weights and training', () => {
  it('the constructor holds literal rules, each with its torch.nn.init call; defaults stay as they were', () => {
    const code = generateOrThrow(SPEC);
    const lines = code.split('\n').filter((l) => l.includes('rt.initParameter(')).map((l) => l.trim());
    expect(lines).toEqual([
      "rt.initParameter(this.rng, this.conv1_W, { kind: 'normal', mean: 0, std: 0.23570226039551587 }); // init: torch.nn.init.kaiming_normal_(a=0, mode='fan_out', nonlinearity='relu')",
      "rt.initParameter(this.rng, this.bn1_W, { kind: 'zeros' }); // init: torch.nn.init.zeros_()",
      "rt.initParameter(this.rng, this.bn1_B, { kind: 'zeros' });",
      "rt.initParameter(this.rng, this.bn1_runningMean, { kind: 'zeros' });",
      "rt.initParameter(this.rng, this.bn1_runningVar, { kind: 'ones' });",
      "rt.initParameter(this.rng, this.bn1_numBatchesTracked, { kind: 'zeros' });",
      "rt.initParameter(this.rng, this.fc1_W, { kind: 'orthogonal', rows: 8, cols: 144, gain: 1.4142135623730951 }); // init: torch.nn.init.orthogonal_(gain=1.4142135623730951)",
      "rt.initParameter(this.rng, this.fc1_B, { kind: 'constant', val: 0.1 }); // init: torch.nn.init.constant_(val=0.1)",
      "rt.initParameter(this.rng, this.fc2_W, { kind: 'uniform', bound: 0.7385489458759964 }); // init: torch.nn.init.xavier_uniform_(gain=1)",
      "rt.initParameter(this.rng, this.fc2_B, { kind: 'zeros' }); // init: torch.nn.init.zeros_()",
    ]);
  });

  it("a fresh model's weights follow the rules, and the gpu.js target draws the same ones from the same seed", async () => {
    const ts = (await importGenerated<Float64Array>(generateOrThrow(SPEC, 'float64'))).createModel({ seed: 3 });
    const w = (name: string) => ts.parameters().find((p) => p.name === name)!.data;
    expect(Array.from(w('bn1.weight'))).toEqual([0, 0, 0, 0]);
    expect(Array.from(w('fc1.bias'))).toEqual(Array(8).fill(0.1));
    const fc1 = w('fc1.weight');
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) {
        let s = 0;
        for (let c = 0; c < 144; c++) s += fc1[i * 144 + c]! * fc1[j * 144 + c]!;
        expect(Math.abs(s - (i === j ? 2 : 0))).toBeLessThan(1e-12); // W·Wᵀ = gain²·I, gain √2
      }
    }
    expect(Math.max(...Array.from(w('fc2.weight'), Math.abs))).toBeLessThanOrEqual(0.7385489458759964);

    const a = (await importGenerated<Float32Array>(buildOrThrow(SPEC, 'ts'))).createModel({ seed: 3 });
    const b = (await importGpujs(buildOrThrow(SPEC, 'gpujs'))).createModel({ seed: 3 });
    for (const p of a.parameters()) {
      expect([p.name, Array.from(b.parameters().find((q) => q.name === p.name)!.data)]).toEqual([p.name, Array.from(p.data)]);
    }
  });

  it('cnnc train: a Keras-initialised tiny CNN learns the digits', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cnnc-init-'));
    const r = await cnnc('train', 'test/train/fixtures/tiny-init.yaml', '--out', out, '--limit', '400');
    expect(r.code).toBe(0);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number; test_accuracy: number });
    expect(metrics).toHaveLength(2);
    expect(metrics[1]!.test_accuracy).toBeGreaterThan(0.6); // chance is 0.1
  });
});

// The recipe's out-of-range arguments are schema errors (2-validate), positioned at the value, with the word a
// user needs: gamma ≤ 0, T_max 0, a key of another scheduler kind, a misspelt kind, a bad norm_type or monitor.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cnnc } from '../cli.js';

afterEach(() => vi.restoreAllMocks());

/** `cnnc check` of a small spec with `line` as its 10th line; the error lines it prints. */
async function check(line: string): Promise<string[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'cnnc-recipe-schema-')), 'r.yaml');
  writeFileSync(file, ['cnnc: 1', 'name: R', 'input: { shape: [1, 28, 28] }', 'layers:', '  - flatten', '  - { kind: linear, out_features: 10 }',
    'loss: { kind: cross_entropy }', 'optimizer: { kind: sgd, lr: 0.1 }', 'data: { source: mnist, val_split: 0.1 }', line, ''].join('\n'));
  const r = await cnnc('check', file);
  expect(r.code).toBe(1);
  return r.err.split('\n').filter((l) => /error|hint/.test(l) && !/^\d+ errors?$/.test(l)).map((l) => l.replace(file, 'r.yaml'));
}

describe('recipe arguments out of range: positioned schema errors', () => {
  it('gamma ≤ 0 and T_max 0', async () => {
    expect(await check('scheduler: { kind: step_lr, step_size: 1, gamma: 0 }')).toEqual(['r.yaml:10:50: error E0205: `gamma` must be > 0, got 0']);
    expect(await check('scheduler: { kind: cosine_annealing_lr, T_max: 0 }')).toEqual(['r.yaml:10:48: error E0205: `T_max` must be ≥ 1, got 0']);
  });

  it("a key of another kind lists the kind's own; a misspelt kind is suggested", async () => {
    expect(await check('scheduler: { kind: step_lr, step_size: 1, T_max: 9 }')).toEqual([
      'r.yaml:10:43: error E0201: unknown key `T_max` in the step_lr scheduler', '  hint: allowed here: `kind`, `step_size`, `gamma`, `interval`']);
    expect(await check('scheduler: { kind: cosine_anealing_lr, T_max: 3 }')).toEqual([
      'r.yaml:10:20: error E0202: unknown scheduler kind `cosine_anealing_lr`', '  hint: did you mean `cosine_annealing_lr`?']);
  });

  it('norm_type is a p ≥ 1 or inf; monitor one of the metrics', async () => {
    expect(await check('train: { clip_grad_norm: { max_norm: 1, norm_type: 0.5 } }')).toEqual(['r.yaml:10:52: error E0205: `norm_type` must be ≥ 1, got 0.5']);
    expect(await check('train: { clip_grad_norm: { max_norm: 1, norm_type: infinity } }')).toEqual(['r.yaml:10:52: error E0207: `norm_type` must be a number or `inf`, got `infinity`']);
    expect((await check('train: { early_stopping: { monitor: val_acc } }'))[1]).toBe('  hint: did you mean `val_accuracy`?');
  });
});

// The checkpoint verdict against reality: PyTorch 1.13 builds both sides of every fixture pair,
// saves the old weights and loads them into the new model. The tensors that load (checked by
// value), those refused for their size, the missing and the unexpected ones must be exactly what
// `cnnc diff` says. Skips where Debian's PyTorch or the PyTorch reference builder is absent.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDiff } from '../../bin/commands/diff.js';
import type { ModelDiff } from '../../compiler/diff/types.js';
import { PY, skipWithoutTorch } from '../torch.js';

const F = 'test/fixtures/diff';
const CASES = readdirSync(F).filter((c) => c !== 'invalid-new').sort();


function modelDiff(c: string): ModelDiff {
  let out = '';
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, cwd: process.cwd(), env: {} };
  expect(runDiff(`${F}/${c}/old.yaml`, `${F}/${c}/new.yaml`, { format: 'json' }, io)).toBe(0);
  return JSON.parse(out) as ModelDiff;
}

interface Torch { strict_ok: boolean; loaded: string[]; size_mismatch: string[]; missing: string[]; unexpected: string[] }

describe.skipIf(skipWithoutTorch('test/diff/checkpoint-reality.test.ts (the checkpoint verdict against load_state_dict)'))('checkpoint verdict vs PyTorch load_state_dict', () => {
  const args = CASES.flatMap((c) => [`${F}/${c}/old.yaml`, `${F}/${c}/new.yaml`]);
  const torch = JSON.parse(execFileSync(PY, ['test/diff/checkpoint_reality.py', ...args], { encoding: 'utf8' })) as Torch[];
  const sorted = (xs: readonly string[]) => [...xs].sort();

  CASES.forEach((c, i) => {
    it(`${c}: the tensors that load are exactly those the diff says`, () => {
      const t = torch[i]!;
      const { tensors, verdict } = modelDiff(c).checkpoint;
      expect(sorted(verdict.loaded)).toEqual(sorted(t.loaded));
      expect(sorted(tensors.filter((x) => x.status === 'reshaped').map((x) => x.name))).toEqual(sorted(t.size_mismatch));
      // Not loaded: what PyTorch reports missing once the size mismatches are dropped (added, renamed,
      // reshaped). Exception: BatchNorm's _load_from_state_dict fills in an absent num_batches_tracked
      // with 0 for old checkpoints instead of reporting it — the value it starts from anyway.
      const quietlyZeroed = verdict.notLoaded.filter((n) => n.endsWith('.num_batches_tracked') && !t.missing.includes(n));
      expect(sorted(verdict.notLoaded)).toEqual(sorted([...t.missing, ...quietlyZeroed]));
      // Left over: refused for size, or not in the new model (removed, old names of renamed).
      expect(sorted(verdict.unused)).toEqual(sorted([...new Set([...t.size_mismatch, ...t.unexpected])]));
      expect(verdict.kind === 'full').toBe(t.strict_ok);
    });
  });
});

// Debian's PyTorch at test time (python3-torch, with python3-yaml for the spec): the suites that check cnnc against
// PyTorch by running it ask here whether it can run, and skip with a line saying why where it cannot (CI installs
// both, so there they run). Shared by test/reference/ and test/diff/.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PY = '/usr/bin/python3';

let cached: string | null | undefined;

/** Why PyTorch cannot run here, or null where `PY` imports torch and yaml. */
export function torchMissing(): string | null {
  if (cached !== undefined) return cached;
  if (!existsSync(PY)) return (cached = `${PY} not found`);
  try {
    execFileSync(PY, ['-c', 'import torch, yaml'], { stdio: 'ignore' });
    return (cached = null);
  } catch {
    return (cached = `${PY} cannot import torch and yaml (Debian: apt install python3-torch python3-yaml)`);
  }
}

/** True where PyTorch is missing, having said on the console which suite skips and why. */
export function skipWithoutTorch(suite: string): boolean {
  const why = torchMissing();
  if (why !== null) console.warn(`SKIP ${suite}: ${why}`);
  return why !== null;
}

// Runs the cnnc command in-process (bin/main.ts `run`), as a user would type it, and captures what it
// printed: shared by the suites that drive the CLI.
import { vi } from 'vitest';
import { run } from '../bin/main.js';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** `cnnc ...args`: its exit code, standard output and standard error. */
export async function cnnc(...args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((t) => ((out += String(t)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((t) => ((err += String(t)), true));
  try {
    return { code: await run(['node', 'cnnc', ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

// Real processes (issue 14, items 4 and 5): a `cnnc train` killed with SIGKILL at random moments of
// its checkpoint and weights writes leaves each file either the old one or the new one, whole and
// loadable, never half of one; the next start (a resume) removes the dead writer's temp files and
// takes over its lock. And `cnnc train … | head -1` ends quietly when the pipe closes: exit 141, no
// EPIPE stack. These spawn bin/cnnc.js, so they run the built dist/ (npm test builds it first).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LOCK_FILE } from '../../bin/train/lock.js';
import { decodeSafetensors, readTensor } from '../../runtime/safetensors.js';
import { readCheckpointInfo } from '../../runtime/train/checkpoint.js';
import { cnnc } from '../cli.js';

const SPEC = 'test/train/fixtures/tiny.yaml';
const tmp = () => mkdtempSync(join(tmpdir(), 'cnnc-kill-'));

afterEach(() => vi.restoreAllMocks());

/** Every tensor of a safetensors file read back: a truncated or half-replaced file throws. */
function loadable(file: string): number {
  const bytes = new Uint8Array(readFileSync(file));
  const { tensors } = decodeSafetensors(bytes);
  for (const entry of tensors.values()) readTensor(bytes, entry);
  return tensors.size;
}

/**
 * Starts `cnnc ...args` and SIGKILLs it at the `nth` temp file it creates in `out` (each save writes
 * two, then renames them) plus `delayMs` — inside a write, between the two renames, or after.
 */
async function killDuringWrites(out: string, args: string[], nth: number, delayMs: number): Promise<{ pid: number; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, ['bin/cnnc.js', ...args, '--threads', '1'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
  let seen = 0;
  const watcher = watch(out, (_event, name) => {
    if (name !== null && name.endsWith('.tmp') && ++seen === nth) setTimeout(() => child.kill('SIGKILL'), delayMs);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000); // never left running
  try {
    return { pid: child.pid!, signal: await exited };
  } finally {
    watcher.close();
    clearTimeout(timer);
  }
}

describe('a cnnc train killed mid-write', () => {
  it('leaves whole files, and the next resume removes the dead writers\' temps and locks', async () => {
    const out = tmp();
    const rounds: string[] = [];
    const dead: number[] = [];
    // Three kills at random moments, then one more if no checkpoint has landed yet (the resume below
    // needs one). fs.watch reports each temp's creation, writes and rename: a fresh run's first 14
    // temp events (its lock, spec.yaml, model.ts, then the first weights and checkpoint) come before
    // checkpoint.safetensors exists, so a fresh round lands none about half the time; the extra
    // round kills past them.
    for (let round = 0; round < 3 || (round === 3 && !existsSync(join(out, 'checkpoint.safetensors'))); round++) {
      const nth = round < 3 ? 1 + Math.floor(Math.random() * 24) : 16 + Math.floor(Math.random() * 9);
      const delayMs = Math.floor(Math.random() * 4);
      const args = existsSync(join(out, 'checkpoint.safetensors'))
        ? ['train', SPEC, '--resume', out]
        : ['train', SPEC, '--out', out, '--limit', '64', '--epochs', '100000'];
      const { pid, signal } = await killDuringWrites(out, args, nth, delayMs);
      dead.push(pid);
      const left = readdirSync(out).filter((f) => f.endsWith('.tmp'));
      rounds.push(`round ${round}: killed at temp ${nth} + ${delayMs} ms (${signal}), left ${left.join(', ') || 'no temp'}`);
      expect(signal, rounds.join('\n')).toBe('SIGKILL');
      // Whatever the moment, each file is a whole one: the weights and the checkpoint read back.
      if (existsSync(join(out, 'model.safetensors'))) expect(loadable(join(out, 'model.safetensors')), rounds.join('\n')).toBeGreaterThan(0);
      if (existsSync(join(out, 'checkpoint.safetensors'))) {
        expect(loadable(join(out, 'checkpoint.safetensors')), rounds.join('\n')).toBeGreaterThan(0);
        readCheckpointInfo(new Uint8Array(readFileSync(join(out, 'checkpoint.safetensors'))), 'checkpoint');
      }
    }
    expect(existsSync(join(out, 'checkpoint.safetensors')), `no checkpoint after ${rounds.length} rounds\n${rounds.join('\n')}`).toBe(true);
    const cp = readCheckpointInfo(new Uint8Array(readFileSync(join(out, 'checkpoint.safetensors'))), 'checkpoint');
    const r = await cnnc('train', SPEC, '--resume', out, '--epochs', String(cp.position.epoch + 1));
    expect(r.code, `${r.err}\n${rounds.join('\n')}`).toBe(0);
    const temps = readdirSync(out).filter((f) => f.endsWith('.tmp'));
    expect(temps, rounds.join('\n')).toEqual([]);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    expect(loadable(join(out, 'model.safetensors'))).toBeGreaterThan(0);
    expect(dead.every((pid) => pid > 0)).toBe(true);
  }, 90_000);
});

describe('a closed pipe', () => {
  it('`cnnc train … | head -1` prints one line and exits 141: no EPIPE stack, no temp, no lock left', () => {
    const out = tmp();
    const r = spawnSync('bash', ['-c', `node bin/cnnc.js train ${SPEC} --out ${out} --limit 64 --epochs 3 --threads 1 2>"${out}/stderr" | head -1; echo "status \${PIPESTATUS[0]}"`], { encoding: 'utf8', timeout: 30_000 });
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^training TinyNet on mnist10k/);
    expect(lines[1]).toBe('status 141');
    // stderr holds the plain progress lines (not a terminal) and nothing else: no EPIPE, no stack
    const err = readFileSync(join(out, 'stderr'), 'utf8');
    for (const line of err.split('\n').filter((l) => l !== '')) expect(line).toMatch(/^epoch \d+\/3  step \d+\/2  loss /);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false); // process.exit(141) still releases the lock
    if (existsSync(join(out, 'checkpoint.safetensors'))) expect(loadable(join(out, 'checkpoint.safetensors'))).toBeGreaterThan(0);
  });
});

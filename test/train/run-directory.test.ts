// A run directory holds one run (issue 14, items 6 and 7): a second `cnnc train` into it is refused
// unless --resume or --force; --force leaves nothing of the old run; a lock keeps a second process
// off it (a dead holder's lock is taken over); a resume keeps the checkpoint's --limit and --data.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { LOCK_FILE, lockRunDirectory } from '../../bin/train/lock.js';
import { readCheckpointInfo } from '../../runtime/train/checkpoint.js';
import { cnnc } from '../cli.js';

const SPEC = 'test/train/fixtures/tiny.yaml';
const tmp = () => mkdtempSync(join(tmpdir(), 'cnnc-rundir-'));
const bytes = (dir: string, f: string) => new Uint8Array(readFileSync(join(dir, f)));
const children: ChildProcess[] = [];

afterEach(() => vi.restoreAllMocks());
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A process that stays alive until killed: a live PID that is not this one. */
function sleeper(): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  children.push(c);
  return c;
}

describe('a second cnnc train into a run directory', () => {
  it('is refused (exit 1, one line saying what to do) and the old run is untouched', async () => {
    const out = tmp();
    expect((await cnnc('train', SPEC, '--out', out, '--limit', '64', '--epochs', '1')).code).toBe(0);
    const before = ['model.safetensors', 'checkpoint.safetensors', 'metrics.jsonl'].map((f) => bytes(out, f));
    const r = await cnnc('train', SPEC, '--out', out, '--limit', '64', '--epochs', '1', '--seed', '5');
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe(
      `error: ${out} already holds a run (model.safetensors, checkpoint.safetensors, metrics.jsonl): ` +
        `continue it with --resume ${out}, replace it with --force, or train into another --out\n`,
    );
    expect(['model.safetensors', 'checkpoint.safetensors', 'metrics.jsonl'].map((f) => bytes(out, f))).toEqual(before);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('one marker is enough: a directory with only a metrics.jsonl is refused too', async () => {
    const out = tmp();
    writeFileSync(join(out, 'metrics.jsonl'), '{"epoch":1}\n');
    const r = await cnnc('train', SPEC, '--out', out, '--limit', '64', '--epochs', '1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/already holds a run \(metrics\.jsonl\)/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe('{"epoch":1}\n');
  });

  it('--force replaces the run: no metrics.jsonl, steps.jsonl or report.svg of the old run survives', async () => {
    const out = tmp();
    expect((await cnnc('train', SPEC, '--out', out, '--limit', '64', '--epochs', '2')).code).toBe(0);
    for (const f of ['metrics.jsonl', 'steps.jsonl', 'report.svg']) expect(existsSync(join(out, f))).toBe(true);
    // The new run stops before its first epoch ends, so it writes none of the three itself.
    const r = await cnnc('train', SPEC, '--out', out, '--limit', '64', '--epochs', '2', '--force', '--max-steps', '1');
    expect(r.code, r.err).toBe(0);
    for (const f of ['metrics.jsonl', 'steps.jsonl', 'report.svg']) expect(existsSync(join(out, f)), f).toBe(false);
    const cp = readCheckpointInfo(bytes(out, 'checkpoint.safetensors'), 'cp');
    expect(cp.position.globalStep).toBe(1);
    expect(cp.metrics).toEqual([]);
  });

  it('--force with --resume is refused: one starts over, the other continues', async () => {
    const r = await cnnc('train', SPEC, '--resume', tmp(), '--force');
    expect(r).toMatchObject({ code: 1, err: 'error: --force starts the run over and --resume continues it: give one of them\n' });
  });

  it('--resume into another --out that holds a run is refused', async () => {
    const a = tmp();
    const b = tmp();
    expect((await cnnc('train', SPEC, '--out', a, '--limit', '64', '--max-steps', '1')).code).toBe(0);
    expect((await cnnc('train', SPEC, '--out', b, '--limit', '64', '--max-steps', '1')).code).toBe(0);
    const r = await cnnc('train', SPEC, '--resume', a, '--out', b);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^error: ${b} already holds a run .*: resume into an empty --out, or leave --out off to continue in ${a}\\n$`));
  });
});

describe('the run directory lock', () => {
  it('a live process holding the lock: exit 1 naming the directory and its PID; the lock is left alone', async () => {
    const out = tmp();
    const holder = sleeper();
    writeFileSync(join(out, LOCK_FILE), `${holder.pid}\n`);
    const r = await cnnc('train', SPEC, '--out', out, '--limit', '64', '--epochs', '1', '--force');
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe(`error: ${out} is in use by another cnnc train (PID ${holder.pid}); wait for it to finish, stop it, or train into another --out\n`);
    expect(readFileSync(join(out, LOCK_FILE), 'utf8')).toBe(`${holder.pid}\n`);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(false);
    holder.kill('SIGKILL');
  });

  it("a dead process's lock is taken over, and the run removes its own lock when it ends", async () => {
    const out = tmp();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(out, LOCK_FILE), `${dead}\n`);
    const r = await cnnc('train', SPEC, '--out', out, '--limit', '64', '--epochs', '1');
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('a lock with garbage in it (no PID) is taken over', async () => {
    const out = tmp();
    writeFileSync(join(out, LOCK_FILE), '');
    expect((await cnnc('train', SPEC, '--out', out, '--limit', '64', '--max-steps', '1')).code).toBe(0);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('is removed when the run fails after taking it (a missing --data directory)', async () => {
    const out = tmp();
    const r = await cnnc('train', SPEC, '--out', out, '--data', join(out, 'nothing-here'));
    expect(r.code).toBe(1);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('a second lock in this process on the same directory is refused, however the path is spelled', () => {
    const out = tmp();
    const release = lockRunDirectory(out);
    try {
      expect(() => lockRunDirectory(relative(process.cwd(), out))).toThrow(`is in use by another cnnc train (PID ${process.pid})`);
      expect(() => lockRunDirectory(`${out}/.`)).toThrow(`(PID ${process.pid})`);
    } finally {
      release();
    }
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    lockRunDirectory(out)(); // free again
  });

  it('two real processes on one directory: the second is refused naming the first; Ctrl-C ends the first and frees it', async () => {
    const out = tmp();
    const first = spawn(process.execPath, ['bin/cnnc.js', 'train', SPEC, '--out', out, '--limit', '64', '--epochs', '100000', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(first);
    let stdout = '';
    first.stdout!.on('data', (d: Buffer) => (stdout += String(d)));
    first.stderr!.resume();
    const exited = new Promise<number | null>((done) => first.on('exit', (code) => done(code)));
    await until(() => stdout.includes('training TinyNet'));
    expect(readFileSync(join(out, LOCK_FILE), 'utf8')).toBe(`${first.pid}\n`);
    const second = await cnnc('train', SPEC, '--out', out, '--limit', '64', '--force');
    expect(second.code).toBe(1);
    expect(second.err).toBe(`error: ${out} is in use by another cnnc train (PID ${first.pid}); wait for it to finish, stop it, or train into another --out\n`);
    first.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 30_000);
});

describe('--resume keeps the data it was trained on (item 7)', () => {
  const out = tmp();

  it('continues on the checkpoint\'s --limit when none is given', async () => {
    expect((await cnnc('train', SPEC, '--out', out, '--limit', '64', '--epochs', '2', '--max-steps', '1')).code).toBe(0);
    expect(readCheckpointInfo(bytes(out, 'checkpoint.safetensors'), 'cp').settings.limit).toBe(64);
    const r = await cnnc('train', SPEC, '--resume', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^training TinyNet on mnist10k \(64 train, 64 test digits\)/);
    expect(r.out).toMatch(/^final test accuracy: \d+\.\d\d% \(64 test digits\)$/m);
  });

  it('a different --limit is refused, naming both values', async () => {
    const r = await cnnc('train', SPEC, '--resume', out, '--limit', '32');
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe("error: --limit 32 differs from the checkpoint's --limit 64: a resumed run keeps its data; start a new run to change it\n");
  });

  it('a --limit against a run on all the data is refused too', async () => {
    const all = tmp();
    expect((await cnnc('train', SPEC, '--out', all, '--max-steps', '1')).code).toBe(0);
    const r = await cnnc('train', SPEC, '--resume', all, '--limit', '64');
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: --limit 64 differs from the checkpoint's run on all the data (no --limit): a resumed run keeps its data; start a new run to change it\n");
  });

  it('a different --data is refused, naming both sources', async () => {
    const data = tmp();
    const r = await cnnc('train', SPEC, '--resume', out, '--data', data);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: --data ${data} (idx:${resolve(data)}) differs from the checkpoint's mnist10k: a resumed run keeps its data; start a new run to change it\n`);
  });
});

async function until(ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

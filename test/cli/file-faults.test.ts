// File-system faults in train and build (issue 14, items 1 and 4): one line naming the path and the
// cause, exit 1, no stack trace, no temp file left; stale temps of dead writers are removed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bin/main.js';
import { removeStaleTemps } from '../../runtime/node/atomic.js';

const SPEC = 'test/train/fixtures/tiny.yaml';
const dir = mkdtempSync(join(tmpdir(), 'cnnc-faults-'));

async function cnnc(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((t) => ((out += String(t)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((t) => ((err += String(t)), true));
  try {
    return { code: await run(['node', 'cnnc', ...args], {}), out, err };
  } finally {
    vi.restoreAllMocks();
  }
}
afterEach(() => vi.restoreAllMocks());

const temps = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

/** A tmpfs at `at` (root only, where mount is allowed); false where it cannot be mounted. */
function tmpfs(at: string, options: string): boolean {
  mkdirSync(at, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at]).status === 0;
}
const umount = (at: string) => spawnSync('umount', [at]);

describe('cnnc train: file-system faults', () => {
  it('--out naming a file: one line, exit 1', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, '');
    const r = await cnnc('train', SPEC, '--limit', '32', '--out', f);
    expect(r).toMatchObject({ code: 1, err: `error: cannot use ${f} as the run directory: it is a file, not a directory\n` });
  });

  it('a read-only file system is named as such (was ENOENT)', async (ctx) => {
    const at = join(dir, 'ro');
    if (!tmpfs(at, 'ro,size=64k')) return ctx.skip();
    try {
      const r = await cnnc('train', SPEC, '--limit', '32', '--out', join(at, 'run'));
      expect(r).toMatchObject({ code: 1, err: `error: cannot create the run directory ${join(at, 'run')}: read-only file system (EROFS)\n` });
    } finally {
      umount(at);
    }
  });

  it('a full disk on the first save: one line naming the file, no temp file, no half a pair', async (ctx) => {
    const at = join(dir, 'full');
    if (!tmpfs(at, 'size=32k')) return ctx.skip(); // spec.yaml, model.ts and the run's lock fit; the weights do not
    try {
      const r = await cnnc('train', SPEC, '--limit', '32', '--epochs', '1', '--out', join(at, 'run'));
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^error: cannot write \S+\/run\/(model|checkpoint)\.safetensors: no space left on the device \(ENOSPC\)\n$/);
      expect(temps(join(at, 'run'))).toEqual([]);
      expect(existsSync(join(at, 'run', 'checkpoint.safetensors'))).toBe(existsSync(join(at, 'run', 'model.safetensors')));
    } finally {
      umount(at);
    }
  });

  it('removes the temp files of a writer that was killed, and keeps a live one\'s', async () => {
    const out = join(dir, 'stale');
    mkdirSync(out);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(out, `.checkpoint.safetensors.${dead}.tmp`), 'half');
    writeFileSync(join(out, `.other.${process.ppid}.tmp`), 'live');
    const r = await cnnc('train', SPEC, '--limit', '32', '--epochs', '1', '--out', out);
    expect(r.code).toBe(0);
    expect(temps(out)).toEqual([`.other.${process.ppid}.tmp`]);
    expect(removeStaleTemps(out)).toEqual([]);
  });
});

describe('cnnc build: where it writes', () => {
  it('-o DIR: one line, exit 1, no orphan .tmp', async () => {
    const d = join(dir, 'outdir');
    mkdirSync(d);
    const r = await cnnc('build', SPEC, '-o', d);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`cnnc build: cannot write ${d}: it is a directory; give a file name, e.g. -o ${join(d, 'outdir.model.ts')}\n`);
    expect(readdirSync(d)).toEqual([]);
  });

  it('--emit js: when the .d.ts cannot be written, the error names it and the .js is not replaced', async () => {
    const d = join(dir, 'pair');
    mkdirSync(join(d, 'm.d.ts'), { recursive: true });
    writeFileSync(join(d, 'm.js'), 'old');
    const r = await cnnc('build', SPEC, '--emit', 'js', '-o', join(d, 'm.js'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`cnnc build: cannot write ${join(d, 'm.d.ts')}: it is a directory; remove it or choose another -o\n`);
    expect(readFileSync(join(d, 'm.js'), 'utf8')).toBe('old');
    expect(temps(d)).toEqual([]);
  });

  it('-o - prints the module; a symlink to a device is written through, not replaced', async () => {
    const r = await cnnc('build', SPEC, '-o', '-');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\/\/ Generated by cnnc/);
    const link = join(dir, 'null-link');
    symlinkSync('/dev/null', link);
    expect((await cnnc('build', SPEC, '-o', link)).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});

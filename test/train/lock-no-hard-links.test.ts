// The run directory lock on a file system without hard links (FAT, some network mounts): link()
// fails with EPERM there, and the lock falls back to O_EXCL instead of failing every cnnc train.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const linkSync = (from: string, to: string): never => {
    const e: NodeJS.ErrnoException = new Error(`EPERM: operation not permitted, link '${from}' -> '${to}'`);
    e.code = 'EPERM';
    e.syscall = 'link';
    throw e;
  };
  return { ...fs, default: { ...fs, linkSync }, linkSync };
});

const { lockRunDirectory, LOCK_FILE } = await import('../../bin/train/lock.js');

describe('lockRunDirectory without hard links', () => {
  it('takes the lock with O_EXCL, refuses a second holder, and releases it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnc-nolink-'));
    const release = lockRunDirectory(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    expect(() => lockRunDirectory(dir)).toThrow(`${dir} is in use by another cnnc train (PID ${process.pid})`);
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("takes over a dead process's lock", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnc-nolink-'));
    writeFileSync(join(dir, LOCK_FILE), '2147483646\n'); // no such PID
    const release = lockRunDirectory(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    release();
  });
});

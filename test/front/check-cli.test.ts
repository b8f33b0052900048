// `cnnc check`: exit codes, where things are printed, --json, and no stack trace for a missing file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerCheck } from '../../bin/commands/check.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnc-check-'));
const GOOD = join(dir, 'good.yaml');
const BAD = join(dir, 'bad.yaml');
const WARN = join(dir, 'warn.yaml');
const spec = (layers: string, loss = 'nll') =>
  `cnnc: 1\nname: T\ninput: { shape: [1, 8, 8] }\nlayers:\n${layers}loss: { kind: ${loss} }\noptimizer: { kind: adam }\n`;
writeFileSync(GOOD, spec('  - flatten\n  - { kind: linear, out_features: 10 }\n  - log_softmax\n'));
writeFileSync(BAD, spec('  - flatten\n  - { kind: linear, out_features: 0 }\n'));
// nll after a layer that is not log_softmax: a lint (W06xx), not an error.
writeFileSync(WARN, spec('  - flatten\n  - { kind: linear, out_features: 10 }\n'));

async function cnnc(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const exit = { code: 0 };
  const program = new Command('cnnc').exitOverride().configureOutput({ writeErr: (s) => (err += s), writeOut: (s) => (out += s) });
  registerCheck(program, exit);
  try {
    await program.parseAsync(['node', 'cnnc', ...args]);
  } catch {
    exit.code = 2;
  }
  vi.restoreAllMocks();
  return { code: exit.code, out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('cnnc check', () => {
  it('exits 0 and says ok for a clean spec', async () => {
    const r = await cnnc('check', GOOD);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(`ok: ${GOOD} (3 layers)\n`);
  });

  it('exits 1 and prints positioned errors on stderr', async () => {
    const r = await cnnc('check', BAD);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${BAD}:6:35: error E0205: \`out_features\` must be ≥ 1, got 0`);
    expect(r.err).toMatch(/\n1 error\n$/);
  });

  it('exits 0 with warnings only, and counts them', async () => {
    const r = await cnnc('check', WARN);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning W06\d\d/);
    expect(r.out).toMatch(/^ok: .* \(2 layers, \d+ warnings?\)\n$/);
  });

  it('checks every file given and fails if any fails', async () => {
    const r = await cnnc('check', GOOD, BAD);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`ok: ${GOOD}`);
    expect(r.err).toContain(BAD);
  });

  it('says a missing file is missing, without a stack trace', async () => {
    const r = await cnnc('check', join(dir, 'nope.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`cnnc check: cannot read ${join(dir, 'nope.yaml')}: no such file\n`);
  });

  it('is a usage error (2) without a file', async () => {
    expect((await cnnc('check')).code).toBe(2);
  });

  it('--json prints one object per spec on stdout', async () => {
    const r = await cnnc('check', '--json', BAD, GOOD);
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    const [bad, good] = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(bad).toMatchObject({ file: BAD, ok: false, layers: null });
    expect(bad!['diagnostics']).toEqual([expect.objectContaining({ code: 'E0205', line: 6, col: 35, severity: 'error' })]);
    expect(good).toEqual({ file: GOOD, ok: true, layers: 3, diagnostics: [] });
  });
});

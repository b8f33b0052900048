// Exit codes (issue 14, item 9): a crash — an exception nobody expected — is a bug in cnnc: exit 70
// (EX_SOFTWARE) and one line saying so, the stack only with --debug or CNNC_DEBUG=1; a user's
// mistake stays 1 and a bad command line 2. The scheme is in --help.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bin/main.js';
import { EXIT, internalError } from '../../bin/exit.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnc-exit-'));
const GOOD = join(dir, 'good.yaml');
writeFileSync(GOOD, 'cnnc: 1\nname: T\ninput: { shape: [1, 8, 8] }\nlayers:\n  - flatten\n  - { kind: linear, out_features: 10 }\n  - log_softmax\nloss: { kind: nll }\noptimizer: { kind: adam }\n');

/** Runs the CLI in-process; `crash` makes stdout throw a TypeError, as a bug in a command would. */
async function cnnc(args: string[], o: { crash?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((t) => {
    if (o.crash === true) throw new TypeError("Cannot read properties of undefined (reading 'nodes')");
    out += String(t);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((t) => ((err += String(t)), true));
  try {
    return { code: await run(['node', 'cnnc', ...args], o.env ?? {}), out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('cnnc exit codes', () => {
  it('an unexpected exception exits 70 with one line that calls it a bug in cnnc, and no stack', async () => {
    const r = await cnnc(['check', GOOD], { crash: true });
    expect(r.code).toBe(70);
    expect(r.err.split('\n')).toEqual([expect.stringMatching(/^cnnc: internal error \(a bug in cnnc, not in your spec or data\): TypeError: Cannot read properties of undefined \(reading 'nodes'\); please report it as an issue in the cnnc repository.* \(--debug or CNNC_DEBUG=1 prints the stack\)$/), '']);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['--debug', ['--debug', 'check', GOOD], {}],
    ['--debug after the command', ['check', GOOD, '--debug'], {}],
    ['CNNC_DEBUG=1', ['check', GOOD], { CNNC_DEBUG: '1' }],
  ])('%s adds the stack', async (_, args, env) => {
    const r = await cnnc(args, { crash: true, env });
    expect(r.code).toBe(70);
    expect(r.err).toMatch(/^cnnc: internal error .*\nTypeError: Cannot read properties.*\n\s+at /);
  });

  it('keeps 0 ok, 1 a user error, 2 usage', async () => {
    expect((await cnnc(['check', GOOD])).code).toBe(0);
    const missing = await cnnc(['check', join(dir, 'missing.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.err).not.toMatch(/internal error|\n\s+at /);
    expect((await cnnc(['check'])).code).toBe(2);
    expect((await cnnc(['nosuchcommand'])).code).toBe(2);
    expect((await cnnc(['train', GOOD, '--limit', 'x'])).code).toBe(1);
  });

  it('--help lists every exit code', async () => {
    const r = await cnnc(['--help']);
    expect(r.code).toBe(0);
    for (const code of Object.values(EXIT)) expect(r.out).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
  });

  it('a thrown non-Error is reported too', () => {
    expect(internalError('boom', false)).toMatch(/^cnnc: internal error .*: boom; /);
  });
});

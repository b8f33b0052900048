// The browser demo's server (examples/browser-train/serve.mjs, `npm run demo:browser`) on a bad command line:
// a clear message on stderr, no stack trace, exit 2 for a usage error and 1 for a spec that cannot be read or
// compiled (cnnc's EXIT.usage and EXIT.user, bin/exit.ts), where the compile error names the file:line:col.
// The spec case compiles with dist/ as the CLI does (`npm test` builds it first).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SERVE = fileURLToPath(new URL('../../examples/browser-train/serve.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'cnnc-demo-serve-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function serve(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [SERVE, ...args, '--lifetime', '1'], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('serve.mjs refuses a bad command line with a message and the documented exit code', () => {
  it.each([
    [['--port', 'x'], /^serve: --port expects 0\.\.65535, got "x"\n$/],
    [['--port', '70000'], /^serve: --port expects 0\.\.65535, got "70000"\n$/],
    [['--bogus'], /^serve: Unknown option '--bogus'.*\(usage: serve\.mjs \[--spec FILE\]\.\.\. \[--port 8080\] \[--lifetime SECONDS\]\)\n$/],
  ])('%j: exit 2 (usage)', (args, message) => {
    const r = serve(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('a --spec that is not there: exit 1, naming the path', () => {
    const r = serve('--spec', join(tmp, 'missing.yaml'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`serve: --spec ${join(tmp, 'missing.yaml')}: cannot read it (ENOENT)\n`);
  });

  it('a --spec that does not compile: exit 1, the compiler diagnostic at file:line:col, no stack trace', () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, 'cnnc: 1\nname: Bad\ninput: { shape: [1, 28, 28] }\nlayers:\n  - { kind: conv2d, out_channels: 4, kernel_size: 3 }\n  - flatten\n  - { kind: linear, out_features: 10 }\n');
    const r = serve('--spec', file);
    expect(r.status).toBe(1);
    expect(r.stderr.startsWith(`serve: ${file} does not compile for the ts target:\n${file}:1:1: error E0204: the spec is missing \`loss\``)).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack frame
  });
});

// The commander wiring of `cnnc diff`, through bin/main.ts's run(): flags reach runDiff, usage
// errors exit 2, and --color / --no-color decide the ANSI codes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bin/main.js';

const F = 'test/fixtures/diff';

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const code = await run(['node', 'cnnc', 'diff', ...args]);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

afterEach(() => vi.restoreAllMocks());

describe('cnnc diff (CLI)', () => {
  it('colors with --color and not with --no-color', async () => {
    const colored = await cli(`${F}/widen-conv/old.yaml`, `${F}/widen-conv/new.yaml`, '--color');
    expect(colored.stdout).toContain('\x1b[33m  ~ conv1 (conv2d)\x1b[0m');
    const plain = await cli(`${F}/widen-conv/old.yaml`, `${F}/widen-conv/new.yaml`, '--no-color');
    expect(plain.stdout).not.toContain('\x1b[');
    expect(plain.code).toBe(0);
  });

  it('passes --format and --exit-code through', async () => {
    const r = await cli(`${F}/rename/old.yaml`, `${F}/rename/new.yaml`, '--format', 'markdown', '--exit-code');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\*\*cnnc diff\*\* `MnistNet`/);
  });

  it('exits 2 on a usage error: an unknown format, or no new side', async () => {
    expect((await cli(`${F}/rename/old.yaml`, `${F}/rename/new.yaml`, '--format', 'html')).code).toBe(2);
    const r = await cli(`${F}/rename/old.yaml`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing the new spec');
  });
});

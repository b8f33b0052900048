// `cnnc build --runtime`: the package a generated module imports its runtime from. `@cnnc/runtime` (an app that
// installs only the runtime package, test/package/runtime-install.test.ts runs one) changes that one import and no
// other byte; anything else is refused in one line, exit 1, with nothing written.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../bin/exit.js';
import { cnnc } from '../cli.js';

const spec = join(__dirname, '..', '..', 'specs', 'mnist.yaml');
const dir = mkdtempSync(join(tmpdir(), 'cnnc-build-runtime-'));

describe('cnnc build --runtime', () => {
  it('@cnnc/runtime changes only the import line of the module', async () => {
    const plain = await cnnc('build', spec, '-o', '-');
    const pkg = await cnnc('build', spec, '--runtime', '@cnnc/runtime', '-o', '-');
    expect([plain.code, pkg.code, pkg.err]).toEqual([EXIT.ok, EXIT.ok, '']);
    const a = plain.out.split('\n');
    const b = pkg.out.split('\n');
    const differ = a.flatMap((line, i) => (line === b[i] ? [] : [[line, b[i]]]));
    expect(differ).toEqual([["import * as rt from 'cnnc/runtime';", "import * as rt from '@cnnc/runtime';"]]);
    expect(b.length).toBe(a.length);
  });

  it('refuses another package, and --target gpujs with @cnnc/runtime, writing nothing', async () => {
    const out = join(dir, 'm.model.ts');
    const bad = await cnnc('build', spec, '--runtime', "x'; evil", '-o', out);
    expect([bad.code, bad.err]).toEqual([EXIT.user, `cnnc build: --runtime expects cnnc/runtime or @cnnc/runtime, got "x'; evil"\n`]);
    const gpujs = await cnnc('build', spec, '--runtime', '@cnnc/runtime', '--target', 'gpujs', '-o', out);
    expect([gpujs.code, gpujs.err]).toEqual([EXIT.user, 'cnnc build: --target gpujs imports cnnc/runtime/gpujs, which only cnnc has: drop --runtime\n']);
    expect(existsSync(out)).toBe(false);
  });
});

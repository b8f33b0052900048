// gpu.js is an optional peer dependency (issue 20): `npm install cnnc` leaves it out, so the CLI must run
// without it, and `--target gpujs` must say in one line what to install. "Without it" is simulated: a
// preload (node --import) makes every resolution of `gpu.js` fail as a missing package does, for ESM
// imports (a module.register hook) and for CommonJS require / require.resolve (Module._resolveFilename),
// and the real `node bin/cnnc.js` (dist/) runs under it, in a fresh process each time.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../bin/exit.js';
import { GPUJS_MISSING, gpujsMissing } from '../../bin/gpujs-installed.js';
import { requireFreshDist } from '../runtime/dist.js';

const root = join(__dirname, '..', '..');
let tmp = '';
let spec = '';
let noGpujs = '';

/** dist/bin must be as new as bin/, as requireFreshDist checks dist/runtime against runtime/. */
function requireFreshBin(): void {
  for (const src of readdirSync(join(root, 'bin'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    const js = join(root, 'dist', 'bin', src.replace(/\.ts$/, '.js'));
    if ((statSync(js, { throwIfNoEntry: false })?.mtimeMs ?? 0) < statSync(join(root, 'bin', src)).mtimeMs) {
      throw new Error(`dist/ is older than ${relative(root, join(root, 'bin', src))}: run \`npm run build\``);
    }
  }
}

beforeAll(() => {
  requireFreshDist(root);
  requireFreshBin();
  tmp = mkdtempSync(join(tmpdir(), 'cnnc-no-gpujs-'));
  spec = join(tmp, 'mnist.yaml');
  copyFileSync(join(root, 'specs', 'mnist.yaml'), spec);
  const hooks = join(tmp, 'hooks.mjs');
  writeFileSync(
    hooks,
    `const gone = (s) => s === 'gpu.js' || s.startsWith('gpu.js/');
    export async function resolve(specifier, context, next) {
      if (gone(specifier)) throw Object.assign(new Error("Cannot find package '" + specifier + "'"), { code: 'ERR_MODULE_NOT_FOUND' });
      return next(specifier, context);
    }`,
  );
  noGpujs = join(tmp, 'hide.mjs');
  writeFileSync(
    noGpujs,
    `import Module, { register } from 'node:module';
    register(${JSON.stringify(pathToFileURL(hooks).href)});
    const resolveFilename = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === 'gpu.js' || request.startsWith('gpu.js/')) throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' });
      return resolveFilename.call(this, request, ...rest);
    };`,
  );
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `cnnc ...args` in a fresh node, gpu.js hidden unless `withGpujs`. */
function cnnc(args: string[], withGpujs = false): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [...(withGpujs ? [] : ['--import', pathToFileURL(noGpujs).href]), join(root, 'bin', 'cnnc.js'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CNNC_DEBUG: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('without gpu.js installed', () => {
  it('the preload really hides gpu.js: a script that imports it fails, and it loads with the preload left out', () => {
    const probe = ['--input-type=module', '-e', `await import('gpu.js'); console.log('loaded')`];
    const hidden = spawnSync(process.execPath, ['--import', pathToFileURL(noGpujs).href, ...probe], { cwd: root, encoding: 'utf8' });
    expect(hidden.status).not.toBe(0);
    expect(hidden.stderr).toContain("Cannot find package 'gpu.js'");
    const shown = spawnSync(process.execPath, probe, { cwd: root, encoding: 'utf8' });
    expect(shown.stdout).toBe('loaded\n');
  });

  it('cnnc build (the TypeScript target) and cnnc train --max-steps 1 run: nothing of the CLI loads gpu.js unless asked', () => {
    const built = cnnc(['build', spec, '-o', join(tmp, 'mnist.model.ts')]);
    expect([built.code, built.err]).toEqual([EXIT.ok, '']);
    expect(existsSync(join(tmp, 'mnist.model.ts'))).toBe(true);
    const trained = cnnc(['train', spec, '--max-steps', '1', '--out', join(tmp, 'run')]);
    expect(trained.err).not.toMatch(/gpu\.js|\n\s+at /);
    expect(trained.code).toBe(EXIT.ok);
  });

  it.each([
    ['build', ['build', 'mnist.yaml', '--target', 'gpujs'], 'cnnc build: '],
    ['train', ['train', 'mnist.yaml', '--target', 'gpujs', '--max-steps', '1'], 'error: '],
  ])('cnnc %s --target gpujs: exit 1 and one line saying npm install gpu.js, no stack, no file written', (_, args, prefix) => {
    const r = cnnc(args);
    expect(r.code).toBe(EXIT.user);
    expect(r.err).toBe(`${prefix}${GPUJS_MISSING}\n`);
    expect(r.err).toContain('npm install gpu.js');
    expect(readdirSync(tmp).filter((f) => f.includes('gpujs') || f === 'runs')).toEqual([]);
  });
});

describe('with gpu.js installed (a devDependency here)', () => {
  it('gpujsMissing finds it, and says the line only for a missing module', () => {
    expect(gpujsMissing()).toBe(null);
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'gpu.js'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(gpujsMissing(missing)).toBe(GPUJS_MISSING);
    const broken = () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    expect(() => gpujsMissing(broken)).toThrow('EACCES');
  });

});

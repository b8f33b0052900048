// dist/, the compiled TypeScript that bin/cnnc.js and the examples run. A published cnnc carries it; a checkout builds
// it here on first use (`npm ci && npx cnnc train ...` works on a fresh clone) rather than in an npm `prepare` script,
// which npm 11 lists as an install script in every app that installs the tarball. After a change: `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../', import.meta.url);

/**
 * Makes sure dist/ exists: in a checkout (tsconfig.json beside package.json, typescript installed) without it,
 * builds it as `npm run build` does, saying so on stderr; elsewhere leaves it. Returns null when dist/ is there, else
 * the one line that says what to do.
 */
export function ensureDist() {
  const main = fileURLToPath(new URL('dist/bin/main.js', ROOT));
  if (existsSync(main)) return null;
  const root = fileURLToPath(ROOT);
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    tsc = null;
  }
  if (!existsSync(fileURLToPath(new URL('tsconfig.json', ROOT))) || tsc === null) {
    return 'cnnc: dist/ is missing; run `npm ci` then `npm run build` in the cnnc checkout first.';
  }
  process.stderr.write('cnnc: building dist/ (the first run in this checkout: tsc -p tsconfig.json, tsc -p runtime/tsconfig.json) ...\n');
  for (const project of ['tsconfig.json', 'runtime/tsconfig.json']) {
    const r = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) {
      const first = `${r.stdout}${r.stderr}`.trim().split('\n').slice(0, 5).join('\n');
      return `cnnc: building dist/ failed (tsc -p ${project}):\n${first}\nrun \`npm run build\` and read its errors.`;
    }
  }
  return existsSync(main) ? null : 'cnnc: dist/ is still missing after tsc; run `npm run build` and read its errors.';
}

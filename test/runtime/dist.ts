// dist/ (what the package ships, built by `npm test`'s tsc) for the tests that run it: present and
// not older than the runtime's sources, or they would prove nothing about these sources.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), ext) : ext.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Throws, naming the command, when dist/runtime is missing or older than a file of runtime/ (.ts, and the .js sources tsc copies). */
export function requireFreshDist(root: string): void {
  if (!statSync(join(root, 'dist', 'runtime', 'node', 'index.js'), { throwIfNoEntry: false })) {
    throw new Error('dist/ is missing: `npm test` builds it first (tsc)');
  }
  const stale = filesUnder(join(root, 'runtime'), /\.(ts|js)$/).filter((src) => {
    const js = join(root, 'dist', relative(root, src)).replace(/\.ts$/, '.js');
    return (statSync(js, { throwIfNoEntry: false })?.mtimeMs ?? 0) < statSync(src).mtimeMs;
  });
  if (stale.length > 0) throw new Error(`dist/ is older than ${relative(root, stale[0]!)} (${stale.length} file(s)): run \`npm run build\``);
}

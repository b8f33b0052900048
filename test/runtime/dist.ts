// dist/ (what the package ships, built by `npm test`'s tsc) for the tests that run it: present and
// not older than the runtime's sources, or they would prove nothing about these sources.
// runtime/dist is the runtime package's build (@cnnc/runtime, runtime/tsconfig.json), not a source.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function filesUnder(dir: string, ext: RegExp, skip: ReadonlySet<string> = new Set()): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    skip.has(join(dir, e.name)) ? [] : e.isDirectory() ? filesUnder(join(dir, e.name), ext, skip) : ext.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Throws, naming the command, when outDir lacks a build or is older than a source under runtime/ (.ts, and the .js
 *  sources tsc copies), outside `skip`. */
function requireFresh(root: string, outDir: string, skip: readonly string[]): void {
  const rt = join(root, 'runtime');
  if (!statSync(join(outDir, 'node', 'index.js'), { throwIfNoEntry: false })) {
    throw new Error(`${relative(root, outDir)}/ is missing: \`npm test\` builds it first (tsc)`);
  }
  const stale = filesUnder(rt, /\.(ts|js)$/, new Set(skip.map((s) => join(rt, s)))).filter((src) => {
    const js = join(outDir, relative(rt, src)).replace(/\.ts$/, '.js');
    return (statSync(js, { throwIfNoEntry: false })?.mtimeMs ?? 0) < statSync(src).mtimeMs;
  });
  if (stale.length > 0) throw new Error(`${relative(root, outDir)}/ is older than ${relative(root, stale[0]!)} (${stale.length} file(s)): run \`npm run build\``);
}

/** Throws, naming the command, when dist/runtime is missing or older than a file of runtime/. */
export function requireFreshDist(root: string): void {
  requireFresh(root, join(root, 'dist', 'runtime'), ['dist']);
}

/** The same for the runtime package's build, runtime/dist (gpujs/ is not in it). */
export function requireFreshRuntimeDist(root: string): void {
  requireFresh(root, join(root, 'runtime', 'dist'), ['dist', 'gpujs']);
}

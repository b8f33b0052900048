// What importing cnnc costs an app: the time of `await import(entry)` and the process's RSS after it,
// for cnnc/runtime, cnnc/runtime/node and (for comparison) cnnc, the compiler, each in a fresh node.
// The runtime's entries load no compiler (STYLE.md rule 11, test/runtime/imports.test.ts); this says
// what that is worth.
//
//   node bench/import-child.mjs [--runs 7] [--root DIR]   medians of RUNS fresh processes per entry, a table
//   node bench/import-child.mjs --entry cnnc/runtime      one measurement in this process (what each run is)
//
// --root: a checkout whose dist/ is built (default: this one), to compare two side by side.
// bench/bench.mjs runs the first form and reads its BENCH_RESULT line.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { childArgs, report, RESULT_PREFIX, summarize } from './measure.mjs';
import { formatImports } from './report.mjs';

/** The package's exports (package.json), as files under dist/; `node` imports nothing (Node alone). */
const ENTRIES = {
  node: null,
  'cnnc/runtime': 'dist/runtime/index.js',
  'cnnc/runtime/node': 'dist/runtime/node/index.js',
  cnnc: 'dist/compiler/index.js',
};

const args = childArgs();
const root = resolve(args.root ?? fileURLToPath(new URL('..', import.meta.url)));

if (typeof args.entry === 'string') {
  const file = ENTRIES[args.entry];
  if (file === undefined) throw new Error(`unknown entry ${args.entry}: one of ${Object.keys(ENTRIES).join(', ')}`);
  const t0 = performance.now();
  if (file !== null) await import(pathToFileURL(join(root, file)).href);
  const importMs = performance.now() - t0;
  report({ entry: args.entry, import_ms: importMs, rss_mb: process.memoryUsage().rss / 2 ** 20 });
} else {
  const runs = Number(args.runs ?? 7);
  const samples = Object.fromEntries(Object.keys(ENTRIES).map((e) => [e, { import_ms: [], rss_mb: [], process_ms: [] }]));
  for (let i = 0; i < runs; i++) {
    // Entries interleaved, round after round, so a busy moment of a shared machine hits them all alike.
    for (const entry of Object.keys(ENTRIES)) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--entry', entry, '--root', root], { encoding: 'utf8' });
      const processMs = performance.now() - t0;
      const line = r.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (r.status !== 0 || line === undefined) throw new Error(`importing ${entry} failed (exit ${r.status}):\n${r.stderr.trim()}`);
      const one = JSON.parse(line.slice(RESULT_PREFIX.length));
      samples[entry].import_ms.push(one.import_ms);
      samples[entry].rss_mb.push(one.rss_mb);
      samples[entry].process_ms.push(processMs);
    }
  }
  const median = (xs) => summarize(xs).median_ms;
  const round = (xs) => xs.map((x) => Math.round(x * 10) / 10).sort((a, b) => a - b);
  const result = { runs, node: process.version, entries: {} };
  for (const [entry, s] of Object.entries(samples)) {
    result.entries[entry] = {
      import_ms: median(s.import_ms),
      rss_mb: median(s.rss_mb),
      process_ms: median(s.process_ms),
      samples: { import_ms: round(s.import_ms), rss_mb: round(s.rss_mb), process_ms: round(s.process_ms) },
    };
  }
  console.log(formatImports(result));
  report(result);
}


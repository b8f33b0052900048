// A spec as a live cnnc model for the bench children: compiled in-process with `build` and loaded with
// `loadModule`, from dist/ (built by `npm ci`), on `threads` threads (`initThreads` of cnnc/runtime/node).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The compiled float32 model of `spec` (a path), seeded 1, and its IR; threads > 1 starts the worker pool first. */
export async function loadCnncModel(spec, { threads = 1 } = {}) {
  const { build, loadModule } = await import('../dist/compiler/index.js');
  // Threads share out each large gemm and convolution (runtime/threads.ts); the rest of a step stays on this thread.
  if (threads > 1) await (await import('../dist/runtime/node/index.js')).initThreads(threads);
  const built = build(readFileSync(spec, 'utf8'), spec, { dtype: 'float32' });
  if (built.code === null) throw new Error(`${spec} does not compile:\n${built.diagnostics.map((d) => d.message).join('\n')}`);
  const workDir = mkdtempSync(join(tmpdir(), 'cnnc-bench-'));
  try {
    return { net: (await loadModule(built.code, workDir)).createModel({ seed: 1 }), ir: built.ir };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

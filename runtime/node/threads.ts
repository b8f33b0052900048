// Node's side of threads.ts: gemm workers on worker_threads. Workers are unref'd, so an idle pool
// never keeps a process alive; stopThreads() ends them explicitly (tests do, to leak nothing).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { startThreads, stopThreads, type SpawnWorker } from '../threads.js';

/** Starts the gemm workers: n threads in all, the calling one included (default: every core). */
export async function initThreads(n: number = availableParallelism()): Promise<void> {
  await startThreads(n, spawnNodeWorker);
}

/** A worker_threads Worker from the runtime's module file worker.js (../worker.js: the same file a browser's Web Worker runs). */
export const spawnNodeWorker: SpawnWorker = (onError) => {
  const worker = new Worker(new URL('../worker.js', import.meta.url), { execArgv: workerExecArgv(process.execArgv) });
  worker.unref();
  worker.on('error', onError);
  return worker;
};

/**
 * The parent's Node options for a worker, less those that say how to read the parent's own script: a
 * worker inherits process.execArgv, and from a file it refuses --input-type (`node --input-type=module
 * -e '…'`: "--input-type can only be used with string input"); -e / -p and their code are dropped too.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (a.startsWith('--input-type=') || /^(-[ep]|--eval|--print)=/.test(a)) continue;
    if (['--input-type', '-e', '--eval', '-p', '--print'].includes(a)) {
      i++; // and its value
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * Runs body with n gemm threads (the CLI's --threads), then stops the workers, so an in-process
 * caller (tests) is left as it was. n = 1 starts nothing.
 */
export async function withThreads<T>(n: number, body: () => Promise<T>): Promise<T> {
  if (n === 1) return body();
  await initThreads(n);
  try {
    return await body();
  } finally {
    await stopThreads();
  }
}

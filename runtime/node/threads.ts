// Node's side of threads.ts: gemm workers on worker_threads. Workers are unref'd, so an idle pool
// never keeps a process alive; stopThreads() ends them explicitly (tests do, to leak nothing).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { startThreads, stopThreads, type SpawnWorker } from '../threads.js';

/** Starts the gemm workers: n threads in all, the calling one included (default: every core). */
export async function initThreads(n: number = availableParallelism()): Promise<void> {
  await startThreads(n, spawnNodeWorker);
}

/** An eval'd CommonJS worker (no file to locate, from dist/ or from the sources alike). */
export const spawnNodeWorker: SpawnWorker = (script, onError) => {
  const worker = new Worker(`${script}\nrequire('node:worker_threads').parentPort.once('message', workerMain);\n`, { eval: true });
  worker.unref();
  worker.on('error', onError);
  return worker;
};

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

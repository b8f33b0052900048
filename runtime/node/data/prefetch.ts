// Training batches made ahead of the step on worker threads (node:worker_threads): while the model trains on
// batch j, workers make batches j+1 … j+depth. Batch j goes to worker j mod W and comes back in order; each
// is storedSample over its indices, the function the main thread would call, so the bytes are the same at any
// worker count (0 included: then the loop makes each batch itself). A pool lives for one epoch: open()
// starts it, the loop's close() ends it (also when the run stops or fails), so no worker outlives training.
// Workers are referenced only while they have a batch to make: a stream left open never holds a process.
//
// CNNC_LOADER_WORKERS=n sets the count (0: none); by default 1 per 4 cores, at least 1, at most 4.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BatchFeed, BatchStream } from '../../data/idx.js';
import type { StoreSource } from './image-store.js';
import type { BatchReply, BatchRequest, WorkerInit } from './loader-worker.js';
import { DataFileError } from './read-maybe-gzip.js';
import type { SampleRecipe } from './samples.js';

/** The loader's worker count: CNNC_LOADER_WORKERS, else one per 4 cores (1 to 4). */
export function loaderWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const set = env['CNNC_LOADER_WORKERS'];
  if (set !== undefined && set !== '') {
    const n = Number(set);
    if (!Number.isInteger(n) || n < 0 || n > 64) throw new DataFileError(`CNNC_LOADER_WORKERS=${set}: want a whole number from 0 to 64`);
    return n;
  }
  return Math.min(4, Math.max(1, Math.floor(availableParallelism() / 4)));
}

/** The compiled worker: next to this file in dist/, or dist/'s copy where the sources run (vitest). */
function workerFile(): string | null {
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.ts')
    ? fileURLToPath(new URL('../../../dist/runtime/node/data/loader-worker.js', import.meta.url))
    : fileURLToPath(new URL('./loader-worker.js', import.meta.url));
  return existsSync(file) ? file : null;
}

export interface PrefetchFeed extends BatchFeed {
  /** Workers each epoch's pool starts (0 where the worker file is missing: sources run without a build). */
  readonly workers: number;
}

/** A feed over `source` with `workers` threads; `files` name the images in errors. Null for 0 workers. */
export function prefetchFeed(source: StoreSource, recipe: SampleRecipe, files: readonly string[], workers: number): PrefetchFeed | null {
  const file = workers > 0 ? workerFile() : null;
  if (file === null) return null;
  return {
    workers,
    open: (order, epoch, batchSize, first) => openStream(file, { source, recipe }, files, workers, order, epoch, batchSize, first),
  };
}

interface Settle {
  resolve(x: Float32Array): void;
  reject(e: unknown): void;
}

function openStream(file: string, init: WorkerInit, files: readonly string[], count: number, order: Uint32Array, epoch: number, batchSize: number, first: number): BatchStream {
  const total = Math.ceil(order.length / batchSize);
  const depth = Math.max(2, 2 * count);
  // A batch requested: its promise until the loop takes it, its settle until a worker answers.
  const promises = new Map<number, Promise<Float32Array>>();
  const settles = new Map<number, Settle>();
  const busy = new Array<number>(count).fill(0);
  const spare: ArrayBuffer[] = [];
  let failure: unknown = null;
  let closed = false;
  let sent = first;
  let taken = first;
  let last: Float32Array | null = null;
  const fail = (e: unknown) => {
    failure ??= e;
    for (const p of settles.values()) p.reject(failure);
    settles.clear();
  };
  const workers = Array.from({ length: count }, (_, w) => {
    const worker = new Worker(file, { workerData: init });
    worker.unref();
    worker.on('message', (m: BatchReply) => {
      if (--busy[w]! === 0) worker.unref();
      const p = settles.get(m.id);
      if (p === undefined) return;
      settles.delete(m.id);
      if ('x' in m) p.resolve(m.x);
      else p.reject(replyError(m.error, files));
    });
    worker.on('error', (e: Error) => fail(new Error(`cnnc internal error: a data loader worker failed: ${e.stack ?? e.message}`)));
    worker.on('exit', (code) => {
      if (!closed) fail(new Error(`cnnc internal error: a data loader worker exited (code ${code}) before the epoch's batches were made`));
    });
    return worker;
  });
  const request = () => {
    while (failure === null && !closed && sent < total && sent - taken < depth) {
      const j = sent++;
      let resolve!: (x: Float32Array) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<Float32Array>((a, b) => {
        resolve = a;
        reject = b;
      });
      promise.catch(() => {}); // a batch made ahead and never taken must not be an unhandled rejection
      promises.set(j, promise);
      settles.set(j, { resolve, reject });
      const w = j % count;
      if (busy[w]!++ === 0) workers[w]!.ref();
      const buffer = spare.pop() ?? null;
      const message: BatchRequest = { id: j, indices: order.slice(j * batchSize, Math.min(order.length, (j + 1) * batchSize)), epoch, buffer };
      workers[w]!.postMessage(message, buffer === null ? [message.indices.buffer as ArrayBuffer] : [message.indices.buffer as ArrayBuffer, buffer]);
    }
  };
  request();
  return {
    async next() {
      if (closed) throw new Error('cnnc internal error: next() on a closed batch stream');
      if (failure !== null) throw failure;
      if (taken >= total) throw new Error(`cnnc internal error: batch ${taken + 1} of an epoch of ${total}`);
      // The batch handed out last is done with: its buffer carries a later batch.
      if (last !== null && last.buffer.byteLength > 0) spare.push(last.buffer as ArrayBuffer);
      last = null;
      const p = promises.get(taken)!;
      promises.delete(taken);
      taken++;
      request();
      last = await p;
      return last;
    },
    close() {
      if (closed) return;
      closed = true;
      promises.clear();
      settles.clear();
      for (const w of workers) void w.terminate();
    },
  };
}

/** A worker's refusal as the main thread would have raised it: one line naming the file. */
function replyError(e: Extract<BatchReply, { error: unknown }>['error'], files: readonly string[]): Error {
  const file = files[e.k] ?? `image ${e.k}`;
  if (e.kind === 'refused') return new DataFileError(`${file}: ${e.message}`);
  if (e.kind === 'data') return new DataFileError(e.message);
  return new Error(`cnnc internal error in a data loader worker, at ${file}: ${e.message}`);
}

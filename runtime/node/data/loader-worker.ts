// A data-loader worker thread (prefetch.ts starts them): it holds the split's stored images (shared memory, or
// the cache file opened again) and makes each batch it is asked for with storedSample, the main thread's own
// function, into a buffer it hands back (transferred, not copied). A refusal of an image is sent back as data for
// the main thread to raise, naming the file, as it would have.
import { parentPort, workerData } from 'node:worker_threads';
import { ImageStore, type StoreSource } from './image-store.js';
import { DataFileError } from './read-maybe-gzip.js';
import { storedSample, type SampleRecipe } from './samples.js';

export interface WorkerInit {
  readonly source: StoreSource;
  readonly recipe: SampleRecipe;
}

export interface BatchRequest {
  readonly id: number;
  readonly indices: Uint32Array;
  readonly epoch: number;
  /** A buffer of an earlier batch to write into, where it is large enough. */
  readonly buffer: ArrayBuffer | null;
}

export type BatchReply =
  | { readonly id: number; readonly x: Float32Array }
  | { readonly id: number; readonly error: { readonly k: number; readonly message: string; readonly kind: 'refused' | 'data' | 'internal' } };

const port = parentPort;
if (port !== null) {
  const { source, recipe } = workerData as WorkerInit;
  const store = new ImageStore(source);
  const size = recipe.shape.reduce((a, b) => a * b, 1);
  port.on('message', (m: BatchRequest) => {
    const n = m.indices.length;
    const x = m.buffer !== null && m.buffer.byteLength >= 4 * n * size ? new Float32Array(m.buffer, 0, n * size) : new Float32Array(n * size);
    let k = -1;
    try {
      for (let i = 0; i < n; i++) {
        k = m.indices[i]!;
        storedSample(store, recipe, k, m.epoch, `image ${k}`, x, i * size);
      }
    } catch (e) {
      const kind = e instanceof RangeError ? 'refused' : e instanceof DataFileError || (e as Error).name === 'ImageError' ? 'data' : 'internal';
      const message = kind === 'internal' ? String((e as Error).stack ?? e) : (e as Error).message;
      port.postMessage({ id: m.id, error: { k, message, kind } } satisfies BatchReply);
      return;
    }
    port.postMessage({ id: m.id, x } satisfies BatchReply, [x.buffer as ArrayBuffer]);
  });
}

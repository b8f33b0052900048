// One training or evaluation sample from a stored 8-bit image: the rest of its pipeline (the random transforms
// with their draw for (seed, epoch, index), or normalize alone), into a [C, H, W] float32 tensor. The one
// function the main thread and the loader's worker threads (loader-worker.ts) both call, so that a batch has
// the same bytes wherever it was made.
import { applyPipeline, pipelineNormalize, sampleRng, toTensor, type TransformSpec } from '../../data/transforms/index.js';
import type { Image8 } from '../../data/image.js';
import type { ImageStore } from './image-store.js';

/** What turns a stored image into a sample: `ops` after the stored images' deterministic prefix, drawn afresh
 *  per epoch (`augment`) or not. */
export interface SampleRecipe {
  readonly ops: readonly TransformSpec[];
  readonly augment: boolean;
  readonly shape: readonly number[];
  readonly seed: number;
}

/** The image after `ts` into out at `offset`, as [C, H, W] float32. */
export function imageTensor(img: Image8, ts: readonly TransformSpec[], shape: readonly number[], file: string, out: Float32Array, offset: number, rng?: ReturnType<typeof sampleRng>): void {
  const done = applyPipeline(img, ts, rng === undefined ? { train: false } : { train: true, rng });
  if (done.width !== shape[2] || done.height !== shape[1]) {
    // The compiler appends a resize where the size depends on the image, so this is a bug in cnnc.
    throw new Error(`cnnc internal error: ${file} became ${done.height}×${done.width}, not the input's ${shape[1]}×${shape[2]}`);
  }
  toTensor(done, out, offset, pipelineNormalize(ts));
}

/** Sample k of the store as epoch `epoch` sees it, into out at `offset`. */
export function storedSample(store: ImageStore, r: SampleRecipe, k: number, epoch: number, file: string, out: Float32Array, offset: number): void {
  imageTensor(store.get(k), r.ops, r.shape, file, out, offset, r.augment ? sampleRng(r.seed, epoch, k) : undefined);
}

// A spec's preprocessing made to end at the model's input: a resize to [H, W] before the final normalize
// where the size would depend on each image. One rule for the compiler (3-lower/data.ts, which also
// reports a fixed size that is not the input's) and for the runtime (`--data DIR` giving image folders to
// a spec written for other data).
import { pipelineOutputSize } from './transforms/pipeline.js';
import type { TransformSpec } from './transforms/types.js';

/** The pipeline ending at [h, w]: unchanged when its size is fixed (`fixed` says which size, for the caller
 *  to check), else with a resize to [h, w] before a final normalize. */
export function fitPipeline(ts: readonly TransformSpec[], h: number, w: number): { readonly pipeline: readonly TransformSpec[]; readonly fixed: [number, number] | null } {
  const fixed = pipelineOutputSize(ts);
  if (fixed !== null) return { pipeline: ts, fixed };
  const norm = ts.length > 0 && ts[ts.length - 1]!.kind === 'normalize' ? 1 : 0;
  return { pipeline: [...ts.slice(0, ts.length - norm), { kind: 'resize', size: [h, w] }, ...ts.slice(ts.length - norm)], fixed: null };
}

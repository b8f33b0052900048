// Which adaptive pools ONNX can hold. An adaptive window is the product of one interval per axis (the plan's
// AdaptiveAxis, PyTorch's start/end rule), so an axis is rendered alone: as a pool along it when its windows
// are all k long at a stride s ≥ 1 (out divides in, or out = 1), or as a Gather of the rows it reads when
// every window is one row long (an output larger than its input: each output row copies one input row,
// which is its average and its maximum). Windows of unequal lengths (13 → 5: 3 and 4 rows) are neither,
// and ONNX has no op for them: support.ts refuses such a spec with a positioned diagnostic.
import type { AdaptiveAxis } from '../ir/plan.js';

export type AxisOp =
  | { readonly kind: 'pool'; readonly k: number; readonly s: number }
  | { readonly kind: 'gather'; readonly indices: readonly number[] };

/** How ONNX renders the windows of one axis, or null where it cannot. */
export function adaptiveAxisOp(a: AdaptiveAxis): AxisOp | null {
  const lengths = a.start.map((s, i) => a.end[i]! - s);
  const k = lengths[0]!;
  const s = a.outSize === 1 ? 1 : a.start[1]! - a.start[0]!;
  if (s >= 1 && lengths.every((l) => l === k) && a.start.every((st, i) => st === i * s)) return { kind: 'pool', k, s };
  if (lengths.every((l) => l === 1)) return { kind: 'gather', indices: a.start };
  return null;
}

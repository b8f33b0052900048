// nn.Softmax(dim=1) over dim 1 of [N, C] or [N, C, H, W] (PyTorch's docs: "rescales ... along dim"):
// over the features of a flat input, or over the channels at each pixel of a [C, H, W] one.
import type { SoftmaxNode } from '../../ir/types.js';
import { sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerSoftmax(ctx: LayerCtx): LayerResult<SoftmaxNode> {
  return { kind: 'softmax', ...sameShape(ctx.x) };
}

// nn.LogSoftmax(dim=1) over dim 1 of [N, C] or [N, C, H, W]: over the features of a flat input, or
// over the channels at each pixel of a [C, H, W] one (per-pixel nll then reads a [H, W] label map).
import type { LogSoftmaxNode } from '../../ir/types.js';
import { sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerLogSoftmax(ctx: LayerCtx): LayerResult<LogSoftmaxNode> {
  return { kind: 'log_softmax', ...sameShape(ctx.x) };
}

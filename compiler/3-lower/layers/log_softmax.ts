// nn.LogSoftmax(dim=1) over the features of a flat input.
import type { LogSoftmaxNode } from '../../ir/types.js';
import { needFlat, sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerLogSoftmax(ctx: LayerCtx): LayerResult<LogSoftmaxNode> | null {
  if (needFlat(ctx, 'log_softmax') === null) return null;
  return { kind: 'log_softmax', ...sameShape(ctx.x) };
}

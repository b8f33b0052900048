// nn.Softmax(dim=1) over the features of a flat input.
import type { SoftmaxNode } from '../../ir/types.js';
import { needFlat, sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerSoftmax(ctx: LayerCtx): LayerResult<SoftmaxNode> | null {
  if (needFlat(ctx, 'softmax') === null) return null;
  return { kind: 'softmax', ...sameShape(ctx.x) };
}

// nn.ReLU: max(0, x), elementwise, any shape.
import type { ReluNode } from '../../ir/types.js';
import { sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerRelu(ctx: LayerCtx): LayerResult<ReluNode> {
  return { kind: 'relu', ...sameShape(ctx.x) };
}

// nn.Sigmoid, elementwise, any shape.
import type { SigmoidNode } from '../../ir/types.js';
import { sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerSigmoid(ctx: LayerCtx): LayerResult<SigmoidNode> {
  return { kind: 'sigmoid', ...sameShape(ctx.x) };
}

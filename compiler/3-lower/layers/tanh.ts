// nn.Tanh, elementwise, any shape.
import type { TanhNode } from '../../ir/types.js';
import { sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerTanh(ctx: LayerCtx): LayerResult<TanhNode> {
  return { kind: 'tanh', ...sameShape(ctx.x) };
}

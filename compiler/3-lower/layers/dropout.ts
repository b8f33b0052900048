// nn.Dropout (p 0.5 by default): zeroes elements, any shape.
import type { DropoutNode } from '../../ir/types.js';
import type { DropoutSpec } from '../../spec/types.js';
import { sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerDropout(spec: DropoutSpec, ctx: LayerCtx): LayerResult<DropoutNode> {
  return { kind: 'dropout', p: spec.p ?? 0.5, ...sameShape(ctx.x) };
}

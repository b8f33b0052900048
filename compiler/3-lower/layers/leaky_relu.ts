// nn.LeakyReLU (negative_slope 0.01 by default), elementwise, any shape.
import type { LeakyReluNode } from '../../ir/types.js';
import type { LeakyReluSpec } from '../../spec/types.js';
import { sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerLeakyRelu(spec: LeakyReluSpec, ctx: LayerCtx): LayerResult<LeakyReluNode> {
  return { kind: 'leaky_relu', negativeSlope: spec.negative_slope ?? 0.01, ...sameShape(ctx.x) };
}

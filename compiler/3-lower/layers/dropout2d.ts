// nn.Dropout2d (p 0.5 by default): zeroes whole channels, so it needs [C, H, W]. On a flat
// [N, F] tensor PyTorch 1.13 warns and falls back to element dropout; we refuse and say `dropout`.
import type { Dropout2dNode } from '../../ir/types.js';
import type { DropoutSpec } from '../../spec/types.js';
import { needImage, sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerDropout2d(spec: DropoutSpec, ctx: LayerCtx): LayerResult<Dropout2dNode> | null {
  const chw = needImage(ctx, 'dropout2d',
    'use `dropout` on a flat input (PyTorch 1.13 warns and drops elements, not channels, here)');
  if (!chw) return null;
  return { kind: 'dropout2d', p: spec.p ?? 0.5, ...sameShape(chw) };
}

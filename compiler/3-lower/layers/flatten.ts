// torch.flatten(x, 1): [C, H, W] → [C·H·W], C-major (channel slowest), so a `linear` after it has
// the same weight layout as PyTorch's. A flat input stays as it is.
import type { FlattenNode } from '../../ir/types.js';
import { product } from '../format.js';
import type { LayerCtx, LayerResult } from './common.js';

export function lowerFlatten(ctx: LayerCtx): LayerResult<FlattenNode> {
  return { kind: 'flatten', outShape: [product(ctx.x)], params: [], macs: 0 };
}

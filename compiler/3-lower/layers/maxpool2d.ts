// nn.MaxPool2d (https://pytorch.org/docs/1.13/generated/torch.nn.MaxPool2d.html); no parameters.
import type { MaxPool2dNode } from '../../ir/types.js';
import type { MaxPool2dSpec } from '../../spec/types.js';
import type { LayerCtx, LayerResult } from './common.js';
import { poolWindow } from './pool.js';

export function lowerMaxPool2d(spec: MaxPool2dSpec, ctx: LayerCtx): LayerResult<MaxPool2dNode> | null {
  const win = poolWindow('maxpool2d', spec, ctx);
  if (!win) return null;
  return { kind: 'maxpool2d', ...win, params: [], macs: 0 };
}

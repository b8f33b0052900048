// nn.AvgPool2d (https://pytorch.org/docs/1.13/generated/torch.nn.AvgPool2d.html); no parameters.
// count_include_pad defaults to true: padded zeros count in the divisor.
import type { AvgPool2dNode } from '../../ir/types.js';
import type { AvgPool2dSpec } from '../../spec/types.js';
import type { LayerCtx, LayerResult } from './common.js';
import { poolWindow } from './pool.js';

export function lowerAvgPool2d(spec: AvgPool2dSpec, ctx: LayerCtx): LayerResult<AvgPool2dNode> | null {
  const win = poolWindow('avgpool2d', spec, ctx);
  if (!win) return null;
  return { kind: 'avgpool2d', ...win, countIncludePad: spec.count_include_pad ?? true, params: [], macs: 0 };
}

// global_avgpool2d: nn.AdaptiveAvgPool2d(1) — the mean of each channel, [C, H, W] → [C, 1, 1].
// It keeps PyTorch's shape (no flatten), so a state_dict and a `flatten` after it mean the same in both.
import type { GlobalAvgPool2dNode } from '../../ir/types.js';
import { needImage, type LayerCtx, type LayerResult } from './common.js';

export function lowerGlobalAvgPool2d(ctx: LayerCtx): LayerResult<GlobalAvgPool2dNode> | null {
  const chw = needImage(ctx, 'global_avgpool2d');
  if (!chw) return null;
  // One add per input element (torchinfo counts no MACs for pooling; neither do the other pools here).
  return { kind: 'global_avgpool2d', outShape: [chw[0], 1, 1], params: [], macs: 0 };
}

// nn.AdaptiveAvgPool2d / nn.AdaptiveMaxPool2d (https://pytorch.org/docs/1.13/generated/torch.nn.AdaptiveAvgPool2d.html);
// no parameters. The output size is the spec's, whatever the input's: an output larger than the input repeats
// input cells, one that does not divide it overlaps windows (the rule is in 4-passes/geometry.ts).
import type { AdaptivePool2dNode } from '../../ir/types.js';
import type { AdaptivePool2dSpec } from '../../spec/types.js';
import { needImage, type LayerCtx, type LayerResult } from './common.js';
import { pair } from './window.js';

export function lowerAdaptivePool2d(spec: AdaptivePool2dSpec, ctx: LayerCtx): LayerResult<AdaptivePool2dNode> | null {
  const chw = needImage(ctx, spec.kind);
  if (!chw) return null;
  const [oh, ow] = pair(spec.output_size);
  return { kind: spec.kind, outShape: [chw[0], oh, ow], params: [], macs: 0 };
}

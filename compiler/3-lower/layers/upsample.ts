// nn.Upsample / F.interpolate (https://pytorch.org/docs/1.13/generated/torch.nn.Upsample.html) on
// [C, H, W]: exactly one of size and scale_factor; mode nearest (the default) or bilinear, whose
// align_corners defaults to false (PyTorch's None). With scale_factor the output is
// floor(in · scale_factor) and, as F.interpolate with recompute_scale_factor=None, the source
// index scale is 1/scale_factor (not in/out): codegen reads `scaleFactor` for that.
import type { Pair, UpsampleNode } from '../../ir/types.js';
import type { UpsampleSpec } from '../../spec/types.js';
import { needImage, type LayerCtx, type LayerResult } from './common.js';
import { pair } from './window.js';

export function lowerUpsample(spec: UpsampleSpec, ctx: LayerCtx): LayerResult<UpsampleNode> | null {
  const chw = needImage(ctx, 'upsample');
  if (!chw) return null;
  const [c, h, w] = chw;
  const mode = spec.mode ?? 'nearest';
  let ok = true;
  if (spec.size !== undefined && spec.scale_factor !== undefined) {
    ctx.error('E0210', `${ctx.name}: give either size or scale_factor, not both`, 'scale_factor', 'PyTorch refuses both too: "only one of size or scale_factor should be defined"');
    ok = false;
  }
  if (spec.size === undefined && spec.scale_factor === undefined) {
    ctx.error('E0204', `${ctx.name}: upsample needs \`size\` or \`scale_factor\``, 'kind', 'e.g. `scale_factor: 2` doubles the height and width');
    ok = false;
  }
  if (spec.align_corners !== undefined && mode === 'nearest') {
    ctx.error('E0210', `${ctx.name}: align_corners applies to mode bilinear only`, 'align_corners',
      'remove it, or set `mode: bilinear` (PyTorch refuses align_corners with nearest too)');
    ok = false;
  }
  if (!ok) return null;

  const scaleFactor: Pair | null = spec.scale_factor === undefined ? null
    : typeof spec.scale_factor === 'number' ? [spec.scale_factor, spec.scale_factor] : [spec.scale_factor[0], spec.scale_factor[1]];
  const [oh, ow] = scaleFactor === null ? pair(spec.size!) : [Math.floor(h * scaleFactor[0]), Math.floor(w * scaleFactor[1])];
  if (oh < 1 || ow < 1) {
    ctx.error('E0413', `${ctx.name}: scale_factor ${scaleFactor!.join('×')} makes the ${h}×${w} input ${oh}×${ow}`, 'scale_factor',
      'use a larger scale_factor, or give the output `size`');
    return null;
  }
  return {
    kind: 'upsample',
    mode,
    alignCorners: spec.align_corners ?? false,
    scaleFactor,
    outShape: [c, oh, ow],
    params: [],
    // bilinear: 4 multiply-adds per output element; nearest copies.
    macs: mode === 'bilinear' ? 4 * c * oh * ow : 0,
  };
}

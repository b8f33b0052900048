// The window rule maxpool2d and avgpool2d share (ceil_mode false, dilation 1):
// stride defaults to the kernel, padding to 0 and at most half the kernel, as PyTorch requires
// ("pad should be smaller than or equal to half of kernel size").
import type { Pair, Shape } from '../../ir/types.js';
import type { IntOrPair } from '../../spec/types.js';
import { fmtPair } from '../format.js';
import { needImage, type LayerCtx } from './common.js';
import { pair, windowOut } from './window.js';

export interface PoolWindow {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly outShape: Shape;
}

export function poolWindow(
  kind: 'maxpool2d' | 'avgpool2d',
  spec: { readonly kernel_size: IntOrPair; readonly stride?: IntOrPair; readonly padding?: IntOrPair },
  ctx: LayerCtx,
): PoolWindow | null {
  const chw = needImage(ctx, kind);
  if (!chw) return null;
  const [c, h, w] = chw;
  const kernel = pair(spec.kernel_size);
  const stride = pair(spec.stride ?? spec.kernel_size);
  const padding = pair(spec.padding ?? 0);
  if (2 * padding[0] > kernel[0] || 2 * padding[1] > kernel[1]) {
    ctx.error('E0404',
      `${ctx.name}: padding ${fmtPair(padding)} is more than half the ${fmtPair(kernel)} kernel`, 'padding',
      `PyTorch requires padding ≤ kernel_size / 2 here: at most ${kernel[0] >> 1}×${kernel[1] >> 1}`);
    return null;
  }
  const oh = windowOut(h, kernel[0], stride[0], 2 * padding[0]);
  const ow = windowOut(w, kernel[1], stride[1], 2 * padding[1]);
  if (oh < 1 || ow < 1) {
    ctx.error('E0402',
      `${ctx.name}: a ${fmtPair(kernel)} window pools the ${h}×${w} input to nothing (${Math.max(oh, 0)}×${Math.max(ow, 0)})`,
      'kernel_size', 'use a smaller kernel_size, or pool less before this layer');
    return null;
  }
  return { kernel, stride, padding, outShape: [c, oh, ow] };
}

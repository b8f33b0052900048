// The window rule maxpool2d and avgpool2d share (dilation 1):
// stride defaults to the kernel, padding to 0 and at most half the kernel, as PyTorch requires
// ("pad should be smaller than or equal to half of kernel size"); ceil_mode rounds the output size up.
import type { Pair, Shape } from '../../ir/types.js';
import type { IntOrPair } from '../../spec/types.js';
import { fmtPair } from '../format.js';
import { needImage, type LayerCtx } from './common.js';
import { pair } from './window.js';

export interface PoolWindow {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly ceilMode: boolean;
  readonly outShape: Shape;
}

/**
 * PyTorch 1.13's pooling_output_shape (aten/src/ATen/native/Pool.h), dilation 1:
 * out = floor-or-ceil((size + 2·pad − kernel) / stride) + 1, and with ceil_mode the last window must
 * start inside the input or its left padding: if (out − 1)·stride ≥ size + pad, out − 1.
 */
export function poolOut(size: number, kernel: number, stride: number, pad: number, ceilMode: boolean): number {
  const span = size + 2 * pad - kernel;
  const out = Math.floor((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  return ceilMode && (out - 1) * stride >= size + pad ? out - 1 : out;
}

export function poolWindow(
  kind: 'maxpool2d' | 'avgpool2d',
  spec: { readonly kernel_size: IntOrPair; readonly stride?: IntOrPair; readonly padding?: IntOrPair; readonly ceil_mode?: boolean },
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
  const ceilMode = spec.ceil_mode ?? false;
  const oh = poolOut(h, kernel[0], stride[0], padding[0], ceilMode);
  const ow = poolOut(w, kernel[1], stride[1], padding[1], ceilMode);
  if (oh < 1 || ow < 1) {
    ctx.error('E0402',
      `${ctx.name}: a ${fmtPair(kernel)} window pools the ${h}×${w} input to nothing (${Math.max(oh, 0)}×${Math.max(ow, 0)})`,
      'kernel_size', 'use a smaller kernel_size, or pool less before this layer');
    return null;
  }
  return { kernel, stride, padding, ceilMode, outShape: [c, oh, ow] };
}

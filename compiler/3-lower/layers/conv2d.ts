// nn.Conv2d (https://pytorch.org/docs/1.13/generated/torch.nn.Conv2d.html).
// Defaults: stride 1, padding 0, dilation 1, groups 1, bias true. weight [out, in/groups, kh, kw].
import type { Conv2dNode, Padding2d, Pair } from '../../ir/types.js';
import type { Conv2dSpec } from '../../spec/types.js';
import { depthwiseUnfit, winogradUnfit } from '../../ir/conv-algorithm.js';
import { fmtPadding, fmtPair } from '../format.js';
import { convChannelsFit, needImage, weightAndBias, type LayerCtx, type LayerResult } from './common.js';
import { pair, span, windowOut } from './window.js';

export function lowerConv2d(spec: Conv2dSpec, ctx: LayerCtx): LayerResult<Conv2dNode> | null {
  const chw = needImage(ctx, 'conv2d');
  if (!chw) return null;
  const [c, h, w] = chw;
  const kernel = pair(spec.kernel_size);
  const stride = pair(spec.stride ?? 1);
  const dilation = pair(spec.dilation ?? 1);
  const groups = spec.groups ?? 1;
  const bias = spec.bias ?? true;
  const out = spec.out_channels;
  const ok = convChannelsFit(spec.in_channels, c, out, groups, ctx);
  const padding = resolvePadding(spec, kernel, stride, dilation, ctx);
  if (!padding) return null;

  const oh = windowOut(h, kernel[0], stride[0], padding.top + padding.bottom, dilation[0]);
  const ow = windowOut(w, kernel[1], stride[1], padding.left + padding.right, dilation[1]);
  if (oh < 1 || ow < 1) {
    const dilated = dilation[0] === 1 && dilation[1] === 1 ? '' :
      ` with dilation ${fmtPair(dilation)} spans ${span(kernel[0], dilation[0])}×${span(kernel[1], dilation[1])} and`;
    ctx.error('E0401',
      `${ctx.name}: kernel ${fmtPair(kernel)}${dilated} does not fit the ${h}×${w} input (after padding ${fmtPadding(padding)})`,
      'kernel_size', 'use a smaller kernel_size, add padding, or pool less before this layer');
    return null;
  }
  if (!ok) return null;
  const algorithm = spec.algorithm ?? 'auto';
  const unfit = algorithm === 'winograd' || algorithm === 'winograd4' ? winogradUnfit(kernel, stride, dilation, groups) : null;
  // Reported, not fatal: the shapes are known, so the layers after this one are still checked.
  if (unfit !== null) {
    ctx.error('E0416', `${ctx.name}: algorithm ${algorithm} (${algorithm === 'winograd' ? 'F(2×2,3×3)' : 'F(4×4,3×3)'}) needs a 3×3 kernel, stride 1, dilation 1 and groups 1, but ${unfit}`,
      'algorithm', 'use `algorithm: auto` (cnnc chooses from the shapes) or `im2col`');
  }
  const notDepthwise = algorithm === 'depthwise' ? depthwiseUnfit(c, out, groups) : null;
  if (notDepthwise !== null) {
    ctx.error('E0416', `${ctx.name}: algorithm depthwise needs one filter a channel (groups = in_channels = out_channels), but ${notDepthwise}`,
      'algorithm', 'use `algorithm: auto` (cnnc chooses from the shapes) or `direct`');
  }

  const fanIn = (c / groups) * kernel[0] * kernel[1];
  return {
    kind: 'conv2d',
    inChannels: c,
    outChannels: out,
    kernel,
    stride,
    padding,
    dilation,
    groups,
    bias,
    algorithm,
    outShape: [out, oh, ow],
    params: weightAndBias(ctx.name, [out, c / groups, kernel[0], kernel[1]], fanIn, bias),
    // One MAC per weight per output position: out·oh·ow · (in/groups)·kh·kw. (torchinfo also counts
    // the bias add, one per output element; we count multiply-accumulates only.)
    macs: out * oh * ow * fanIn,
  };
}

/** int, pair, `valid` (0) or `same` (PyTorch: total dilation·(k−1), top/left total//2, bottom/right the rest). */
function resolvePadding(spec: Conv2dSpec, kernel: Pair, stride: Pair, dilation: Pair, ctx: LayerCtx): Padding2d | null {
  const p = spec.padding ?? 0;
  if (p === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (p === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      // PyTorch: "padding='same' is not supported for strided convolutions".
      ctx.error('E0403', `${ctx.name}: padding 'same' needs stride 1, but the stride is ${fmtPair(stride)}`, 'padding',
        'PyTorch refuses this too; give the padding as a number');
      return null;
    }
    const th = dilation[0] * (kernel[0] - 1);
    const tw = dilation[1] * (kernel[1] - 1);
    return { top: th >> 1, bottom: th - (th >> 1), left: tw >> 1, right: tw - (tw >> 1) };
  }
  const [ph, pw] = pair(p);
  return { top: ph, bottom: ph, left: pw, right: pw };
}

// nn.ConvTranspose2d (https://pytorch.org/docs/1.13/generated/torch.nn.ConvTranspose2d.html): the
// gradient of a conv2d with respect to its input, used to upsample. Defaults: stride 1, padding 0,
// output_padding 0, groups 1, bias true, dilation 1. weight [in, out/groups, kh, kw].
//   out = (in − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1
// Init: reset_parameters() as conv2d's, but torch's _calculate_fan_in_and_fan_out reads weight dim 1,
// so fan_in = (out/groups)·kh·kw; the bias (out_channels values) uses the same bound 1/√fan_in.
import type { ConvTranspose2dNode } from '../../ir/types.js';
import type { ConvTranspose2dSpec } from '../../spec/types.js';
import { fmtPair } from '../format.js';
import { convChannelsFit, needImage, param, type LayerCtx, type LayerResult } from './common.js';
import { pair } from './window.js';

export function lowerConvTranspose2d(spec: ConvTranspose2dSpec, ctx: LayerCtx): LayerResult<ConvTranspose2dNode> | null {
  const chw = needImage(ctx, 'conv_transpose2d');
  if (!chw) return null;
  const [c, h, w] = chw;
  const kernel = pair(spec.kernel_size);
  const stride = pair(spec.stride ?? 1);
  const padding = pair(spec.padding ?? 0);
  const outputPadding = pair(spec.output_padding ?? 0);
  const dilation = pair(spec.dilation ?? 1);
  const groups = spec.groups ?? 1;
  const bias = spec.bias ?? true;
  const out = spec.out_channels;
  let ok = convChannelsFit(spec.in_channels, c, out, groups, ctx);
  // PyTorch: "output padding must be smaller than either stride or dilation".
  const badPad = [0, 1].filter((a) => !(outputPadding[a]! < stride[a]! || outputPadding[a]! < dilation[a]!));
  if (badPad.length > 0) {
    ctx.error('E0412',
      `${ctx.name}: output_padding ${fmtPair(outputPadding)} must be smaller than the stride ${fmtPair(stride)} or the dilation ${fmtPair(dilation)}`,
      'output_padding', 'PyTorch refuses this too: output_padding only picks one of the stride\'s possible output sizes');
    ok = false;
  }
  const size = (i: number, a: 0 | 1): number =>
    (i - 1) * stride[a] - 2 * padding[a] + dilation[a] * (kernel[a] - 1) + outputPadding[a] + 1;
  const oh = size(h, 0);
  const ow = size(w, 1);
  if (oh < 1 || ow < 1) {
    ctx.error('E0413', `${ctx.name}: the output would be ${oh}×${ow}: padding ${fmtPair(padding)} removes more than the ${h}×${w} input grows to`,
      'padding', 'use less padding (each unit removes a row or column on both sides)');
    return null;
  }
  if (!ok) return null;

  const fanIn = (out / groups) * kernel[0] * kernel[1];
  const weight = param(ctx.name, 'weight', [c, out / groups, kernel[0], kernel[1]], true, { kind: 'kaiming_uniform', fanIn });
  const params = bias ? [weight, param(ctx.name, 'bias', [out], true, { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) })] : [weight];
  return {
    kind: 'conv_transpose2d',
    inChannels: c,
    outChannels: out,
    kernel,
    stride,
    padding,
    outputPadding,
    dilation,
    groups,
    bias,
    outShape: [out, oh, ow],
    params,
    // Every input element meets every weight of its group: in·h·w · (out/groups)·kh·kw.
    macs: c * h * w * fanIn,
  };
}

// nn.Linear (https://pytorch.org/docs/1.13/generated/torch.nn.Linear.html): weight [out, in], bias [out].
import type { LinearNode } from '../../ir/types.js';
import type { LinearSpec } from '../../spec/types.js';
import { needFlat, weightAndBias, type LayerCtx, type LayerResult } from './common.js';

export function lowerLinear(spec: LinearSpec, ctx: LayerCtx): LayerResult<LinearNode> | null {
  const inF = needFlat(ctx, 'linear');
  if (inF === null) return null;
  if (spec.in_features !== undefined && spec.in_features !== inF) {
    ctx.error('E0406', `${ctx.name}: in_features is ${spec.in_features}, but its input has ${inF} features`,
      'in_features', `remove \`in_features\` (it is inferred) or make it ${inF}`);
    return null;
  }
  const out = spec.out_features;
  const bias = spec.bias ?? true;
  return {
    kind: 'linear',
    inFeatures: inF,
    outFeatures: out,
    bias,
    outShape: [out],
    params: weightAndBias(ctx.name, [out, inF], inF, bias),
    macs: inF * out,
  };
}

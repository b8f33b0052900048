// nn.BatchNorm2d (https://pytorch.org/docs/1.13/generated/torch.nn.BatchNorm2d.html).
// Defaults: eps 1e-5, momentum 0.1, affine true, track_running_stats true. state_dict order as
// PyTorch's: weight, bias, running_mean, running_var, num_batches_tracked.
import type { BatchNorm2dNode, ParamInfo } from '../../ir/types.js';
import type { BatchNorm2dSpec } from '../../spec/types.js';
import { needImage, param, type LayerCtx, type LayerResult } from './common.js';

export function lowerBatchNorm2d(spec: BatchNorm2dSpec, ctx: LayerCtx): LayerResult<BatchNorm2dNode> | null {
  const chw = needImage(ctx, 'batchnorm2d');
  if (!chw) return null;
  const c = chw[0];
  if (spec.num_features !== undefined && spec.num_features !== c) {
    ctx.error('E0406', `${ctx.name}: num_features is ${spec.num_features}, but its input has ${c} channels`,
      'num_features', `remove \`num_features\` (it is inferred) or make it ${c}`);
    return null;
  }
  const affine = spec.affine ?? true;
  const n = ctx.name;
  const params: ParamInfo[] = [
    ...(affine ? [param(n, 'weight', [c], true, { kind: 'ones' }), param(n, 'bias', [c], true, { kind: 'zeros' })] : []),
    param(n, 'running_mean', [c], false, { kind: 'zeros' }),
    param(n, 'running_var', [c], false, { kind: 'ones' }),
    // A scalar int64 in PyTorch, counting training batches; it only matters with momentum=None,
    // which cnnc does not offer. Kept (shape [], one element) so a weights file has exactly the
    // keys of PyTorch's state_dict; a float holds the count exactly up to 2^24 steps. PyTorch's
    // load_state_dict copies a float scalar into its int64 buffer; the other way, a PyTorch file
    // stores it as I64, which the runtime's safetensors reader must accept for this name.
    param(n, 'num_batches_tracked', [], false, { kind: 'zeros' }),
  ];
  return {
    kind: 'batchnorm2d',
    numFeatures: c,
    eps: spec.eps ?? 1e-5,
    momentum: spec.momentum ?? 0.1,
    affine,
    outShape: chw,
    params,
    macs: 0,
  };
}

// One shape rule per layer kind; the switch is exhaustive, so a new kind does not compile until it has one.
import { isActivationSpec } from '../../ir/activations.js';
import { assertNever } from '../../ir/types.js';
import type { LayerSpec } from '../../spec/types.js';
import type { LayerCtx, LayerResult } from './common.js';
import { lowerConv2d } from './conv2d.js';
import { lowerMaxPool2d } from './maxpool2d.js';
import { lowerAvgPool2d } from './avgpool2d.js';
import { lowerBatchNorm2d } from './batchnorm2d.js';
import { lowerActivation } from './activation.js';
import { lowerDropout } from './dropout.js';
import { lowerDropout2d } from './dropout2d.js';
import { lowerFlatten } from './flatten.js';
import { lowerLinear } from './linear.js';
import { lowerSoftmax } from './softmax.js';
import { lowerLogSoftmax } from './log_softmax.js';
import { lowerConvTranspose2d } from './conv_transpose2d.js';
import { lowerUpsample } from './upsample.js';
import { lowerGlobalAvgPool2d } from './global_avgpool2d.js';
import { lowerAdaptivePool2d } from './adaptive_pool2d.js';
import { lowerAdd } from './add.js';
import { lowerConcat } from './concat.js';
import { withInit } from '../init.js';

export type { LayerCtx, LayerResult } from './common.js';

/** The layer's resolved attributes, shape, params and MACs, or null after reporting why not. The spec's
 *  `init:` (layers with parameters) replaces PyTorch's default rules once the shapes are known. */
export function lowerLayer(spec: LayerSpec, ctx: LayerCtx): LayerResult | null {
  const r = lowerKind(spec, ctx);
  if (r === null || !('init' in spec) || spec.init === undefined) return r;
  return withInit(r, spec.init, { bias: 'bias' in spec ? spec.bias : undefined, affine: 'affine' in spec ? spec.affine : undefined }, ctx);
}

function lowerKind(spec: LayerSpec, ctx: LayerCtx): LayerResult | null {
  if (isActivationSpec(spec)) return lowerActivation(spec, ctx);
  switch (spec.kind) {
    case 'conv2d': return lowerConv2d(spec, ctx);
    case 'maxpool2d': return lowerMaxPool2d(spec, ctx);
    case 'avgpool2d': return lowerAvgPool2d(spec, ctx);
    case 'batchnorm2d': return lowerBatchNorm2d(spec, ctx);
    case 'dropout': return lowerDropout(spec, ctx);
    case 'dropout2d': return lowerDropout2d(spec, ctx);
    case 'flatten': return lowerFlatten(ctx);
    case 'linear': return lowerLinear(spec, ctx);
    case 'softmax': return lowerSoftmax(ctx);
    case 'log_softmax': return lowerLogSoftmax(ctx);
    case 'conv_transpose2d': return lowerConvTranspose2d(spec, ctx);
    case 'upsample': return lowerUpsample(spec, ctx);
    case 'global_avgpool2d': return lowerGlobalAvgPool2d(ctx);
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d': return lowerAdaptivePool2d(spec, ctx);
    case 'add': return lowerAdd(ctx);
    case 'concat': return lowerConcat(ctx);
    default: return assertNever(spec, 'layer kind');
  }
}

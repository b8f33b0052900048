// One gpu.js emitter per layer kind; this switch is the table (exhaustive: a new kind does not
// compile until it has kernels here too).
import { isActivation } from '../../ir/activations.js';
import { assertNever, type Node } from '../../ir/types.js';
import type { Ctx, LayerCode } from '../kernel.js';
import { emitActivation } from './activation.js';
import { emitAdd } from './add.js';
import { emitBatchNorm2d } from './batchnorm2d.js';
import { emitConcat } from './concat.js';
import { emitConv2d } from './conv2d.js';
import { emitConvTranspose2d } from './conv_transpose2d.js';
import { emitDropout } from './dropout.js';
import { emitGlobalAvgPool2d } from './global_avgpool2d.js';
import { emitAdaptivePool2d } from './adaptive_pool2d.js';
import { emitLinear } from './linear.js';
import { emitAvgPool2d, emitMaxPool2d } from './pool2d.js';
import { emitSoftmax } from './softmax.js';
import { emitUpsample } from './upsample.js';

/** Kernels and steps of one layer, or null for flatten (an alias: its tensor is its input's). */
export function emitLayer(node: Node, c: Ctx): LayerCode | null {
  if (isActivation(node)) return emitActivation(node, c);
  switch (node.kind) {
    case 'conv2d': return emitConv2d(node, c);
    case 'linear': return emitLinear(node, c);
    case 'maxpool2d': return emitMaxPool2d(node, c);
    case 'avgpool2d': return emitAvgPool2d(node, c);
    case 'batchnorm2d': return emitBatchNorm2d(node, c);
    case 'dropout':
    case 'dropout2d':
      return emitDropout(node, c);
    case 'softmax':
    case 'log_softmax':
      return emitSoftmax(node, c);
    case 'flatten':
      return null;
    case 'conv_transpose2d': return emitConvTranspose2d(node, c);
    case 'upsample': return emitUpsample(node, c);
    case 'global_avgpool2d': return emitGlobalAvgPool2d(node, c);
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d': return emitAdaptivePool2d(node, c);
    case 'add': return emitAdd(node, c);
    case 'concat': return emitConcat(node, c);
    default:
      return assertNever(node, 'node kind');
  }
}

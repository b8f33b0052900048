// One emitter per layer kind; this switch is the table (exhaustive: a new kind does not compile
// until it has kernels).
import { isActivation } from '../../ir/activations.js';
import { assertNever, type Node } from '../../ir/types.js';
import type { EmitOptions, LayerKernels } from '../kernel.js';
import { emitActivation } from './activation.js';
import { emitBatchNorm2d } from './batchnorm2d.js';
import { emitConv2d } from './conv2d.js';
import { emitDropout } from './dropout.js';
import { emitLinear } from './linear.js';
import { emitAvgPool2d, emitMaxPool2d } from './pool2d.js';
import { emitSoftmax } from './softmax.js';
import { emitConvTranspose2d } from './conv_transpose2d.js';
import { emitUpsample } from './upsample.js';
import { emitGlobalAvgPool2d } from './global_avgpool2d.js';
import { emitAdaptivePool2d } from './adaptive_pool2d.js';
import { emitAdd } from './add.js';
import { emitConcat } from './concat.js';

/** Kernels of one layer, or null for flatten (an alias: no work, no function). */
export function emitLayer(node: Node, o: EmitOptions): LayerKernels | null {
  if (isActivation(node)) return emitActivation(node, o);
  switch (node.kind) {
    case 'conv2d':
      return emitConv2d(node, o);
    case 'linear':
      return emitLinear(node, o);
    case 'maxpool2d':
      return emitMaxPool2d(node, o);
    case 'avgpool2d':
      return emitAvgPool2d(node, o);
    case 'batchnorm2d':
      return emitBatchNorm2d(node, o);
    case 'dropout':
    case 'dropout2d':
      return emitDropout(node, o);
    case 'softmax':
    case 'log_softmax':
      return emitSoftmax(node, o);
    case 'flatten':
      return null;
    case 'conv_transpose2d':
      return emitConvTranspose2d(node, o);
    case 'upsample':
      return emitUpsample(node, o);
    case 'global_avgpool2d':
      return emitGlobalAvgPool2d(node, o);
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d':
      return emitAdaptivePool2d(node, o);
    case 'add':
      return emitAdd(node, o);
    case 'concat':
      return emitConcat(node, o);
    default:
      return assertNever(node, 'node kind');
  }
}

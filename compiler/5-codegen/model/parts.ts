// What the model-class emitters share: the planned model, the kernels emitted for it, and the names
// the class gives a parameter's view and its gradient.
import { assertNever, type Node, type ParamInfo } from '../../ir/types.js';
import type { PlannedModel } from '../../ir/plan.js';
import type { Dtype, LayerKernels } from '../kernel.js';
import type { LossCode } from '../losses/index.js';

export interface ModelParts {
  readonly planned: PlannedModel;
  readonly dtype: Dtype;
  /** The array type of the dtype: Float32Array or Float64Array. */
  readonly F: string;
  readonly className: string;
  /** Kernels per node (null: flatten, or a layer fused into another), in node order. */
  readonly kernels: ReadonlyMap<string, LayerKernels | null>;
  readonly loss: LossCode;
  /** The output node. */
  readonly out: Node;
  /** Emit the profiling timers (GenerateOptions.profile; runtime/profile.ts's slots). */
  readonly profile: boolean;
}

/** Field-name suffix of a parameter view (and of its gradient). Never contains `_`. */
export function paramField(role: ParamInfo['role']): { data: string; grad: string } {
  switch (role) {
    case 'weight': return { data: 'W', grad: 'dW' };
    case 'bias': return { data: 'B', grad: 'dB' };
    case 'running_mean': return { data: 'runningMean', grad: 'dRunningMean' };
    case 'running_var': return { data: 'runningVar', grad: 'dRunningVar' };
    case 'num_batches_tracked': return { data: 'numBatchesTracked', grad: 'dNumBatchesTracked' };
    default: return assertNever(role, 'parameter role');
  }
}

export const arrayType = (d: Dtype): string => (d === 'float32' ? 'Float32Array' : 'Float64Array');

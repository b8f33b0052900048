// The optimizer and training settings with PyTorch's defaults filled in (the loss: loss.ts; data: data.ts).
import type { SourceMap } from '../1-parse/source-map.js';
import { assertNever, type OptimizerIR, type TrainIR } from '../ir/types.js';
import type { OptimizerSpec, TrainSpec } from '../spec/types.js';

/** torch.optim 1.13 defaults: SGD momentum 0, dampening 0, nesterov false, weight_decay 0;
 *  Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0, amsgrad false; AdamW the same but weight_decay 0.01;
 *  RMSprop lr 1e-2, alpha 0.99, eps 1e-8, weight_decay 0, momentum 0, centered false;
 *  Adagrad lr 1e-2, lr_decay 0, weight_decay 0, initial_accumulator_value 0, eps 1e-10;
 *  Adadelta lr 1.0, rho 0.9, eps 1e-6, weight_decay 0 (the runtime's RMSPROP_DEFAULTS etc., test/lower/optimizer.test.ts). */
export function lowerOptimizer(spec: OptimizerSpec, map: SourceMap): OptimizerIR {
  const span = map.value(['optimizer', 'kind']);
  switch (spec.kind) {
    case 'sgd':
      return {
        kind: 'sgd',
        lr: spec.lr,
        momentum: spec.momentum ?? 0,
        dampening: spec.dampening ?? 0,
        nesterov: spec.nesterov ?? false,
        weightDecay: spec.weight_decay ?? 0,
        span,
      };
    case 'adam':
    case 'adamw':
      return {
        kind: spec.kind,
        lr: spec.lr ?? 1e-3,
        betas: spec.betas ? [spec.betas[0], spec.betas[1]] : [0.9, 0.999],
        eps: spec.eps ?? 1e-8,
        weightDecay: spec.weight_decay ?? (spec.kind === 'adamw' ? 0.01 : 0),
        amsgrad: spec.amsgrad ?? false,
        span,
      };
    case 'rmsprop':
      return {
        kind: 'rmsprop',
        lr: spec.lr ?? 1e-2,
        alpha: spec.alpha ?? 0.99,
        eps: spec.eps ?? 1e-8,
        weightDecay: spec.weight_decay ?? 0,
        momentum: spec.momentum ?? 0,
        centered: spec.centered ?? false,
        span,
      };
    case 'adagrad':
      return {
        kind: 'adagrad',
        lr: spec.lr ?? 1e-2,
        lrDecay: spec.lr_decay ?? 0,
        weightDecay: spec.weight_decay ?? 0,
        initialAccumulatorValue: spec.initial_accumulator_value ?? 0,
        eps: spec.eps ?? 1e-10,
        span,
      };
    case 'adadelta':
      return { kind: 'adadelta', lr: spec.lr ?? 1.0, rho: spec.rho ?? 0.9, eps: spec.eps ?? 1e-6, weightDecay: spec.weight_decay ?? 0, span };
    default:
      return assertNever(spec, 'optimizer kind');
  }
}

/** The plain settings; the recipe around the optimizer (clip, early stopping) is recipe.ts's. */
export function lowerTrain(spec: TrainSpec | undefined): Omit<TrainIR, 'clip' | 'earlyStopping'> {
  const batchSize = spec?.batch_size ?? 64;
  return { batchSize, epochs: spec?.epochs ?? 1, seed: spec?.seed ?? 0, evalBatchSize: spec?.eval_batch_size ?? batchSize, shuffle: spec?.shuffle ?? true };
}

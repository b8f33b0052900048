// The loss, optimizer, training and data settings with PyTorch's defaults filled in, and the
// check that the loss fits the model's output.
import type { SourceMap } from '../1-parse/source-map.js';
import { assertNever, type DataIR, type LossIR, type OptimizerIR, type Shape, type TrainIR } from '../ir/types.js';
import type { DataSpec, LossSpec, OptimizerSpec, TrainSpec } from '../spec/types.js';
import { fmtShape } from './format.js';
import type { Report } from './report.js';

/** nn.CrossEntropyLoss / nn.NLLLoss (1.13): label_smoothing 0, no class weights, mean reduction. */
export function lowerLoss(spec: LossSpec, map: SourceMap): LossIR {
  const span = map.value(['loss', 'kind']);
  const weight = spec.weight ?? null;
  switch (spec.kind) {
    case 'cross_entropy': return { kind: 'cross_entropy', labelSmoothing: spec.label_smoothing ?? 0, weight, span };
    case 'nll': return { kind: 'nll', weight, span };
    default: return assertNever(spec, 'loss kind');
  }
}

/** Both losses read a flat [classes] output (targets are class indices); class weights, one per class. */
export function checkLossFit(loss: LossIR, output: Shape, outputName: string, map: SourceMap, report: Report): void {
  if (output.length !== 1) {
    report('E0501',
      `${loss.kind} needs a flat [classes] output, but the model's output (${outputName}) is ${fmtShape(output)}`,
      loss.span, 'end the model with `flatten` and a `linear` whose out_features is the number of classes');
    return;
  }
  const classes = output[0]!;
  if (loss.weight !== null && loss.weight.length !== classes) {
    report('E0502',
      `loss weight has ${loss.weight.length} class weights, but the model's output has ${classes} classes`,
      map.value(['loss', 'weight']), `give one weight per class (${classes})`);
  }
}

/** torch.optim 1.13 defaults: SGD momentum 0, dampening 0, nesterov false, weight_decay 0;
 *  Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0; AdamW the same but weight_decay 0.01. */
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
        span,
      };
    default:
      return assertNever(spec, 'optimizer kind');
  }
}

export function lowerTrain(spec: TrainSpec | undefined): TrainIR {
  return { batchSize: spec?.batch_size ?? 64, epochs: spec?.epochs ?? 1, seed: spec?.seed ?? 0 };
}

/** The embedded MNIST digits unless the spec names a directory of IDX files. The path is kept as
 *  written, so the IR (and generated code) does not depend on where cnnc runs; consumers resolve
 *  it against the spec's directory, dirname(ir.file). */
export function lowerData(spec: DataSpec | undefined): DataIR {
  if (spec === undefined || spec.source === 'mnist') return { source: 'mnist' };
  return { source: 'idx', path: spec.path };
}

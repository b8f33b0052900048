// The training recipe around the optimizer: the spec's `scheduler:`, and `train:`'s gradient clipping and early
// stopping, checked against the rest of the spec (which metrics the run computes, which optimizer it steps) with
// PyTorch's and Keras's defaults filled in. The schema has checked each argument's range; what needs two values or
// the rest of the spec is checked here, at the position of the value at fault.
import type { SourceMap } from '../1-parse/source-map.js';
import { MNIST10K_SIZES, type EarlyStoppingDescription, type MetricName } from '../../runtime/contracts.js';
import type { ScheduleSpec } from '../../runtime/train/schedule.js';
import type { DataIR, LossIR, OptimizerIR, ScheduleIR, TrainIR } from '../ir/types.js';
import type { SchedulerSpec, TrainSpec } from '../spec/types.js';
import type { Report } from './report.js';

export interface RecipeContext {
  readonly loss: LossIR;
  readonly data: DataIR;
  readonly optimizer: OptimizerIR;
  readonly train: Pick<TrainIR, 'batchSize' | 'epochs'>;
  readonly map: SourceMap;
  readonly report: Report;
}

/** Whether the run has a validation split: known from the spec, or only once the folder is listed (a val/ folder). */
type ValSplit = 'yes' | 'no' | 'maybe';

function valSplit(d: DataIR): ValSplit {
  switch (d.source) {
    case 'mnist':
    case 'idx':
      return d.valSplit !== null ? 'yes' : 'no';
    case 'csv':
      return d.val !== null || d.valSplit !== null ? 'yes' : 'no';
    case 'folder':
      return d.valSplit !== null ? 'yes' : 'maybe';
  }
}

/** A metric the run cannot compute, said once: null where it can (or may: a folder's val/ is checked at the start). */
function missingMetric(metric: MetricName, c: RecipeContext): { message: string; hint: string } | null {
  const perPixel = c.loss.labelShape.length > 0;
  if (metric.endsWith('_miou') && !perPixel) {
    return { message: `${metric} is measured for per-pixel outputs only; this model's output is one prediction per image`, hint: `monitor ${metric.replace('_miou', '_accuracy')} or ${metric.replace('_miou', '_loss')}` };
  }
  if (metric.startsWith('val_') && valSplit(c.data) === 'no') {
    const how = c.data.source === 'csv' ? 'add data.val (a manifest) or data.val_split' : c.data.source === 'folder' ? 'add data.val_split, or a val/ folder' : 'add data.val_split (e.g. 0.1)';
    return { message: `${metric} needs a validation split, and the data has none`, hint: how };
  }
  return null;
}

/** milestones strictly increasing (the schema checks each is an integer in range). */
function checkIncreasing(ms: readonly number[], path: (string | number)[], c: RecipeContext): boolean {
  for (let i = 1; i < ms.length; i++) {
    if (!(ms[i]! > ms[i - 1]!)) {
      c.report('E0901', `milestones must increase: ${ms[i - 1]} then ${ms[i]}`, c.map.value([...path, i]), `write them in increasing order, each once: [${[...new Set(ms)].sort((a, b) => a - b).join(', ')}]`);
      return false;
    }
  }
  return true;
}

/** Steps in the whole run where the data's size is known now (the embedded MNIST), else null. */
function runSteps(c: RecipeContext): number | null {
  return c.data.source === 'mnist' ? c.train.epochs * Math.ceil(MNIST10K_SIZES.train / c.train.batchSize) : null;
}

export function lowerScheduler(spec: SchedulerSpec | undefined, c: RecipeContext): ScheduleIR | null {
  if (spec === undefined) return null;
  const { map, report } = c;
  const span = map.value(['scheduler', 'kind']);
  const { interval, monitor, ...torch } = spec;
  const s = torch as ScheduleSpec;
  if (s.kind === 'multistep_lr') checkIncreasing(s.milestones, ['scheduler', 'milestones'], c);
  if (s.kind === 'sequential_lr') {
    if (checkIncreasing(s.milestones, ['scheduler', 'milestones'], c) && s.milestones.length !== s.schedulers.length - 1) {
      report('E0901', `sequential_lr switches between ${s.schedulers.length} schedulers at ${s.schedulers.length - 1} milestone${s.schedulers.length === 2 ? '' : 's'}, but ${s.milestones.length} ${s.milestones.length === 1 ? 'is' : 'are'} given`,
        map.value(['scheduler', 'milestones']), 'give one milestone fewer than the schedulers: the epoch at which each next one takes over');
    }
    s.schedulers.forEach((child, i) => {
      if (child.kind === 'multistep_lr') checkIncreasing(child.milestones, ['scheduler', 'schedulers', i, 'milestones'], c);
      if ('interval' in child) {
        report('E0901', "sequential_lr's schedulers step when it does: an interval here has no meaning of its own", map.key(['scheduler', 'schedulers', i, 'interval']),
          'write `interval:` on sequential_lr itself');
      }
    });
  }
  if (s.kind === 'one_cycle_lr') {
    const kind = c.optimizer.kind; // torch's optimizers without a momentum (or betas)
    if ((kind === 'adagrad' || kind === 'adadelta') && s.cycle_momentum !== false) {
      report('E0904', `one_cycle_lr cycles the momentum by default, and ${kind} has none (torch: "optimizer must support momentum with \`cycle_momentum\` option enabled")`,
        map.value(['scheduler', s.cycle_momentum === undefined ? 'kind' : 'cycle_momentum']), 'set cycle_momentum: false');
    }
    const total = s.total_steps ?? (s.epochs !== undefined && s.steps_per_epoch !== undefined ? s.epochs * s.steps_per_epoch : null);
    const steps = runSteps(c);
    if (total !== null && steps !== null && total < steps) {
      const key = s.total_steps !== undefined ? 'total_steps' : 'epochs';
      report('E0902', `one_cycle_lr's cycle is ${total} steps, but the run takes ${steps} (${c.train.epochs} epoch${c.train.epochs === 1 ? '' : 's'} × ${steps / c.train.epochs} batches of ${c.train.batchSize}); PyTorch stops with "Tried to step ${total + 1} times"`,
        map.value(['scheduler', key]), `leave total_steps, epochs and steps_per_epoch out: the cycle is then the run's ${steps} steps`);
    }
  }
  let watched: MetricName | null = null;
  if (s.kind === 'reduce_lr_on_plateau') {
    watched = monitor ?? 'val_loss';
    const missing = missingMetric(watched, c);
    if (missing !== null) report('E0903', `reduce_lr_on_plateau monitors ${missing.message}`, map.value(['scheduler', monitor === undefined ? 'kind' : 'monitor']), missing.hint);
  }
  const cyclesMomentum = s.kind === 'one_cycle_lr' && s.cycle_momentum !== false;
  return { spec: s, interval: s.kind === 'one_cycle_lr' ? 'step' : interval ?? 'epoch', monitor: watched, cyclesMomentum, span };
}

export function lowerClip(spec: TrainSpec | undefined, c: RecipeContext): TrainIR['clip'] {
  if (spec?.clip_grad_norm !== undefined && spec.clip_grad_value !== undefined) {
    c.report('E0905', 'clip_grad_norm and clip_grad_value both given: which runs first changes the result', c.map.key(['train', 'clip_grad_value']), 'keep one of them');
  }
  if (spec?.clip_grad_norm !== undefined) {
    const p = spec.clip_grad_norm.norm_type ?? 2;
    return { kind: 'norm', maxNorm: spec.clip_grad_norm.max_norm, normType: p === 'inf' ? Infinity : p, span: c.map.key(['train', 'clip_grad_norm']) };
  }
  if (spec?.clip_grad_value !== undefined) return { kind: 'value', clipValue: spec.clip_grad_value.clip_value, span: c.map.key(['train', 'clip_grad_value']) };
  return null;
}

export function lowerEarlyStopping(spec: TrainSpec | undefined, c: RecipeContext): EarlyStoppingDescription | null {
  const e = spec?.early_stopping;
  if (e === undefined) return null;
  const monitor = e.monitor ?? 'val_loss';
  const at = c.map.value(['train', 'early_stopping', 'monitor']); // the block itself where monitor is not written
  const missing = missingMetric(monitor, c);
  if (missing !== null) c.report('E0903', `early_stopping monitors ${missing.message}`, at, missing.hint);
  else if (monitor.startsWith('test_')) {
    c.report('W0614', `early_stopping monitors ${monitor}: the test set then chooses the epoch, and its accuracy is no longer an unbiased estimate`, at,
      'add data.val_split and monitor val_loss');
  }
  // Keras: auto is max for an accuracy (and, here, a mean IoU), min otherwise.
  const mode = e.mode === undefined || e.mode === 'auto' ? (monitor.endsWith('_accuracy') || monitor.endsWith('_miou') ? 'max' : 'min') : e.mode;
  return { monitor, patience: e.patience ?? 0, minDelta: e.min_delta ?? 0, mode };
}

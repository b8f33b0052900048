// The training loop, browser-safe: epochs of shuffled mini-batches, a test evaluation after each
// epoch, and the position needed to stop and resume anywhere. Files, signals and progress output
// are the caller's (bin/train/run.ts for `cnnc train`), through the hooks.
//
// Batching follows torch.utils.data.DataLoader(shuffle=True, drop_last=False): the last partial
// batch is kept, so an epoch is ceil(n / batchSize) steps.
import type { EarlyStoppingDescription, LossDescription, MetricName, ScheduleDescription } from '../contracts.js';
import { sampleSizeOf, type BatchStream, type LabeledImages } from '../data/idx.js';
import type { CompiledModel } from '../model.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { EarlyStopping, metricValue, resolveSchedule, type EarlyStoppingState } from './recipe.js';
import { createSchedule, type ScheduleState } from './schedule.js';
import { epochPermutation } from './shuffle.js';

export interface LoopConfig {
  readonly seed: number;
  readonly batchSize: number;
  /** Total epochs of the run (a resumed run counts the ones already done). */
  readonly epochs: number;
  readonly loss: LossDescription;
  /** Stop with a checkpoint after this many steps in total (counted from the run's start). */
  readonly maxSteps?: number;
  /** Samples per forward pass of the evaluations (default batchSize). */
  readonly evalBatchSize?: number;
  /** false: every epoch in the data's own order (DataLoader(shuffle=False)); default true. */
  readonly shuffle?: boolean;
  /** The base learning rate (the spec's, or --lr): what a schedule starts from, and metrics' `lr` without one. */
  readonly lr?: number;
  /** A learning-rate schedule (needs lr), stepped after every step or every epoch. */
  readonly schedule?: ScheduleDescription | null;
  /** Keras's EarlyStopping: the run ends after `patience` epochs without improvement. */
  readonly earlyStopping?: EarlyStoppingDescription | null;
}

/** Where a run stands; saved in checkpoints. Epochs are 0-based here, 1-based in messages. */
export interface Position {
  /** The epoch in progress (equal to `epochs` when the run is complete). */
  readonly epoch: number;
  /** Steps of `epoch` already done. */
  readonly stepInEpoch: number;
  readonly globalStep: number;
  /** Σ loss·n and Σ n over this epoch's steps so far (the epoch's train loss is their ratio). */
  readonly lossSum: number;
  readonly lossCount: number;
  /** The schedule's and early stopping's state where the run has them (a checkpoint keeps them); absent at the start. */
  readonly schedule?: ScheduleState | null;
  readonly earlyStopping?: EarlyStoppingState | null;
}

export const START: Position = { epoch: 0, stepInEpoch: 0, globalStep: 0, lossSum: 0, lossCount: 0 };

export interface EpochMetrics {
  /** 1-based. */
  readonly epoch: number;
  readonly loss: number;
  /** The test split's loss and accuracy: every epoch, or, with a validation split, after the last epoch
   *  only (the test set is looked at once, at the end). */
  readonly test_loss?: number;
  /** Per sample, per pixel (segmentation) or per binary output (0/1 targets). */
  readonly test_accuracy?: number;
  /** Mean IoU over the classes, for per-pixel outputs only. */
  readonly test_miou?: number;
  /** The validation split's, every epoch, where the data has one (a val/ folder or manifest, val_split). */
  readonly val_loss?: number;
  readonly val_accuracy?: number;
  readonly val_miou?: number;
  /** The learning rate of the epoch's last step (a schedule's, or the constant one). */
  readonly lr?: number;
  readonly images_per_s: number;
  readonly seconds: number;
  /**
   * The training loss through the epoch, for the report's per-step curve: at most
   * MAX_STEP_POINTS values; value j of K is the mean loss of the steps ⌊j·S/K⌋ … ⌊(j+1)·S/K⌋ − 1
   * of the epoch's S steps (so each step's own loss when S ≤ MAX_STEP_POINTS), and lies
   * (j + 1)/K of the way through the epoch. null where no step of the range ran in this process
   * (the first part of an epoch resumed from a checkpoint). Absent in runs of older cnnc versions.
   * Not a column of metrics.jsonl: `cnnc train` writes it to steps.jsonl.
   */
  readonly step_losses?: readonly (number | null)[];
}

/** Values per epoch in `step_losses`: enough for a curve, few enough to keep checkpoints small
 *  (TensorBoard keeps 1,000 points of a scalar). */
export const MAX_STEP_POINTS = 100;

/** The epoch's per-step losses (NaN: not run here) as at most `max` means of equal runs of steps. */
export function stepPoints(losses: ArrayLike<number>, max = MAX_STEP_POINTS): (number | null)[] {
  const steps = losses.length;
  const k = Math.min(steps, max);
  const out: (number | null)[] = [];
  for (let j = 0; j < k; j++) {
    let sum = 0;
    let n = 0;
    for (let i = Math.floor((j * steps) / k); i < Math.floor(((j + 1) * steps) / k); i++) {
      if (Number.isNaN(losses[i]!)) continue;
      sum += losses[i]!;
      n++;
    }
    out.push(n === 0 ? null : Number((sum / n).toPrecision(6)));
  }
  return out;
}

export interface StepInfo {
  readonly position: Position;
  readonly stepsPerEpoch: number;
  /** Training images per second in this epoch so far (this process only). */
  readonly imagesPerSecond: number;
}

export interface LoopHooks {
  /** After every step; may await (the CLI yields to the event loop here so Ctrl-C is seen). */
  onStep?(info: StepInfo): void | Promise<void>;
  /** True when the user asked to stop (Ctrl-C): the loop ends after the current step. */
  stopRequested?(): boolean;
  /** After each epoch's evaluation, with the position at the start of the next epoch; `best`: early stopping counts
   *  this epoch the best so far (its weights are the ones to keep). */
  onEpoch?(metrics: EpochMetrics, evaluation: Evaluation, position: Position, epoch?: { readonly best: boolean }): void | Promise<void>;
  /** Clock in milliseconds (injectable for tests). */
  now?(): number;
}

export type LoopResult =
  | {
      readonly kind: 'done';
      readonly position: Position;
      /** With early stopping: its best epoch (1-based) and value, and `stoppedAfter` the epoch after which it ended the
       *  run, null where every epoch ran. */
      readonly earlyStopping?: { readonly stoppedAfter: number | null; readonly bestEpoch: number; readonly monitor: MetricName; readonly best: number };
    }
  | { readonly kind: 'stopped'; readonly reason: 'max-steps' | 'interrupt'; readonly position: Position }
  | {
      readonly kind: 'non-finite';
      readonly loss: number;
      /** 1-based epoch and step of the step whose loss was not finite. */
      readonly epoch: number;
      readonly step: number;
      readonly where: { readonly layer: string; readonly tensor: string } | null;
    };

export async function trainLoop(
  model: CompiledModel,
  data: { readonly train: LabeledImages; readonly test: LabeledImages; readonly val?: LabeledImages },
  config: LoopConfig,
  from: Position = START,
  hooks: LoopHooks = {},
): Promise<LoopResult> {
  const now = hooks.now ?? (() => Date.now());
  const { train } = data;
  const sampleSize = sampleSizeOf(train);
  // Labels per sample: 1 (a class or a 0/1 target), or a label map's pixels.
  const labelSize = train.labels.length / train.n;
  const stepsPerEpoch = Math.ceil(train.n / config.batchSize);
  const x = new Float32Array(config.batchSize * sampleSize);
  const y = new Int32Array(config.batchSize * labelSize);
  let pos = from;
  const recipe = startRecipe(model, config, stepsPerEpoch, from);
  const { schedule, stopper } = recipe;
  const withState = (p: Position): Position => ({ ...p, schedule: schedule?.getState() ?? null, earlyStopping: stopper?.getState() ?? null });
  if (stopper?.hasStopped === true) return { kind: 'done', position: pos, earlyStopping: stopper.summary(from.epoch) };
  const perStep = config.schedule?.interval === 'step';
  // A test metric watched (early stopping, reduce_lr_on_plateau) is measured every epoch, even with a validation split.
  const watchesTest = [config.earlyStopping?.monitor, config.schedule?.monitor].some((m) => m?.startsWith('test_') === true);
  model.train();
  while (pos.epoch < config.epochs) {
    const perm = config.shuffle === false ? Uint32Array.from({ length: train.n }, (_, i) => i) : epochPermutation(config.seed, pos.epoch, train.n);
    const epochStart = now();
    let images = 0;
    const stepLosses = new Float64Array(stepsPerEpoch).fill(NaN);
    // Batches prepared ahead where the data offers it (worker threads); closed when the epoch ends or the run stops.
    const feed: BatchStream | null = train.batches?.open(perm, pos.epoch, config.batchSize, pos.stepInEpoch) ?? null;
    try {
      while (pos.stepInEpoch < stepsPerEpoch) {
        if (config.maxSteps !== undefined && pos.globalStep >= config.maxSteps) return { kind: 'stopped', reason: 'max-steps', position: withState(pos) };
        if (hooks.stopRequested?.()) return { kind: 'stopped', reason: 'interrupt', position: withState(pos) };
        const begin = pos.stepInEpoch * config.batchSize;
        const n = Math.min(config.batchSize, train.n - begin);
        const prepared = feed === null ? null : await feed.next();
        for (let i = 0; i < n; i++) {
          const k = perm[begin + i]!;
          if (prepared === null) writeSample(train, k, pos.epoch, x, i * sampleSize, sampleSize);
          if (labelSize === 1) y[i] = train.labels[k]!;
          else y.set(train.labels.subarray(k * labelSize, (k + 1) * labelSize), i * labelSize);
        }
        const loss = model.trainStep(prepared ?? x.subarray(0, n * sampleSize), y.subarray(0, n * labelSize), n);
        if (!Number.isFinite(loss)) {
          return { kind: 'non-finite', loss, epoch: pos.epoch + 1, step: pos.stepInEpoch + 1, where: model.findNonFinite() };
        }
        images += n;
        stepLosses[pos.stepInEpoch] = loss;
        recipe.stepLr = recipe.lr;
        if (perStep) recipe.advance(); // scheduler.step() after optimizer.step(), as PyTorch's loop calls it
        pos = {
          epoch: pos.epoch,
          stepInEpoch: pos.stepInEpoch + 1,
          globalStep: pos.globalStep + 1,
          lossSum: pos.lossSum + loss * n,
          lossCount: pos.lossCount + n,
        };
        await hooks.onStep?.({ position: pos, stepsPerEpoch, imagesPerSecond: (images * 1000) / Math.max(1, now() - epochStart) });
      }
    } finally {
      feed?.close();
    }
    const trainMs = Math.max(1, now() - epochStart);
    // With a validation split, it is measured every epoch and the test split after the last one only.
    const evalBatch = config.evalBatchSize ?? config.batchSize;
    const val = data.val === undefined ? null : evaluate(model, data.val, config.loss, evalBatch);
    let test = val === null || watchesTest ? evaluate(model, data.test, config.loss, evalBatch) : null;
    const measured = {
      loss: pos.lossSum / pos.lossCount,
      ...(val === null ? {} : { val_loss: val.loss, val_accuracy: val.accuracy, ...(val.miou === null ? {} : { val_miou: val.miou }) }),
      ...(test === null ? {} : { test_loss: test.loss, test_accuracy: test.accuracy, ...(test.miou === null ? {} : { test_miou: test.miou }) }),
    };
    const verdict = stopper?.update(pos.epoch + 1, watched(measured, config.earlyStopping!.monitor)) ?? null;
    // The test split is looked at once, after the run's last epoch, which early stopping may make this one.
    if (test === null && (pos.epoch + 1 === config.epochs || verdict?.stop === true)) test = evaluate(model, data.test, config.loss, evalBatch);
    const evaluation = test ?? val!;
    const metrics: EpochMetrics = {
      epoch: pos.epoch + 1,
      loss: measured.loss,
      ...(test === null ? {} : { test_loss: test.loss, test_accuracy: test.accuracy, ...(test.miou === null ? {} : { test_miou: test.miou }) }),
      ...(val === null ? {} : { val_loss: val.loss, val_accuracy: val.accuracy, ...(val.miou === null ? {} : { val_miou: val.miou }) }),
      ...(recipe.stepLr === null ? {} : { lr: recipe.stepLr }),
      images_per_s: (images * 1000) / trainMs,
      seconds: (now() - epochStart) / 1000,
      step_losses: stepPoints(stepLosses),
    };
    // An epoch schedule steps after the epoch (reduce_lr_on_plateau on its metric), before the next one's first step.
    if (schedule !== null && !perStep) recipe.advance(config.schedule!.monitor === null ? undefined : watched(measured, config.schedule!.monitor));
    pos = withState({ epoch: pos.epoch + 1, stepInEpoch: 0, globalStep: pos.globalStep, lossSum: 0, lossCount: 0 });
    await hooks.onEpoch?.(metrics, evaluation, pos, { best: verdict?.improved === true });
    // A stop at the last epoch is no early stop: the run was ending there anyway.
    if (verdict?.stop === true && pos.epoch < config.epochs) return { kind: 'done', position: pos, earlyStopping: stopper!.summary(pos.epoch) };
  }
  return { kind: 'done', position: pos, ...(stopper === null ? {} : { earlyStopping: stopper.summary(null) }) };
}

/** Sample k as epoch `epoch` trains on it into x at `offset`: a fresh augmentation draw, a streamed read, or the image. */
function writeSample(train: LabeledImages, k: number, epoch: number, x: Float32Array, offset: number, size: number): void {
  if (train.sample !== undefined) train.sample(k, epoch, x, offset);
  else if (train.read !== undefined) train.read(k, x, offset);
  else x.set(train.images.subarray(k * size, (k + 1) * size), offset);
}

/** The value of a watched metric this epoch; the run's start checks that it is measured (bin/train/run.ts). */
function watched(m: Readonly<Partial<Record<MetricName, number>>>, name: MetricName): number {
  const v = metricValue(m, name);
  if (v === undefined) throw new RangeError(`${name} is not measured by this run (it has ${Object.keys(m).join(', ')})`);
  return v;
}

interface Recipe {
  readonly schedule: ReturnType<typeof createSchedule> | null;
  readonly stopper: (EarlyStopping & { summary(stoppedAfter: number | null): NonNullable<Extract<LoopResult, { kind: 'done' }>['earlyStopping']> }) | null;
  /** The learning rate the next step uses (null: none known, no lr in the config). */
  readonly lr: number | null;
  /** The lr of the last step taken (metrics' `lr`). */
  stepLr: number | null;
  /** scheduler.step(metric), then the new lr (and momentum) into the model. */
  advance(metric?: number): void;
}

/** The schedule and early stopping at `from` (a resumed run's saved state), the schedule's lr set in the model. */
function startRecipe(model: CompiledModel, config: LoopConfig, stepsPerEpoch: number, from: Position): Recipe {
  let schedule: Recipe['schedule'] = null;
  if (config.schedule != null) {
    if (config.lr === undefined) throw new RangeError('a schedule needs the base learning rate (LoopConfig.lr)');
    schedule = createSchedule(resolveSchedule(config.schedule, { epochs: config.epochs, stepsPerEpoch }), config.lr);
    if (from.schedule != null) schedule.setState(from.schedule);
  }
  const apply = (): void => {
    if (schedule === null) return;
    model.setLearningRate(schedule.lr());
    const m = schedule.momentum();
    if (m === null) return;
    if (model.setMomentum === undefined) throw new RangeError(`${config.schedule!.spec.kind} cycles the momentum, and this model has no setMomentum`);
    model.setMomentum(m);
  };
  apply();
  let stopper: Recipe['stopper'] = null;
  if (config.earlyStopping != null) {
    const d = config.earlyStopping;
    const e = new EarlyStopping(d);
    if (from.earlyStopping != null) e.setState(from.earlyStopping);
    stopper = Object.assign(e, {
      summary(stoppedAfter: number | null) {
        const s = e.getState();
        return { stoppedAfter, bestEpoch: s.bestEpoch, monitor: d.monitor, best: typeof s.best === 'number' ? s.best : NaN };
      },
    });
  }
  const r: Recipe = {
    schedule,
    stopper,
    get lr() {
      return schedule !== null ? schedule.lr() : config.lr ?? null;
    },
    stepLr: null,
    advance(metric?: number) {
      schedule!.step(metric);
      apply();
    },
  };
  return r;
}

// `cnnc train`, minus flag parsing: the run directory, checkpoints, resume, the NaN guard, Ctrl-C
// and the progress output around the browser-safe loop in runtime/train/. It reads the IR (the spec's
// settings, the loss, the data), so it lives with the CLI, not in the runtime an app loads.
//
// NOTE for CODEGEN: the loop sets the learning rate with `CompiledModel.setLearningRate(lr)`
// (added to runtime/model.ts for `--lr`); generated models must implement it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { ModelIR } from '../../compiler/ir/types.js';
import type { LabeledImages } from '../../runtime/data/idx.js';
import type { CompiledModel } from '../../runtime/model.js';
import { getThreads } from '../../runtime/threads.js';
import { CheckpointError, encodeCheckpoint, readCheckpointInfo, restoreCheckpoint, type RunSettings } from '../../runtime/train/checkpoint.js';
import type { Evaluation } from '../../runtime/train/evaluate.js';
import { START, trainLoop, type EpochMetrics, type LoopResult, type Position } from '../../runtime/train/loop.js';
import { reportSvg } from '../../runtime/train/report-svg.js';
import { resolveSchedule } from '../../runtime/train/recipe.js';
import { chooseData, loadDataAsync } from '../../runtime/node/data/load.js';
import { removeStaleTemps } from '../../runtime/node/atomic.js';
import { weightsWithClassNames } from '../../runtime/class-names.js';
import { decodeProgress } from './decode-progress.js';
import { fileError, makeDirectory, writeFile, writeFiles } from '../fs-errors.js';
import { eventJson, eventText, type TrainEvent } from './events.js';
import { lockRunDirectory, RunLockedError } from './lock.js';
import { Progress, type ProgressSink } from './progress.js';
import { EXIT } from '../exit.js';

export interface TrainOptions {
  readonly specFile: string;
  readonly specSource: string;
  readonly ir: ModelIR;
  /** The generated module's source, copied to the run directory. */
  readonly code: string;
  readonly cnncVersion: string;
  createModel(o: { seed: number }): CompiledModel;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  readonly seed?: number;
  readonly data?: string;
  readonly out?: string;
  readonly resume?: string;
  /** Train into `out` even if it holds a run: the old run's files are removed first. */
  readonly force?: boolean;
  /** Events as JSON lines on stdout (bin/train/events.ts), no progress bar. */
  readonly json?: boolean;
  readonly maxSteps?: number;
  /** Train and test on evenly spaced subsets of this many images (smoke runs, tests). */
  readonly limit?: number;
  readonly stdout: { write(text: string): void };
  readonly stderr: ProgressSink;
  /** Polled after every step; the CLI sets it on Ctrl-C. */
  stopRequested?(): boolean;
}


export class TrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainError';
  }
}

interface Plan {
  readonly settings: RunSettings;
  readonly out: string;
  readonly position: Position;
  readonly metrics: EpochMetrics[];
  readonly checkpoint?: { bytes: Uint8Array; file: string };
}

/** The files of a run: a new run into a directory removes the old run's, so that none of them mixes with the new. */
const RUN_FILES = ['model.safetensors', 'best.safetensors', 'checkpoint.safetensors', 'metrics.jsonl', 'steps.jsonl', 'report.svg', 'spec.yaml', 'model.ts'];
/** A directory with one of these holds a run, which a new run does not overwrite without --force. */
const RUN_MARKERS = ['model.safetensors', 'checkpoint.safetensors', 'metrics.jsonl'];

export async function train(o: TrainOptions): Promise<number> {
  if (o.force === true && o.resume !== undefined) throw new TrainError('--force starts the run over and --resume continues it: give one of them');
  const plan = o.resume !== undefined ? planResume(o, o.resume) : planFresh(o);
  // The run directory first: a file in its place or a read-only disk is refused before the data loads.
  makeDirectory(plan.out, 'the run directory');
  let release: () => void;
  try {
    release = lockRunDirectory(plan.out); // one process per run directory
  } catch (e) {
    throw e instanceof RunLockedError ? new TrainError(e.message) : e;
  }
  try {
    return await trainLocked(o, plan);
  } finally {
    release();
  }
}

async function trainLocked(o: TrainOptions, plan: Plan): Promise<number> {
  const { settings, out } = plan;
  const inPlace = o.resume !== undefined && resolve(o.resume) === resolve(out);
  const existing = inPlace ? [] : RUN_MARKERS.filter((f) => existsSync(join(out, f)));
  if (existing.length > 0 && o.force !== true) {
    const what = `${out} already holds a run (${existing.join(', ')})`;
    throw new TrainError(
      o.resume !== undefined
        ? `${what}: resume into an empty --out, or leave --out off to continue in ${o.resume}`
        : `${what}: continue it with --resume ${out}, replace it with --force, or train into another --out`,
    );
  }
  removeStaleTemps(out); // a run killed mid-write leaves .checkpoint.safetensors.PID.tmp
  const classes = o.ir.nodes.find((n) => n.name === o.ir.output)?.outShape[0] ?? 0;
  // With --limit, IDX files are streamed and only the subsets kept (not 637,000 images for 32).
  const context = { data: o.ir.data, specFile: o.specFile, shape: o.ir.input.shape, seed: settings.seed, onProgress: decodeProgress(o.stderr) };
  const data = await loadDataAsync(settings.data, classes, settings.limit ?? undefined, context);
  checkData(o.ir, data.train, classes, settings.data);
  checkRecipe(o.ir, settings, data);

  const model = o.createModel({ seed: settings.seed });
  if (plan.checkpoint) restoreCheckpoint(model, plan.checkpoint.bytes, plan.checkpoint.file);
  if (settings.lr !== o.ir.optimizer.lr) model.setLearningRate(settings.lr);

  // A new run (--force, or a directory with no run's markers) removes what an old one left, so that
  // no metrics.jsonl, steps.jsonl or report.svg of the old run survives next to the new one's.
  // Only now, once the data and model are in hand: a run that fails to start loses nothing.
  if (!inPlace) {
    for (const f of RUN_FILES) {
      try {
        rmSync(join(out, f), { force: true });
      } catch (e) {
        throw fileError('remove', join(out, f), e);
      }
    }
  }
  const emit = (e: TrainEvent): void => {
    const text = o.json === true ? eventJson(e) : eventText(e);
    if (text !== null) o.stdout.write(text);
  };
  writeFile(join(out, 'spec.yaml'), o.specSource);
  writeFile(join(out, 'model.ts'), o.code);
  const metrics = plan.metrics;
  const weightsFile = join(out, 'model.safetensors');
  const bestFile = join(out, 'best.safetensors');
  const checkpointFile = join(out, 'checkpoint.safetensors');
  /** `best`: this epoch is early stopping's best so far, and its weights are kept as best.safetensors too. */
  const save = (position: Position, best = false): void => {
    const cp = weightsWithClassNames(encodeCheckpoint(model, { specHash: o.ir.specHash, cnncVersion: o.cnncVersion, settings, position, metrics }), data.classNames);
    const weights = weightsWithClassNames(model.saveWeights(), data.classNames);
    // All or none: a full disk never leaves weights newer than the checkpoint (nor a best newer than both).
    writeFiles([{ path: weightsFile, data: weights }, ...(best ? [{ path: bestFile, data: weights }] : []), { path: checkpointFile, data: cp }]);
    emit({ event: 'checkpoint', path: checkpointFile, weights: weightsFile, epoch: position.epoch, step: position.stepInEpoch, global_step: position.globalStep });
  };

  emit({
    event: 'start',
    model: o.ir.name,
    spec: o.specFile,
    data: settings.data,
    train_images: data.train.n,
    test_images: data.test.n,
    val_images: data.val?.n ?? null,
    classes: data.classNames ?? null,
    batch_size: settings.batchSize,
    lr: settings.lr,
    seed: settings.seed,
    epochs: settings.epochs,
    limit: settings.limit ?? null,
    threads: getThreads(),
    out,
    resumed: plan.checkpoint ? { epoch: plan.position.epoch, step: plan.position.stepInEpoch } : null,
  });
  if (!plan.checkpoint) save(START); // so that a NaN or Ctrl-C in epoch 1 still leaves a good checkpoint
  const progress = o.json === true ? undefined : new Progress(o.stderr, settings.epochs);
  let lastYield = Date.now();
  const loopConfig = {
    ...settings, loss: o.ir.loss, maxSteps: o.maxSteps, evalBatchSize: o.ir.train.evalBatchSize, shuffle: o.ir.train.shuffle,
    schedule: o.ir.scheduler, earlyStopping: o.ir.train.earlyStopping,
  };
  const result: LoopResult = await trainLoop(model, data, loopConfig, plan.position, {
    onStep: async (info) => {
      progress?.step(info);
      if (Date.now() - lastYield > 50) {
        lastYield = Date.now();
        await new Promise((r) => setImmediate(r)); // let a SIGINT handler run
      }
    },
    stopRequested: o.stopRequested,
    onEpoch: (m: EpochMetrics, _e: Evaluation, position: Position, epoch) => {
      progress?.clear();
      metrics.push(m);
      save(position, epoch?.best === true);
      writeFile(join(out, 'metrics.jsonl'), metrics.map(({ step_losses: _, ...x }) => JSON.stringify(x)).join('\n') + '\n');
      writeFile(join(out, 'steps.jsonl'), stepsJsonl(metrics));
      writeFile(join(out, 'report.svg'), reportSvg(`${o.ir.name} — ${settings.data}`, metrics));
      const { step_losses: _, ...shown } = m;
      emit({ event: 'epoch', epochs: settings.epochs, ...shown });
    },
  });
  progress?.clear();
  switch (result.kind) {
    case 'done': {
      const last = metrics[metrics.length - 1];
      emit({
        event: 'done',
        test_accuracy: last?.test_accuracy ?? null,
        test_miou: last?.test_miou ?? null,
        accuracy: accuracyKind(o.ir),
        test_images: data.test.n,
        data: settings.data,
        weights: weightsFile,
        early_stopping: result.earlyStopping === undefined ? null : {
          stopped_after: result.earlyStopping.stoppedAfter, monitor: result.earlyStopping.monitor, best_epoch: result.earlyStopping.bestEpoch, best: result.earlyStopping.best, weights: bestFile,
        },
      });
      return EXIT.ok;
    }
    case 'stopped': {
      save(result.position);
      const p = result.position;
      emit({
        event: 'stopped',
        reason: result.reason === 'interrupt' ? 'interrupt' : 'max-steps',
        max_steps: o.maxSteps ?? null,
        epoch: p.epoch + 1,
        step: p.stepInEpoch,
        checkpoint: checkpointFile,
        resume: `--resume ${out}`,
      });
      return result.reason === 'interrupt' ? EXIT.interrupted : EXIT.ok;
    }
    case 'non-finite': {
      const value = Number.isNaN(result.loss) ? 'NaN' : result.loss > 0 ? 'Inf' : '-Inf';
      const where = result.where ? ` (first non-finite: ${result.where.layer} ${result.where.tensor})` : '';
      o.stderr.write(
        `error: loss became ${value} at epoch ${result.epoch}, step ${result.step}${where}\n` +
          `  the last good checkpoint is ${checkpointFile}; try a smaller --lr\n`,
      );
      emit({ event: 'diverged', loss: value, epoch: result.epoch, step: result.step, layer: result.where?.layer ?? null, tensor: result.where?.tensor ?? null, checkpoint: checkpointFile });
      return EXIT.diverged;
    }
  }
}

/** The per-step training loss, one line per point: `{"epoch":0.25,"loss":1.234}`, epoch the
 *  fractional position in the run (0.25: a quarter through epoch 1), as TensorBoard's step axis. */
function stepsJsonl(metrics: readonly EpochMetrics[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    const points = m.step_losses ?? [];
    points.forEach((loss, j) => {
      if (loss !== null) lines.push(JSON.stringify({ epoch: Number((m.epoch - 1 + (j + 1) / points.length).toFixed(6)), loss }));
    });
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function planFresh(o: TrainOptions): Plan {
  const t = o.ir.train;
  const settings: RunSettings = {
    seed: o.seed ?? t.seed,
    batchSize: o.batchSize ?? t.batchSize,
    epochs: o.epochs ?? t.epochs,
    lr: o.lr ?? o.ir.optimizer.lr,
    data: chooseData(o.ir.data, o.specFile, o.data),
    limit: o.limit ?? null,
  };
  const out = o.out ?? join('runs', basename(o.specFile, extname(o.specFile)));
  return { settings, out, position: START, metrics: [] };
}

function planResume(o: TrainOptions, dir: string): Plan {
  const file = join(dir, 'checkpoint.safetensors');
  if (!existsSync(file)) throw new TrainError(`${dir}: no checkpoint.safetensors to resume from`);
  const bytes = new Uint8Array(readFileSync(file));
  const cp = readCheckpointInfo(bytes, file);
  if (cp.specHash !== o.ir.specHash) {
    throw new TrainError(
      `${file} belongs to a different spec: checkpoint spec hash ${cp.specHash.slice(0, 16)}…, ` +
        `${o.specFile} has ${o.ir.specHash.slice(0, 16)}…; train from scratch, or resume with the spec it was trained from (${join(dir, 'spec.yaml')})`,
    );
  }
  // Seed and batch size define the data order: changing them mid-run would not be a resume.
  for (const [flag, given, saved] of [
    ['--seed', o.seed, cp.settings.seed],
    ['--batch-size', o.batchSize, cp.settings.batchSize],
  ] as const) {
    if (given !== undefined && given !== saved) throw new TrainError(`${flag} ${given} differs from the checkpoint's ${saved}: a resumed run keeps its data order`);
  }
  // So do the data and the subset: a different --limit or --data would continue on other images and
  // report their accuracy under the old run's history (a 64-image accuracy labelled 1,996 digits).
  if (o.data !== undefined) {
    const data = chooseData(o.ir.data, o.specFile, o.data);
    if (data !== cp.settings.data) throw new TrainError(`--data ${o.data} (${data}) differs from the checkpoint's ${cp.settings.data}: a resumed run keeps its data; start a new run to change it`);
  }
  // The schedule's state holds the lr it has reached; a new base would be ignored, so it is refused.
  if (o.ir.scheduler !== null && o.lr !== undefined && o.lr !== cp.settings.lr) {
    throw new TrainError(`--lr ${o.lr} differs from the checkpoint's ${cp.settings.lr}: a resumed run continues its ${o.ir.scheduler.spec.kind} schedule from where it stands; start a new run to change the base lr`);
  }
  const saved = cp.settings.limit; // undefined: a checkpoint from before cnnc recorded --limit
  if (o.limit !== undefined && saved !== undefined && o.limit !== saved) {
    throw new TrainError(`--limit ${o.limit} differs from the checkpoint's ${saved === null ? 'run on all the data (no --limit)' : `--limit ${saved}`}: a resumed run keeps its data; start a new run to change it`);
  }
  const settings: RunSettings = {
    ...cp.settings,
    epochs: o.epochs ?? cp.settings.epochs,
    lr: o.lr ?? cp.settings.lr,
    limit: saved === undefined ? (o.limit ?? null) : saved,
  };
  return { settings, out: o.out ?? dir, position: cp.position, metrics: [...cp.metrics], checkpoint: { bytes, file } };
}

/** The images against the input, and the labels against the loss: their layout (a class, a label map,
 *  0/1 targets) and every value, so that a misfit is one clear message and not an error mid-epoch. */
function checkData(ir: ModelIR, train: LabeledImages, classes: number, source: string): void {
  const want = ir.input.shape;
  const shape = train.shape;
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
    throw new TrainError(`${source}: images are [${shape.join(', ')}], but ${ir.name}'s input is [${want.join(', ')}]`);
  }
  const { loss } = ir;
  const perSample = loss.labelShape.reduce((a, b) => a * b, 1);
  const got = train.labelShape ?? [];
  if (train.labels.length !== train.n * perSample) {
    throw new TrainError(
      `${source}: ${got.length === 0 ? 'one label' : `a [${got.join(', ')}] label map`} per image, but ${ir.name}'s loss reads ` +
        `[${loss.labelShape.join(', ')}] labels per sample (output [${ir.nodes.find((n) => n.name === ir.output)?.outShape.join(', ')}]); set the spec's \`data.task\``,
    );
  }
  const labels = train.labels;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (loss.targets === 'binary' ? y !== 0 && y !== 1 : y !== loss.ignoreIndex && !(y >= 0 && y < classes)) {
      const what = loss.targets === 'binary' ? 'is not a 0/1 target' : `is out of range: ${ir.name} has ${classes} classes`;
      throw new TrainError(`${source}: label ${y} at index ${i} ${what}`);
    }
  }
}

/** What the recipe needs from the data, known once it is loaded: a validation split for a watched val_ metric (an
 *  image folder's val/), and a one_cycle_lr as long as the run (its steps depend on the images and --epochs). The
 *  message names the spec's line, as the compiler's errors do. */
function checkRecipe(ir: ModelIR, settings: RunSettings, data: { readonly train: LabeledImages; readonly val?: LabeledImages }): void {
  const at = (s: { readonly file: string; readonly line: number; readonly col: number }) => `${s.file}:${s.line}:${s.col}`;
  const watched = [
    ...(ir.train.earlyStopping === null ? [] : [['early_stopping', ir.train.earlyStopping.monitor] as const]),
    ...(ir.scheduler?.monitor == null ? [] : [['reduce_lr_on_plateau', ir.scheduler.monitor] as const]),
  ];
  for (const [who, metric] of watched) {
    if (metric.startsWith('val_') && data.val === undefined) {
      throw new TrainError(`${ir.file}: ${who} monitors ${metric}, and ${settings.data} has no validation split: add data.val_split, or a val/ folder`);
    }
  }
  if (ir.scheduler !== null) {
    try {
      resolveSchedule(ir.scheduler, { epochs: settings.epochs, stepsPerEpoch: Math.ceil(data.train.n / settings.batchSize) });
    } catch (e) {
      if (e instanceof RangeError) throw new TrainError(`${at(ir.scheduler.span)}: ${e.message}`);
      throw e;
    }
  }
}

/** What "accuracy" counts: the top-1 class of an image, each binary output, or each pixel. */
function accuracyKind(ir: ModelIR): 'class' | 'binary' | 'pixel' {
  if (ir.loss.targets === 'binary') return ir.loss.labelShape.length > 1 ? 'pixel' : 'binary';
  return ir.loss.labelShape.length > 0 ? 'pixel' : 'class';
}

export { CheckpointError };

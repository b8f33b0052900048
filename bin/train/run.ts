// `cnnc train`, minus flag parsing: the run directory, checkpoints, resume, the NaN guard, Ctrl-C
// and the progress output around the browser-safe loop in runtime/train/. It reads the IR (the spec's
// settings, the loss, the data), so it lives with the CLI, not in the runtime an app loads.
//
// NOTE for CODEGEN: the loop sets the learning rate with `CompiledModel.setLearningRate(lr)`
// (added to runtime/model.ts for `--lr`); generated models must implement it.
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { ModelIR } from '../../compiler/ir/types.js';
import type { LabeledImages } from '../../runtime/data/idx.js';
import type { CompiledModel } from '../../runtime/model.js';
import { getThreads } from '../../runtime/threads.js';
import { CheckpointError, encodeCheckpoint, readCheckpointInfo, restoreCheckpoint, type RunSettings } from '../../runtime/train/checkpoint.js';
import type { Evaluation } from '../../runtime/train/evaluate.js';
import { START, trainLoop, type EpochMetrics, type LoopResult, type Position } from '../../runtime/train/loop.js';
import { reportSvg } from '../../runtime/train/report-svg.js';
import { chooseData, loadDataAsync } from '../../runtime/node/data/load.js';
import { removeStaleTemps } from '../../runtime/node/atomic.js';
import { makeDirectory, writeFile, writeFiles } from '../fs-errors.js';
import { formatSeconds, Progress, type ProgressSink } from './progress.js';
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

export async function train(o: TrainOptions): Promise<number> {
  const plan = o.resume !== undefined ? planResume(o, o.resume) : planFresh(o);
  const { settings, out } = plan;
  // The run directory first: a file in its place or a read-only disk is refused before the data loads.
  makeDirectory(out, 'the run directory');
  removeStaleTemps(out); // a run killed mid-write leaves .checkpoint.safetensors.PID.tmp
  const classes = o.ir.nodes.find((n) => n.name === o.ir.output)?.outShape[0] ?? 0;
  // With --limit, IDX files are streamed and only the subsets kept (not 637,000 images for 32).
  const data = await loadDataAsync(settings.data, classes, o.limit);
  checkData(o.ir, data.train, classes, settings.data);

  const model = o.createModel({ seed: settings.seed });
  if (plan.checkpoint) restoreCheckpoint(model, plan.checkpoint.bytes, plan.checkpoint.file);
  if (settings.lr !== o.ir.optimizer.lr) model.setLearningRate(settings.lr);

  writeFile(join(out, 'spec.yaml'), o.specSource);
  writeFile(join(out, 'model.ts'), o.code);
  const metrics = plan.metrics;
  const save = (position: Position): void => {
    const cp = encodeCheckpoint(model, { specHash: o.ir.specHash, cnncVersion: o.cnncVersion, settings, position, metrics });
    // Both or neither: a full disk never leaves weights newer than the checkpoint.
    writeFiles([{ path: join(out, 'model.safetensors'), data: model.saveWeights() }, { path: join(out, 'checkpoint.safetensors'), data: cp }]);
  };
  if (!plan.checkpoint) save(START); // so that a NaN or Ctrl-C in epoch 1 still leaves a good checkpoint

  const what = settings.data.endsWith('mnist10k') ? 'digits' : 'images';
  o.stdout.write(
    `training ${o.ir.name} on ${settings.data} (${data.train.n.toLocaleString('en-US')} train, ${data.test.n.toLocaleString('en-US')} test ${what}), ` +
      `batch ${settings.batchSize}, lr ${settings.lr}, seed ${settings.seed}, ${settings.epochs} epoch(s), ${getThreads()} thread(s) → ${out}\n`,
  );
  const progress = new Progress(o.stderr, settings.epochs);
  let lastYield = Date.now();
  const result: LoopResult = await trainLoop(model, data, { ...settings, loss: o.ir.loss, maxSteps: o.maxSteps }, plan.position, {
    onStep: async (info) => {
      progress.step(info);
      if (Date.now() - lastYield > 50) {
        lastYield = Date.now();
        await new Promise((r) => setImmediate(r)); // let a SIGINT handler run
      }
    },
    stopRequested: o.stopRequested,
    onEpoch: (m: EpochMetrics, _e: Evaluation, position: Position) => {
      progress.clear();
      metrics.push(m);
      save(position);
      writeFile(join(out, 'metrics.jsonl'), metrics.map(({ step_losses: _, ...x }) => JSON.stringify(x)).join('\n') + '\n');
      writeFile(join(out, 'steps.jsonl'), stepsJsonl(metrics));
      writeFile(join(out, 'report.svg'), reportSvg(`${o.ir.name} — ${settings.data}`, metrics));
      o.stdout.write(
        `epoch ${m.epoch}/${settings.epochs}  loss ${m.loss.toFixed(4)}  test loss ${m.test_loss.toFixed(4)}  ` +
          `test accuracy ${pct(m.test_accuracy)}${m.test_miou === undefined ? '' : `  mIoU ${pct(m.test_miou)}`}  ${Math.round(m.images_per_s)} img/s  ${formatSeconds(m.seconds)}\n`,
      );
    },
  });
  progress.clear();
  switch (result.kind) {
    case 'done': {
      const last = metrics[metrics.length - 1];
      if (last) {
        const miou = last.test_miou === undefined ? '' : `, mean IoU ${pct(last.test_miou)}`;
        o.stdout.write(`final test accuracy: ${pct(last.test_accuracy)}${miou} (${data.test.n.toLocaleString('en-US')} test ${what}${accuracyWords(o.ir)})\n`);
      }
      o.stdout.write(`weights: ${join(out, 'model.safetensors')}\n`);
      return EXIT.ok;
    }
    case 'stopped': {
      save(result.position);
      const why = result.reason === 'interrupt' ? 'interrupted' : `stopped after --max-steps ${o.maxSteps}`;
      o.stdout.write(`${why} at epoch ${result.position.epoch + 1}, step ${result.position.stepInEpoch}; checkpoint written. Resume with: --resume ${out}\n`);
      return result.reason === 'interrupt' ? EXIT.interrupted : EXIT.ok;
    }
    case 'non-finite': {
      const value = Number.isNaN(result.loss) ? 'NaN' : result.loss > 0 ? 'Inf' : '-Inf';
      const where = result.where ? ` (first non-finite: ${result.where.layer} ${result.where.tensor})` : '';
      o.stderr.write(
        `error: loss became ${value} at epoch ${result.epoch}, step ${result.step}${where}\n` +
          `  the last good checkpoint is ${join(out, 'checkpoint.safetensors')}; try a smaller --lr\n`,
      );
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
  const settings: RunSettings = {
    ...cp.settings,
    epochs: o.epochs ?? cp.settings.epochs,
    lr: o.lr ?? cp.settings.lr,
    data: o.data !== undefined ? chooseData(o.ir.data, o.specFile, o.data) : cp.settings.data,
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

/** What "accuracy" counts, in words, unless it is the top-1 class of an image. */
function accuracyWords(ir: ModelIR): string {
  if (ir.loss.targets === 'binary') return ir.loss.labelShape.length > 1 ? '; accuracy per pixel' : '; binary accuracy';
  return ir.loss.labelShape.length > 0 ? '; accuracy per pixel' : '';
}

export function pct(a: number): string {
  return `${(a * 100).toFixed(2)}%`;
}

export { CheckpointError };

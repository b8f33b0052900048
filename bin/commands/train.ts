// `cnnc train SPEC`: compile, train, evaluate after every epoch; see bin/train/run.ts.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { batchSizeLimits } from '../../compiler/3-lower/totals.js';
import { VERSION } from '../../compiler/version.js';
import { withThreads } from '../../runtime/node/threads.js';
import { train } from '../train/run.js';
import type { Exit } from '../main.js';
import { compileSpec, describeBackend, numberFlag, processIo, targetFlag, UsageError, type GpujsCompiledModel, type Io } from './compile-model.js';
import { noColor } from '../no-color.js';
import { reportUserErrors } from './user-error.js';

interface Flags {
  epochs?: string;
  batchSize?: string;
  lr?: string;
  seed?: string;
  data?: string;
  out?: string;
  resume?: string;
  force?: boolean;
  json?: boolean;
  maxSteps?: string;
  limit?: string;
  target?: string;
  backend?: string;
  threads?: string;
}

export function registerTrain(program: Command, exit: Exit, io: Io = processIo): void {
  program
    .command('train')
    .description('compile SPEC and train it; evaluates on the test split after every epoch')
    .argument('<spec>', 'the model spec (YAML)')
    .option('--epochs <n>', 'epochs (overrides train.epochs)')
    .option('--batch-size <n>', 'batch size (overrides train.batch_size)')
    .option('--lr <x>', 'learning rate (overrides optimizer.lr)')
    .option('--seed <n>', 'seed for weights, shuffling and dropout (overrides train.seed)')
    .option('--data <dir>', 'a directory of IDX files (MNIST, Fashion-MNIST; .gz or not) or image folders (DIR/train/<class>/…, DIR/test/…) instead of the spec\'s data')
    .option('--out <dir>', 'run directory (default runs/<spec name>)')
    .option('--resume <dir>', 'continue the run in <dir> from its checkpoint')
    .option('--force', 'train into --out even if it holds a run: its files are replaced (without it, cnnc refuses)')
    .option('--json', 'events as JSON lines on stdout (start, checkpoint, epoch, done, stopped, diverged); no progress bar')
    .option('--max-steps <k>', 'stop after k steps in all, with a checkpoint')
    .option('--limit <n>', 'train and test on evenly spaced subsets of n images (smoke runs)')
    .option('--target <target>', 'ts (TypeScript kernels, default) or gpujs (gpu.js kernels; docs/gpujs.md)')
    .option('--backend <mode>', 'with --target gpujs: gpu (gpu.js chooses), webasm, cpu or headlessgl')
    .option('--threads <n>', 'threads for convolutions and matrix products (default: every core, up to 8; the same weights, bit for bit, for any n)')
    .action(async (spec: string, flags: Flags) => {
      exit.code = await reportUserErrors(io, async () => {
        const options = {
          epochs: atMost('--epochs', numberFlag('--epochs', flags.epochs, 'positive-int'), MAX_EPOCHS),
          batchSize: numberFlag('--batch-size', flags.batchSize, 'positive-int'),
          lr: numberFlag('--lr', flags.lr, 'positive'),
          seed: atMost('--seed', numberFlag('--seed', flags.seed, 'int'), MAX_SEED),
          maxSteps: numberFlag('--max-steps', flags.maxSteps, 'int'),
          limit: numberFlag('--limit', flags.limit, 'positive-int'),
        };
        const target = targetFlag(flags.target, flags.backend);
        const threads = threadsFlag(flags.threads);
        const loaded = await compileSpec(spec, io, target);
        if (loaded === null) return 1;
        // The size limits check gave the spec's batch_size, for the flag's: refused before the run
        // directory is touched (it used to be "Invalid typed array length" after it was written).
        if (options.batchSize !== undefined) {
          const refused = batchSizeLimits(loaded.ir, options.batchSize);
          const more = refused.length > 1 ? ` (and ${refused.length - 1} more tensor${refused.length === 2 ? '' : 's'} too large)` : '';
          if (refused.length > 0) throw new UsageError(`--batch-size ${options.batchSize}: ${refused[0]}${more}; use a smaller --batch-size`);
        }
        // gpu.js falls back silently: say which backend and kernel classes really ran, once the
        // model exists (its mode) and after training (the kernels compiled by then).
        let gpujsModel: GpujsCompiledModel | null = null;
        // With --json, stdout carries only the events: these lines go to stderr.
        const info = flags.json === true ? io.stderr : io.stdout;
        const report = (): void => {
          if (gpujsModel !== null) info.write(`${describeBackend(gpujsModel.backendInfo())}\n`);
        };
        let interrupts = 0;
        const onSigint = (): void => {
          interrupts++;
          if (interrupts === 1) io.stderr.write('\ninterrupt: finishing this step and writing a checkpoint (Ctrl-C again to quit now)\n');
          else process.exit(130); // files are written atomically: quitting now loses no checkpoint
        };
        process.on('SIGINT', onSigint);
        try {
          return await withThreads(threads, () => train({
            specFile: spec,
            specSource: loaded.source,
            ir: loaded.ir,
            code: loaded.code,
            cnncVersion: VERSION,
            createModel: (o) => {
              const m = loaded.createModel(o);
              if (loaded.target.kind === 'gpujs') {
                gpujsModel = m as GpujsCompiledModel;
                const mode = gpujsModel.backendInfo().mode;
                info.write(`gpu.js: requested ${loaded.target.backend}, ${mode === 'gpu' ? 'gpu.js picks the mode' : `mode ${mode}`} (kernels compile on the first step)\n`);
              }
              return m;
            },
            ...options,
            data: dataFlag(flags.data),
            out: flags.out,
            resume: flags.resume,
            force: flags.force === true,
            json: flags.json === true,
            stdout: io.stdout,
            stderr: {
              write: (t) => io.stderr.write(t),
              isTTY: io.stderr.isTTY === true,
              get columns() {
                return io.stderr.columns; // read at every redraw: the terminal may be resized
              },
              noColor: noColor(),
            },
            stopRequested: () => interrupts > 0,
          }));
        } finally {
          report();
          process.off('SIGINT', onSigint);
        }
      });
    });
}

/** The schema's bounds on train.epochs and train.seed (compiler/spec/cnnc.schema.json), for the flags. */
const MAX_EPOCHS = 1_000_000;
const MAX_SEED = 2 ** 32 - 1;

function atMost(name: string, n: number | undefined, max: number): number | undefined {
  if (n !== undefined && n > max) throw new UsageError(`${name} expects at most ${max}, got ${n}`);
  return n;
}

/**
 * --threads: 1 … 256 (default: every core up to 8, os.availableParallelism(); the results are the
 * same bits for any n). Up to 8: a batch of 64 is shared out by sample, and starting more workers
 * than that costs more than they give.
 */
export function threadsFlag(value: string | undefined): number {
  const n = numberFlag('--threads', value, 'positive-int') ?? Math.min(availableParallelism(), 8);
  if (n > 256) throw new UsageError(`--threads expects at most 256, got "${value}"`);
  return n;
}

/** `--data` names a directory for training: a CSV manifest gives one split (eval takes one as its test split). */
function dataFlag(value: string | undefined): string | undefined {
  if (value !== undefined && /\.csv$/i.test(value)) {
    throw new UsageError(`--data ${value}: train takes a directory (IDX files or image folders); name CSV manifests in the spec's data: { source: csv, train: …, test: … }`);
  }
  return value;
}

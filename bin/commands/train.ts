// `cnnc train SPEC`: compile, train, evaluate after every epoch; see runtime/node/train/run.ts.
import type { Command } from 'commander';
import { VERSION } from '../../compiler/version.js';
import { train } from '../../runtime/node/train/run.js';
import type { Exit } from '../main.js';
import { compileSpec, numberFlag, processIo, type Io } from './compile-model.js';
import { reportUserErrors } from './user-error.js';

interface Flags {
  epochs?: string;
  batchSize?: string;
  lr?: string;
  seed?: string;
  data?: string;
  out?: string;
  resume?: string;
  maxSteps?: string;
  limit?: string;
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
    .option('--data <dir>', 'a directory of IDX files (MNIST, Fashion-MNIST; .gz or not) instead of the spec\'s data')
    .option('--out <dir>', 'run directory (default runs/<spec name>)')
    .option('--resume <dir>', 'continue the run in <dir> from its checkpoint')
    .option('--max-steps <k>', 'stop after k steps in all, with a checkpoint')
    .option('--limit <n>', 'train and test on evenly spaced subsets of n images (smoke runs)')
    .action(async (spec: string, flags: Flags) => {
      exit.code = await reportUserErrors(io, async () => {
        const options = {
          epochs: numberFlag('--epochs', flags.epochs, 'positive-int'),
          batchSize: numberFlag('--batch-size', flags.batchSize, 'positive-int'),
          lr: numberFlag('--lr', flags.lr, 'positive'),
          seed: numberFlag('--seed', flags.seed, 'int'),
          maxSteps: numberFlag('--max-steps', flags.maxSteps, 'int'),
          limit: numberFlag('--limit', flags.limit, 'positive-int'),
        };
        const loaded = await compileSpec(spec, io);
        if (loaded === null) return 1;
        let interrupts = 0;
        const onSigint = (): void => {
          interrupts++;
          if (interrupts === 1) io.stderr.write('\ninterrupt: finishing this step and writing a checkpoint (Ctrl-C again to quit now)\n');
          else process.exit(130); // files are written atomically: quitting now loses no checkpoint
        };
        process.on('SIGINT', onSigint);
        try {
          return await train({
            specFile: spec,
            specSource: loaded.source,
            ir: loaded.ir,
            code: loaded.code,
            cnncVersion: VERSION,
            createModel: (o) => loaded.createModel(o),
            ...options,
            data: flags.data,
            out: flags.out,
            resume: flags.resume,
            stdout: io.stdout,
            stderr: { write: (t) => io.stderr.write(t), isTTY: io.stderr.isTTY === true, columns: io.stderr.columns },
            stopRequested: () => interrupts > 0,
          });
        } finally {
          process.off('SIGINT', onSigint);
        }
      });
    });
}

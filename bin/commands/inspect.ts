// `cnnc inspect SPEC [--json] [--batch-size N]`: the model summary, as torchinfo prints it — each
// layer's output shape, parameters and MACs, then totals and one training step's memory. Warnings
// go to stderr; on errors, the diagnostics and exit 1.
import { Command, InvalidArgumentError } from 'commander';
import { checkFile, formatDiagnostics } from '../../compiler/index.js';
import { formatSummary, summarize } from '../../compiler/3-lower/summary.js';
import type { Exit } from '../main.js';

interface InspectOptions {
  readonly json?: boolean;
  readonly batchSize?: number;
}

export function registerInspect(program: Command, exit: Exit): void {
  program
    .command('inspect')
    .description('print every layer\'s output shape, parameters and MACs, with totals and training memory')
    .argument('<spec>', 'spec file (YAML)')
    .option('--json', 'print { file, ok, ir, summary, diagnostics } as JSON on stdout')
    .option('--batch-size <n>', 'batch size for output shapes and training memory (default: the spec\'s train.batch_size)', positiveInt)
    .action((file: string, opts: InspectOptions) => {
      const result = checkFile(file);
      const ok = result.error === undefined && result.ir !== null;
      if (!ok) exit.code = 1;
      const summary = result.ir ? summarize(result.ir, opts.batchSize) : null;
      if (opts.json === true) {
        const data = { file, ok, ir: result.ir, summary, diagnostics: result.diagnostics };
        process.stdout.write(`${JSON.stringify(result.error === undefined ? data : { ...data, error: result.error }, null, 2)}\n`);
        return;
      }
      if (result.error !== undefined) {
        process.stderr.write(`cnnc inspect: ${result.error}\n`);
        return;
      }
      const color = process.stderr.isTTY === true && !process.env['NO_COLOR'];
      if (result.diagnostics.length > 0) process.stderr.write(formatDiagnostics(result.diagnostics, { color }));
      if (summary) process.stdout.write(formatSummary(summary));
    });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

// `cnnc inspect SPEC [--json] [--batch-size N] [--depth N]`: the model summary, as torchinfo prints it — each
// layer's output shape, parameters and MACs, then totals and one training step's memory. Warnings
// go to stderr; on errors, the diagnostics and exit 1.
import type { Command } from 'commander';
import { checkFile, formatDiagnostics } from '../../compiler/index.js';
import { DEFAULT_DEPTH, formatSummary, summarize } from '../../compiler/3-lower/summary.js';
import { convAlgorithmLines, convAlgorithms } from '../../compiler/4-passes/geometry.js';
import type { Exit } from '../main.js';

interface InspectOptions {
  readonly json?: boolean;
  readonly batchSize?: string;
  readonly depth?: string;
}

export function registerInspect(program: Command, exit: Exit): void {
  program
    .command('inspect')
    .description('print every layer\'s output shape, parameters and MACs, with totals and training memory')
    .argument('<spec>', 'spec file (YAML)')
    .option('--json', 'print { file, ok, ir, summary, algorithms, diagnostics } as JSON on stdout')
    .option('--batch-size <n>', 'batch size for output shapes and training memory (default: the spec\'s train.batch_size)')
    .option('--depth <n>', `how deep to show sequentials and blocks: a container at this depth is one row with its totals (default ${DEFAULT_DEPTH}, as torchinfo)`)
    .action((file: string, opts: InspectOptions) => {
      // A bad value is a user error (exit 1, one line), as for train's flags; commander's argParser
      // would make it a usage error (exit 2) and print the whole help.
      const batchSize = positiveInt(opts.batchSize);
      if (batchSize === null) {
        process.stderr.write(`cnnc inspect: --batch-size expects a positive integer, got ${JSON.stringify(opts.batchSize)}\n`);
        exit.code = 1;
        return;
      }
      const depth = positiveInt(opts.depth);
      if (depth === null) {
        process.stderr.write(`cnnc inspect: --depth expects a positive integer, got ${JSON.stringify(opts.depth)}\n`);
        exit.code = 1;
        return;
      }
      const result = checkFile(file);
      const ok = result.error === undefined && result.ir !== null;
      if (!ok) exit.code = 1;
      const summary = result.ir ? summarize(result.ir, batchSize) : null;
      if (opts.json === true) {
        const algorithms = result.ir ? convAlgorithms(result.ir.nodes) : [];
        const data = { file, ok, ir: result.ir, summary, algorithms, diagnostics: result.diagnostics };
        process.stdout.write(`${JSON.stringify(result.error === undefined ? data : { ...data, error: result.error }, null, 2)}\n`);
        return;
      }
      if (result.error !== undefined) {
        process.stderr.write(`cnnc inspect: ${result.error}\n`);
        return;
      }
      const color = process.stderr.isTTY === true && !process.env['NO_COLOR'];
      if (result.diagnostics.length > 0) process.stderr.write(formatDiagnostics(result.diagnostics, { color }));
      if (summary) process.stdout.write(formatSummary(summary, depth, convAlgorithmLines(result.ir!.nodes)));
    });
}

/** Decimal digits only (1e3 too): Number() alone also reads 0x10 as 16, and '' or ' ' as 0. */
function positiveInt(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  const n = /^\+?(\d+(\.\d*)?|\.\d+)(e\+?\d+)?$/i.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}

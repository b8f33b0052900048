// `cnnc export SPEC --to <target> -o DIR [--force]`: the spec as code for another framework. This file only parses
// the flags and dispatches; each target lives in its own file (export-pytorch.ts).
import { Command, Option } from 'commander';
import type { Exit } from '../main.js';
import { processIo, type Io } from './compile-model.js';
import { exportToPytorch } from './export-pytorch.js';
import { reportUserErrors } from './user-error.js';

export interface ExportFlags {
  readonly to: 'pytorch';
  readonly output: string;
  readonly force?: boolean;
}

export function registerExport(program: Command, exit: Exit, io: Io = processIo): void {
  program
    .command('export')
    .description('export the spec for another framework: pytorch (model.py, a torchrun train.py, README.md)')
    .argument('<spec>', 'the model spec (YAML)')
    .addOption(new Option('--to <target>', 'the target framework').choices(['pytorch']).makeOptionMandatory())
    .requiredOption('-o, --output <dir>', 'the folder to write (refused if it exists, unless --force)')
    .option('--force', 'replace an existing output folder')
    .action(async (spec: string, flags: ExportFlags) => {
      exit.code = await reportUserErrors(io, async () => exportToPytorch(spec, flags, io));
    });
}

// `cnnc export SPEC --to TARGET -o PATH [--weights W] [--force]`: the model in another framework's format.
// A dispatcher: each target's code is its own file (export-onnx.ts, export-pytorch.ts), listed in EXPORTERS.
import { Option, type Command } from 'commander';
import type { Exit } from '../main.js';
import { exportOnnx } from './export-onnx.js';
import { exportToPytorch } from './export-pytorch.js';
import { UsageError, processIo, type Io } from './compile-model.js';
import { reportUserErrors } from './user-error.js';

export interface ExportFlags {
  readonly to: ExportTarget;
  readonly output: string;
  readonly weights?: string;
  readonly force?: boolean;
}

const EXPORTERS = {
  onnx: exportOnnx,
  pytorch: (spec: string, flags: ExportFlags, io: Io) => reportUserErrors(io, async () => {
    if (flags.weights !== undefined) throw new UsageError('--weights is for --to onnx: the PyTorch export trains from the spec (its train.py writes model.safetensors)');
    return exportToPytorch(spec, flags, io);
  }),
} as const satisfies Record<string, (spec: string, flags: ExportFlags, io: Io) => Promise<number>>;

export type ExportTarget = keyof typeof EXPORTERS;

export function registerExport(program: Command, exit: Exit, io: Io = processIo): void {
  program
    .command('export')
    .description('export the model for another framework: onnx (one file, eval mode, for onnxruntime and other ONNX tools); pytorch (a folder: model.py, a torchrun train.py, README.md)')
    .argument('<spec>', 'the model spec (YAML)')
    .addOption(new Option('--to <target>', 'the format to write').choices(Object.keys(EXPORTERS)).makeOptionMandatory())
    .requiredOption('-o, --output <path>', 'the file (onnx: model.onnx) or folder (pytorch) to write; refused if it exists, unless --force')
    .option('--weights <file>', "onnx: trained weights (safetensors); default: the initial weights cnnc train starts from (the spec's train.seed)")
    .option('--force', 'replace the output if it exists')
    .action(async (spec: string, flags: ExportFlags) => {
      exit.code = await EXPORTERS[flags.to](spec, flags, io);
    });
}

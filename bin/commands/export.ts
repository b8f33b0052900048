// `cnnc export SPEC --to TARGET -o FILE [--weights W] [--force]`: the model in another framework's format.
// A dispatcher: each target's code is its own file (export-onnx.ts), listed in EXPORTERS.
import { Option, type Command } from 'commander';
import type { Exit } from '../main.js';
import { processIo, type Io } from './compile-model.js';
import { exportOnnx } from './export-onnx.js';

export interface ExportFlags {
  readonly to: ExportTarget;
  readonly output: string;
  readonly weights?: string;
  readonly force?: boolean;
}

const EXPORTERS = {
  onnx: exportOnnx,
} as const satisfies Record<string, (spec: string, flags: ExportFlags, io: Io) => Promise<number>>;

export type ExportTarget = keyof typeof EXPORTERS;

export function registerExport(program: Command, exit: Exit, io: Io = processIo): void {
  program
    .command('export')
    .description('export the model for another runtime: onnx (eval mode, for onnxruntime and other ONNX tools)')
    .argument('<spec>', 'the model spec (YAML)')
    .addOption(new Option('--to <target>', 'the format to write').choices(Object.keys(EXPORTERS)).makeOptionMandatory())
    .requiredOption('-o, --output <file>', 'the file to write, e.g. model.onnx')
    .option('--weights <file>', "trained weights (safetensors); default: the initial weights cnnc train starts from (the spec's train.seed)")
    .option('--force', 'overwrite the output file if it exists')
    .action(async (spec: string, flags: ExportFlags) => {
      exit.code = await EXPORTERS[flags.to](spec, flags, io);
    });
}

import type { Command } from 'commander';
import type { Exit } from '../main.js';

// TODO(owner of `cnnc predict`): replace this placeholder.
export function registerPredict(program: Command, exit: Exit): void {
  program.command('predict').description('(not yet implemented)').action(() => {
    process.stderr.write('cnnc predict: not implemented yet\n');
    exit.code = 2;
  });
}

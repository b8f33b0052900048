import type { Command } from 'commander';
import type { Exit } from '../main.js';

// TODO(owner of `cnnc train`): replace this placeholder.
export function registerTrain(program: Command, exit: Exit): void {
  program.command('train').description('(not yet implemented)').action(() => {
    process.stderr.write('cnnc train: not implemented yet\n');
    exit.code = 2;
  });
}

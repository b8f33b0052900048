import type { Command } from 'commander';
import type { Exit } from '../main.js';

// TODO(owner of `cnnc check`): replace this placeholder.
export function registerCheck(program: Command, exit: Exit): void {
  program.command('check').description('(not yet implemented)').action(() => {
    process.stderr.write('cnnc check: not implemented yet\n');
    exit.code = 2;
  });
}

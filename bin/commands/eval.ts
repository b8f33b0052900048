import type { Command } from 'commander';
import type { Exit } from '../main.js';

// TODO(owner of `cnnc eval`): replace this placeholder.
export function registerEval(program: Command, exit: Exit): void {
  program.command('eval').description('(not yet implemented)').action(() => {
    process.stderr.write('cnnc eval: not implemented yet\n');
    exit.code = 2;
  });
}

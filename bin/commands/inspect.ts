import type { Command } from 'commander';
import type { Exit } from '../main.js';

// TODO(owner of `cnnc inspect`): replace this placeholder.
export function registerInspect(program: Command, exit: Exit): void {
  program.command('inspect').description('(not yet implemented)').action(() => {
    process.stderr.write('cnnc inspect: not implemented yet\n');
    exit.code = 2;
  });
}

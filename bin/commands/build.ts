import type { Command } from 'commander';
import type { Exit } from '../main.js';

// TODO(owner of `cnnc build`): replace this placeholder.
export function registerBuild(program: Command, exit: Exit): void {
  program.command('build').description('(not yet implemented)').action(() => {
    process.stderr.write('cnnc build: not implemented yet\n');
    exit.code = 2;
  });
}

// The cnnc command line: thin. It parses flags and calls compiler/ and runtime/.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../compiler/version.js';
import { registerCheck } from './commands/check.js';
import { registerInspect } from './commands/inspect.js';
import { registerBuild } from './commands/build.js';
import { registerTrain } from './commands/train.js';
import { registerEval } from './commands/eval.js';
import { registerPredict } from './commands/predict.js';
import { registerDiff } from './commands/diff.js';
import { registerProfile } from './commands/profile.js';
import { registerExport } from './commands/export.js';
import { registerInit } from './commands/init.js';
import { EXIT, EXIT_CODES_HELP, internalError } from './exit.js';
import { quitOnBrokenPipe } from './pipes.js';

/** Runs the CLI and resolves to the exit code (bin/exit.ts). Commands set `exit.code`; a user's mistake
 *  never throws, and anything that does is a bug in cnnc: one line and exit 70 (the stack with --debug). */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const exit = { code: 0 };
  const program = new Command('cnnc')
    .description('cnnc — a declarative CNN compiler for TypeScript')
    .version(VERSION)
    .option('--debug', 'print the stack trace of an internal error (also CNNC_DEBUG=1)')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
  registerInit(program, exit);
  registerCheck(program, exit);
  registerInspect(program, exit);
  registerBuild(program, exit);
  registerTrain(program, exit);
  registerEval(program, exit);
  registerPredict(program, exit);
  registerDiff(program, exit);
  registerProfile(program, exit);
  registerExport(program, exit);
  // No file name or value holds a NUL byte, and Node's fs throws a TypeError on one (exit 70, in build
  // -o and train --out). A shell cannot pass one; a program that builds argv can.
  const nul = argv.slice(2).findIndex((a) => a.includes('\0'));
  if (nul >= 0) {
    process.stderr.write(`cnnc: argument ${nul + 1} holds a NUL byte, which no file name or flag value can hold\n`);
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    // --debug is a program option: commander has read it by the time a command's action throws.
    const debug = program.opts()['debug'] === true || env['CNNC_DEBUG'] === '1';
    process.stderr.write(internalError(e, debug));
    return EXIT.internal;
  }
  return exit.code;
}

/** `bin/cnnc.js`: the process around run(): a closed pipe ends it quietly, and the exit code is set. */
export async function main(argv: readonly string[]): Promise<void> {
  quitOnBrokenPipe(process.stdout);
  quitOnBrokenPipe(process.stderr);
  process.exitCode = await run(argv);
}

export interface Exit { code: number }

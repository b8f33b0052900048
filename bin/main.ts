// The cnnc command line: thin. It parses flags and calls compiler/ and runtime/.
import '../runtime/node/relaxed-simd.js'; // first: before the runtime's first wasm compile (relaxed-simd.ts)
import { Command, CommanderError } from 'commander';
import { VERSION } from '../compiler/version.js';
import { registerCheck } from './commands/check.js';
import { registerInspect } from './commands/inspect.js';
import { registerBuild } from './commands/build.js';
import { registerTrain } from './commands/train.js';
import { registerEval } from './commands/eval.js';
import { registerPredict } from './commands/predict.js';
import { registerDiff } from './commands/diff.js';

/** Runs the CLI and resolves to the exit code. Commands set `exit.code`; a user's mistake never throws. */
export async function run(argv: readonly string[]): Promise<number> {
  const exit = { code: 0 };
  const program = new Command('cnnc')
    .description('cnnc — a declarative CNN compiler for TypeScript')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  registerCheck(program, exit);
  registerInspect(program, exit);
  registerBuild(program, exit);
  registerTrain(program, exit);
  registerEval(program, exit);
  registerPredict(program, exit);
  registerDiff(program, exit);
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return exit.code;
}

export interface Exit { code: number }

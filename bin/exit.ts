// cnnc's exit codes, one table for every command, `--help` and the README. A script can tell a
// user's mistake (1) from a bug in cnnc (70, EX_SOFTWARE in BSD's sysexits.h).
export const EXIT = {
  /** Done (check: no errors; train: every epoch, or stopped by --max-steps). */
  ok: 0,
  /** A user's mistake: a spec with errors, a missing or corrupt file, a bad flag value, a file-system fault. */
  user: 1,
  /** The command line itself: an unknown command or option, a missing argument. */
  usage: 2,
  /** train: the loss became NaN or ±Inf; the last good checkpoint is kept. */
  diverged: 3,
  /** A bug in cnnc: an exception nobody expected. */
  internal: 70,
  /** train: stopped by Ctrl-C, with a checkpoint written. */
  interrupted: 130,
  /** stdout or stderr was closed (`cnnc … | head -1`): cnnc ends quietly, as a process killed by SIGPIPE. */
  brokenPipe: 141,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0    ok
  1    a user error (the spec, a file, a flag value, a file-system fault), one line on stderr
  2    usage (unknown command or option, missing argument)
  3    train: the loss diverged (NaN or Inf); the last good checkpoint is kept
  70   an internal error: a bug in cnnc (the stack with --debug or CNNC_DEBUG=1)
  130  train: interrupted (Ctrl-C), with a checkpoint
  141  stdout or stderr closed early (cnnc … | head)`;

const REPORT_TO = 'please report it as an issue in the cnnc repository, with the command you ran and `cnnc --version`';

/** What an unexpected exception prints: one line, and its stack only when asked for. */
export function internalError(e: unknown, debug: boolean): string {
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const line = `cnnc: internal error (a bug in cnnc, not in your spec or data): ${what.split('\n')[0]}; ${REPORT_TO}`;
  if (debug) return `${line}\n${e instanceof Error && e.stack !== undefined ? e.stack : what}\n`;
  return `${line} (--debug or CNNC_DEBUG=1 prints the stack)\n`;
}

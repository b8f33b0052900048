// `cnnc diff OLD NEW`: what a change to a model really does — layers, shapes, params and MACs,
// whether the old weights still load, what the loss and training recipe now mean, lints.
// Either side may be `REV:path` (read with git). `--textconv FILE` prints the canonical summary
// that git's textconv uses (docs/diff.md). Exit 0, or with --exit-code 1 when the models differ;
// 1 for an invalid spec, 2 for a usage error or an unreadable side.
import { Command, Option } from 'commander';
import { checkSource, formatDiagnostics } from '../../compiler/index.js';
import { canonicalSummary, diffSources, formatDiffMarkdown, formatDiffText, type InvalidSide } from '../../compiler/diff/index.js';
import { readSide } from '../../compiler/diff/read-side.js';
import type { Exit } from '../main.js';

type Format = 'text' | 'markdown' | 'json';

interface DiffOptions {
  readonly format: Format;
  readonly exitCode?: boolean;
  readonly color?: boolean;
  readonly textconv?: boolean;
}

export interface DiffIo {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function registerDiff(program: Command, exit: Exit): void {
  program
    .command('diff')
    .description('compare two specs by meaning: layers, shapes, params, checkpoint compatibility, training recipe')
    .argument('<old>', 'the old spec: a file, or REV:path read from git (main:specs/x.yaml)')
    .argument('[new]', 'the new spec: a file, or REV:path')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
    .option('--exit-code', 'exit 1 when the models differ, 0 when they do not (like git diff --exit-code)')
    .option('--color', 'color the text output (default: when stdout is a terminal)')
    .option('--no-color', 'never color')
    .option('--textconv', 'print the canonical summary of one spec (for git\'s diff.cnnc.textconv)')
    .action((old: string, now: string | undefined, opts: DiffOptions) => {
      const io: DiffIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
      exit.code = runDiff(old, now, opts, io);
    });
}

/** The command's body, with its streams passed in so tests run it in-process. Returns the exit code. */
export function runDiff(old: string, now: string | undefined, opts: DiffOptions, io: DiffIo): number {
  if (opts.textconv === true) {
    if (now !== undefined) return usage(io, '--textconv takes one spec');
    return textconv(old, io);
  }
  if (now === undefined) return usage(io, 'missing the new spec: cnnc diff OLD NEW');
  const a = readSide(old, io.cwd);
  const b = readSide(now, io.cwd);
  for (const r of [a, b]) if (!r.ok) io.stderr.write(`cnnc diff: ${r.error}\n`);
  if (!a.ok || !b.ok) return 2;

  const result = diffSources(a.side, b.side);
  if (!result.ok) return invalid(result.invalid, opts, io);
  const d = result.diff;
  switch (opts.format) {
    case 'json':
      io.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
      break;
    case 'markdown':
      io.stdout.write(formatDiffMarkdown(d));
      break;
    case 'text':
      io.stdout.write(formatDiffText(d, { color: opts.color ?? (io.stdout.isTTY === true && !io.env['NO_COLOR']) }));
      break;
  }
  return opts.exitCode === true && !d.identical ? 1 : 0;
}

function invalid(sides: readonly InvalidSide[], opts: DiffOptions, io: DiffIo): number {
  if (opts.format === 'json') {
    io.stdout.write(`${JSON.stringify({ ok: false, invalid: sides }, null, 2)}\n`);
    return 1;
  }
  const color = opts.color ?? (io.stderr.isTTY === true && !io.env['NO_COLOR']);
  for (const s of sides) {
    io.stderr.write(`cnnc diff: the ${s.side} side (${s.file}) is not a valid spec:\n\n`);
    io.stderr.write(formatDiagnostics(s.diagnostics, { color }));
  }
  return 1;
}

/** git runs this on a temp copy of each side; it must print something even for a broken spec. */
function textconv(file: string, io: DiffIo): number {
  const r = readSide(file, io.cwd);
  if (!r.ok) {
    io.stderr.write(`cnnc diff: ${r.error}\n`);
    return 2;
  }
  const { ir, diagnostics } = checkSource(r.side.source, r.side.file);
  if (ir !== null) {
    io.stdout.write(canonicalSummary(ir, diagnostics));
    return 0;
  }
  // Still exit 0, so `git diff` shows something: the errors, then the text as written.
  const errors = diagnostics.filter((d) => d.severity === 'error');
  io.stdout.write(`invalid spec (${errors.length} error${errors.length === 1 ? '' : 's'}):\n`);
  for (const d of errors) io.stdout.write(`error ${d.code} at line ${d.line}: ${d.message}\n`);
  io.stdout.write(`--- as written ---\n${r.side.source}`);
  return 0;
}

function usage(io: DiffIo, message: string): number {
  io.stderr.write(`cnnc diff: ${message}\n`);
  return 2;
}

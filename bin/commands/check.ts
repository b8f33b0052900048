// `cnnc check SPEC...`: validate and lint, print every diagnostic. Exit 1 on errors, 0 with warnings only.
// `-` reads a spec from stdin, named `<stdin>` in diagnostics.
import type { Command } from 'commander';
import { decodeSpec } from '../../compiler/1-parse/decode.js';
import { checkFile, checkSource, type CheckResult } from '../../compiler/index.js';
import { formatDiagnostics } from '../../compiler/diagnostics/render.js';
import type { Exit } from '../main.js';

interface CheckOptions {
  readonly json?: boolean;
}

const STDIN_NAME = '<stdin>';

export function registerCheck(program: Command, exit: Exit, stdin: AsyncIterable<Uint8Array | string> = process.stdin): void {
  program
    .command('check')
    .description('validate and lint specs; print every problem with its position')
    .argument('<spec...>', 'spec files (YAML); - reads one from stdin')
    .option('--json', 'print one JSON object per spec on stdout: { file, ok, layers, diagnostics }')
    .action(async (files: string[], opts: CheckOptions) => {
      const color = process.stderr.isTTY === true && !process.env['NO_COLOR'];
      for (const arg of files) {
        const file = arg === '-' ? STDIN_NAME : arg;
        const result = arg === '-' ? await checkStdin(stdin) : checkFile(file);
        const ok = result.error === undefined && !result.diagnostics.some((d) => d.severity === 'error');
        if (!ok) exit.code = 1;
        if (opts.json === true) process.stdout.write(`${JSON.stringify(asJson(file, ok, result))}\n`);
        else report(file, ok, result, color);
      }
    });
}

/** The spec on stdin, read to its end (bytes, so invalid UTF-8 is caught as in a file). */
async function checkStdin(stdin: AsyncIterable<Uint8Array | string>): Promise<CheckResult> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
  } catch (e) {
    return { ir: null, diagnostics: [], error: `cannot read stdin: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  const { source, diagnostics } = decodeSpec(Buffer.concat(chunks), STDIN_NAME);
  return diagnostics.length > 0 ? { ir: null, diagnostics } : checkSource(source, STDIN_NAME);
}

function report(file: string, ok: boolean, result: CheckResult, color: boolean): void {
  if (result.error !== undefined) {
    process.stderr.write(`cnnc check: ${result.error}\n`);
    return;
  }
  if (result.diagnostics.length > 0) process.stderr.write(formatDiagnostics(result.diagnostics, { color }));
  if (ok) {
    const warnings = result.diagnostics.length;
    const layers = result.ir?.nodes.length ?? 0;
    const extra = warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : '';
    process.stdout.write(`ok: ${file} (${layers} layer${layers === 1 ? '' : 's'}${extra})\n`);
  }
}

function asJson(file: string, ok: boolean, result: CheckResult): object {
  const base = { file, ok, layers: result.ir?.nodes.length ?? null, diagnostics: result.diagnostics };
  return result.error === undefined ? base : { ...base, error: result.error };
}

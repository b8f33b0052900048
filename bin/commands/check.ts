// `cnnc check SPEC...`: validate and lint, print every diagnostic. Exit 1 on errors, 0 with warnings only.
import type { Command } from 'commander';
import { checkFile, type CheckResult } from '../../compiler/index.js';
import { formatDiagnostics } from '../../compiler/diagnostics/render.js';
import type { Exit } from '../main.js';

interface CheckOptions {
  readonly json?: boolean;
}

export function registerCheck(program: Command, exit: Exit): void {
  program
    .command('check')
    .description('validate and lint specs; print every problem with its position')
    .argument('<spec...>', 'spec files (YAML)')
    .option('--json', 'print one JSON object per spec on stdout: { file, ok, layers, diagnostics }')
    .action((files: string[], opts: CheckOptions) => {
      const color = process.stderr.isTTY === true && !process.env['NO_COLOR'];
      for (const file of files) {
        const result = checkFile(file);
        const ok = result.error === undefined && !result.diagnostics.some((d) => d.severity === 'error');
        if (!ok) exit.code = 1;
        if (opts.json === true) process.stdout.write(`${JSON.stringify(asJson(file, ok, result))}\n`);
        else report(file, ok, result, color);
      }
    });
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

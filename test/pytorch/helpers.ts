// Shared by the PyTorch export's suites: a spec exported in-process (checkSource → exportPytorch), written to a folder.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSource, exportPytorch, type ExportData, type PytorchExport } from '../../compiler/index.js';
import { PY } from '../torch.js';

/** The export of `source`, or a thrown error listing the diagnostics. */
export function exportOrThrow(source: string, file: string, data: ExportData = { source: 'mnist', path: 'data', val: false }): PytorchExport {
  const { ir, diagnostics } = checkSource(source, file);
  if (ir === null) throw new Error(`spec refused:\n${diagnostics.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  const { files, diagnostics: refused } = exportPytorch(ir, source, data);
  if (files === null) throw new Error(`export refused:\n${refused.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  return files;
}

export function writeExport(dir: string, files: PytorchExport): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** Runs Python without blocking the event loop (vitest's worker must keep answering its runner, which spawnSync
 *  would stop for the minute a training run takes). */
export function python(argv: readonly string[], cwd: string, timeout = 400_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(PY, argv, { cwd, timeout });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, out, err }));
  });
}

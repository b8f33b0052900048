// Shared by the PyTorch export's suites: a spec exported in-process (checkSource → exportPytorch), written to a folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSource, exportPytorch, type ExportData, type PytorchExport } from '../../compiler/index.js';

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

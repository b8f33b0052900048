// build = checkSource + generate: the one call the CLI, tests and the PyTorch reference use.
import type { Diagnostic } from '../diagnostics/types.js';
import type { ModelIR } from '../ir/types.js';
import { generate, type GenerateOptions } from './generate.js';

export interface BuildResult {
  /** The generated module, or null when the spec has errors (see diagnostics). */
  readonly code: string | null;
  readonly diagnostics: readonly Diagnostic[];
  readonly ir: ModelIR | null;
}

export type CheckSource = (source: string, file: string) => { readonly ir: ModelIR | null; readonly diagnostics: readonly Diagnostic[] };

export function buildWith(check: CheckSource, source: string, file: string, options: GenerateOptions = {}): BuildResult {
  const { ir, diagnostics } = check(source, file);
  if (ir === null || diagnostics.some((d) => d.severity === 'error')) return { code: null, diagnostics, ir: null };
  return { code: generate(ir, options), diagnostics, ir };
}

// `cnnc diff` as a library: check both sides, then diff their IRs. An invalid side is reported with
// its diagnostics and which side it is, never thrown.
import { checkSource } from '../index.js';
import type { Diagnostic } from '../diagnostics/types.js';
import { diffModels } from './diff.js';
import type { ModelDiff } from './types.js';

export { diffModels, type DiffOptions } from './diff.js';
export { alignLayers, type AlignedPair } from './align.js';
export { formatDiffText } from './format-text.js';
export { formatDiffMarkdown } from './format-markdown.js';
export { canonicalSummary } from './canonical.js';
export type * from './types.js';

export type Side = 'old' | 'new';

export interface SideSource {
  readonly source: string;
  /** As the user named it (`specs/x.yaml`, `main:specs/x.yaml`): diagnostics point into it. */
  readonly file: string;
}

export interface InvalidSide {
  readonly side: Side;
  readonly file: string;
  readonly diagnostics: readonly Diagnostic[];
}

export type DiffResult =
  | { readonly ok: true; readonly diff: ModelDiff }
  | { readonly ok: false; readonly invalid: readonly InvalidSide[] };

export function diffSources(a: SideSource, b: SideSource): DiffResult {
  const old = checkSource(a.source, a.file);
  const now = checkSource(b.source, b.file);
  if (old.ir === null || now.ir === null) {
    const invalid: InvalidSide[] = [];
    if (old.ir === null) invalid.push({ side: 'old', file: a.file, diagnostics: old.diagnostics });
    if (now.ir === null) invalid.push({ side: 'new', file: b.file, diagnostics: now.diagnostics });
    return { ok: false, invalid };
  }
  return { ok: true, diff: diffModels(old.ir, now.ir, { warnings: { old: old.diagnostics, new: now.diagnostics } }) };
}

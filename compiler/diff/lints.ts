// Lint warnings the change introduces or removes. A warning is identified by its code and the layer
// it points at — through the alignment, so a renamed or shifted layer keeps its warnings and a
// reworded message is no change.
import type { Diagnostic } from '../diagnostics/types.js';
import type { ModelIR, Span } from '../ir/types.js';
import type { AlignedPair } from './align.js';
import type { LintChange } from './types.js';

export function diffLints(
  a: ModelIR,
  b: ModelIR,
  rows: readonly AlignedPair[],
  warnings: { readonly old: readonly Diagnostic[]; readonly new: readonly Diagnostic[] },
): { introduced: LintChange[]; removed: LintChange[] } {
  const rowOfOld = new Map<number, number>();
  const rowOfNew = new Map<number, number>();
  rows.forEach((r, k) => {
    if (r.old !== null) rowOfOld.set(r.old, k);
    if (r.new !== null) rowOfNew.set(r.new, k);
  });
  const keyed = (m: ModelIR, rowOf: Map<number, number>, ds: readonly Diagnostic[]): Map<string, LintChange> => {
    const out = new Map<string, LintChange>();
    for (const d of ds) {
      if (d.severity !== 'warning') continue;
      const node = m.nodes.find((n) => contains(n.span, d));
      const key = `${d.code}@${node === undefined ? 'model' : rowOf.get(node.index)}`;
      if (!out.has(key)) out.set(key, { code: d.code, layer: node?.name ?? null, message: d.message });
    }
    return out;
  };
  const before = keyed(a, rowOfOld, warnings.old);
  const after = keyed(b, rowOfNew, warnings.new);
  return {
    introduced: [...after].filter(([k]) => !before.has(k)).map(([, v]) => v),
    removed: [...before].filter(([k]) => !after.has(k)).map(([, v]) => v),
  };
}

function contains(s: Span, d: Diagnostic): boolean {
  const afterStart = d.line > s.line || (d.line === s.line && d.col >= s.col);
  const beforeEnd = d.line < s.endLine || (d.line === s.endLine && d.col <= s.endCol);
  return afterStart && beforeEnd;
}

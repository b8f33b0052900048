// The canonical one-model summary behind `cnnc diff --textconv`: git's textconv runs it on both
// sides of a spec, so `git diff` compares meaning, line by line. One line per layer and per tensor,
// every default resolved, no comments, no positions, no file name (git hands textconv a temp file).
import type { Diagnostic } from '../diagnostics/types.js';
import type { ModelIR } from '../ir/types.js';
import { layerAttrs } from './attrs.js';
import { ORDER, sections } from './settings.js';
import type { Json } from './types.js';
import { fmtAttr, fmtBytes, fmtShape, fmtValue, thousands } from './words.js';

export function canonicalSummary(ir: ModelIR, warnings: readonly Diagnostic[] = []): string {
  const kv = (r: Readonly<Record<string, Json>>): string =>
    Object.entries(r)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${k}=${fmtAttr(k, v)}`)
      .join(' ');
  const out = [`model ${ir.name}`, `input ${fmtShape(ir.input.shape)}`];
  for (const n of ir.nodes) {
    const a = layerAttrs(n, ir.nodes);
    const attrs = kv({ ...a.own, ...a.inferred });
    const name = n.named ? n.name : `${n.name} (unnamed)`;
    out.push(`layer ${name}: ${n.kind}${attrs ? ` ${attrs}` : ''} -> ${fmtShape(n.outShape)} params=${thousands(n.paramCount)} macs=${thousands(n.macs)}`);
  }
  for (const n of ir.nodes) for (const p of n.params) out.push(`tensor ${p.name} ${fmtShape(p.shape)}${p.trainable ? '' : ' (buffer)'}`);
  const s = sections(ir);
  for (const section of ORDER) {
    const { kind, source, ...rest } = s[section];
    if (section === 'scheduler' && kind === null) continue; // no schedule: nothing to say
    const head = kind ?? source;
    out.push(`${section}${head === undefined ? '' : ` ${fmtValue(head)}`}${kv(rest) ? ` ${kv(rest)}` : ''}`);
  }
  const t = ir.totals;
  out.push(`totals params=${thousands(t.params)} buffers=${thousands(t.buffers)} macs=${thousands(t.macs)} training_memory=${fmtBytes(t.trainingBytes)}`);
  for (const w of warnings) if (w.severity === 'warning') out.push(`warning ${w.code}: ${w.message}`);
  return `${out.join('\n')}\n`;
}

// A ModelDiff for a terminal: colored when stdout is a TTY, plain otherwise (and in golden files).
import type { BlockEdit, LayerDiff, LintChange, ModelDiff, TensorDiff } from './types.js';
import {
  differs, fmtAttr, fmtBytes, fmtDelta, fmtShape, fmtValue, layerName, renameWords, oldNew, settingKey, summaryParts, TENSOR_WORDS, thousands, verdictSentence,
} from './words.js';

type Paint = (s: string) => string;
interface Palette { readonly add: Paint; readonly del: Paint; readonly mod: Paint; readonly dim: Paint; readonly bold: Paint }

const ansi = (code: number): Paint => (s) => `\x1b[${code}m${s}\x1b[0m`;
const plain: Paint = (s) => s;

export function formatDiffText(d: ModelDiff, opts: { readonly color: boolean }): string {
  const p: Palette = opts.color
    ? { add: ansi(32), del: ansi(31), mod: ansi(33), dim: ansi(2), bold: ansi(1) }
    : { add: plain, del: plain, mod: plain, dim: plain, bold: plain };
  const head = `${p.bold('cnnc diff')} old ${d.old.file} → new ${d.new.file}`;
  if (d.identical) {
    return `${head}\n${d.new.name}: no semantic change (same layers, shapes, weights and training recipe)\n`;
  }
  const out = [head, `${d.new.name}: ${summaryParts(d).join(' · ')}`];
  out.push('', p.bold('Layers'), ...layers(d, p));
  out.push('', p.bold('Totals'), ...totals(d));
  out.push('', `${p.bold('Checkpoint:')} ${verdictSentence(d.checkpoint)}`, ...checkpoint(d.checkpoint.tensors, p));
  if (d.settings.length > 0) out.push('', p.bold('Training recipe'), ...settings(d));
  if (d.lints.introduced.length + d.lints.removed.length > 0) out.push('', p.bold('Lints'), ...lints(d, p));
  return `${out.join('\n')}\n`;
}

function layers(d: ModelDiff, p: Palette): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = (): void => {
    if (run.length > 0) out.push(p.dim(`  = ${run.length} unchanged: ${run.join(', ')}`));
    run = [];
  };
  const folded = new Map((d.blocks ?? []).flatMap((b) => b.rows.map((r) => [r, b] as const)));
  d.layers.forEach((l, i) => {
    if (!differs(l)) {
      run.push(layerName(l));
      return;
    }
    const b = folded.get(i);
    if (b !== undefined && b.rows[0] !== i) return; // said once, at its first instance
    flush();
    out.push(...(b === undefined ? layer(l, p) : blockEdit(b, p)));
  });
  flush();
  if (d.input) out.unshift(`  ~ input  ${fmtShape(d.input.old)} → ${fmtShape(d.input.new)}`);
  return out;
}

function layer(l: LayerDiff, p: Palette): string[] {
  const rows: [string, string][] = [];
  switch (l.status) {
    case 'added':
      return [p.add(`  + ${l.new!.name} (${l.kind})`), ...table([['output', fmtShape(l.new!.outShape)], ['params', thousands(l.new!.params)], ['MACs', thousands(l.new!.macs)]])];
    case 'removed':
      return [p.del(`  - ${l.old!.name} (${l.kind})`), ...table([['output was', fmtShape(l.old!.outShape)], ['params were', thousands(l.old!.params)]])];
    case 'changed':
    case 'affected':
    case 'unchanged':
      break;
  }
  const o = l.old!;
  const n = l.new!;
  const title = l.rename ? renameWords(l) : n.name;
  const renumbered = !o.named && !n.named;
  const why = l.status === 'affected' ? ' — its input changed' : l.status === 'unchanged' && !renumbered ? ' — renamed only' : '';
  for (const a of l.attrs) {
    rows.push([a.inferred ? `${a.attr} (inferred)` : a.attr, `${fmtAttr(a.attr, a.old)} → ${fmtAttr(a.attr, a.new)}`]);
    if (a.note !== undefined) rows.push(['', a.note]);
  }
  if (fmtShape(o.outShape) !== fmtShape(n.outShape)) rows.push(['output', `${fmtShape(o.outShape)} → ${fmtShape(n.outShape)}`]);
  if (o.params !== n.params) rows.push(['params', `${thousands(o.params)} → ${thousands(n.params)}`]);
  if (o.macs !== n.macs) rows.push(['MACs', `${thousands(o.macs)} → ${thousands(n.macs)}`]);
  return [p.mod(`  ~ ${title} (${l.kind})${why}`), ...table(rows)];
}

/** A block's edit once: the attributes, then the instances it changes and their layers' totals. */
function blockEdit(b: BlockEdit, p: Palette): string[] {
  const rows: [string, string][] = b.attrs.map((a) => [a.attr, `${fmtAttr(a.attr, a.old)} → ${fmtAttr(a.attr, a.new)}`]);
  if (b.params.old !== b.params.new) rows.push(['params', `${thousands(b.params.old)} → ${thousands(b.params.new)} in all`]);
  if (b.macs.old !== b.macs.new) rows.push(['MACs', `${thousands(b.macs.old)} → ${thousands(b.macs.new)} in all`]);
  return [p.mod(`  ~ ${b.block}.${b.layer} (${b.kind}), in the block's definition: ${b.instances.length} instances — ${b.instances.join(', ')}`), ...table(rows)];
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const w = Math.max(0, ...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `      ${k.padEnd(w)}  ${v}`);
}

function totals(d: ModelDiff): string[] {
  const t = d.totals;
  const rows = [
    ['params', oldNew(t.params.old, t.params.new, thousands), fmtDelta(t.params)],
    ['forward MACs', oldNew(t.macs.old, t.macs.new, thousands), fmtDelta(t.macs)],
    ['training memory', oldNew(t.trainingBytes.old, t.trainingBytes.new, fmtBytes), fmtDelta(t.trainingBytes, fmtBytes)],
  ] as const;
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([k, v, c]) => `  ${k.padEnd(w0)}  ${v.padEnd(w1)}  ${c}`);
}

function checkpoint(ts: readonly TensorDiff[], p: Palette): string[] {
  const kept = ts.filter((t) => t.status === 'kept').map((t) => t.name);
  const rest = ts.filter((t) => t.status !== 'kept');
  const w = Math.max(0, ...rest.map((t) => t.name.length));
  const out = rest.map((t) => {
    const paint = t.status === 'added' ? p.add : t.status === 'removed' ? p.del : p.mod;
    const shape = t.status === 'added' ? fmtShape(t.newShape) : t.status === 'removed' ? fmtShape(t.oldShape) : oldNew(t.oldShape, t.newShape, fmtShape);
    const from = t.oldName ? ` (was ${t.oldName})` : '';
    return paint(`  ${marker(t)} ${t.name.padEnd(w)}  ${shape}  ${TENSOR_WORDS[t.status]}${from}`);
  });
  if (kept.length > 0) out.push(p.dim(`  = loads: ${kept.join(', ')}`));
  return out;
}

function marker(t: TensorDiff): string {
  switch (t.status) {
    case 'added':
      return '+';
    case 'removed':
      return '-';
    case 'kept':
      return '=';
    case 'misplaced':
      return '!';
    case 'reshaped':
    case 'renamed':
      return '~';
  }
}

function settings(d: ModelDiff): string[] {
  const w = Math.max(...d.settings.map((s) => settingKey(s).length));
  return d.settings.flatMap((s) => {
    const line = `  ${settingKey(s).padEnd(w)}  ${fmtValue(s.old)} → ${fmtValue(s.new)}`;
    return s.note ? [line, `  ${''.padEnd(w)}  ${s.note}`] : [line];
  });
}

function lints(d: ModelDiff, p: Palette): string[] {
  // Lint messages usually start with the layer's name already.
  const at = (l: LintChange): string => (l.layer && !l.message.startsWith(l.layer) ? ` ${l.layer}:` : '');
  return [
    ...d.lints.introduced.map((l) => p.add(`  + ${l.code}${at(l)} ${l.message}`)),
    ...d.lints.removed.map((l) => p.del(`  - ${l.code}${at(l)} ${l.message}`)),
  ];
}

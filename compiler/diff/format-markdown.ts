// A ModelDiff as a pull-request comment: one summary line, then tables (GitHub-flavored markdown).
import type { LayerDiff, ModelDiff } from './types.js';
import {
  differs, fmtAttr, fmtBytes, fmtDelta, fmtShape, fmtValue, layerName, renameWords, oldNew, settingKey, summaryParts, TENSOR_WORDS, thousands, verdictSentence,
} from './words.js';

export function formatDiffMarkdown(d: ModelDiff): string {
  const files = `\`${cell(d.old.file)}\` → \`${cell(d.new.file)}\``;
  const out = [`**cnnc diff** \`${d.new.name}\` (${files}): ${summaryParts(d).join(' · ')}`];
  if (d.identical) return `${out[0]}\n`;
  out.push('', '#### Layers', '', ...layers(d));
  out.push('', '#### Totals', '', ...totals(d));
  out.push('', '#### Checkpoint', '', `**${verdictSentence(d.checkpoint)}**`, '', ...tensors(d));
  if (d.settings.length > 0) {
    out.push('', '#### Training recipe', '', '| setting | old | new | what it means |', '| --- | --- | --- | --- |');
    for (const s of d.settings) out.push(row([code(settingKey(s)), cell(fmtValue(s.old)), cell(fmtValue(s.new)), cell(s.note ?? '')]));
  }
  const lints = [...d.lints.introduced.map((l) => ['introduced', l] as const), ...d.lints.removed.map((l) => ['removed', l] as const)];
  if (lints.length > 0) {
    out.push('', '#### Lints', '', '| | code | layer | warning |', '| --- | --- | --- | --- |');
    for (const [what, l] of lints) out.push(row([what, l.code, l.layer ? code(l.layer) : '', cell(l.message)]));
  }
  return `${out.join('\n')}\n`;
}

const MARK: Readonly<Record<LayerDiff['status'], string>> = { added: '+', removed: '−', changed: '~', affected: '~', unchanged: '=' };

function layers(d: ModelDiff): string[] {
  const out = ['| | layer | kind | change | output | params | MACs |', '| --- | --- | --- | --- | --- | --: | --: |'];
  if (d.input) out.push(row(['~', '*input*', '', '', `${fmtShape(d.input.old)} → ${fmtShape(d.input.new)}`, '', '']));
  const unchanged: string[] = [];
  const folded = new Map((d.blocks ?? []).flatMap((b) => b.rows.map((r) => [r, b] as const)));
  for (const [i, l] of d.layers.entries()) {
    if (!differs(l)) {
      unchanged.push(code(layerName(l)));
      continue;
    }
    const b = folded.get(i);
    if (b !== undefined) {
      // A block's edit, once: the row stands for every instance it changes.
      if (b.rows[0] === i) {
        const attrs = b.attrs.map((a) => `${a.attr} ${fmtAttr(a.attr, a.old)} → ${fmtAttr(a.attr, a.new)}`).join('; ');
        out.push(row(['~', `${code(`${b.block}.${b.layer}`)} in ${b.instances.length} instances (${b.instances.map(code).join(', ')})`, b.kind, cell(attrs), '',
          oldNew(b.params.old, b.params.new, thousands), oldNew(b.macs.old, b.macs.new, thousands)]));
      }
      continue;
    }
    const o = l.old;
    const n = l.new;
    const name = l.rename ? cell(renameWords(l)).replace(/^(\S+) → (\S+)/, '`$1` → `$2`') : code(layerName(l));
    // An added layer has only new values, a removed one only old ones.
    const pick = <T>(f: (x: NonNullable<LayerDiff['old']>) => T, fmt: (x: T) => string): string =>
      o && n ? oldNew(f(o), f(n), fmt) : fmt(f((o ?? n)!));
    out.push(
      row([
        l.status === 'unchanged' ? '~' : MARK[l.status],
        name,
        l.kind,
        cell(change(l)),
        pick((x) => x.outShape, fmtShape),
        pick((x) => x.params, thousands),
        pick((x) => x.macs, thousands),
      ]),
    );
  }
  if (out.length === 2) out.splice(0, 2, 'No layer changed.');
  if (unchanged.length > 0) out.push('', `Unchanged: ${unchanged.join(', ')}`);
  return out;
}

function change(l: LayerDiff): string {
  switch (l.status) {
    case 'added':
      return 'added';
    case 'removed':
      return 'removed';
    case 'changed':
    case 'affected':
    case 'unchanged': {
      const attrs = l.attrs.map((a) => `${a.attr}${a.inferred ? ' (inferred)' : ''} ${fmtAttr(a.attr, a.old)} → ${fmtAttr(a.attr, a.new)}${a.note !== undefined ? ` (${a.note})` : ''}`);
      if (l.status === 'affected' && attrs.length === 0) attrs.push('input changed');
      if (l.rename) attrs.unshift(l.old!.named || l.new!.named ? 'renamed' : 'renumbered');
      return attrs.join('; ');
    }
  }
}

function totals(d: ModelDiff): string[] {
  const t = d.totals;
  return [
    '| | old | new | change |',
    '| --- | --: | --: | --: |',
    row(['params', thousands(t.params.old), thousands(t.params.new), fmtDelta(t.params)]),
    row(['forward MACs', thousands(t.macs.old), thousands(t.macs.new), fmtDelta(t.macs)]),
    row(['training memory', fmtBytes(t.trainingBytes.old), fmtBytes(t.trainingBytes.new), fmtDelta(t.trainingBytes, fmtBytes)]),
  ];
}

function tensors(d: ModelDiff): string[] {
  const ts = d.checkpoint.tensors;
  const rest = ts.filter((t) => t.status !== 'kept');
  const kept = ts.filter((t) => t.status === 'kept').map((t) => code(t.name));
  const out: string[] = [];
  if (rest.length > 0) {
    out.push('| tensor | old shape | new shape | |', '| --- | --- | --- | --- |');
    for (const t of rest) {
      const name = t.oldName ? `${code(t.oldName)} → ${code(t.name)}` : code(t.name);
      out.push(row([name, fmtShape(t.oldShape), fmtShape(t.newShape), TENSOR_WORDS[t.status]]));
    }
  }
  if (kept.length > 0) out.push(...(out.length > 0 ? [''] : []), `Loads unchanged: ${kept.join(', ')}`);
  return out;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** A table cell: pipes and newlines would break the row. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(s: string): string {
  return `\`${cell(s)}\``;
}

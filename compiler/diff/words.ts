// Words and numbers shared by the text and markdown renderings of a ModelDiff.
import { thousands } from '../3-lower/format.js';
import type { Shape } from '../ir/types.js';
import type { CheckpointDiff, Delta, Json, LayerDiff, ModelDiff, SettingChange, TensorStatus } from './types.js';

export { thousands };

export function fmtShape(s: Shape | null): string {
  return s === null ? '—' : `[${s.join(', ')}]`;
}

/** Spatial pairs, written as PyTorch prints them: `3` for 3×3, `3×5` otherwise. */
const SPATIAL = new Set(['kernel_size', 'stride', 'padding', 'dilation', 'output_padding', 'size', 'scale_factor']);

/** A layer attribute as the spec would write it: `kernel_size` 3 for [3, 3], padding sides only when they differ. */
export function fmtAttr(attr: string, v: Json): string {
  if (SPATIAL.has(attr) && Array.isArray(v) && v.length === 2) return v[0] === v[1] ? `${v[0]}` : `${v[0]}×${v[1]}`;
  return fmtValue(v);
}

/** A setting or attribute value: `—` where it does not apply. */
export function fmtValue(v: Json): string {
  if (v === null) return '—';
  if (Array.isArray(v)) return `[${(v as readonly Json[]).map(fmtValue).join(', ')}]`;
  if (typeof v === 'object') {
    const p = v as Readonly<Record<string, Json>>;
    if ('top' in p && 'bottom' in p && 'left' in p && 'right' in p) {
      // Padding2d: the IR's explicit sides (PyTorch's 'same' pads less on top/left for even kernels).
      if (p.top === p.bottom && p.left === p.right) return p.top === p.left ? `${p.top}` : `${p.top}×${p.left}`;
      return `top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right}`;
    }
    return JSON.stringify(v);
  }
  return String(v);
}

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = n;
  let u = 0;
  while (Math.abs(x) >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return u === 0 ? `${x} B` : `${x.toFixed(1)} ${units[u]}`;
}

/** `+1.5%`, `−3.0%`, `0%`; `new` when the old value was 0. */
export function fmtPercent(d: Delta): string {
  if (d.delta === 0) return '0%';
  if (d.percent === null) return 'new';
  const p = Math.abs(d.percent);
  // Two significant digits below 1%, so a small change never reads as `+0.0%`.
  const shown = p >= 100 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : `${+p.toPrecision(2)}`;
  return `${d.delta > 0 ? '+' : '−'}${shown}%`;
}

/** `+18,560 (+1.5%)` */
export function fmtDelta(d: Delta, fmt: (n: number) => string = thousands): string {
  if (d.delta === 0) return 'no change';
  return `${d.delta > 0 ? '+' : '−'}${fmt(Math.abs(d.delta))} (${fmtPercent(d)})`;
}

export function oldNew<T>(o: T, n: T, fmt: (x: T) => string): string {
  const a = fmt(o);
  const b = fmt(n);
  return a === b ? a : `${a} → ${b}`;
}

/** Whether a row is worth showing: it changed, or its name did and the name means something (the user
 *  wrote it, or tensors are named after it). A relu renumbered relu_2 → relu_3 is not news. */
export function differs(l: LayerDiff): boolean {
  if (l.status !== 'unchanged') return true;
  if (l.rename === null) return false;
  return l.old!.named || l.new!.named || l.new!.tensors.length > 0;
}

/** `fc1 → head`, or `conv2d_2 → conv2d_3 (renumbered)` for an unnamed layer. */
export function renameWords(l: LayerDiff): string {
  const r = l.rename!;
  return !l.old!.named && !l.new!.named ? `${r.old} → ${r.new} (renumbered)` : `${r.old} → ${r.new}`;
}

export function layerName(l: LayerDiff): string {
  return (l.new ?? l.old)!.name;
}

export const TENSOR_WORDS: Readonly<Record<TensorStatus, string>> = {
  kept: 'loads',
  misplaced: 'loads into another layer',
  reshaped: 'shape changed: does not load',
  renamed: 'renamed: does not load under the old name',
  added: 'new: starts from its initializer',
  removed: 'removed: unused',
};

/** `partial — 6 of 8 tensors of the new model load from the old weights` */
export function verdictSentence(c: CheckpointDiff): string {
  const v = c.verdict;
  const total = v.loaded.length + v.notLoaded.length;
  switch (v.kind) {
    case 'full':
      return v.misplaced.length > 0
        ? `full by name and shape, but ${v.misplaced.length} ${plural(v.misplaced.length, 'tensor')} load into another layer than they came from`
        : 'full — the old weights load as they are (every tensor, same names and shapes)';
    case 'none':
      return total === 0 ? 'none — the new model has no weights' : 'none — no tensor of the old weights loads';
    case 'partial': {
      const left = v.unused.length > 0 ? `; ${v.unused.length} old ${plural(v.unused.length, 'tensor')} left over` : '';
      const wrong = v.misplaced.length > 0 ? `; ${v.misplaced.length} of them into another layer than they came from` : '';
      return `partial — ${v.loaded.length} of ${total} tensors of the new model load from the old weights${wrong}${left}`;
    }
  }
}

export function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/** `4 layers differ (1 changed, 1 added, 2 affected by a changed input)`, or null when none does. */
export function layerCounts(d: ModelDiff): string | null {
  const count = (p: (l: LayerDiff) => boolean): number => d.layers.filter(p).length;
  const parts: string[] = [];
  const changed = count((l) => l.status === 'changed');
  const affected = count((l) => l.status === 'affected');
  const added = count((l) => l.status === 'added');
  const removed = count((l) => l.status === 'removed');
  const named = (l: LayerDiff): boolean => l.old!.named || l.new!.named;
  const renamed = count((l) => l.rename !== null && differs(l) && named(l));
  const renumbered = count((l) => l.rename !== null && differs(l) && !named(l));
  if (changed) parts.push(`${changed} changed`);
  if (added) parts.push(`${added} added`);
  if (removed) parts.push(`${removed} removed`);
  if (renamed) parts.push(`${renamed} renamed`);
  if (renumbered) parts.push(`${renumbered} renumbered`);
  if (affected) parts.push(`${affected} affected by a changed input`);
  const total = count(differs);
  if (total === 0) return null;
  return `${total} ${total === 1 ? 'layer differs' : 'layers differ'} (${parts.join(', ')})`;
}

/** The one-line summary both renderings start with (without the model's name). */
export function summaryParts(d: ModelDiff): string[] {
  if (d.identical) return ['no semantic change'];
  const parts: string[] = [];
  if (d.name) parts.push(`renamed ${d.name.old} → ${d.name.new}`);
  if (d.input) parts.push(`input ${fmtShape(d.input.old)} → ${fmtShape(d.input.new)}`);
  const lc = layerCounts(d);
  if (lc) parts.push(lc);
  const t = d.totals;
  if (t.params.delta !== 0) parts.push(`params ${fmtDelta(t.params)}`);
  if (t.macs.delta !== 0) parts.push(`MACs ${fmtDelta(t.macs)}`);
  parts.push(`checkpoint: ${d.checkpoint.verdict.kind}`);
  const sections = [...new Set(d.settings.map((s) => s.section))];
  if (sections.length > 0) parts.push(`${sections.join(', ')} changed`);
  const li = d.lints.introduced.length;
  if (li > 0) parts.push(`${li} new ${plural(li, 'warning')}`);
  return parts;
}

export function settingKey(s: SettingChange): string {
  return `${s.section}.${s.key}`;
}

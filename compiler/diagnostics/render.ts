// The one place diagnostics are built and printed. A frame is ±2 lines of source with a line-number
// gutter and a caret line under the exact span, as Svelte and Babel print theirs:
//
//      5 |   - relu
//   >  6 |   - { kind: conv2d, out_channels: 0, kernel_size: 3 }
//        |                                   ^
//      7 |   - relu
//
// A line longer than MAX_COLUMNS (a 20 KB flow mapping on one line) is cut to a window of that many
// columns around the caret, one for the whole frame so the lines stay aligned, with `…` on each
// side that was cut; the caret stays under its character.
import { CODES, type Code } from './codes.js';
import type { Diagnostic, Span } from './types.js';

const CONTEXT = 2;
const TAB_WIDTH = 4;
/** Columns of source text a frame shows per line; longer lines are cut around the caret. */
const MAX_COLUMNS = 100;
const CUT = '…';

/** Builds a diagnostic: severity comes from the code table, the frame from `source`. */
export function diagnostic(code: Code, message: string, span: Span, source: string, hint?: string): Diagnostic {
  const d: Diagnostic = {
    code,
    severity: CODES[code].severity,
    message,
    file: span.file,
    line: span.line,
    col: span.col,
    endLine: span.endLine,
    endCol: span.endCol,
    frame: codeFrame(source, span),
  };
  return hint === undefined ? d : { ...d, hint };
}

/** `file:line:col: error E0201: message`, the frame, then the hint. */
export function formatDiagnostic(d: Diagnostic, opts: { color?: boolean } = {}): string {
  const c = palette(opts.color === true);
  const sev = d.severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
  const head = `${c.bold(`${d.file}:${d.line}:${d.col}:`)} ${sev} ${c.bold(d.code)}: ${c.bold(d.message)}`;
  const frame = opts.color === true ? colorFrame(d.frame, c) : d.frame;
  const parts = [head];
  if (frame !== '') parts.push(frame);
  if (d.hint !== undefined) parts.push(`  ${c.cyan('hint:')} ${d.hint}`);
  return parts.join('\n');
}

/** All diagnostics, a blank line apart, then a summary such as `2 errors, 1 warning`. */
export function formatDiagnostics(ds: readonly Diagnostic[], opts: { color?: boolean } = {}): string {
  if (ds.length === 0) return '';
  const errors = ds.filter((d) => d.severity === 'error').length;
  const warnings = ds.length - errors;
  const summary = [plural(errors, 'error'), plural(warnings, 'warning')].filter((s) => s !== '').join(', ');
  return `${ds.map((d) => formatDiagnostic(d, opts)).join('\n\n')}\n\n${summary}\n`;
}

function plural(n: number, word: string): string {
  return n === 0 ? '' : `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The frame text, with no color: diagnostics are data, color is added when printing. */
export function codeFrame(source: string, span: Span): string {
  const lines = source.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  // A final newline ends the last line; it does not start a new one (unless the span points there).
  if (lines.length > 1 && lines[lines.length - 1] === '' && span.line < lines.length) lines.pop();
  if (span.line < 1 || span.line > lines.length) return '';
  const first = Math.max(1, span.line - CONTEXT);
  const last = Math.min(lines.length, span.line + CONTEXT);
  const width = String(last).length;
  const shown = lines.slice(first - 1, last).map(expandTabs);
  const caret = caretColumns(lines[span.line - 1] ?? '', span);
  const lo = windowStart(shown[span.line - first]!, caret, Math.max(...shown.map((t) => t.length)));
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const mark = n === span.line ? '>' : ' ';
    out.push(`${mark} ${String(n).padStart(width)} | ${cut(shown[n - first]!, lo)}`.trimEnd());
    if (n === span.line) {
      const from = caret.from - lo + (lo > 0 ? CUT.length : 0);
      const to = Math.min(caret.to, lo + MAX_COLUMNS) - lo + (lo > 0 ? CUT.length : 0);
      out.push(`  ${' '.repeat(width)} | ${' '.repeat(from)}${'^'.repeat(Math.max(1, to - from))}`);
    }
  }
  return out.join('\n');
}

/** The span's columns on its first line (tabs expanded; trailing blanks of a multi-line span not
 *  underlined), at least one column wide. */
function caretColumns(text: string, span: Span): { from: number; to: number } {
  const start = Math.min(span.col - 1, text.length);
  let end = span.endLine === span.line ? Math.min(span.endCol - 1, text.length) : text.length;
  if (span.endLine !== span.line) while (end > start && /\s/.test(text[end - 1] ?? '')) end--;
  const from = visualWidth(text.slice(0, start));
  return { from, to: Math.max(from + 1, visualWidth(text.slice(0, end))) };
}

/** The first column shown: 0 while the frame fits, else a window with the caret's start a third of
 *  the way in (less, to show a shorter span whole), never past the end of the caret line. A line
 *  wholly left of the window shows as `…`. */
function windowStart(caretLine: string, caret: { from: number; to: number }, widest: number): number {
  if (widest <= MAX_COLUMNS || caret.to <= MAX_COLUMNS) return 0;
  const third = Math.floor(MAX_COLUMNS / 3);
  const spanWidth = caret.to - caret.from;
  const lead = spanWidth >= MAX_COLUMNS ? third : Math.min(third, MAX_COLUMNS - spanWidth); // a short span is shown whole
  let lo = Math.max(0, Math.min(caret.from - lead, caretLine.length - MAX_COLUMNS));
  if (isLowSurrogate(caretLine.charCodeAt(lo))) lo--; // never half a character
  return Math.max(0, lo);
}

/** Columns [lo, lo + MAX_COLUMNS) of a line, with `…` where something was cut. */
function cut(text: string, lo: number): string {
  if (lo === 0 && text.length <= MAX_COLUMNS) return text;
  let hi = Math.min(text.length, lo + MAX_COLUMNS);
  if (isLowSurrogate(text.charCodeAt(hi))) hi--;
  const start = isLowSurrogate(text.charCodeAt(lo)) ? lo + 1 : lo;
  const middle = text.slice(start, hi);
  const before = lo > 0 && text.slice(0, lo).trim() !== '' ? CUT : lo > 0 ? ' ' : '';
  return `${before}${middle}${hi < text.length ? CUT : ''}`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function expandTabs(text: string): string {
  let out = '';
  for (const ch of text) out += ch === '\t' ? ' '.repeat(TAB_WIDTH - (out.length % TAB_WIDTH)) : ch;
  return out;
}

function visualWidth(prefix: string): number {
  return expandTabs(prefix).length;
}

interface Palette {
  bold(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
}

function palette(on: boolean): Palette {
  const wrap = (open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: wrap(1, 22), red: wrap(31, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), dim: wrap(2, 22) };
}

function colorFrame(frame: string, c: Palette): string {
  return frame
    .split('\n')
    .map((l) => {
      const bar = l.indexOf(' | ');
      if (bar < 0) return l;
      const gutter = l.slice(0, bar + 3);
      const rest = l.slice(bar + 3);
      return /^\s*\^+$/.test(rest) && !/\d/.test(gutter) ? c.dim(gutter) + c.red(c.bold(rest)) : c.dim(gutter) + rest;
    })
    .join('\n');
}

// A frame cuts a long source line to a window of 100 columns around the caret, `…` on each cut
// side, the caret still under its text (issue 14, item 7): a 20 KB one-line spec used to be printed
// in full, caret line included.
import { describe, expect, it } from 'vitest';
import { codeFrame } from '../../compiler/diagnostics/render.js';
import type { Span } from '../../compiler/diagnostics/types.js';
import { underlined } from './frame.js';

function span(line: number, col: number, endCol: number): Span {
  return { file: 'f.yaml', line, col, endLine: line, endCol, offset: 0, end: 0 };
}

/** The text after each frame line's gutter. */
const bodies = (frame: string) => frame.split('\n').map((l) => l.slice(l.indexOf(' | ') + 3));

const relus = (n: number) => Array.from({ length: n }, () => '{ kind: relu }').join(', ');
const BAD = '{ kind: conv2d, out_channels: 0 }';

describe('codeFrame on long lines', () => {
  it('a 20 KB line: about 100 columns around the caret, … on both sides, caret under the value', () => {
    const line = `layers: [ ${relus(700)}, ${BAD}, ${relus(700)} ]`;
    expect(line.length).toBeGreaterThan(20_000);
    const col = line.indexOf('out_channels: 0') + 'out_channels: '.length + 1;
    const frame = codeFrame(`cnnc: 1\n${line}\nloss: { kind: nll }\n`, span(2, col, col + 1));
    expect(frame.length).toBeLessThan(400);
    const [before, shown, caret, after] = bodies(frame);
    // the short lines around it lie wholly left of the window
    expect(before).toBe('…');
    expect(after).toBe('…');
    expect(shown!.startsWith('…')).toBe(true);
    expect(shown!.endsWith('…')).toBe(true);
    expect(shown!.length).toBe(102); // 100 columns and two …
    expect(caret).toMatch(/^ +\^$/);
    expect(underlined(frame)).toBe('0');
    expect(shown).toContain(BAD);
  });

  it('a long span: a third of the window before it, underlined up to the window\'s edge', () => {
    const value = 'x'.repeat(300);
    const line = `name: ${'a'.repeat(150)} ${value}`;
    const col = line.indexOf(value) + 1;
    const frame = codeFrame(line, span(1, col, col + value.length));
    const [shown, caret] = bodies(frame);
    expect(shown).toBe(`…${'a'.repeat(32)} ${'x'.repeat(67)}…`);
    expect(caret).toBe(`${' '.repeat(34)}${'^'.repeat(67)}`);
  });

  it('a caret near the start of a long line: cut on the right only', () => {
    const line = `name: ${'n'.repeat(500)}`;
    const [shown, caret] = bodies(codeFrame(line, span(1, 7, 507)));
    expect(shown).toBe(`name: ${'n'.repeat(94)}…`);
    expect(caret).toBe(`      ${'^'.repeat(94)}`);
  });

  it('a caret at the end of a long line stays right after its last character', () => {
    const line = `k: ${'v'.repeat(400)}`;
    const frame = codeFrame(line, span(1, line.length + 1, line.length + 2));
    const [shown, caret] = bodies(frame);
    expect(shown).toBe(`…${'v'.repeat(100)}`);
    expect(caret).toBe(`${' '.repeat(101)}^`);
  });

  it('context lines are cut by the same window, so columns stay aligned', () => {
    const a = `# ${'a'.repeat(300)}`;
    const b = `k: ${'b'.repeat(150)}X${'b'.repeat(150)}`;
    const col = b.indexOf('X') + 1;
    const [top, shown, caret] = bodies(codeFrame(`${a}\n${b}\n`, span(2, col, col + 1)));
    expect(shown!.indexOf('X')).toBe(caret!.indexOf('^'));
    expect(top!.length).toBe(shown!.length);
    expect(top!.startsWith('…') && top!.endsWith('…')).toBe(true);
  });

  it('tabs before the window count as their expanded width', () => {
    const line = `\t\tk: ${'z'.repeat(200)}Q${'z'.repeat(50)}`;
    const col = line.indexOf('Q') + 1;
    const frame = codeFrame(line, span(1, col, col + 1));
    expect(underlined(frame)).toBe('Q');
  });

  it('lines up to 100 columns are not touched', () => {
    const line = `n: ${'y'.repeat(97)}`;
    expect(line.length).toBe(100);
    expect(bodies(codeFrame(line, span(1, 100, 101)))[0]).toBe(line);
  });
});

// The renderer: frames, carets, tabs, color and the summary line.
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { codeFrame, diagnostic, formatDiagnostic, formatDiagnostics } from '../../compiler/diagnostics/render.js';
import type { Span } from '../../compiler/ir/types.js';

const SPEC = `cnnc: 1
name: Tiny
input: { shape: [1, 8, 8] }
layers:
  - { kind: conv2d, out_channels: 0, kernel_size: 3 }
  - flatten
loss: { kind: cross_entropy }
optimizer: { kind: sgd, lr: 0.1 }
`;

function span(line: number, col: number, endLine: number, endCol: number): Span {
  return { file: 'f.yaml', line, col, endLine, endCol, offset: 0, end: 0 };
}

describe('formatDiagnostic', () => {
  it('prints position, code, message, a ±2-line frame with the caret under the value, and the hint', () => {
    const [d] = checkSource(SPEC, 'specs/tiny.yaml').diagnostics;
    expect(formatDiagnostic(d!)).toMatchInlineSnapshot(`
      "specs/tiny.yaml:5:35: error E0205: \`out_channels\` must be ≥ 1, got 0
        3 | input: { shape: [1, 8, 8] }
        4 | layers:
      > 5 |   - { kind: conv2d, out_channels: 0, kernel_size: 3 }
          |                                   ^
        6 |   - flatten
        7 | loss: { kind: cross_entropy }"
    `);
  });

  it('adds the hint on its own line', () => {
    const d = diagnostic('E0201', 'unknown key `kernal_size`', span(1, 3, 1, 14), '{ kernal_size: 3 }', 'did you mean `kernel_size`?');
    expect(formatDiagnostic(d).split('\n')).toEqual([
      'f.yaml:1:3: error E0201: unknown key `kernal_size`',
      '> 1 | { kernal_size: 3 }',
      '    |   ^^^^^^^^^^^',
      '  hint: did you mean `kernel_size`?',
    ]);
  });

  it('colors only when asked', () => {
    const d = diagnostic('E0205', 'too small', span(1, 1, 1, 2), 'x', undefined);
    expect(formatDiagnostic(d)).not.toContain('\x1b[');
    expect(formatDiagnostic(d, { color: true })).toContain('\x1b[31m');
  });

  it('takes severity from the code table', () => {
    expect(diagnostic('E0101', 'm', span(1, 1, 1, 1), 'x').severity).toBe('error');
    expect(diagnostic('W0604', 'm', span(1, 1, 1, 1), 'x').severity).toBe('warning');
  });
});

describe('codeFrame', () => {
  it('clips a multi-line span to its first line, without trailing blanks', () => {
    const frame = codeFrame('a:\n  b: 1   \n  c: 2\n', span(2, 3, 3, 7));
    expect(frame.split('\n')).toEqual(['  1 | a:', '> 2 |   b: 1', '    |   ^^^^', '  3 |   c: 2']);
  });

  it('expands tabs so the caret stays under the text', () => {
    const frame = codeFrame('a:\n\tb: 1\n', span(2, 2, 2, 3));
    expect(frame.split('\n').slice(1, 3)).toEqual(['> 2 |     b: 1', '    |     ^']);
  });

  it('puts one caret at the end of a line for an empty span there', () => {
    const frame = codeFrame('key:\n', span(1, 5, 1, 5));
    expect(frame.split('\n')).toEqual(['> 1 | key:', '    |     ^']);
  });

  it('pads the gutter to the widest line number', () => {
    const source = Array.from({ length: 12 }, (_, i) => `l${i + 1}`).join('\n');
    expect(codeFrame(source, span(10, 1, 10, 4)).split('\n')).toEqual([
      '   8 | l8',
      '   9 | l9',
      '> 10 | l10',
      '     | ^^^',
      '  11 | l11',
      '  12 | l12',
    ]);
  });

  it('handles CRLF line ends', () => {
    expect(codeFrame('a: 1\r\nb: 2\r\n', span(2, 4, 2, 5)).split('\n')).toEqual(['  1 | a: 1', '> 2 | b: 2', '    |    ^']);
  });
});

describe('formatDiagnostics', () => {
  it('ends with a count of errors and warnings', () => {
    const e = diagnostic('E0205', 'a', span(1, 1, 1, 2), 'x');
    const w = diagnostic('W0604', 'b', span(1, 1, 1, 2), 'x');
    expect(formatDiagnostics([e, e, w]).trimEnd().split('\n').pop()).toBe('2 errors, 1 warning');
    expect(formatDiagnostics([w]).trimEnd().split('\n').pop()).toBe('1 warning');
    expect(formatDiagnostics([])).toBe('');
  });
});

// Every file in test/fixtures/errors/ is a bad spec that says, in its leading comments, what cnnc
// must report: `# expect: CODE at LINE:COL [under "TEXT"] [hint "TEXT"]`, one line per diagnostic.
// `under` is the source text the frame's caret line must underline; `hint` a part of the hint.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { underlined } from './frame.js';

const DIR = new URL('../fixtures/errors/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

interface Expectation {
  readonly code: string;
  readonly at: string;
  readonly under?: string;
  readonly hint?: string;
}

function expectations(source: string): Expectation[] {
  const re = /^# expect: (\w+) at (\d+:\d+)(?: under ("(?:[^"\\]|\\.)*"))?(?: hint ("(?:[^"\\]|\\.)*"))?\s*$/;
  return source
    .split('\n')
    .filter((l) => l.startsWith('# expect:'))
    .map((l) => {
      const m = re.exec(l);
      if (m === null) throw new Error(`malformed expectation: ${l}`);
      return {
        code: m[1]!,
        at: m[2]!,
        ...(m[3] !== undefined ? { under: JSON.parse(m[3]) as string } : {}),
        ...(m[4] !== undefined ? { hint: JSON.parse(m[4]) as string } : {}),
      };
    });
}

describe('error fixtures', () => {
  it('has at least 24 bad specs, each with an expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(24);
    for (const f of files) expect(expectations(readFileSync(new URL(f, DIR), 'utf8')), f).not.toHaveLength(0);
  });

  it.each(files)('%s', (f) => {
    const source = readFileSync(new URL(f, DIR), 'utf8');
    const want = expectations(source);
    const { ir, diagnostics } = checkSource(source, f);
    expect(ir).toBeNull();
    expect(diagnostics.map((d) => `${d.code} at ${d.line}:${d.col}`)).toEqual(want.map((w) => `${w.code} at ${w.at}`));
    diagnostics.forEach((d, i) => {
      const w = want[i]!;
      expect(d.file).toBe(f);
      expect(d.severity).toBe('error');
      expect(d.frame).toMatch(new RegExp(`^> +${d.line} \\| `, 'm'));
      if (w.under !== undefined) expect(underlined(d.frame)).toBe(w.under);
      if (w.hint !== undefined) expect(d.hint ?? '').toContain(w.hint);
    });
  });
});

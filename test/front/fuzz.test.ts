// Property-based: whatever bytes a user feeds cnnc, the front end answers with diagnostics, never a
// throw, and every diagnostic points inside the file.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { parse } from '../../compiler/1-parse/parse.js';
import { validate } from '../../compiler/2-validate/validate.js';
import type { Diagnostic } from '../../compiler/diagnostics/types.js';

const RUNS = { numRuns: 200 };
const SEED = readFileSync(new URL('./seed-mnist.yaml', import.meta.url), 'utf8');
const SEED_LINES = SEED.split('\n');

/** 1 ≤ line ≤ line count, 1 ≤ col ≤ line length + 1; a bad position would crash an editor. */
function expectInside(source: string, ds: readonly Diagnostic[]): void {
  const lines = source.split('\n');
  for (const d of ds) {
    expect(d.line, d.message).toBeGreaterThanOrEqual(1);
    expect(d.line, d.message).toBeLessThanOrEqual(lines.length);
    expect(d.col, d.message).toBeGreaterThanOrEqual(1);
    expect(d.col, d.message).toBeLessThanOrEqual((lines[d.line - 1] ?? '').length + 1);
    expect(d.frame, d.message).not.toBe('');
  }
}

function frontEnd(source: string): Diagnostic[] {
  const p = parse(source, 'fuzz.yaml');
  if (p.doc === null) {
    expect(p.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    return p.diagnostics;
  }
  const v = validate(p.doc, p.map);
  expect(v.spec === null).toBe(v.diagnostics.some((d) => d.severity === 'error'));
  return [...p.diagnostics, ...v.diagnostics];
}

/** Tokens that YAML and the schema care about, so mutations reach past the parser. */
const token = fc.oneof(
  fc.constantFrom('0', '-1', '1.5', '"32"', '.inf', '.nan', '~', 'null', 'true', '[]', '{}', '[1, 2, 3]', '&a x', '*a', '!!str', '- ', ': ', '#', '\t', '---', '{', ']', '"', "'", 'conv2d', 'kind', 'relu', 'same', '__proto__', '1e400', '0x1F'),
  fc.string({ maxLength: 8 }),
);

const mutation = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), line: fc.nat(), token }),
  fc.record({ op: fc.constant('insert' as const), line: fc.nat(), col: fc.nat(), token }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(lines: readonly string[], ms: readonly Mutation[]): string {
  const out = [...lines];
  for (const m of ms) {
    const i = out.length === 0 ? 0 : m.line % out.length;
    const line = out[i] ?? '';
    switch (m.op) {
      case 'delete': out.splice(i, 1); break;
      case 'duplicate': out.splice(i, 0, line); break;
      case 'replace': {
        // Replace one word or number of the line with the token.
        const words = [...line.matchAll(/[\w.-]+/g)];
        const w = words.length > 0 ? words[m.line % words.length]! : undefined;
        out[i] = w === undefined ? m.token : line.slice(0, w.index) + m.token + line.slice(w.index + w[0].length);
        break;
      }
      case 'insert': {
        const c = m.col % (line.length + 1);
        out[i] = line.slice(0, c) + m.token + line.slice(c);
        break;
      }
    }
  }
  return out.join('\n');
}

describe('fuzzing the front end', () => {
  it('the seed spec itself is clean', () => {
    expect(frontEnd(SEED)).toEqual([]);
  });

  it('random strings: never throws, positions inside the file', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 200 }), (s) => expectInside(s, frontEnd(s))), RUNS);
  });

  it('random YAML-ish token soup: never throws, positions inside the file', () => {
    fc.assert(fc.property(fc.array(token, { maxLength: 40 }), (ts) => {
      const s = ts.join('');
      expectInside(s, frontEnd(s));
    }), RUNS);
  });

  it('mutated seed specs through parse + validate: never throws, positions inside the file', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
      const s = mutate(SEED_LINES, ms);
      expectInside(s, frontEnd(s));
    }), RUNS);
  });

  it('mutated seed specs through checkSource (lower and lint too): never throws, positions inside the file', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
      const s = mutate(SEED_LINES, ms);
      expectInside(s, checkSource(s, 'fuzz.yaml').diagnostics);
    }), RUNS);
  });

  it('a mutation that changes a number to a bad one is caught with a position', () => {
    // Not random: proves the property above can fail for a reason other than a throw.
    const bad = SEED.replace('kernel_size: 3 }', 'kernel_size: -3 }');
    const ds = frontEnd(bad);
    expect(ds.map((d) => d.code)).toEqual(['E0205']);
    expectInside(bad, ds);
  });
});

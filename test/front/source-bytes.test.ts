// What a spec file is before it is YAML (issue 14, item 7): bytes that are not UTF-8 are refused at
// the first bad byte (E0111, naming its byte offset) instead of silently becoming U+FFFD; a
// `%YAML 1.1` directive is refused (E0110) instead of being read as 1.2; `cnnc check -` reads stdin.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerCheck } from '../../bin/commands/check.js';
import { decodeSpec } from '../../compiler/1-parse/decode.js';
import { parse } from '../../compiler/1-parse/parse.js';
import { checkFile } from '../../compiler/index.js';
import { underlined } from './frame.js';

const SPEC = 'cnnc: 1\nname: T\ninput: { shape: [1, 8, 8] }\nlayers:\n  - flatten\n  - { kind: linear, out_features: 10 }\n  - log_softmax\n' +
  'loss: { kind: nll }\noptimizer: { kind: adam }\n';
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
const dir = mkdtempSync(join(tmpdir(), 'cnnc-bytes-'));

describe('decodeSpec: UTF-8 or a positioned refusal', () => {
  it('valid UTF-8 (and a byte order mark, kept for the parser) decodes with no diagnostic', () => {
    expect(decodeSpec(bytes('name: Café ✓\n'), 'f.yaml')).toEqual({ source: 'name: Café ✓\n', diagnostics: [] });
    expect(decodeSpec(bytes([0xef, 0xbb, 0xbf], 'a: 1\n'), 'f.yaml').source).toBe('\uFEFFa: 1\n');
  });

  it('a Latin-1 é: E0111 naming the byte offset, at its line and column, caret under it', () => {
    const { diagnostics: [d, ...rest] } = decodeSpec(bytes('cnnc: 1\nname: Caf', [0xe9], '\n'), 'latin1.yaml');
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      code: 'E0111', severity: 'error', file: 'latin1.yaml', line: 2, col: 10,
      message: 'the spec is not UTF-8: byte 0xe9 at byte offset 17 does not begin a valid UTF-8 sequence',
    });
    expect(d!.hint).toContain('save the file as UTF-8');
    expect(underlined(d!.frame)).toBe('\uFFFD');
  });

  it.each([
    ['an overlong NUL', [0xc0, 0x80]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a lone continuation byte', [0x80]],
  ])('%s is refused', (_, bad) => {
    const [d] = decodeSpec(bytes('a: 1\nb: ', bad, '\n'), 'f.yaml').diagnostics;
    expect(d).toMatchObject({ code: 'E0111', line: 2, col: 4, message: expect.stringContaining(`at byte offset 8 `) });
  });

  it('a sequence cut short by the end of the file', () => {
    const [d] = decodeSpec(bytes('a: ü', [0xc3]), 'f.yaml').diagnostics;
    expect(d?.message).toBe('the spec is not UTF-8: byte 0xc3 at byte offset 5 does not begin a valid UTF-8 sequence');
  });

  it('a U+FFFD the file really holds is not the bad byte: the one after it is', () => {
    const [d] = decodeSpec(bytes('a: \uFFFD é\nb: ', [0xff], '\n'), 'f.yaml').diagnostics; // 3 + 3 + 1 + 2 + 1 + 3 bytes before it
    expect(d).toMatchObject({ line: 2, col: 4, message: expect.stringContaining('byte 0xff at byte offset 13 ') });
  });

  it('checkFile refuses such a file before parsing it', () => {
    const f = join(dir, 'latin1.yaml');
    const at = SPEC.indexOf('name: T') + 'name: T'.length;
    writeFileSync(f, bytes(SPEC.slice(0, at), [0xe9], SPEC.slice(at)));
    const r = checkFile(f);
    expect(r.ir).toBeNull();
    expect(r.diagnostics.map((d) => `${d.code} ${d.file}:${d.line}:${d.col}`)).toEqual([`E0111 ${f}:2:8`]);
  });
});

describe('%YAML directives', () => {
  const errors = (source: string) => parse(source, 'f.yaml').diagnostics.map((d) => `${d.code} ${d.line}:${d.col}`);

  it('%YAML 1.1 is refused at the directive, saying why', () => {
    const [d, ...rest] = parse(`%YAML 1.1\n---\n${SPEC}`, 'f.yaml').diagnostics;
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ code: 'E0110', line: 1, col: 1 });
    expect(d!.message).toBe('`%YAML 1.1`: cnnc reads specs as YAML 1.2 only, and 1.1 reads plain values differently (`010` is 8 there, 10 here; `yes` and `on` are true there, strings here)');
    expect(underlined(d!.frame)).toBe('%YAML 1.1');
  });

  it('other versions are the yaml parser\'s own refusal', () => {
    expect(errors(`%YAML 1.0\n---\n${SPEC}`)).toEqual(['E0101 1:7']);
    expect(errors(`%YAML 1.3\n---\n${SPEC}`)).toEqual(['E0101 1:7']);
  });

  it('%YAML 1.2, or none, reads as before', () => {
    expect(errors(`%YAML 1.2\n---\n${SPEC}`)).toEqual([]);
    expect(errors(SPEC)).toEqual([]);
  });

  it('a line that reads %YAML 1.1 inside a block scalar is text, not a directive', () => {
    // a document that is one block scalar may hold unindented lines
    expect(parse('--- |\n%YAML 1.1\n', 'f.yaml')).toMatchObject({ doc: '%YAML 1.1\n', diagnostics: [] });
    expect(errors(`description: |\n  %YAML 1.1\n`)).toEqual([]);
  });
});

describe('cnnc check -', () => {
  afterEach(() => vi.restoreAllMocks());

  async function checkStdin(input: Uint8Array, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    const exit = { code: 0 };
    const program = new Command('cnnc').exitOverride();
    async function* stdin() {
      yield input.subarray(0, 5); // in two chunks, split inside a line
      yield input.subarray(5);
    }
    registerCheck(program, exit, stdin());
    await program.parseAsync(['node', 'cnnc', 'check', ...args, '-']);
    vi.restoreAllMocks();
    return { code: exit.code, out, err };
  }

  it('reads the spec from stdin, named <stdin>', async () => {
    expect(await checkStdin(bytes(SPEC))).toEqual({ code: 0, out: 'ok: <stdin> (3 layers)\n', err: '' });
  });

  it('positions diagnostics in <stdin>', async () => {
    const r = await checkStdin(bytes(SPEC.replace('out_features: 10', 'out_features: 0')));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^<stdin>:6:35: error E0205: /);
  });

  it('--json, and invalid UTF-8 on stdin', async () => {
    const r = await checkStdin(bytes('cnnc: 1\nname: ', [0xff], '\n'), '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { file: string; ok: boolean; diagnostics: { code: string; line: number; col: number }[] };
    expect(j).toMatchObject({ file: '<stdin>', ok: false, diagnostics: [{ code: 'E0111', line: 2, col: 7 }] });
  });
});

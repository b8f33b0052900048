// `cnnc train --batch-size N` gets the size limits that `check` gives the spec's batch_size
// (issue 14, item 2): refused in one line, exit 1, before the run directory exists (it used to throw
// "Invalid typed array length" after writing it). --seed and --epochs take the schema's bounds.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from '../../compiler/1-parse/parse.js';
import { validate } from '../../compiler/2-validate/validate.js';
import { lower } from '../../compiler/3-lower/lower.js';
import { batchSizeLimits } from '../../compiler/3-lower/totals.js';
import { cnnc } from '../cli.js';

const SPEC = 'test/train/fixtures/tiny.yaml';
const dir = mkdtempSync(join(tmpdir(), 'cnnc-batch-flag-'));


afterEach(() => vi.restoreAllMocks());

/** lower() of tiny.yaml with train.batch_size set to `batch`: its E0409 messages. */
function lowerAt(batch: number): { messages: string[]; ir: ReturnType<typeof lower>['ir'] } {
  const source = readFileSync(SPEC, 'utf8').replace(/batch_size: \d+/, `batch_size: ${batch}`);
  const p = parse(source, SPEC);
  const v = validate(p.doc, p.map);
  const l = lower(v.spec!, p.map, 'x');
  return { messages: l.diagnostics.filter((d) => d.code === 'E0409').map((d) => d.message), ir: l.ir };
}

describe('batchSizeLimits is lower()\'s check, for another batch size', () => {
  const ir = lowerAt(32).ir!;
  // tiny.yaml: the input batch passes 2^31 − 1 elements above 2,739,137; one step needs over 16 GiB from about 1.1M
  it.each([1, 64, 100_000, 1_000_000, 1_500_000, 3_000_000, 1_000_000_000])('batch %i: the same refusals as the spec\'s batch_size', (batch) => {
    expect(batchSizeLimits(ir, batch)).toEqual(lowerAt(batch).messages);
  });

  it('both kinds of refusal are covered above', () => {
    expect(batchSizeLimits(ir, 1_500_000)).toEqual([expect.stringMatching(/^one training step at batch size 1500000 would need \d+(\.\d)? GiB \(limit 16 GiB\)$/)]);
    expect(batchSizeLimits(ir, 3_000_000)).toEqual(['the input [1, 28, 28] would have 2.4e9 elements at batch size 3000000 (limit 2.1e9)']);
  });
});

describe('cnnc train flags past what a run can hold', () => {
  it.each([
    ['1000000000', 'the input [1, 28, 28] would have 7.8e11 elements at batch size 1000000000 (limit 2.1e9); use a smaller --batch-size'],
    ['1500000', /^one training step at batch size 1500000 would need [\d.]+ GiB \(limit 16 GiB\); use a smaller --batch-size$/],
  ])('--batch-size %s: one line, exit 1, no run directory', async (n, why) => {
    const out = join(dir, `run-${n}`);
    const r = await cnnc('train', SPEC, '--batch-size', n, '--limit', '32', '--out', out);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const line = r.err.match(/^error: --batch-size (\d+): (.*)\n$/);
    expect(line?.[1]).toBe(n);
    if (typeof why === 'string') expect(line?.[2]).toBe(why);
    else expect(line?.[2]).toMatch(why);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['--seed', '4294967296', 'error: --seed expects at most 4294967295, got 4294967296\n'],
    ['--epochs', '1000001', 'error: --epochs expects at most 1000000, got 1000001\n'],
  ])('%s %s is refused like the spec\'s value', async (flag, value, message) => {
    const out = join(dir, `run${flag}`);
    const r = await cnnc('train', SPEC, flag, value, '--limit', '32', '--out', out);
    expect(r).toMatchObject({ code: 1, out: '', err: message });
    expect(existsSync(out)).toBe(false);
  });
});

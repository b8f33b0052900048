// `cnnc inspect` through commander, with stdout and stderr captured.
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerInspect } from '../../bin/commands/inspect.js';

async function inspect(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const exit = { code: 0 };
  const program = new Command('cnnc').exitOverride();
  registerInspect(program, exit);
  await program.parseAsync(['node', 'cnnc', 'inspect', ...args]);
  vi.restoreAllMocks();
  return { code: exit.code, out, err };
}
afterEach(() => vi.restoreAllMocks());

const mnist = new URL('../../specs/mnist.yaml', import.meta.url).pathname;

describe('cnnc inspect', () => {
  it('prints the table and totals of the seed model', async () => {
    const r = await inspect(mnist);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/^conv2 +conv2d +\[-1, 64, 24, 24\] +18,496 +10,616,832$/m);
    expect(r.out).toMatch(/^Trainable params: +1,199,882$/m);
    expect(r.out).toMatch(/^Training memory: +89\.96 MiB at batch size 64 /m);
  });

  it('shows the data pipeline: the source, the colour mode, each transform, and a training pipeline that differs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnc-inspect-'));
    const spec = join(dir, 'photos.yaml');
    writeFileSync(spec, readFileSync(mnist, 'utf8').replace('input: { shape: [1, 28, 28] }', 'input: { shape: [3, 28, 28] }').replace(
      'data: { source: mnist }',
      'data:\n  source: folder\n  path: photos\n  transforms: [{ kind: resize, size: 32 }, { kind: center_crop, size: 28 }]\n' +
        '  train_transforms: [{ kind: random_resized_crop, size: 28 }, random_horizontal_flip]\n',
    ));
    const r = await inspect(spec);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/^Data: +image folders in photos .*decoded as RGB \(PIL's convert\('RGB'\)\)/m);
    expect(r.out).toMatch(/^Transforms: +resize 32 \(smaller edge, bilinear \+ antialias\) → center_crop 28×28 /m);
    expect(r.out).toMatch(/^Train transforms: +random_resized_crop 28×28, .* → random_horizontal_flip p=0\.5, train only$/m);
    const digits = await inspect(mnist);
    expect(digits.out).toMatch(/^Data: +the embedded MNIST digits \(mnist10k\)$/m);
    expect(digits.out).toMatch(/^Transforms: +none$/m);
    expect(digits.out).not.toMatch(/^Train transforms:/m);
  });

  it('--batch-size shows the batch in shapes and in the memory', async () => {
    const r = await inspect(mnist, '--batch-size', '1');
    expect(r.out).toMatch(/^fc1 +linear +\[1, 128\] /m);
    expect(r.out).toMatch(/at batch size 1 /);
  });

  it('--json gives the IR and the summary as data', async () => {
    const r = await inspect(mnist, '--json');
    const data = JSON.parse(r.out);
    expect([data.ok, data.ir.totals.params, data.summary.totals.macs, data.summary.rows.length]).toEqual([true, 1_199_882, 11_992_448, 13]);
  });

  it('errors: the rendered diagnostics on stderr, exit 1; warnings do not fail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnc-inspect-'));
    const source = readFileSync(mnist, 'utf8');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, source.replace('kernel_size: 2 }', 'kernel_size: 30 }'));
    const r = await inspect(bad);
    expect([r.code, r.out]).toEqual([1, '']);
    expect(r.err).toContain(`${bad}:14:37: error E0402: maxpool2d_1: a 30×30 window pools the 24×24 input to nothing (0×0)`);
    const warn = join(dir, 'warn.yaml');
    writeFileSync(warn, source.replace('kind: nll', 'kind: cross_entropy'));
    const w = await inspect(warn);
    expect(w.code).toBe(0);
    expect(w.err).toContain('warning W0602');
    expect(w.out).toContain('Trainable params');
  });

  it('a missing file: one line, exit 1', async () => {
    const r = await inspect('/no/such.yaml');
    expect(r).toEqual({ code: 1, out: '', err: 'cnnc inspect: cannot read /no/such.yaml: no such file\n' });
  });
});

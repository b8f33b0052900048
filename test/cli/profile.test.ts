// `cnnc profile` (issue 18, item 4): a row per layer in forward order plus the loss, the optimizer, what no
// slot timed and the total; --json with the same rows; a measured wasm SIMD peak; bad flags and a bad spec
// exit as bin/exit.ts says, without a stack; and the timers exist only when asked for.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, checkSource, loadModule } from '../../compiler/index.js';
import { EXIT } from '../../bin/exit.js';
import type { ProfileReport } from '../../bin/commands/profile.js';
import { fmaPeakModule, isProfiled, measureFmaPeak, profileSlots, syntheticInputs, syntheticLabels, timeSteps } from '../../runtime/profile.js';
import { cnnc } from '../cli.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnc-profile-'));
const TINY_SOURCE = `cnnc: 1
name: Tiny
input: { shape: [1, 8, 8] }
layers:
  - { kind: conv2d, name: conv1, out_channels: 4, kernel_size: 3 }
  - relu
  - { kind: conv2d, name: conv2, out_channels: 4, kernel_size: 3, algorithm: winograd }
  - { kind: maxpool2d, kernel_size: 2 }
  - flatten
  - { kind: linear, name: fc, out_features: 3 }
  - log_softmax
loss: { kind: nll }
optimizer: { kind: adam }
train: { batch_size: 4 }
`;
const TINY = join(dir, 'tiny.yaml');
writeFileSync(TINY, TINY_SOURCE);
const LAYERS = checkSource(TINY_SOURCE, TINY).ir!.nodes.map((n) => n.name);
const FAST = ['--steps', '3', '--warmup', '1', '--threads', '1'];

/** The table's body rows (between the rules) and its total row, as cells split on runs of spaces. */
function tableRows(out: string): { rows: string[][]; total: string[] } {
  const lines = out.split('\n');
  const rules = lines.flatMap((l, i) => (/^-+(  -+)+$/.test(l) ? [i] : []));
  expect(rules).toHaveLength(2);
  return { rows: lines.slice(rules[0]! + 1, rules[1]).map((l) => l.split(/\s{2,}/)), total: lines[rules[1]! + 1]!.split(/\s{2,}/) };
}

describe('cnnc profile', () => {
  it('prints a row for every layer in forward order, then loss, optimizer, other and total, with times that add up', async () => {
    const r = await cnnc('profile', TINY, ...FAST);
    expect(r.err).toBe('');
    expect(r.code).toBe(EXIT.ok);
    const { rows, total } = tableRows(r.out);
    expect(rows.map((c) => c[0])).toEqual([...LAYERS, 'loss', 'optimizer', 'other']);
    // conv1 + relu_1 are one kernel: the relu's row says so instead of a time.
    expect(rows.find((c) => c[0] === 'relu_1')).toEqual(['relu_1', 'relu', '(fused into conv1)']);
    const timed = rows.filter((c) => c.length > 3);
    // layer, kind, forward, backward, total (the rows of their own leave backward empty: one cell fewer).
    const msOf = (c: string[]): number => Number(c[['loss', 'optimizer', 'other'].includes(c[0]!) ? 3 : 4]);
    expect(rows.find((c) => c[0] === 'conv1')!.at(-1)).toBe('no input gradient');
    // conv2 is forced onto Winograd (fewer multiply-adds than MACs counts): its rate is said to be effective.
    expect(rows.find((c) => c[0] === 'conv2')!.at(-1)).toBe('winograd: GFLOP/s of the direct count');
    for (const c of timed) expect(msOf(c)).toBeGreaterThanOrEqual(0);
    const sum = timed.reduce((a, c) => a + msOf(c), 0);
    expect(total[0]).toBe('total');
    expect(sum).toBeLessThanOrEqual(Number(total[1]) + 0.01); // each cell is rounded to 0.001 ms
    expect(r.out).toMatch(/^wasm SIMD peak: \d+\.\d GFLOP\/s a thread \((relaxed_madd \((un)?fused\)|f32x4\.mul \+ f32x4\.add)\) × 1 = /m);
    expect(r.out).toMatch(/\nmost time: \S+( forward| backward)?, \d+%; step \d+\.\d{3} ms median/);
  });

  it('--json prints the same rows, the peak and a total that is their sum', async () => {
    const [text, json] = [await cnnc('profile', TINY, ...FAST), await cnnc('profile', TINY, ...FAST, '--json')];
    expect(json.code).toBe(EXIT.ok);
    const report = JSON.parse(json.out) as ProfileReport;
    expect(report.rows.map((row) => row.name)).toEqual(tableRows(text.out).rows.map((c) => c[0]));
    expect(report.rows.map((row) => row.part)).toEqual([...LAYERS.map(() => 'layer'), 'loss', 'optimizer', 'other']);
    expect(report.peak.gflopsPerThread).toBeGreaterThan(0);
    expect(report.peak.gflops).toBe(report.peak.gflopsPerThread);
    for (const row of report.rows) {
      expect(row.forwardMs).toBeGreaterThanOrEqual(0);
      expect(row.backwardMs).toBeGreaterThanOrEqual(0);
    }
    const sum = report.rows.reduce((a, row) => a + row.ms, 0);
    expect(report.total.ms).toBeCloseTo(sum, 9);
    expect(report.rows.reduce((a, row) => a + row.percent, 0)).toBeCloseTo(100, 6);
    // MACs: the IR's per sample × the batch; backward 2× forward for conv2 and fc, 1× for conv1 (no input gradient).
    const ir = checkSource(TINY_SOURCE, TINY).ir!;
    const macs = (name: string): number => ir.nodes.find((n) => n.name === name)!.macs * 4;
    expect(report.rows.find((row) => row.name === 'conv1')!.macs).toBe(2 * macs('conv1'));
    expect(report.rows.find((row) => row.name === 'conv2')!.macs).toBe(3 * macs('conv2'));
    expect(report.rows.find((row) => row.name === 'fc')!.macs).toBe(3 * macs('fc'));
    expect(report.total.macs).toBe(2 * macs('conv1') + 3 * macs('conv2') + 3 * macs('fc'));
    expect(report.batchSize).toBe(4);
  });

  it('--mode infer times forward passes only: no backward, loss or optimizer rows', async () => {
    const r = await cnnc('profile', TINY, ...FAST, '--mode', 'infer', '--batch-size', '2', '--json');
    expect(r.code).toBe(EXIT.ok);
    const report = JSON.parse(r.out) as ProfileReport;
    expect(report.rows.map((row) => row.name)).toEqual([...LAYERS, 'other']);
    expect(report.rows.every((row) => row.backwardMs === 0)).toBe(true);
    expect(report.batchSize).toBe(2);
  });

  it('--mode infer: a batchnorm folded into its conv for inference has no time of its own and says so', async () => {
    const r = await cnnc('profile', 'specs/segmentation.yaml', '--mode', 'infer', '--batch-size', '2', '--steps', '1', '--warmup', '0', '--threads', '1', '--json');
    expect(r.code).toBe(EXIT.ok);
    const report = JSON.parse(r.out) as ProfileReport;
    for (const [bn, conv] of [['enc1_bn', 'enc1'], ['enc2_bn', 'enc2']]) {
      expect(report.rows.find((row) => row.name === bn)).toMatchObject({ note: `folded into ${conv}`, forwardMs: 0 });
      expect(report.rows.find((row) => row.name === conv)!.forwardMs).toBeGreaterThan(0);
    }
  }, 60_000);

  it('builds the targets each loss needs: binary targets (gan-discriminator), label maps (segmentation)', async () => {
    for (const spec of ['specs/gan-discriminator.yaml', 'specs/segmentation.yaml']) {
      const r = await cnnc('profile', spec, '--batch-size', '2', '--steps', '1', '--warmup', '0', '--threads', '1', '--json');
      expect(r.err).toBe('');
      expect(r.code).toBe(EXIT.ok);
      const report = JSON.parse(r.out) as ProfileReport;
      expect(report.rows.filter((row) => row.part === 'layer')).toHaveLength(checkSource(readFileSync(spec, 'utf8'), spec).ir!.nodes.length);
    }
  }, 60_000);

  it('bad flag values exit 1 with one line naming the flag, no stack; an unknown option exits 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--batch-size', '0'], /^error: --batch-size expects a positive integer, got "0"\n$/],
      [['--threads', 'abc'], /^error: --threads expects a positive integer, got "abc"\n$/],
      [['--steps', '-1'], /^error: --steps expects a positive integer, got "-1"\n$/],
      [['--mode', 'fast'], /^error: --mode expects train or infer, got "fast"\n$/],
      [['--batch-size', '100000000'], /^error: --batch-size 100000000: .*; use a smaller --batch-size\n$/],
    ];
    for (const [flags, message] of cases) {
      const r = await cnnc('profile', TINY, ...flags);
      expect(r.code, flags.join(' ')).toBe(EXIT.user);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
    const unknown = await cnnc('profile', TINY, '--fast');
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.err).not.toMatch(/\n\s+at /);
  });

  it('a bad spec gives its positioned diagnostics and exit 1; a missing file one line and exit 1', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, TINY_SOURCE.replace('kernel_size: 2 }', 'kernel_size: 2, colour: red }'));
    const r = await cnnc('profile', bad);
    expect(r.code).toBe(EXIT.user);
    expect(r.err).toContain(`${bad}:8:`);
    expect(r.err).toContain('colour');
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
    const missing = await cnnc('profile', join(dir, 'none.yaml'));
    expect(missing.code).toBe(EXIT.user);
    expect(missing.err).toMatch(/^error: .*none\.yaml/);
  });
});

describe('the profiling timers in generated code', () => {
  const mnist = readFileSync('specs/mnist.yaml', 'utf8');
  const plain = build(mnist, 'mnist.yaml', { dtype: 'float32' }).code!;
  const profiled = build(mnist, 'mnist.yaml', { dtype: 'float32', profile: true }).code!;

  it('are absent by default (the golden test holds the bytes), and are the only difference when on', () => {
    expect(plain).not.toMatch(/performance\.now|profileTimes/);
    const timerLine = /^\s*(let t = 0;|t = performance\.now\(\);|this\.profileTimes\[\d+\]! \+= performance\.now\(\) - t;)\n/gm;
    const field = /^ {2}\/\*\* Profiling: [^\n]*\*\/\n {2}public readonly profileTimes: Float64Array = new Float64Array\(\d+\);\n/m;
    expect(profiled).toMatch(field);
    expect(profiled.replace(field, '').replace(timerLine, '')).toBe(plain);
  });

  it('time each step within its wall time, slot by slot', async () => {
    const mod = await loadModule(build(TINY_SOURCE, TINY, { dtype: 'float32', profile: true }).code!, join(dir, 'module'));
    const model = mod.createModel();
    expect(isProfiled(model)).toBe(true);
    if (!isProfiled(model)) return;
    expect(model.profileTimes).toHaveLength(profileSlots(LAYERS.length));
    const x = syntheticInputs(new Float32Array(4 * 64), 1);
    const y = syntheticLabels(4, 'softmax', 3, 2);
    expect(Math.max(...y)).toBeLessThan(3);
    model.train();
    for (const s of timeSteps(model, 3, () => void model.trainStep(x, y, 4))) {
      expect(s.slots.every((v) => v >= 0)).toBe(true);
      expect(s.slots.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(s.totalMs);
      expect(s.slots.some((v) => v > 0)).toBe(true);
    }
  });
});

describe('the wasm SIMD multiply-add peak', () => {
  it('is a positive number of GFLOP/s, from a kernel that validates with and without relaxed SIMD', () => {
    expect(WebAssembly.validate(fmaPeakModule(false))).toBe(true);
    const peak = measureFmaPeak({ runs: 2, ms: 5 });
    expect(peak.gflops).toBeGreaterThan(0);
    expect(Number.isFinite(peak.gflops)).toBe(true);
  });
});

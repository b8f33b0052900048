// report.svg (issue 14, item 10): round y ticks, an x axis that ends at the last epoch, the "loss"
// title clear of the tick labels, and the per-step training loss (raw, faint, and smoothed as
// TensorBoard smooths) under the per-epoch test points; the loop records that per-step series and
// `cnnc train` writes it to steps.jsonl, leaving metrics.jsonl's lines as they were.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bin/main.js';
import { subset } from '../../runtime/node/data/load.js';
import { loadMnist10k } from '../../runtime/node/data/mnist10k.js';
import { stepPoints, trainLoop, type EpochMetrics } from '../../runtime/train/loop.js';
import { niceTicks, reportSvg, smooth, tickLabel } from '../../runtime/train/report-svg.js';
import { createSoftmaxRegression } from './fake-model.js';
import { fakeIr } from './helpers.js';

const epoch = (e: number, o: Partial<EpochMetrics> = {}): EpochMetrics => ({
  epoch: e, loss: 2 / e, test_loss: 1.86 / e, test_accuracy: 0.8 + e / 100, images_per_s: 1000, seconds: 1, ...o,
});

/** Every <text> of the SVG: x, y, anchor, rotation and content. */
function texts(svg: string): { x: number; y: number; anchor: string; rotated: boolean; text: string }[] {
  return [...svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)].map(([, attrs, text]) => {
    const t = /translate\(([\d.]+),([\d.]+)\)/.exec(attrs!);
    const num = (k: string) => Number(new RegExp(`${k}="([\\d.-]+)"`).exec(attrs!)?.[1]);
    return {
      x: t ? Number(t[1]) : num('x'), y: t ? Number(t[2]) : num('y'),
      anchor: /text-anchor="(\w+)"/.exec(attrs!)?.[1] ?? 'start', rotated: attrs!.includes('rotate(-90)'), text: text!,
    };
  });
}

/** The left panel's (x < 360) y-axis tick labels, bottom to top. */
const yTicks = (svg: string) => texts(svg).filter((t) => t.x < 360 && t.anchor === 'end').map((t) => t.text);
/** The left panel's x-axis tick labels (the row under the plot). */
const xTicks = (svg: string) => texts(svg).filter((t) => t.x < 360 && t.anchor === 'middle' && !t.rotated && /^\d+$/.test(t.text)).map((t) => t.text);

describe('axes', () => {
  it('y ticks are round: 1, 2 or 5 × 10^k apart, covering the data (not the range in quarters)', () => {
    expect(niceTicks(0.986, 1.86)).toEqual({ ticks: [0.8, 1, 1.2, 1.4, 1.6, 1.8, 2], step: 0.2 });
    expect(niceTicks(85.4, 91.9)).toEqual({ ticks: [84, 86, 88, 90, 92], step: 2 });
    expect(niceTicks(0.0312, 0.0349).step).toBe(0.001);
    expect(niceTicks(3, 3).ticks).toEqual([2.4, 2.6, 2.8, 3, 3.2, 3.4, 3.6]); // one value: a unit around it
    expect([tickLabel(0.8, 0.2), tickLabel(2, 0.2), tickLabel(84, 2), tickLabel(0.035, 0.005)]).toEqual(['0.8', '2.0', '84', '0.035']);
    const svg = reportSvg('t', [epoch(1, { loss: 1.86, test_loss: 0.986 }), epoch(2, { loss: 1.42, test_loss: 1.1 })]);
    expect(yTicks(svg)).toEqual(['0.8', '1.0', '1.2', '1.4', '1.6', '1.8', '2.0']);
  });

  it('after one epoch the x axis runs 0 to 1: no epoch 2', () => {
    const svg = reportSvg('t', [epoch(1)]);
    expect(xTicks(svg)).toEqual(['0', '1']);
    const svg12 = reportSvg('t', Array.from({ length: 12 }, (_, i) => epoch(i + 1)));
    expect(xTicks(svg12)).toEqual(['0', '2', '4', '6', '8', '10', '12']);
  });

  it('the rotated "loss" title ends left of the widest tick label', () => {
    const svg = reportSvg('t', [epoch(1, { loss: 0.012345, test_loss: 0.0121 }), epoch(2, { loss: 0.0119, test_loss: 0.01 })]);
    const title = texts(svg).find((t) => t.rotated && t.text === 'loss')!;
    const labels = texts(svg).filter((t) => t.x < 360 && t.anchor === 'end');
    const widest = Math.max(...labels.map((l) => l.text.length));
    expect(widest).toBeGreaterThanOrEqual(5); // 0.0100 …
    // 12 px type: the rotated title is 12 px wide; a label of k characters is under 7k px wide
    for (const l of labels) expect(title.x + 6).toBeLessThan(l.x - 7 * l.text.length);
  });
});

describe('the per-step training loss', () => {
  it('stepPoints: each step while S ≤ 100, else means of equal runs; null for steps not run here', () => {
    expect(stepPoints([3, 2, 1])).toEqual([3, 2, 1]);
    expect(stepPoints([NaN, NaN, 1.5, 0.5])).toEqual([null, null, 1.5, 0.5]);
    const s = stepPoints(Array.from({ length: 938 }, (_, i) => i));
    expect(s).toHaveLength(100);
    expect(s[0]).toBe(4); // steps 0 … 8
    expect(s[99]).toBe(932.5); // steps 928 … 937
  });

  it('smooth: TensorBoard\'s debiased EMA (starts at the first value, constants stay constant)', () => {
    const pts = [[0, 1], [1, 0], [2, 0]] as const;
    // last: 0.4, 0.24, 0.144; debias 1 − 0.6^k: 0.4, 0.64, 0.784
    expect(smooth(pts).map((p) => p?.[1])).toEqual([1, 0.24 / 0.64, 0.144 / 0.784].map((v) => expect.closeTo(v, 12)));
    expect(smooth([[0, 5], [1, 5], [2, 5]]).map((p) => p?.[1])).toEqual([5, 5, 5].map((v) => expect.closeTo(v, 12)));
    // a gap stays a gap, and the average runs on across it
    expect(smooth([[0, 1], null, [2, 0]]).map((p) => p?.[1] ?? null)).toEqual([1, null, expect.closeTo(0.24 / 0.64, 12)]);
  });

  it('drawn as a faint raw line and a bold smoothed one, with the test points drawn over them', () => {
    const steps = (e: number) => Array.from({ length: 10 }, (_, j) => 2.3 / (e + j / 10));
    const svg = reportSvg('t', [epoch(1, { step_losses: steps(1) }), epoch(2, { step_losses: [null, null, ...steps(2).slice(2)] })]);
    const lines = (stroke: string) => [...svg.matchAll(new RegExp(`<polyline [^>]*stroke="${stroke}"[^>]*points="([^"]+)"`, 'g'))].map((m) => m[1]!.split(' ').length);
    // epoch 2's first two steps did not run in this process: the lines break there (10, then 8 points)
    expect(lines('#aec7e8')).toEqual([10, 8]);
    expect(lines('#1f77b4')).toEqual([10, 8]);
    expect(svg).toContain('train loss (smoothed)');
    expect(svg.indexOf('stroke="#aec7e8"')).toBeLessThan(svg.indexOf('fill="#ff7f0e"')); // test points on top
  });

  it('a schedule that changed the lr adds a third panel with the lr of each epoch; a constant lr adds none', () => {
    const lrs = [1, 0.7, 0.49];
    const svg = reportSvg('t', lrs.map((lr, i) => epoch(i + 1, { lr })));
    expect(svg).toMatch(/^<svg [^>]*width="1080"/);
    const right = texts(svg).filter((t) => t.x > 720);
    expect(right.find((t) => t.rotated)?.text).toBe('learning rate');
    expect(right.filter((t) => t.anchor === 'end').map((t) => t.text)).toEqual(['0.4', '0.6', '0.8', '1.0']);
    expect([...svg.matchAll(/<circle [^>]*fill="#7f7f7f"/g)]).toHaveLength(3);
    const constant = reportSvg('t', [epoch(1, { lr: 0.01 }), epoch(2, { lr: 0.01 })]);
    expect(constant).toMatch(/^<svg [^>]*width="720"/);
    expect(constant).not.toContain('learning rate');
  });

  it('metrics of an older run (no step_losses): train loss per epoch, as dots', () => {
    const svg = reportSvg('t', [epoch(1), epoch(2)]);
    expect(svg).not.toContain('#aec7e8');
    expect(svg.match(/<circle [^>]*fill="#1f77b4"/g)).toHaveLength(2);
  });

  it('the loop records it: one value per step of each epoch, in order', async () => {
    const full = loadMnist10k();
    const data = { train: subset(full.train, 200), test: subset(full.test, 50) };
    const model = createSoftmaxRegression({ seed: 1, lr: 0.05 });
    const losses: number[] = [];
    const trainStep = model.trainStep.bind(model);
    model.trainStep = (x, y, n) => {
      const l = trainStep(x, y, n);
      losses.push(l);
      return l;
    };
    const epochs: EpochMetrics[] = [];
    await trainLoop(model, data, { seed: 3, batchSize: 64, epochs: 2, loss: fakeIr().loss }, undefined, { onEpoch: (m) => void epochs.push(m) });
    expect(epochs.map((m) => m.step_losses)).toEqual([losses.slice(0, 4), losses.slice(4)].map((ls) => ls.map((l) => Number(l.toPrecision(6)))));
  });
});

describe('cnnc train writes it', () => {
  afterEach(() => vi.restoreAllMocks());

  it('steps.jsonl has a line per step at its place in the run; metrics.jsonl keeps its columns', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cnnc-report-')), 'run');
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // 96 images, batch 32: 3 steps an epoch
    const code = await run(['node', 'cnnc', 'train', 'test/train/fixtures/tiny.yaml', '--limit', '96', '--epochs', '2', '--threads', '1', '--out', out]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const steps = readFileSync(join(out, 'steps.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; loss: number });
    expect(steps.map((s) => s.epoch)).toEqual([1 / 3, 2 / 3, 1, 4 / 3, 5 / 3, 2].map((e) => Number(e.toFixed(6))));
    expect(steps.every((s) => Object.keys(s).join() === 'epoch,loss' && s.loss > 0)).toBe(true);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => Object.keys(JSON.parse(l) as object));
    expect(metrics).toEqual([0, 1].map(() => ['epoch', 'loss', 'test_loss', 'test_accuracy', 'lr', 'images_per_s', 'seconds']));
    const svg = readFileSync(join(out, 'report.svg'), 'utf8');
    expect(svg).toContain('train loss (smoothed)');
    expect(xTicks(svg)).toEqual(['0', '1', '2']);
  });
});

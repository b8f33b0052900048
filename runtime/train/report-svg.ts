// report.svg: the loss and accuracy curves of a run, hand-written SVG so it opens in any browser
// with no script. Left panel: the training loss through each epoch (per step, faint, and its
// TensorBoard-style smoothing, bold) under the test loss after each epoch; right panel: test
// accuracy (%), and the mean IoU for per-pixel outputs; a third panel, where a schedule changed the learning rate,
// its lr each epoch (the epoch's last step's). The x axes run from 0 to the last epoch, in epochs; y ticks are round
// numbers (1, 2 or 5 × 10^k apart).
import type { EpochMetrics } from './loop.js';

const W = 360; // one panel
const H = 260;
const M = { right: 16, top: 36, bottom: 44 };
/** Pixels per character of a 12 px sans-serif label, a little generous (no text metrics in an SVG file). */
const CHAR_W = 7;
/** TensorBoard's default smoothing weight. */
export const SMOOTHING = 0.6;

interface Series {
  readonly label: string;
  readonly color: string;
  /** [epoch (fractional), value]; null breaks the line (steps that did not run in this process). */
  readonly points: readonly (readonly [number, number] | null)[];
  /** A faint thin line without dots (raw per-step values), or a bold line with a dot per point. */
  readonly style: 'faint' | 'line' | 'dots';
}

export function reportSvg(title: string, metrics: readonly EpochMetrics[]): string {
  // A split not measured in an epoch (the test split of a run with validation, before its last) is a gap.
  const at = (pick: (m: EpochMetrics) => number | undefined) => metrics.map((m) => { const v = pick(m); return v === undefined ? null : ([m.epoch, v] as const); });
  const some = (pick: (m: EpochMetrics) => number | undefined) => metrics.some((m) => pick(m) !== undefined);
  const pct = (v: number | undefined) => (v === undefined ? undefined : v * 100);
  const steps = stepSeries(metrics);
  const trainLoss: Series[] = steps.length > 0
    ? [
        { label: '', color: '#aec7e8', points: steps, style: 'faint' },
        { label: 'train loss (smoothed)', color: '#1f77b4', points: smooth(steps), style: 'line' },
      ]
    : [{ label: 'train loss', color: '#1f77b4', points: at((m) => m.loss), style: 'dots' }]; // metrics of older runs
  const val = some((m) => m.val_loss);
  const loss = panel(0, 'loss', metrics, [
    ...trainLoss,
    ...(val ? [{ label: 'val loss', color: '#d62728', points: at((m) => m.val_loss), style: 'dots' } as const] : []),
    { label: 'test loss', color: '#ff7f0e', points: at((m) => m.test_loss), style: 'dots' },
  ]);
  const miou: Series[] = some((m) => m.test_miou) || some((m) => m.val_miou)
    ? [
        ...(val ? [{ label: 'val mean IoU', color: '#8c564b', points: at((m) => pct(m.val_miou)), style: 'dots' } as const] : []),
        { label: 'test mean IoU', color: '#9467bd', points: at((m) => pct(m.test_miou)), style: 'dots' },
      ]
    : [];
  const what = val ? 'val and test accuracy' : 'test accuracy';
  const acc = panel(W, miou.length > 0 ? `${what}, mean IoU (%)` : `${what} (%)`, metrics, [
    ...(val ? [{ label: 'val accuracy', color: '#17becf', points: at((m) => pct(m.val_accuracy)), style: 'dots' } as const] : []),
    { label: 'test accuracy', color: '#2ca02c', points: at((m) => pct(m.test_accuracy)), style: 'dots' },
    ...miou,
  ]);
  // The learning rate, where it changed (a schedule): a constant one says nothing a panel would show.
  const scheduled = new Set(metrics.flatMap((m) => (m.lr === undefined ? [] : [m.lr]))).size > 1;
  const lr = scheduled ? [panel(2 * W, 'learning rate', metrics, [{ label: 'lr', color: '#7f7f7f', points: at((m) => m.lr), style: 'dots' }])] : [];
  const width = (scheduled ? 3 : 2) * W;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 24}" viewBox="0 0 ${width} ${H + 24}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<g transform="translate(0,16)">`,
    loss,
    acc,
    ...lr,
    `</g>`,
    `</svg>`,
    '',
  ].join('\n');
}

/** Each epoch's step_losses at their place in the run: point j of K in epoch e at e − 1 + (j + 1)/K;
 *  a null where steps are missing (a resumed epoch's first part, an older run's epoch). Empty when none has any. */
function stepSeries(metrics: readonly EpochMetrics[]): ([number, number] | null)[] {
  const out: ([number, number] | null)[] = [];
  for (const m of metrics) {
    const points = m.step_losses ?? [null];
    points.forEach((v, j) => {
      if (v !== null && Number.isFinite(v)) out.push([m.epoch - 1 + (j + 1) / points.length, v]);
      else if (out.length > 0 && out[out.length - 1] !== null) out.push(null);
    });
  }
  return out.some((p) => p !== null) ? out : [];
}

/**
 * TensorBoard's scalar smoothing: an exponential moving average, debiased so that it starts at the
 * first value instead of at 0 (tensorboard/webapp/widgets/line_chart_v2/lib/data_transformer.ts):
 * last = w·last + (1 − w)·v; smoothed = last / (1 − w^k) after k values.
 */
export function smooth(points: readonly (readonly [number, number] | null)[], weight = SMOOTHING): ([number, number] | null)[] {
  let last = 0;
  let k = 0;
  return points.map((p) => {
    if (p === null) return null; // a gap in the line; the average runs on across it
    last = last * weight + (1 - weight) * p[1];
    k++;
    return [p[0], weight === 0 ? p[1] : last / (1 - weight ** k)];
  });
}

/** Round ticks covering [lo, hi]: about `target` of them, 1, 2 or 5 × 10^k apart. */
export function niceTicks(lo: number, hi: number, target = 5): { ticks: number[]; step: number } {
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { ticks, step };
}

/** A tick label with as many decimals as the step needs (0.5 → 1 decimal, 0.02 → 2). */
export function tickLabel(v: number, step: number): string {
  return v.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
}

function panel(x0: number, yLabel: string, metrics: readonly EpochMetrics[], series: readonly Series[]): string {
  const values = series.flatMap((s) => s.points.flatMap((p) => (p === null ? [] : [p[1]]))).filter(Number.isFinite);
  const { ticks, step } = niceTicks(values.length ? Math.min(...values) : 0, values.length ? Math.max(...values) : 1);
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  const labels = ticks.map((t) => tickLabel(t, step));
  // The axis title (rotated, centred 14 px in) then the widest tick label, then the plot: nothing overlaps.
  const left = 14 + 8 + CHAR_W * Math.max(...labels.map((l) => l.length)) + 8;
  const e1 = Math.max(1, metrics[metrics.length - 1]?.epoch ?? 1);
  const plot = { x: x0 + left, y: M.top, w: W - left - M.right, h: H - M.top - M.bottom };
  const px = (e: number): number => plot.x + (e / e1) * plot.w;
  const py = (v: number): number => plot.y + (1 - (v - lo) / (hi - lo)) * plot.h;
  const bottom = plot.y + plot.h;
  const out: string[] = [];
  ticks.forEach((t, i) => {
    out.push(`<line x1="${f(plot.x - 4)}" y1="${f(py(t))}" x2="${f(px(e1))}" y2="${f(py(t))}" stroke="#ddd"/>`);
    out.push(`<text x="${f(plot.x - 6)}" y="${f(py(t) + 4)}" text-anchor="end">${labels[i]}</text>`);
  });
  // Axes after the grid, so the grid's bottom line does not cover the x axis.
  out.push(`<line x1="${f(plot.x)}" y1="${f(bottom)}" x2="${f(px(e1))}" y2="${f(bottom)}" stroke="black"/>`);
  out.push(`<line x1="${f(plot.x)}" y1="${f(plot.y)}" x2="${f(plot.x)}" y2="${f(bottom)}" stroke="black"/>`);
  const xTicks = niceTicks(0, e1, Math.min(e1, 10));
  for (const e of xTicks.ticks.filter((t) => Number.isInteger(t) && t <= e1)) {
    out.push(`<line x1="${f(px(e))}" y1="${f(bottom)}" x2="${f(px(e))}" y2="${f(bottom + 4)}" stroke="black"/>`);
    out.push(`<text x="${f(px(e))}" y="${f(bottom + 16)}" text-anchor="middle">${e}</text>`);
  }
  out.push(`<text x="${f(plot.x + plot.w / 2)}" y="${f(bottom + 34)}" text-anchor="middle">epoch</text>`);
  out.push(`<text transform="translate(${x0 + 14},${f(plot.y + plot.h / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  let lx = plot.x;
  for (const s of series) {
    const width = s.style === 'faint' ? 1 : 2;
    for (const run of runs(s.points)) {
      const pts = run.map(([e, v]) => [f(px(e)), f(py(v))] as const);
      if (pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${width}" stroke-linejoin="round" points="${pts.map((p) => p.join(',')).join(' ')}"/>`);
      if (s.style === 'dots' || pts.length === 1) for (const [cx, cy] of pts) out.push(`<circle cx="${cx}" cy="${cy}" r="${s.style === 'dots' ? 3 : 1.5}" fill="${s.color}"/>`);
    }
    if (s.label === '') continue;
    const ly = M.top - 18; // legend: one row above the plot
    out.push(`<line x1="${f(lx)}" y1="${ly}" x2="${f(lx + 18)}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${f(lx + 22)}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
    lx += 22 + CHAR_W * s.label.length + 14;
  }
  return out.join('\n');
}

/** The unbroken stretches of a series. */
function runs(points: readonly (readonly [number, number] | null)[]): (readonly [number, number])[][] {
  const out: (readonly [number, number])[][] = [[]];
  for (const p of points) {
    if (p !== null) out[out.length - 1]!.push(p);
    else if (out[out.length - 1]!.length > 0) out.push([]);
  }
  return out.filter((r) => r.length > 0);
}

function f(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '0';
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

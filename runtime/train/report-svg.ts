// report.svg: the loss and accuracy curves of a run, hand-written SVG so it opens in any browser
// with no script. Left panel: train and test loss per epoch; right panel: test accuracy (%), and the mean IoU
// for per-pixel outputs.
import type { EpochMetrics } from './loop.js';

const W = 360; // one panel
const H = 260;
const M = { left: 56, right: 16, top: 36, bottom: 44 };

interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

export function reportSvg(title: string, metrics: readonly EpochMetrics[]): string {
  const epochs = metrics.map((m) => m.epoch);
  const loss = panel(0, 'loss', epochs, [
    { label: 'train loss', color: '#1f77b4', values: metrics.map((m) => m.loss) },
    { label: 'test loss', color: '#ff7f0e', values: metrics.map((m) => m.test_loss) },
  ]);
  const miou = metrics.every((m) => m.test_miou !== undefined)
    ? [{ label: 'test mean IoU', color: '#9467bd', values: metrics.map((m) => m.test_miou! * 100) }]
    : [];
  const acc = panel(W, miou.length > 0 ? 'test accuracy, mean IoU (%)' : 'test accuracy (%)', epochs, [
    { label: 'test accuracy', color: '#2ca02c', values: metrics.map((m) => m.test_accuracy * 100) },
    ...miou,
  ]);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 24}" viewBox="0 0 ${2 * W} ${H + 24}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<g transform="translate(0,16)">`,
    loss,
    acc,
    `</g>`,
    `</svg>`,
    '',
  ].join('\n');
}

function panel(x0: number, yLabel: string, epochs: readonly number[], series: readonly Series[]): string {
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.08;
  [lo, hi] = [lo - pad, hi + pad];
  const e0 = epochs[0] ?? 1;
  const e1 = Math.max(epochs[epochs.length - 1] ?? 1, e0 + 1);
  const px = (e: number): number => x0 + M.left + ((e - e0) / (e1 - e0)) * (W - M.left - M.right);
  const py = (v: number): number => M.top + (1 - (v - lo) / (hi - lo)) * (H - M.top - M.bottom);
  const out: string[] = [];
  const bottom = H - M.bottom;
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    out.push(`<line x1="${px(e0) - 4}" y1="${f(py(v))}" x2="${px(e1)}" y2="${f(py(v))}" stroke="#ddd"/>`);
    out.push(`<text x="${px(e0) - 6}" y="${f(py(v) + 4)}" text-anchor="end">${tick(v)}</text>`);
  }
  // Axes after the grid, so the grid's bottom line does not cover the x axis.
  out.push(`<line x1="${px(e0)}" y1="${bottom}" x2="${px(e1)}" y2="${bottom}" stroke="black"/>`);
  out.push(`<line x1="${px(e0)}" y1="${M.top}" x2="${px(e0)}" y2="${bottom}" stroke="black"/>`);
  for (const e of epochTicks(e0, e1)) {
    out.push(`<line x1="${f(px(e))}" y1="${bottom}" x2="${f(px(e))}" y2="${bottom + 4}" stroke="black"/>`);
    out.push(`<text x="${f(px(e))}" y="${bottom + 16}" text-anchor="middle">${e}</text>`);
  }
  out.push(`<text x="${f((px(e0) + px(e1)) / 2)}" y="${bottom + 34}" text-anchor="middle">epoch</text>`);
  out.push(`<text transform="translate(${x0 + 14},${f((M.top + bottom) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => `${f(px(epochs[i]!))},${f(py(v))}`);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${s.color}"/>`);
    const ly = M.top - 18; // legend: one row above the plot
    const lx = x0 + M.left + k * 120;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 18}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 22}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  return out.join('\n');
}

function epochTicks(e0: number, e1: number): number[] {
  const step = Math.max(1, Math.ceil((e1 - e0) / 10));
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e += step) ticks.push(e);
  return ticks;
}

function tick(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function f(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '0';
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

// The live chart, an SVG drawn from the page's state: the training loss per step (each step faint, a running
// mean bold) on the left axis and the test accuracy (each evaluation a dot) on the right one, against step.
const W = 940, H = 300, L = 58, R = 58, T = 34, B = 44;
const LOSS = '#2f6fde', ACC = '#16794a';

/** `count` or so round tick values from 0 to the first at or past `max`: steps of 1, 2 or 5 × 10^k. */
export function ticks(max, count = 5) {
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const n = Math.ceil(max / step - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** The running mean of the last `k` values at each index. */
function runningMean(values, k) {
  const out = new Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i] - (i >= k ? values[i - k] : 0);
    out[i] = sum / Math.min(i + 1, k);
  }
  return out;
}

/** At most `max` points of a series (every i-th): an SVG path stays small at any step count. */
function thin(values, max) {
  const every = Math.max(1, Math.ceil(values.length / max));
  const pts = [];
  for (let i = 0; i < values.length; i += every) pts.push([i + 1, values[i]]);
  if (values.length > 0 && pts[pts.length - 1][0] !== values.length) pts.push([values.length, values[values.length - 1]]);
  return pts;
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const text = (x, y, s, attrs = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${s}</text>`;

/** Renders into `svg`: losses[i] is step i + 1's loss; accuracy holds { step, accuracy } (accuracy in [0, 1]). */
export function drawChart(svg, { losses, accuracy, title }) {
  const steps = Math.max(losses.length, 10);
  const xTicks = ticks(steps, 8);
  const xMax = xTicks[xTicks.length - 1];
  const lTicks = ticks(Math.max(0.1, ...losses), 5);
  const lMax = lTicks[lTicks.length - 1];
  const sx = (s) => L + ((W - L - R) * s) / xMax;
  const sy = (v) => T + (H - T - B) * (1 - Math.min(v, lMax) / lMax);
  const sa = (a) => T + (H - T - B) * (1 - a);
  const parts = [text(W / 2, 20, escape(title), 'text-anchor="middle" class="title"')];
  for (const v of lTicks) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(v)}" y2="${sy(v)}" stroke="#e6e9ef"/>`);
    parts.push(text(L - 6, sy(v) + 4, v.toString(), 'text-anchor="end"'));
  }
  for (const a of [0, 0.25, 0.5, 0.75, 1]) parts.push(text(W - R + 6, sa(a) + 4, `${a * 100}%`));
  for (const s of xTicks) {
    parts.push(`<line x1="${sx(s)}" x2="${sx(s)}" y1="${H - B}" y2="${H - B + 5}" stroke="#5a6275"/>`);
    parts.push(text(sx(s), H - B + 18, s.toString(), 'text-anchor="middle"'));
  }
  parts.push(`<path d="M${L},${T}V${H - B}H${W - R}V${T}" fill="none" stroke="#5a6275"/>`);
  parts.push(text(W / 2, H - 6, 'training step', 'text-anchor="middle" class="axis"'));
  parts.push(text(16, (T + H - B) / 2, 'training loss', `text-anchor="middle" class="axis" fill="${LOSS}" transform="rotate(-90 16 ${(T + H - B) / 2})"`));
  parts.push(text(W - 12, (T + H - B) / 2, 'test accuracy', `text-anchor="middle" class="axis" fill="${ACC}" transform="rotate(90 ${W - 12} ${(T + H - B) / 2})"`));
  const line = (pts, f) => pts.map(([s, v], i) => `${i === 0 ? 'M' : 'L'}${sx(s).toFixed(1)},${f(v).toFixed(1)}`).join('');
  if (losses.length > 0) {
    parts.push(`<path d="${line(thin(losses, 600), sy)}" fill="none" stroke="${LOSS}" stroke-opacity="0.3" stroke-width="1"/>`);
    parts.push(`<path d="${line(thin(runningMean(losses, 20), 600), sy)}" fill="none" stroke="${LOSS}" stroke-width="2.5"/>`);
  }
  if (accuracy.length > 0) {
    parts.push(`<path d="${line(accuracy.map((a) => [a.step, a.accuracy]), sa)}" fill="none" stroke="${ACC}" stroke-width="2"/>`);
    for (const a of accuracy) parts.push(`<circle cx="${sx(a.step).toFixed(1)}" cy="${sa(a.accuracy).toFixed(1)}" r="3.5" fill="${ACC}"/>`);
  }
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.innerHTML = parts.join('');
}

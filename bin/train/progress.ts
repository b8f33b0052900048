// Progress output. On a terminal: one line redrawn with \r (a bar, epoch, step, running loss,
// images/s, ETA), cut to the terminal's width: a line as wide as the terminal wraps, and every redraw
// then adds a line instead of replacing one. Elsewhere (CI, pipes): a plain line every ~10% of an
// epoch, so logs stay readable. With NO_COLOR, no ANSI escape at all: the line is cleared with spaces.
import type { StepInfo } from '../../runtime/train/loop.js';

export interface ProgressSink {
  write(text: string): void;
  readonly isTTY: boolean;
  /** The terminal's width, read at every redraw (it may be resized). */
  readonly columns?: number;
  /** NO_COLOR: no ANSI escape sequences (the bar erases its line with spaces, not ESC [K). */
  readonly noColor?: boolean;
}

export class Progress {
  private lastDraw = 0;
  /** The width of the line on screen, 0 when none is. */
  private drawn = 0;

  constructor(
    private readonly out: ProgressSink,
    private readonly epochs: number,
  ) {}

  step(info: StepInfo): void {
    const { position: p, stepsPerEpoch } = info;
    if (this.out.isTTY) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && p.stepInEpoch !== stepsPerEpoch) return; // ≤ 10 redraws per second
      this.lastDraw = now;
      const line = progressLine(this.fields(info), p.stepInEpoch / stepsPerEpoch, this.out.columns ?? 80);
      if (this.out.noColor === true) this.out.write(`\r${line.padEnd(this.drawn)}`);
      else this.out.write(`\r${line}\x1b[K`);
      this.drawn = line.length;
      return;
    }
    const every = Math.max(1, Math.round(stepsPerEpoch / 10));
    if (p.stepInEpoch % every === 0 || p.stepInEpoch === stepsPerEpoch) this.out.write(`${this.fields(info).map((f) => f.text).join('  ')}\n`);
  }

  /** Ends the redrawn line before other output. */
  clear(): void {
    if (this.drawn > 0) this.out.write(this.out.noColor === true ? `\r${' '.repeat(this.drawn)}\r` : '\r\x1b[K');
    this.drawn = 0;
  }

  private fields({ position: p, stepsPerEpoch, imagesPerSecond }: StepInfo): Field[] {
    const loss = p.lossCount > 0 ? (p.lossSum / p.lossCount).toFixed(4) : '-';
    const left = stepsPerEpoch - p.stepInEpoch;
    const batch = p.lossCount / Math.max(1, p.stepInEpoch);
    const eta = imagesPerSecond > 0 ? (left * batch) / imagesPerSecond : 0;
    return [
      { text: `epoch ${p.epoch + 1}/${this.epochs}`, keep: 0 },
      { text: `step ${p.stepInEpoch}/${stepsPerEpoch}`, keep: 3 },
      { text: `loss ${loss}`, keep: 1 },
      { text: `${Math.round(imagesPerSecond)} img/s`, keep: 4 },
      { text: `ETA ${formatSeconds(eta)}`, keep: 2 },
    ];
  }
}

/** A piece of the progress line; the narrower the terminal, the fewer are shown, highest `keep` dropped first. */
interface Field {
  readonly text: string;
  readonly keep: number;
}

const BAR_MIN = 5;
const BAR_MAX = 30;

/**
 * The redrawn line for a terminal `columns` wide: at most columns − 1 characters (writing the last
 * column leaves some terminals about to wrap). The fields that fit, in order, after a bar as wide as
 * the room left (5 to 30); fields go before the bar does, the bar before the epoch; at worst the
 * epoch is cut.
 */
export function progressLine(fields: readonly Field[], done: number, columns: number): string {
  const max = Math.max(1, Math.floor(columns) - 1);
  const shown = (n: number): string =>
    fields
      .filter((f) => f.keep < n)
      .map((f) => f.text)
      .join('  ');
  const sizes = [...new Set(fields.map((f) => f.keep + 1))].sort((a, b) => b - a); // every field, then one fewer, …
  for (const n of sizes) {
    const text = shown(n);
    const room = max - text.length - 3; // "[" bar "] "
    if (room >= BAR_MIN) {
      const width = Math.min(BAR_MAX, room);
      const filled = Math.round(width * Math.min(1, Math.max(0, done)));
      return `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${text}`;
    }
  }
  return shown(1).slice(0, max);
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s);
  return t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}

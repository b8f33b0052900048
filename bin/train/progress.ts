// Progress output. On a terminal: one line redrawn with \r (epoch, step, running loss, images/s,
// ETA). Elsewhere (CI, pipes): a plain line every ~10% of an epoch, so logs stay readable.
import type { StepInfo } from '../../runtime/train/loop.js';

export interface ProgressSink {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly columns?: number;
}

export class Progress {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: ProgressSink,
    private readonly epochs: number,
  ) {}

  step(info: StepInfo): void {
    const { position: p, stepsPerEpoch } = info;
    const text = this.describe(info);
    if (this.out.isTTY) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && p.stepInEpoch !== stepsPerEpoch) return; // ≤ 10 redraws per second
      this.lastDraw = now;
      const width = Math.max(10, Math.min(30, (this.out.columns ?? 100) - text.length - 4));
      const filled = Math.round((width * p.stepInEpoch) / stepsPerEpoch);
      this.out.write(`\r[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${text}\x1b[K`);
      this.drawn = true;
      return;
    }
    const every = Math.max(1, Math.round(stepsPerEpoch / 10));
    if (p.stepInEpoch % every === 0 || p.stepInEpoch === stepsPerEpoch) this.out.write(`${text}\n`);
  }

  /** Ends the redrawn line before other output. */
  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  private describe({ position: p, stepsPerEpoch, imagesPerSecond }: StepInfo): string {
    const loss = p.lossCount > 0 ? (p.lossSum / p.lossCount).toFixed(4) : '-';
    const left = stepsPerEpoch - p.stepInEpoch;
    const batch = p.lossCount / Math.max(1, p.stepInEpoch);
    const eta = imagesPerSecond > 0 ? (left * batch) / imagesPerSecond : 0;
    return `epoch ${p.epoch + 1}/${this.epochs}  step ${p.stepInEpoch}/${stepsPerEpoch}  loss ${loss}  ${Math.round(imagesPerSecond)} img/s  ETA ${formatSeconds(eta)}`;
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s);
  return t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}

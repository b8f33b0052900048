// What the training loop runs around each step and epoch besides the optimizer: the learning-rate schedule
// (schedule.ts) resolved against the run's length, and Keras's EarlyStopping. Browser-safe; the state of both is
// plain JSON, so that a checkpoint holds it and a resumed run continues bit for bit.
import type { EarlyStoppingDescription, MetricName, ScheduleDescription } from '../contracts.js';
import { oneCycleTotalSteps, type ScheduleSpec } from './schedule.js';

/** A metric of an epoch's record (loop.ts EpochMetrics), or undefined where the epoch did not measure it. */
export function metricValue(m: Readonly<Partial<Record<MetricName, number>>>, name: MetricName): number | undefined {
  return m[name];
}

/**
 * The schedule's torch arguments for this run: one_cycle_lr's length filled in from the run where the spec leaves it
 * out (epochs: the run's; steps_per_epoch: ceil(train images / batch size)), as a PyTorch loop passes
 * `epochs=args.epochs, steps_per_epoch=len(train_loader)`. A cycle shorter than the run is refused: PyTorch would stop
 * with "Tried to step N times" partway; cnnc says so before the first step.
 */
export function resolveSchedule(d: ScheduleDescription, run: { readonly epochs: number; readonly stepsPerEpoch: number }): ScheduleSpec {
  const s = d.spec;
  if (s.kind !== 'one_cycle_lr') return s;
  const filled = s.total_steps !== undefined ? s : { ...s, epochs: s.epochs ?? run.epochs, steps_per_epoch: s.steps_per_epoch ?? run.stepsPerEpoch };
  const total = oneCycleTotalSteps(filled);
  const steps = run.epochs * run.stepsPerEpoch;
  if (total < steps) {
    throw new RangeError(
      `one_cycle_lr's cycle is ${total} steps, but the run takes ${steps} (${run.epochs} epoch${run.epochs === 1 ? '' : 's'} × ${run.stepsPerEpoch} steps); ` +
        'leave total_steps, epochs and steps_per_epoch out to cycle over the whole run',
    );
  }
  return filled;
}

/** EarlyStopping's counters; `stopped` once it has stopped the run (a resume then trains no further). */
export interface EarlyStoppingState {
  /** The best value so far (±Infinity before the first epoch: as strings, for JSON). */
  readonly best: number | 'inf' | '-inf';
  /** 1-based epoch of `best`; 0 before the first. */
  readonly bestEpoch: number;
  readonly wait: number;
  readonly stopped: boolean;
}

/**
 * keras.callbacks.EarlyStopping(monitor, min_delta, patience, mode) at the end of each epoch:
 *   wait += 1
 *   improved: current − min_delta > best (max mode) | current + min_delta < best (min mode) → best = current, wait = 0
 *   otherwise, after the first epoch, wait ≥ patience stops the run.
 * The best epoch is the one whose weights are kept (best.safetensors), as restore_best_weights keeps them.
 */
export class EarlyStopping {
  private best: number;
  private bestEpoch = 0;
  private wait = 0;
  private stopped = false;

  constructor(readonly d: EarlyStoppingDescription) {
    this.best = d.mode === 'min' ? Infinity : -Infinity;
  }

  /** After epoch `epoch` (1-based) measured `current`: whether it is the best so far, and whether to stop now. */
  update(epoch: number, current: number): { readonly improved: boolean; readonly stop: boolean } {
    this.wait += 1;
    const delta = this.d.minDelta;
    const improved = this.d.mode === 'min' ? current + delta < this.best : current - delta > this.best;
    if (improved) {
      this.best = current;
      this.bestEpoch = epoch;
      this.wait = 0;
      return { improved, stop: false };
    }
    this.stopped = this.wait >= this.d.patience && epoch > 1;
    return { improved, stop: this.stopped };
  }

  get hasStopped(): boolean {
    return this.stopped;
  }

  getState(): EarlyStoppingState {
    const best = Number.isFinite(this.best) ? this.best : this.best > 0 ? 'inf' : '-inf';
    return { best, bestEpoch: this.bestEpoch, wait: this.wait, stopped: this.stopped };
  }

  setState(s: EarlyStoppingState): void {
    const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    const best = s?.best === 'inf' ? Infinity : s?.best === '-inf' ? -Infinity : s?.best;
    if (typeof best !== 'number' || Number.isNaN(best) || !count(s.bestEpoch) || !count(s.wait) || typeof s.stopped !== 'boolean') {
      throw new TypeError(`early stopping state: expected { best, bestEpoch, wait, stopped }, got ${JSON.stringify(s)?.slice(0, 80)}`);
    }
    this.best = best;
    this.bestEpoch = s.bestEpoch;
    this.wait = s.wait;
    this.stopped = s.stopped;
  }
}

// What `cnnc train` reports on stdout, as events: rendered as the lines a person reads, or with
// --json as JSON lines, one event a line (the README lists them). One list of events, two renderings,
// so that the text and the JSON cannot say different things.
import type { EpochMetrics } from '../../runtime/train/loop.js';
import { formatSeconds } from './progress.js';

export type TrainEvent =
  | {
      readonly event: 'start';
      readonly model: string;
      readonly spec: string;
      readonly data: string;
      readonly train_images: number;
      readonly test_images: number;
      /** Null without a validation split. */
      readonly val_images: number | null;
      /** The class names in index order, where the data names its classes (image folders, manifests). */
      readonly classes: readonly string[] | null;
      readonly batch_size: number;
      readonly lr: number;
      readonly seed: number;
      readonly epochs: number;
      readonly limit: number | null;
      readonly threads: number;
      readonly out: string;
      /** Where a resumed run continues: epoch (0-based, completed) and step in it; null for a new run. */
      readonly resumed: { readonly epoch: number; readonly step: number } | null;
    }
  | ({ readonly event: 'epoch'; readonly epochs: number } & Omit<EpochMetrics, 'step_losses'>)
  | { readonly event: 'checkpoint'; readonly path: string; readonly weights: string; readonly epoch: number; readonly step: number; readonly global_step: number }
  | {
      readonly event: 'done';
      /** The last epoch's, or null when no epoch ran (a resume of a finished run). */
      readonly test_accuracy: number | null;
      readonly test_miou: number | null;
      /** What the accuracy counts: the top-1 class of an image, each binary output, or each pixel. */
      readonly accuracy: 'class' | 'binary' | 'pixel';
      readonly test_images: number;
      readonly data: string;
      readonly weights: string;
      /** With early stopping: the epoch after which it ended the run (null: every epoch ran), the best epoch, its value
       *  and its weights (best.safetensors); null without early stopping. */
      readonly early_stopping: { readonly stopped_after: number | null; readonly monitor: string; readonly best_epoch: number; readonly best: number; readonly weights: string } | null;
    }
  | { readonly event: 'stopped'; readonly reason: 'interrupt' | 'max-steps'; readonly max_steps: number | null; readonly epoch: number; readonly step: number; readonly checkpoint: string; readonly resume: string }
  | { readonly event: 'diverged'; readonly loss: 'NaN' | 'Inf' | '-Inf'; readonly epoch: number; readonly step: number; readonly layer: string | null; readonly tensor: string | null; readonly checkpoint: string };

/** One JSON line. */
export function eventJson(e: TrainEvent): string {
  return `${JSON.stringify(e)}\n`;
}

/** The text for a person; null for events that print nothing (a checkpoint; a divergence is on stderr). */
export function eventText(e: TrainEvent): string | null {
  switch (e.event) {
    case 'start':
      return (
        `training ${e.model} on ${e.data} (${count(e.train_images)} train, ${e.val_images === null ? '' : `${count(e.val_images)} val, `}${count(e.test_images)} test ${what(e.data)}), ` +
        `batch ${e.batch_size}, lr ${e.lr}, seed ${e.seed}, ${e.epochs} epoch(s), ${e.threads} thread(s) → ${e.out}\n`
      );
    case 'epoch':
      return (
        `epoch ${e.epoch}/${e.epochs}  loss ${e.loss.toFixed(4)}  ` +
        splitText('val', e.val_loss, e.val_accuracy, e.val_miou) +
        splitText('test', e.test_loss, e.test_accuracy, e.test_miou) +
        (e.lr === undefined ? '' : `lr ${shortNumber(e.lr)}  `) +
        `${Math.round(e.images_per_s)} img/s  ${formatSeconds(e.seconds)}\n`
      );
    case 'checkpoint':
    case 'diverged':
      return null;
    case 'done': {
      const words = e.accuracy === 'binary' ? '; binary accuracy' : e.accuracy === 'pixel' ? '; accuracy per pixel' : '';
      const miou = e.test_miou === null ? '' : `, mean IoU ${pct(e.test_miou)}`;
      const final = e.test_accuracy === null ? '' : `final test accuracy: ${pct(e.test_accuracy)}${miou} (${count(e.test_images)} test ${what(e.data)}${words})\n`;
      const es = e.early_stopping;
      const early = es === null ? '' : `${es.stopped_after === null ? '' : `early stopping after epoch ${es.stopped_after}: `}${es.monitor} best at epoch ${es.best_epoch} (${shortNumber(es.best)}), its weights: ${es.weights}\n`;
      return `${early}${final}weights: ${e.weights}\n`;
    }
    case 'stopped': {
      const why = e.reason === 'interrupt' ? 'interrupted' : `stopped after --max-steps ${e.max_steps}`;
      return `${why} at epoch ${e.epoch}, step ${e.step}; checkpoint written. Resume with: ${e.resume}\n`;
    }
  }
}

/** `val loss 0.3  val accuracy 91.00%  ` (with mIoU for label maps), or nothing where the split was not measured. */
function splitText(split: 'val' | 'test', loss: number | undefined, accuracy: number | undefined, miou: number | undefined): string {
  if (loss === undefined || accuracy === undefined) return '';
  return `${split} loss ${loss.toFixed(4)}  ${split} accuracy ${pct(accuracy)}${miou === undefined ? '' : `  ${split} mIoU ${pct(miou)}`}  `;
}

/** `digits` for the embedded MNIST, `images` otherwise. */
export function what(data: string): string {
  return data.endsWith('mnist10k') ? 'digits' : 'images';
}

export function pct(a: number): string {
  return `${(a * 100).toFixed(2)}%`;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** A learning rate or metric in at most 4 significant digits: 0.7, 0.000343, 1.234e-7. */
function shortNumber(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

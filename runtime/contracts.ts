// The runtime's contracts: the plain data that generated modules, the training loop and apps hand the
// runtime (how a parameter is initialized, what the loss is, which data a spec trains on). Declared here,
// once; the IR that plans for the runtime is built on these types, so the two cannot drift and the runtime
// needs nothing from the compiler. Browser-safe; types and one constant, JSON-serializable, readonly.

import type { TransformSpec } from './data/transforms/types.js';
import type { ScheduleSpec } from './train/schedule.js';

/** How a parameter is initialized: PyTorch's reset_parameters() by default, or the spec's `init:` rule
 *  (torch.nn.init 1.13) with its fan and gain already resolved by the compiler, so every number is a literal. */
export type InitRule =
  | { readonly kind: 'kaiming_uniform'; readonly fanIn: number } // bound = sqrt(6 / ((1 + a^2) fanIn)), a = sqrt(5) => 1/sqrt(fanIn)
  | { readonly kind: 'uniform'; readonly bound: number } // U(-bound, bound), bias: 1/sqrt(fanIn); kaiming_uniform_, xavier_uniform_
  | { readonly kind: 'uniform_range'; readonly a: number; readonly b: number } // U(a, b): uniform_(a, b)
  | { readonly kind: 'normal'; readonly mean: number; readonly std: number } // normal_, kaiming_normal_, xavier_normal_
  | { readonly kind: 'trunc_normal'; readonly mean: number; readonly std: number; readonly a: number; readonly b: number } // N(mean, std²) on [a, b]
  | { readonly kind: 'orthogonal'; readonly rows: number; readonly cols: number; readonly gain: number } // orthogonal_ of the [rows, cols] flattening
  | { readonly kind: 'constant'; readonly val: number }
  | { readonly kind: 'ones' }
  | { readonly kind: 'zeros' };

export type Reduction = 'mean' | 'sum' | 'none';

/** 'softmax': the output's channels are classes, labels are class indices. 'binary': one channel, or
 *  independent outputs; labels are 0/1 targets of the output's shape. */
export type LossMode = 'softmax' | 'binary';

interface LossTermBase {
  /** Coefficient in the sum of terms (the spec's `scale`, default 1). */
  readonly scale: number;
}

/** One loss term, PyTorch 1.13's defaults resolved. Class-index terms skip labels equal to ignoreIndex. */
export type LossTerm =
  | (LossTermBase & {
      readonly kind: 'cross_entropy';
      readonly labelSmoothing: number;
      /** Per-class weights, length = number of classes, or null. */
      readonly weight: readonly number[] | null;
      readonly ignoreIndex: number;
      readonly reduction: Reduction;
    })
  | (LossTermBase & {
      readonly kind: 'nll';
      readonly weight: readonly number[] | null;
      readonly ignoreIndex: number;
      readonly reduction: Reduction;
    })
  /** nn.BCELoss on probabilities; logs clamped at −100. */
  | (LossTermBase & { readonly kind: 'bce'; readonly reduction: Reduction })
  /** nn.BCEWithLogitsLoss; posWeight has 1 entry (every output) or one per output of a flat [K] output. */
  | (LossTermBase & { readonly kind: 'bce_with_logits'; readonly posWeight: readonly number[] | null; readonly reduction: Reduction })
  /** binary: torchvision's sigmoid_focal_loss (one channel); softmax: −α(1−p_t)^γ log p_t (classes). alpha < 0: no α. */
  | (LossTermBase & { readonly kind: 'focal'; readonly mode: LossMode; readonly gamma: number; readonly alpha: number; readonly reduction: Reduction })
  /** 1 − mean_c (2Σpt + smooth)/(Σp + Σt + smooth), sums over the batch and pixels; always one number. */
  | (LossTermBase & { readonly kind: 'dice'; readonly mode: LossMode; readonly smooth: number; readonly fromLogits: boolean; readonly ignoreIndex: number });

/** The loss: a sum of terms (one for `loss: { kind: ... }`), all reading the model output and one label array. */
export interface LossDescription {
  readonly terms: readonly LossTerm[];
  /** How every term reads the labels (a sum whose terms disagree is refused before it gets here). */
  readonly targets: LossMode;
  /** One sample's labels: [] (a class index), [H, W] (a label map), or the output's shape (binary targets). */
  readonly labelShape: readonly number[];
  /** ignore_index of the class-index terms (they must agree), or null when no term has one. */
  readonly ignoreIndex: number | null;
}

/** What is learnt from the images; runtime/data/tasks.ts derives the targets. */
export type DataTask = 'classification' | 'real-vs-fake' | 'segmentation';

/** The preprocessing of a spec's images, resolved: `eval` for test, validation and predict, `train` for
 *  training (the same list unless the spec gives train_transforms). A pipeline of a user's own images
 *  always ends at the model's input size (a resize to [H, W] is appended where it would not); normalize,
 *  if any, comes last. */
export interface DataPipeline {
  readonly eval: readonly TransformSpec[];
  readonly train: readonly TransformSpec[];
}

/** A user's own images: classification, with class names (null: the train split's, sorted) and an
 *  optional stratified validation fraction of train. */
interface ImageData {
  readonly task: 'classification';
  readonly classes: readonly string[] | null;
  readonly valSplit: number | null;
  readonly transforms: DataPipeline;
}

/** Which images a spec trains on. Paths are as the spec writes them, resolved against its directory. */
export type DataDescription =
  /** The embedded digits; valSplit: a stratified, seeded fraction of train held out (classification only). */
  | { readonly source: 'mnist'; readonly task: DataTask; readonly valSplit: number | null; readonly transforms: DataPipeline }
  /** A directory of IDX files. */
  | { readonly source: 'idx'; readonly path: string; readonly task: DataTask; readonly valSplit: number | null; readonly transforms: DataPipeline }
  /** torchvision's ImageFolder layout: path/train/<class>/*, path/test/<class>/*, optionally path/val/. */
  | ({ readonly source: 'folder'; readonly path: string } & ImageData)
  /** CSV manifests (`path,label` lines), one a split. */
  | ({ readonly source: 'csv'; readonly train: string; readonly test: string; readonly val: string | null } & ImageData);

/** A max-pool window of at most this many elements (without padding) is unrolled by the generated forward;
 *  above it the runtime's wasm kernel takes every shape (runtime/wasm/maxpool.ts). One number for both. */
export const MAXPOOL_UNROLLED_MAX = 9;

/** An avg-pool window of at most this many elements, every window inside the input, is unrolled by the generated
 *  forward and backward; where the runtime has no four-at-a-time kernel for it (a column stride over 2, fewer than
 *  four outputs a row), that loop runs (runtime/wasm/maxpool.ts). One number for both. */
export const AVGPOOL_UNROLLED_MAX = 16;

/** A metric the training loop reports each epoch (metrics.jsonl's columns): what early stopping and
 *  reduce_lr_on_plateau can watch. `loss` is the epoch's mean training loss. */
export type MetricName = 'loss' | 'val_loss' | 'val_accuracy' | 'val_miou' | 'test_loss' | 'test_accuracy' | 'test_miou';

/** The learning-rate schedule of a spec: torch.optim.lr_scheduler's arguments as written (runtime/train/schedule.ts),
 *  when it steps, and what reduce_lr_on_plateau watches (null for the other kinds). */
export interface ScheduleDescription {
  readonly spec: ScheduleSpec;
  readonly interval: 'epoch' | 'step';
  readonly monitor: MetricName | null;
}

/** Keras's EarlyStopping, with the mode resolved ('auto': max for accuracy and miou, min otherwise). */
export interface EarlyStoppingDescription {
  readonly monitor: MetricName;
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: 'min' | 'max';
}

/** The embedded data's split sizes (runtime/node/data/mnist10k.ts's rule, DESIGN.md "Interop"): known before it loads,
 *  so that the compiler can count a run's steps. */
export const MNIST10K_SIZES = { train: 8004, test: 1996 } as const;

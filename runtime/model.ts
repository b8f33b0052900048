// The contract every generated module's model class implements (the TypeScript target and,
// later, gpu.js). Apps, the CLI and the training loop program against this, never against a
// particular generated class.
import type { ModelMetadata, Prediction } from './app.js';

export type FloatArray = Float32Array | Float64Array;

export interface ParameterView<A extends FloatArray = Float32Array> {
  /** PyTorch state_dict name: `conv1.weight`, `bn1.running_mean`, ... */
  readonly name: string;
  readonly shape: readonly number[];
  /** Live view of the weights: writes change the model. */
  readonly data: A;
  /** Live view of the gradient (zeros for buffers such as running stats). */
  readonly grad: A;
  /** False for buffers (batchnorm running stats): saved and loaded, never optimized. */
  readonly trainable: boolean;
  /** 'I64' where saveWeights writes it as int64 instead of the float dtype: batchnorm's num_batches_tracked, as
   *  PyTorch keeps it (its values are integers in `data`). */
  readonly dtype?: 'I64';
}

/** Everything needed to continue training bit for bit: optimizer moments, step count, RNG. */
export interface TrainingState<A extends FloatArray = Float32Array> {
  /** Optimizer step count (adam's t). */
  readonly step: number;
  /** Optimizer slots by name: `conv1.weight.exp_avg`, `fc1.bias.momentum_buffer`, ... */
  readonly slots: ReadonlyArray<{ readonly name: string; readonly data: A }>;
  /** The model RNG's internal state (dropout masks). */
  readonly rng: readonly number[];
}

export interface CompiledModel<A extends FloatArray = Float32Array> {
  /** The spec's model name. */
  readonly name: string;
  /** sha256 of the spec it was generated from (hex). */
  readonly specHash: string;
  /** Input shape without the batch: [C, H, W]. */
  readonly inputShape: readonly number[];
  /** Output shape without the batch. */
  readonly outputShape: readonly number[];
  /** What the module knows of itself: name, spec hash, shapes, what the output holds, the spec's class names,
   *  parameter count, dtype, cnnc version, target (runtime/app.ts, runtime/API.md). */
  readonly metadata: ModelMetadata;
  /** The class names predict gives: those the last loaded weights carry (cnnc train writes them), else the spec's;
   *  null without names for every class. */
  readonly classNames: readonly string[] | null;
  /** Forward in the current mode (eval for an app: a new model is in eval mode), then per sample the probabilities
   *  of every class (softmax of logits, exp of log-probabilities, as metadata.output says), the top class and its
   *  name. Throws a RangeError for a label map or a multi-output binary model (read forward() then). */
  predict(x: A, n: number): Prediction[];
  /** x is [n, ...inputShape] row-major; returns [n, ...outputShape] (a view into the model's arena: copy to keep). */
  forward(x: A, n: number): A;
  train(): void;
  eval(): void;
  readonly training: boolean;
  /**
   * Forward in the current mode, the spec's loss, backward. Returns the loss (reduction mean by default).
   * `y` holds n × (the loss's labelShape) integers:
   * - cross_entropy, nll, and focal/dice on several channels: a class index per sample ([n]), or per pixel
   *   for a [C, H, W] output ([n, H, W] label maps); a label equal to the loss's ignore_index (default
   *   -100) is skipped;
   * - bce, bce_with_logits, and focal/dice on one channel: a 0 or 1 target per output element ([n, ...
   *   outputShape]). Soft (fractional) targets are not supported: the labels are integers.
   * A sum of losses reads one such array. With reduction 'none' the returned value, and the gradient,
   * are the plain mean of the per-element losses (PyTorch's `loss.mean().backward()`); the elements
   * themselves come from cnnc/runtime's lossElements on the output.
   * A label that fits none of these throws a RangeError before anything is written.
   */
  computeGradients(x: A, y: Int32Array, n: number): number;
  /** computeGradients plus one optimizer step. Returns the loss. */
  trainStep(x: A, y: Int32Array, n: number): number;
  parameters(): ParameterView<A>[];
  /** safetensors, F32 (F64 for a float64 module), PyTorch names and layouts. */
  saveWeights(): Uint8Array;
  /** Refuses a file that does not fit, naming the tensor or byte offset; the model is unchanged then. */
  loadWeights(bytes: Uint8Array): void;
  getTrainingState(): TrainingState<A>;
  setTrainingState(state: TrainingState<A>): void;
  /** Overrides the optimizer's learning rate (`cnnc train --lr`, and a scheduler before each step); the spec's lr is
   *  the default. A number ≥ 0 (a cosine schedule ends at eta_min, 0 by default). */
  setLearningRate(lr: number): void;
  /** Sets the optimizer's momentum (SGD, RMSprop) or β1 (Adam, AdamW) as one_cycle_lr cycles it; generated only for a
   *  spec whose scheduler does. */
  setMomentum?(momentum: number): void;
  /** After a non-finite loss: the first layer (in forward order, then backward) whose output or
   *  gradient holds a NaN or Inf in the last step, or null. */
  findNonFinite(): { readonly layer: string; readonly tensor: string } | null;
}

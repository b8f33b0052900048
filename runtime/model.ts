// The contract every generated module's model class implements (the TypeScript target and,
// later, gpu.js). Apps, the CLI and the training loop program against this, never against a
// particular generated class.

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
  /** x is [n, ...inputShape] row-major; returns [n, ...outputShape] (a view into the model's arena: copy to keep). */
  forward(x: A, n: number): A;
  train(): void;
  eval(): void;
  readonly training: boolean;
  /** Forward in the current mode, the spec's loss (mean over the batch), backward. Returns the loss. */
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
  /** Overrides the optimizer's learning rate (`cnnc train --lr`); the spec's lr is the default. */
  setLearningRate(lr: number): void;
  /** After a non-finite loss: the first layer (in forward order, then backward) whose output or
   *  gradient holds a NaN or Inf in the last step, or null. */
  findNonFinite(): { readonly layer: string; readonly tensor: string } | null;
}

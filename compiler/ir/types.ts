// The IR: plain, readonly, JSON-serializable data. Every pass reads and returns these types.
// Shapes never include the batch dimension: the batch size `n` is the one runtime number.
//
// Adding a layer kind: the README's "The tree" lists every place (an activation is a rule in
// activations.ts instead). Every `switch` over `kind` ends in `assertNever`, so the compiler refuses to
// build until each phase handles it.

// What the runtime reads (init rules, the loss, the data) is the runtime's own contract, declared in
// runtime/contracts.ts: the compiler plans for the runtime, so the import points compiler → runtime.
import type { GradClip } from '../../runtime/clip-grad.js';
import type { ConvAlgorithmRequest } from './conv-algorithm.js';
import type { DataDescription, DataTask, EarlyStoppingDescription, InitRule, ScheduleDescription, LossDescription, LossMode, LossTerm, Reduction } from '../../runtime/contracts.js';

export type { DataDescription, DataTask, InitRule, LossDescription, LossMode, LossTerm, Reduction };

/** A span in the YAML source. Lines and columns are 1-based; offsets are 0-based UTF-16 indices. */
export interface Span {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
  readonly offset: number;
  readonly end: number;
}

/** A shape without the batch dimension: [C, H, W] for images, [F] for features. */
export type Shape = readonly number[];

export type Pair = readonly [number, number];

/** Explicit per-side padding; PyTorch's `same` with an even kernel pads less on top/left. */
export interface Padding2d {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

export interface ParamInfo {
  /** PyTorch state_dict name, e.g. `conv1.weight`, `bn1.running_mean`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: 'weight' | 'bias' | 'running_mean' | 'running_var' | 'num_batches_tracked';
  /** Buffers (running stats) are saved and loaded but not optimized. */
  readonly trainable: boolean;
  readonly init: InitRule;
  /** The spec's `init:` rule as the torch.nn.init call it is, every argument resolved
   *  (`xavier_uniform_(gain=1)`); absent where the rule is PyTorch's reset_parameters() one. */
  readonly initFrom?: string;
  readonly size: number;
}

interface NodeBase {
  /** Position in `nodes` (topological order). */
  readonly index: number;
  /** Unique identifier: the spec's `name`, or `<kind>_<k>` for an unnamed layer (k counts that kind from 1). */
  readonly name: string;
  /** True when the user wrote the name; PyTorch names of parameters derive from it. */
  readonly named: boolean;
  /** Inside a sequential or block instance: the PyTorch module path (`layer1.0.conv1`), which names its
   *  parameters (`layer1.0.conv1.weight`); `name` is then that path with `_` for `.`. Absent at the top level. */
  readonly module?: string;
  /** With `module`: where the layer is written in the spec (`['blocks', 'BasicBlock', 'layers', 0]`); else `['layers', index]`. */
  readonly at?: readonly (string | number)[];
  /** Names of the nodes this one reads; `input` is the model input. */
  readonly inputs: readonly string[];
  /** The lint codes the spec allows on this layer (absent: none). */
  readonly allow?: readonly string[];
  readonly inShapes: readonly Shape[];
  readonly outShape: Shape;
  readonly params: readonly ParamInfo[];
  /** Trainable parameter count (buffers excluded, as torchinfo counts). */
  readonly paramCount: number;
  /** Forward multiply-accumulates per sample. */
  readonly macs: number;
  /** Output elements per sample. */
  readonly outSize: number;
  readonly span: Span;
}

export interface Conv2dNode extends NodeBase {
  readonly kind: 'conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Padding2d;
  readonly dilation: Pair;
  readonly groups: number;
  readonly bias: boolean;
  /** The spec's `algorithm:` (default auto); 4-passes/geometry.ts's convAlgorithm resolves it. */
  readonly algorithm: ConvAlgorithmRequest;
}

export interface MaxPool2dNode extends NodeBase {
  readonly kind: 'maxpool2d';
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  /** PyTorch's ceil_mode (default false): the output size rounds up, so a last window may run past the input. */
  readonly ceilMode: boolean;
}

export interface AvgPool2dNode extends NodeBase {
  readonly kind: 'avgpool2d';
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  /** As MaxPool2dNode's; a window past the padded input divides by its part inside it (PyTorch's pool_size). */
  readonly ceilMode: boolean;
  /** PyTorch default true: padded zeros count in the divisor. */
  readonly countIncludePad: boolean;
}

export interface BatchNorm2dNode extends NodeBase {
  readonly kind: 'batchnorm2d';
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
}

export interface ReluNode extends NodeBase { readonly kind: 'relu' }
/** nn.ReLU6: min(max(0, x), 6) (Hardtanh(0, 6)). */
export interface Relu6Node extends NodeBase { readonly kind: 'relu6' }
/** nn.Hardtanh (min_val -1, max_val 1): min(max(x, -1), 1). */
export interface HardtanhNode extends NodeBase { readonly kind: 'hardtanh' }
/** nn.Hardswish: x·relu6(x + 3)/6 (MobileNetV3). */
export interface HardswishNode extends NodeBase { readonly kind: 'hardswish' }
/** nn.Hardsigmoid: relu6(x + 3)/6 (MobileNetV3's squeeze-excitation gate). */
export interface HardsigmoidNode extends NodeBase { readonly kind: 'hardsigmoid' }
/** nn.SiLU: x·sigmoid(x) (EfficientNet's swish). */
export interface SiluNode extends NodeBase { readonly kind: 'silu' }
export interface LeakyReluNode extends NodeBase { readonly kind: 'leaky_relu'; readonly negativeSlope: number }
export interface SigmoidNode extends NodeBase { readonly kind: 'sigmoid' }
export interface TanhNode extends NodeBase { readonly kind: 'tanh' }
export interface DropoutNode extends NodeBase { readonly kind: 'dropout'; readonly p: number }
/** Zeroes whole channels of a [C, H, W] input (PyTorch nn.Dropout2d). */
export interface Dropout2dNode extends NodeBase { readonly kind: 'dropout2d'; readonly p: number }
/** torch.flatten(x, 1): C-major. */
export interface FlattenNode extends NodeBase { readonly kind: 'flatten' }
export interface LinearNode extends NodeBase {
  readonly kind: 'linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
}
/** Over dim 1 (the class / channel dimension). */
export interface SoftmaxNode extends NodeBase { readonly kind: 'softmax' }
export interface LogSoftmaxNode extends NodeBase { readonly kind: 'log_softmax' }
/** nn.ConvTranspose2d: weight [in, out/groups, kh, kw]; out = (in − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1. */
export interface ConvTranspose2dNode extends NodeBase {
  readonly kind: 'conv_transpose2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly outputPadding: Pair;
  readonly dilation: Pair;
  readonly groups: number;
  readonly bias: boolean;
}
/** nn.Upsample / F.interpolate on [C, H, W]. */
export interface UpsampleNode extends NodeBase {
  readonly kind: 'upsample';
  readonly mode: 'nearest' | 'bilinear';
  readonly alignCorners: boolean;
  /** As written (null when `size` was given): it sets PyTorch's source-index scale, 1/scale_factor. */
  readonly scaleFactor: Pair | null;
}
/** nn.AdaptiveAvgPool2d(1): [C, H, W] → [C, 1, 1]. */
export interface GlobalAvgPool2dNode extends NodeBase { readonly kind: 'global_avgpool2d' }
/** nn.AdaptiveAvgPool2d / nn.AdaptiveMaxPool2d(output_size): [C, H, W] → [C, oh, ow]; the windows are
 *  PyTorch's start/end index rule (AdaptivePoolGeometry, 4-passes/geometry.ts). */
export interface AdaptivePool2dNode extends NodeBase { readonly kind: 'adaptive_avgpool2d' | 'adaptive_maxpool2d' }
/** The elementwise sum of its inputs (all of one shape): a residual connection. */
export interface AddNode extends NodeBase { readonly kind: 'add' }
/** torch.cat(inputs, dim=1): channels (or features) of each input in turn. */
export interface ConcatNode extends NodeBase { readonly kind: 'concat' }

export type Node =
  | Conv2dNode
  | MaxPool2dNode
  | AvgPool2dNode
  | BatchNorm2dNode
  | ReluNode
  | Relu6Node
  | HardtanhNode
  | HardswishNode
  | HardsigmoidNode
  | SiluNode
  | LeakyReluNode
  | SigmoidNode
  | TanhNode
  | DropoutNode
  | Dropout2dNode
  | FlattenNode
  | LinearNode
  | SoftmaxNode
  | LogSoftmaxNode
  | ConvTranspose2dNode
  | UpsampleNode
  | GlobalAvgPool2dNode
  | AdaptivePool2dNode
  | AddNode
  | ConcatNode;

export type NodeKind = Node['kind'];

/** The elementwise activations: one rule each in compiler/ir/activations.ts, which every phase reads. */
export type ActivationNode =
  | ReluNode | Relu6Node | HardtanhNode | HardswishNode | HardsigmoidNode | SiluNode | LeakyReluNode | SigmoidNode | TanhNode;
export type ActivationKind = ActivationNode['kind'];

/** One loss term (runtime/contracts.ts LossTerm), with its span: the term's `kind` in the YAML. */
export type LossTermIR = LossTerm & { readonly span: Span };

export type LossTermKind = LossTermIR['kind'];

/** The loss (runtime/contracts.ts LossDescription), with the spans of its terms and of the whole `loss` value. */
export interface LossIR extends LossDescription {
  readonly terms: readonly LossTermIR[];
  readonly span: Span;
}

export type OptimizerIR =
  | {
      readonly kind: 'sgd';
      readonly lr: number;
      readonly momentum: number;
      readonly dampening: number;
      readonly nesterov: boolean;
      readonly weightDecay: number;
      readonly span: Span;
    }
  | {
      readonly kind: 'adam' | 'adamw';
      readonly lr: number;
      readonly betas: Pair;
      readonly eps: number;
      readonly weightDecay: number;
      readonly amsgrad: boolean;
      readonly span: Span;
    }
  | {
      readonly kind: 'rmsprop';
      readonly lr: number;
      readonly alpha: number;
      readonly eps: number;
      readonly weightDecay: number;
      readonly momentum: number;
      readonly centered: boolean;
      readonly span: Span;
    }
  | {
      readonly kind: 'adagrad';
      readonly lr: number;
      readonly lrDecay: number;
      readonly weightDecay: number;
      readonly initialAccumulatorValue: number;
      readonly eps: number;
      readonly span: Span;
    }
  | {
      readonly kind: 'adadelta';
      readonly lr: number;
      readonly rho: number;
      readonly eps: number;
      readonly weightDecay: number;
      readonly span: Span;
    };

export interface TrainIR {
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
  /** Samples per forward pass of an evaluation (test, validation); the numbers do not depend on it. */
  readonly evalBatchSize: number;
  /** A new seeded order every epoch (true), or the data's own order. */
  readonly shuffle: boolean;
  /** Gradient clipping before every optimizer step (torch.nn.utils); null: none. */
  readonly clip: (GradClip & { readonly span: Span }) | null;
  /** Keras's EarlyStopping (and the best checkpoint); null: every epoch runs. */
  readonly earlyStopping: EarlyStoppingDescription | null;
}

/** The learning-rate schedule (torch.optim.lr_scheduler), at the spec's `scheduler:`. */
export interface ScheduleIR extends ScheduleDescription {
  /** one_cycle_lr with cycle_momentum: the model sets the optimizer's momentum (or β1) as it steps, and SGD and
   *  RMSprop keep momentum buffers even at momentum 0. */
  readonly cyclesMomentum: boolean;
  readonly span: Span;
}

/** Which images the spec trains on (runtime/contracts.ts DataDescription). */
export type DataIR = DataDescription;

export interface Totals {
  /** Trainable parameters. */
  readonly params: number;
  /** Non-trainable buffers (batchnorm running stats). */
  readonly buffers: number;
  /** Forward MACs per sample. */
  readonly macs: number;
  /** Activation elements per sample, input included. */
  readonly activations: number;
  /** Bytes (float32) one training step needs at train.batchSize: weights, grads, optimizer state,
   *  activations and their gradients, and scratch. */
  readonly trainingBytes: number;
}

/** A container of layers: its module path and what it is (`sequential`, a block's name, `BasicBlock ×2` for a repeat). */
export interface Container {
  readonly module: string;
  readonly kind: string;
}

export interface ModelIR {
  readonly cnnc: 1;
  readonly name: string;
  /** The spec file as the user named it. */
  readonly file: string;
  /** sha256 of the spec's canonical JSON (hex), so comments and whitespace do not change it. */
  readonly specHash: string;
  readonly input: { readonly shape: Shape; readonly span: Span };
  /** The order written, which is topological: a layer reads only earlier layers (or the input). */
  readonly nodes: readonly Node[];
  /** Name of the node whose output is the model's output: the last layer. */
  readonly output: string;
  readonly loss: LossIR;
  readonly optimizer: OptimizerIR;
  /** null: a constant learning rate. */
  readonly scheduler: ScheduleIR | null;
  readonly train: TrainIR;
  readonly data: DataIR;
  readonly totals: Totals;
  /** The sequentials and block instances the layers came from (3-lower/blocks.ts), in order: `layer1` (`BasicBlock ×2`),
   *  `layer1.0` (`BasicBlock`), `layer1.0.downsample` (`sequential`). Absent when the spec has none. */
  readonly containers?: readonly Container[];
}

/** The dtype a parameter is saved as where it is not the model's float dtype (null): PyTorch keeps batchnorm's
 *  num_batches_tracked as int64, so its state_dict and safetensors files hold it as I64. Both targets read this. */
export function savedDtype(role: ParamInfo['role']): 'I64' | null {
  return role === 'num_batches_tracked' ? 'I64' : null;
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`cnnc internal error: unhandled ${what}: ${JSON.stringify(x)}`);
}

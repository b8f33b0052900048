// The spec as the user wrote it, after JSON Schema validation (2-validate). Bare-word layers
// (`- relu`) are expanded to `{ kind: relu }`; nothing else is filled in: PyTorch's defaults are
// resolved by 3-lower, so this type says exactly what was written. The JSON Schema in
// cnnc.schema.json is the contract; these types mirror it.
import type { DataTask, MetricName } from '../../runtime/contracts.js';
import type { ScheduleSpec } from '../../runtime/train/schedule.js';
import type { TransformSpec } from '../../runtime/data/transforms/types.js';

export type IntOrPair = number | readonly [number, number];

interface LayerBase {
  /** An identifier, unique in the spec. Parameter names derive from it (`conv1.weight`). */
  readonly name?: string;
  /** Names of earlier layers (or `input`) this one reads; default: the previous layer. One name,
   *  except for add and concat, which read two or more. */
  readonly inputs?: readonly string[];
  /** Lint warnings (W06xx) this layer keeps on purpose: not reported for it. */
  readonly allow?: readonly string[];
  /** false: left out, read as its first input (3-lower/blocks.ts); never present after expansion. */
  readonly when?: boolean;
}

/** torch.nn.init 1.13's calculate_gain nonlinearities. */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
/** A gain: a number, or calculate_gain(nonlinearity, param) (param: leaky_relu's negative slope, 0.01). */
export type GainSpec = number | Nonlinearity | { readonly nonlinearity: Nonlinearity; readonly param?: number };
/** One torch.nn.init rule, by the function's name without the `_`, with its arguments and defaults. */
export type InitRuleObjectSpec =
  | { readonly kind: 'kaiming_uniform' | 'kaiming_normal'; readonly a?: number; readonly mode?: 'fan_in' | 'fan_out'; readonly nonlinearity?: Nonlinearity } // 0, fan_in, leaky_relu
  | { readonly kind: 'xavier_uniform' | 'xavier_normal' | 'orthogonal'; readonly gain?: GainSpec } // 1
  | { readonly kind: 'normal'; readonly mean?: number; readonly std?: number } // 0, 1
  | { readonly kind: 'uniform'; readonly a?: number; readonly b?: number } // 0, 1
  | { readonly kind: 'trunc_normal'; readonly mean?: number; readonly std?: number; readonly a?: number; readonly b?: number } // 0, 1, -2, 2
  | { readonly kind: 'constant'; readonly val: number }
  | { readonly kind: 'ones' | 'zeros' };
/** A bare word (`xavier_uniform`: the function's defaults) or a mapping with `kind` and arguments. */
export type InitRuleSpec = Exclude<InitRuleObjectSpec['kind'], 'constant'> | InitRuleObjectSpec;
/** `init:` of a layer with parameters; a parameter not named keeps PyTorch's reset_parameters() rule. */
export interface InitSpec {
  readonly weight?: InitRuleSpec;
  readonly bias?: InitRuleSpec;
}

export interface Conv2dSpec extends LayerBase {
  readonly kind: 'conv2d';
  /** Optional: inferred; when given, must agree with the inferred value. */
  readonly in_channels?: number;
  readonly out_channels: number;
  readonly kernel_size: IntOrPair;
  readonly stride?: IntOrPair; // 1
  readonly padding?: IntOrPair | 'valid' | 'same'; // 0
  readonly dilation?: IntOrPair; // 1
  readonly groups?: number; // 1
  readonly bias?: boolean; // true
  /** The float32 wasm path's algorithm (compiler/ir/conv-algorithm.ts); auto: chosen from the shapes. */
  readonly algorithm?: 'auto' | 'im2col' | 'winograd' | 'winograd4' | 'direct' | 'depthwise'; // auto
  readonly init?: InitSpec;
}
export interface MaxPool2dSpec extends LayerBase {
  readonly kind: 'maxpool2d';
  readonly kernel_size: IntOrPair;
  readonly stride?: IntOrPair; // = kernel_size
  readonly padding?: IntOrPair; // 0, at most kernel_size / 2 (PyTorch's rule)
  readonly ceil_mode?: boolean; // false
}
export interface AvgPool2dSpec extends LayerBase {
  readonly kind: 'avgpool2d';
  readonly kernel_size: IntOrPair;
  readonly stride?: IntOrPair;
  readonly padding?: IntOrPair;
  readonly ceil_mode?: boolean; // false
  readonly count_include_pad?: boolean; // true
}
export interface BatchNorm2dSpec extends LayerBase {
  readonly kind: 'batchnorm2d';
  readonly num_features?: number; // inferred
  readonly eps?: number; // 1e-5
  readonly momentum?: number; // 0.1
  readonly affine?: boolean; // true
  readonly init?: InitSpec;
}
export interface LeakyReluSpec extends LayerBase { readonly kind: 'leaky_relu'; readonly negative_slope?: number } // 0.01
export interface DropoutSpec extends LayerBase { readonly kind: 'dropout' | 'dropout2d'; readonly p?: number } // 0.5, in [0, 1)
export interface LinearSpec extends LayerBase {
  readonly kind: 'linear';
  readonly in_features?: number; // inferred
  readonly out_features: number;
  readonly bias?: boolean; // true
  readonly init?: InitSpec;
}
/** nn.ConvTranspose2d: weight [in, out/groups, kh, kw]. */
export interface ConvTranspose2dSpec extends LayerBase {
  readonly kind: 'conv_transpose2d';
  readonly in_channels?: number; // inferred
  readonly out_channels: number;
  readonly kernel_size: IntOrPair;
  readonly stride?: IntOrPair; // 1
  readonly padding?: IntOrPair; // 0
  readonly output_padding?: IntOrPair; // 0, smaller than stride or dilation
  readonly dilation?: IntOrPair; // 1
  readonly groups?: number; // 1
  readonly bias?: boolean; // true
  readonly init?: InitSpec;
}
/** nn.Upsample: exactly one of size and scale_factor. */
export interface UpsampleSpec extends LayerBase {
  readonly kind: 'upsample';
  readonly size?: IntOrPair;
  readonly scale_factor?: number | readonly [number, number];
  readonly mode?: 'nearest' | 'bilinear'; // nearest
  readonly align_corners?: boolean; // bilinear only; PyTorch's None behaves as false
}
/** nn.AdaptiveAvgPool2d / nn.AdaptiveMaxPool2d(output_size): an integer for both axes, or [h, w]. */
export interface AdaptivePool2dSpec extends LayerBase {
  readonly kind: 'adaptive_avgpool2d' | 'adaptive_maxpool2d';
  readonly output_size: IntOrPair;
}
/** add (elementwise sum, shapes equal) and concat (along channels, dim 1): two or more inputs. */
export interface JoinSpec extends LayerBase {
  readonly kind: 'add' | 'concat';
  readonly inputs: readonly string[];
}
export interface PlainSpec extends LayerBase {
  readonly kind: 'flatten' | 'softmax' | 'log_softmax' | 'global_avgpool2d';
}
/** The activations without attributes (compiler/ir/activations.ts). */
export interface PlainActivationSpec extends LayerBase {
  readonly kind: 'relu' | 'relu6' | 'hardtanh' | 'hardswish' | 'hardsigmoid' | 'silu' | 'sigmoid' | 'tanh';
}

export type LayerSpec =
  | Conv2dSpec
  | MaxPool2dSpec
  | AvgPool2dSpec
  | BatchNorm2dSpec
  | LeakyReluSpec
  | DropoutSpec
  | LinearSpec
  | ConvTranspose2dSpec
  | UpsampleSpec
  | AdaptivePool2dSpec
  | JoinSpec
  | PlainSpec
  | PlainActivationSpec;

/** `reduction` as PyTorch's; `scale` is a term's coefficient in a sum of losses (not `weight`, which
 *  keeps PyTorch's meaning: per-class weights). */
export type Reduction = 'mean' | 'sum' | 'none';
interface LossTermBase {
  readonly scale?: number; // 1
}
export type LossTermSpec =
  | (LossTermBase & {
      readonly kind: 'cross_entropy';
      readonly label_smoothing?: number; // 0
      readonly weight?: readonly number[];
      readonly ignore_index?: number; // -100
      readonly reduction?: Reduction; // mean
    })
  | (LossTermBase & { readonly kind: 'nll'; readonly weight?: readonly number[]; readonly ignore_index?: number; readonly reduction?: Reduction })
  | (LossTermBase & { readonly kind: 'bce'; readonly reduction?: Reduction })
  | (LossTermBase & { readonly kind: 'bce_with_logits'; readonly pos_weight?: number | readonly number[]; readonly reduction?: Reduction })
  | (LossTermBase & { readonly kind: 'focal'; readonly gamma?: number; readonly alpha?: number; readonly reduction?: Reduction }) // 2, 0.25
  | (LossTermBase & { readonly kind: 'dice'; readonly smooth?: number; readonly from_logits?: boolean; readonly ignore_index?: number }); // 1, false, -100

/** One term, or a list of terms that is summed. */
export type LossSpec = LossTermSpec | readonly LossTermSpec[];

export type OptimizerSpec =
  | {
      readonly kind: 'sgd';
      readonly lr: number; // required, as torch.optim.SGD in 1.13
      readonly momentum?: number;
      readonly dampening?: number;
      readonly nesterov?: boolean; // requires momentum > 0 and dampening 0
      readonly weight_decay?: number;
    }
  | {
      readonly kind: 'adam' | 'adamw';
      readonly lr?: number; // 0.001
      readonly betas?: readonly [number, number]; // [0.9, 0.999]
      readonly eps?: number; // 1e-8
      readonly weight_decay?: number; // adam 0, adamw 0.01
      readonly amsgrad?: boolean; // false
    }
  | {
      readonly kind: 'rmsprop';
      readonly lr?: number; // 0.01
      readonly alpha?: number; // 0.99
      readonly eps?: number; // 1e-8
      readonly weight_decay?: number; // 0
      readonly momentum?: number; // 0
      readonly centered?: boolean; // false
    }
  | {
      readonly kind: 'adagrad';
      readonly lr?: number; // 0.01
      readonly lr_decay?: number; // 0
      readonly weight_decay?: number; // 0
      readonly initial_accumulator_value?: number; // 0
      readonly eps?: number; // 1e-10
    }
  | {
      readonly kind: 'adadelta';
      readonly lr?: number; // 1.0
      readonly rho?: number; // 0.9
      readonly eps?: number; // 1e-6
      readonly weight_decay?: number; // 0
    };

export interface TrainSpec {
  readonly batch_size?: number; // 64
  readonly epochs?: number; // 1
  readonly seed?: number; // 0
  readonly eval_batch_size?: number; // batch_size
  readonly shuffle?: boolean; // true
  readonly clip_grad_norm?: { readonly max_norm: number; readonly norm_type?: number | 'inf' }; // norm_type 2
  readonly clip_grad_value?: { readonly clip_value: number };
  readonly early_stopping?: {
    readonly monitor?: MetricName; // val_loss
    readonly patience?: number; // 0
    readonly min_delta?: number; // 0
    readonly mode?: 'auto' | 'min' | 'max'; // auto
  };
}

/** torch.optim.lr_scheduler's names and arguments (runtime/train/schedule.ts), and when it steps; one_cycle_lr
 *  steps every batch, reduce_lr_on_plateau every epoch on `monitor`. */
export type SchedulerSpec = ScheduleSpec & { readonly interval?: 'epoch' | 'step'; readonly monitor?: MetricName };

/** What is learnt from the images (runtime/data/tasks.ts has the rules): each image's class, real images
 *  against fakes made from them, or a per-pixel label map. The runtime's type (runtime/contracts.ts). */
export type { DataTask };
export type DataSpec =
  | ({ readonly source: 'mnist'; readonly task?: DataTask; readonly val_split?: number } & TransformsSpec)
  | ({ readonly source: 'idx'; readonly path: string; readonly task?: DataTask; readonly val_split?: number } & TransformsSpec)
  | ({ readonly source: 'folder'; readonly path: string } & ImageDataSpec)
  | ({ readonly source: 'csv'; readonly train: string; readonly test: string; readonly val?: string } & ImageDataSpec);

/** A user's own images (folders or CSV manifests): classification only. */
export interface ImageDataSpec extends TransformsSpec {
  readonly task?: 'classification';
  /** The class names in index order; default the train split's, sorted (torchvision's ImageFolder). */
  readonly classes?: readonly string[];
  /** A stratified, seeded fraction of train held out for validation. */
  readonly val_split?: number;
}

export interface TransformsSpec {
  /** Eval (and, without train_transforms, training) preprocessing: deterministic transforms only. */
  readonly transforms?: readonly TransformItemSpec[];
  readonly train_transforms?: readonly TransformItemSpec[];
}

/** torchvision.transforms' names and arguments (runtime/data/transforms/types.ts); a bare word for one
 *  without required arguments. */
export type TransformItemSpec = 'random_horizontal_flip' | 'color_jitter' | TransformSpec;

/** A value in a block definition: as written, or `$arg` (the instance's argument). */
export type BlockValue = number | boolean | string | readonly (number | boolean | string)[];

/** `{ kind: sequential, name, layers }`: torch.nn.Sequential; unnamed children are named by position. */
export interface SequentialSpec {
  readonly kind: 'sequential';
  readonly name?: string;
  readonly inputs?: readonly string[];
  readonly when?: boolean;
  readonly layers: readonly LayerItemSpec[];
}

/** `{ block: Name, name, repeat, args, first }`: an instance of a block of `blocks` (3-lower/blocks.ts expands it). */
export interface BlockInstanceSpec {
  readonly block: string;
  readonly name?: string;
  readonly inputs?: readonly string[];
  readonly when?: boolean;
  readonly repeat?: number;
  readonly args?: Readonly<Record<string, BlockValue>>;
  readonly first?: Readonly<Record<string, BlockValue>>;
}

/** An item of `layers` as written: a layer (or bare word), a sequential, or a block instance. */
export type LayerItemSpec = string | LayerSpec | SequentialSpec | BlockInstanceSpec;

export type BlockArgType = 'integer' | 'number' | 'boolean' | 'string' | 'list';
/** A block's argument: a type word, or a type with a default. */
export type BlockArgSpec = BlockArgType | { readonly type: BlockArgType; readonly default?: BlockValue; readonly description?: string };

/** A definition under `blocks`: its items may hold `$arg` anywhere, checked per instance after substitution. */
export interface BlockSpec {
  readonly description?: string;
  /** true: the block is an nn.Sequential (torchvision's Conv2dNormActivation): its layers are named by position. */
  readonly sequential?: boolean;
  readonly args?: Readonly<Record<string, BlockArgSpec>>;
  readonly layers: readonly unknown[];
}

export interface Spec {
  readonly cnnc: 1;
  /** An identifier: the generated class is named after it. */
  readonly name: string;
  /** Free text, shown by inspect; reaches generated code only as an escaped comment. */
  readonly description?: string;
  readonly input: { readonly shape: readonly number[] }; // [C, H, W]
  /** As written: layers (bare words expanded), sequentials and block instances; 3-lower/blocks.ts flattens them. */
  readonly layers: readonly LayerItemSpec[];
  readonly blocks?: Readonly<Record<string, BlockSpec>>;
  readonly loss: LossSpec;
  readonly optimizer: OptimizerSpec;
  readonly scheduler?: SchedulerSpec;
  readonly train?: TrainSpec;
  readonly data?: DataSpec;
}

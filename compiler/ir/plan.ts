// The plan: what the passes (compiler/4-passes/) decide about a ModelIR, as plain data, computed once
// and rendered by every target (TypeScript, gpu.js; PyTorch and ONNX next). For every node a flat,
// fully resolved record, as TensorFlow.js computes Conv2DInfo once for every backend: its geometry and
// index tables, where it reads and writes (buffers, which gradients it writes), its fusions, its
// readers, and the text of its comment. A renderer reads this and decides nothing it already says.
import type { ConvAlgorithm, Conv2dGeometry } from '../../runtime/wasm/conv.js';
import type { ModelIR, Node, ParamInfo } from './types.js';
import type { OutputKind } from '../../runtime/app.js';

// --- The memory plan (4-passes/memory.ts) ---

export type Arena = 'values' | 'grads' | 'indices' | 'scratch';
/** What a buffer holds; never contains `_`, so `<node>_<what>` field names cannot collide. */
export type BufferWhat = 'y' | 'dY' | 'mask' | 'argmax' | 'col' | 'dCol' | 'mean' | 'invstd' | 'prob' | 'lse' | 'foldW' | 'foldB' | `dX${number}`;

export interface BufferSlot {
  /** Field name in the generated class: `<node>_<what>`. */
  readonly field: string;
  readonly node: string;
  readonly what: BufferWhat;
  readonly arena: Arena;
  /** Elements per sample (values, grads, indices) or in all (scratch). */
  readonly size: number;
  /** Offset per sample (times the capacity) or absolute (scratch). */
  readonly offset: number;
}

export interface ParamSlot extends ParamInfo {
  readonly node: string;
  /** Offset in the params (and grads) array. */
  readonly offset: number;
}

/** Where one node reads and writes. Fields name BufferSlots; `null` x is the model input. */
export interface NodeIO {
  readonly node: string;
  /** = xs[0] */
  readonly x: string | null;
  /** Each input's value, in `inputs` order. */
  readonly xs: readonly (string | null)[];
  readonly y: string | null;
  /** Gradient of the (first) input, or null when the input needs none; = dXs[0]. */
  readonly dX: string | null;
  /** Where backward writes the gradient of each input (null: that input needs none). */
  readonly dXs: readonly (string | null)[];
  /** After this node's backward (or in its place, for an alias): `into += from` over n·size elements,
   *  for its input number `input` (also read by a later layer, which wrote `into`). */
  readonly accumulate: readonly { readonly input: number; readonly from: string; readonly into: string; readonly size: number }[];
  readonly dY: string | null;
  /** Whether <node>_backward runs (false: no parameter upstream, an alias, or fused into the loss). */
  readonly backward: boolean;
  /** Flatten: no kernel, the output is the input's buffer. */
  readonly alias: boolean;
}

export interface MemoryPlan {
  readonly params: readonly ParamSlot[];
  readonly paramSize: number;
  readonly buffers: readonly BufferSlot[];
  /** Per-sample sizes of the n-scaled arenas, and the scratch size. */
  readonly perSample: { readonly values: number; readonly grads: number; readonly indices: number };
  readonly scratchSize: number;
  readonly io: readonly NodeIO[];
  /** The model output's value buffer. */
  readonly output: string | null;
  /** The buffer the loss writes its gradient into (the output's dY, or the fused node's dX). */
  readonly lossGrad: string | null;
  /** The softmax of the logits that several loss terms read (fuse.ts, planLossSoftmax), computed once per
   *  loss: `prob` as the output [C, inner...], `lse` = log Σ exp per row [inner]; null when no two terms share it. */
  readonly lossSoftmax: { readonly terms: readonly number[]; readonly prob: string; readonly lse: string } | null;
}

// --- Fusions (4-passes/fuse.ts) ---

export interface LossFusion {
  /** The node whose backward the loss replaces, or null when the loss reads the output as is. */
  readonly fusedNode: string | null;
  /** Human-readable reason, printed in the generated code. */
  readonly note: string;
}

// --- Per-node records (4-passes/geometry.ts, 4-passes/comments.ts) ---

/**
 * A convolution's geometry, resolved once (TensorFlow.js's Conv2DInfo): the runtime's Conv2dGeometry (what
 * the generated module hands the wasm kernels), and what the renderers derive from it. For conv2d, x [cin, h, w] →
 * y [cout, ho, wo]; for conv_transpose2d the same names (its padding is symmetric: top = bottom, left =
 * right). One group's column matrix is [k × p]: conv2d k = cig·kh·kw rows over p = ho·wo output
 * positions; conv_transpose2d k = cog·kh·kw rows over p = h·w input positions.
 */
export interface ConvGeometry extends Conv2dGeometry {
  /** Padding after the last row and column (conv_transpose2d: = top, left). */
  readonly bottom: number;
  readonly right: number;
  /** Input and output channels per group. */
  readonly cig: number;
  readonly cog: number;
  readonly k: number;
  readonly p: number;
  /** Elements per sample of x and y. */
  readonly inS: number;
  readonly outS: number;
  /** conv2d 1×1, stride 1, unpadded: the input is its own column matrix (no im2col, no col buffer). */
  readonly pointwise: boolean;
  /** The float32 wasm path's algorithm (4-passes/geometry.ts: convAlgorithm); conv_transpose2d: im2col. */
  readonly algorithm: ConvAlgorithm;
  /** The backward pass's: the same but for a direct forward whose backward measured faster by im2col. */
  readonly backward: ConvAlgorithm;
  /** Auto's Winograd (either pass) runs on batches of at least this many samples, im2col on smaller ones, where the
   *  filter transform costs more than the products save (ir/conv-algorithm.ts winogradMinBatch); 1: every batch. */
  readonly winogradFrom: number;
  /** It, and why, as the TypeScript module's comment on the layer's geometry prints it:
   *  `wasm: winograd F(2×2,3×3) (auto: 3×3, stride 1, 32→64 channels)`. */
  readonly algorithmNote: string;
}

/** One axis of an upsample: PyTorch 1.13's source-index rule, resolved (aten/src/ATen/native/UpSample.h). */
export interface UpsampleAxis {
  readonly inSize: number;
  readonly outSize: number;
  /** area_pixel_compute_scale: 1/scale_factor when given, else in/out; align_corners (in − 1)/(out − 1). */
  readonly scale: number;
  /** nearest: the source index of every output index, min(floor(dst · float32(scale)), in − 1). */
  readonly nearest: readonly number[] | null;
}

export interface UpsampleGeometry {
  readonly h: UpsampleAxis;
  readonly w: UpsampleAxis;
}

/**
 * A maxpool2d's or avgpool2d's window, resolved once: x [c, h, w] → y [c, ho, wo], kernel kh×kw, stride
 * sh×sw, padding ph×pw on both sides. Output (oh, ow)'s window starts at (oh·sh − ph, ow·sw − pw).
 */
export interface PoolGeometry {
  readonly c: number; readonly h: number; readonly w: number; readonly ho: number; readonly wo: number;
  readonly kh: number; readonly kw: number; readonly sh: number; readonly sw: number; readonly ph: number; readonly pw: number;
  /** No padding and every window inside the input (never false without ceil_mode and padding): the unrolled and wasm paths. */
  readonly inside: boolean;
  /** Per axis [h, w]: whether the last window runs past the end of the padded input (only with ceil_mode). Its avgpool
   *  divisor counts only the part inside the padded input (PyTorch's pool_size, aten/src/ATen/native/cpu/AvgPoolKernel.cpp),
   *  and without padding its end is clipped to the input. */
  readonly pastEnd: readonly [boolean, boolean];
}

/** One axis of an adaptive pool: output i pools input [start[i], end[i]), PyTorch 1.13's rule in integers
 *  (aten/src/ATen/native/AdaptivePooling.h): start = ⌊i·in/out⌋, end = ⌈(i + 1)·in/out⌉. */
export interface AdaptiveAxis {
  readonly inSize: number;
  readonly outSize: number;
  readonly start: readonly number[];
  readonly end: readonly number[];
}

/** An adaptive_avgpool2d's or adaptive_maxpool2d's windows: x [c, h, w] → y [c, h.outSize, w.outSize]. */
export interface AdaptivePoolGeometry {
  readonly c: number;
  readonly h: AdaptiveAxis;
  readonly w: AdaptiveAxis;
  /** Every window is k×k with stride k (out divides in): the same windows as a pool of kernel and stride in/out. */
  readonly uniform: boolean;
}

/** A node's resolved geometry, by kind (only the kinds whose renderers need more than the IR's shapes). */
export type Geometry =
  | { readonly kind: 'conv'; readonly conv: ConvGeometry }
  | { readonly kind: 'pool'; readonly pool: PoolGeometry }
  | { readonly kind: 'upsample'; readonly upsample: UpsampleGeometry }
  | { readonly kind: 'adaptive'; readonly adaptive: AdaptivePoolGeometry }
  | { readonly kind: 'none' };

/** One edge of the graph: `reader` reads this node as its input number `input`. */
export interface ReadEdge {
  readonly reader: string;
  readonly input: number;
}

export interface NodePlan {
  readonly node: Node;
  /** The one-line comment every renderer prints above the layer. */
  readonly comment: string;
  readonly geometry: Geometry;
  readonly io: NodeIO;
  /** Every (reader, input) edge that reads this node's output, in node order. */
  readonly readers: readonly ReadEdge[];
  /** conv2d: the relu its kernels also do (fuse.ts, planReluFusion); null when none. */
  readonly fusedRelu: string | null;
  /** relu: the conv2d whose kernels do its work; its own kernels are not rendered. */
  readonly fusedInto: string | null;
  /** Its backward is replaced by the loss (log_softmax + nll). */
  readonly fusedIntoLoss: boolean;
  /** conv2d: the batchnorm2d folded into it for inference (fuse.ts, planBnFolding): forward in eval mode
   *  computes W' = W·a, b' = b·a + β − μ·a (a = γ/√(var + ε), the bn's eval) into the scratch buffers
   *  `weight` and `bias` and runs the conv with them into the bn's output, and the relu after the bn (its
   *  only reader) with it where `relu` names one, on batches of at least `from` samples; on smaller ones the
   *  conv, bn and relu run as in training's forward (fuse.ts foldMinBatch: the fold's pass over the weights would
   *  cost more than the bn's over the outputs). Null when none. */
  readonly evalFold: { readonly bn: string; readonly relu: string | null; readonly from: number; readonly weight: string; readonly bias: string } | null;
  /** batchnorm2d, or the relu after it: the conv2d it is folded into for inference (its own forward then does not run). */
  readonly evalFoldedInto: string | null;
}

/** What a target's kernels can do, which decides the fusions the passes plan for it. */
export interface TargetCaps {
  readonly name: 'ts' | 'gpujs' | 'pytorch';
  /** A kernel may write more than one tensor (the TypeScript target's functions; not one gpu.js kernel). */
  readonly multiOutputKernels: boolean;
}

export interface PlannedModel {
  readonly ir: ModelIR;
  readonly target: TargetCaps;
  readonly lossFusion: LossFusion;
  readonly memory: MemoryPlan;
  /** One record per IR node, in the IR's (topological) order. */
  readonly nodes: readonly NodePlan[];
  /** The comment of each loss term (4-passes/comments.ts), in the order of ir.loss.terms. */
  readonly lossComments: readonly string[];
  /** What the output holds (4-passes/output.ts): the module's metadata.output, which predict reads. */
  readonly output: OutputKind;
}


/** The conv geometry of a conv2d or conv_transpose2d record. */
export function convOf(np: NodePlan): ConvGeometry {
  if (np.geometry.kind !== 'conv') throw new Error(`cnnc internal error: ${np.node.name} has no conv geometry`);
  return np.geometry.conv;
}

/** The pool geometry of a maxpool2d or avgpool2d record. */
export function poolOf(np: NodePlan): PoolGeometry {
  if (np.geometry.kind !== 'pool') throw new Error(`cnnc internal error: ${np.node.name} has no pool geometry`);
  return np.geometry.pool;
}

/** The windows of an adaptive_avgpool2d or adaptive_maxpool2d record. */
export function adaptiveOf(np: NodePlan): AdaptivePoolGeometry {
  if (np.geometry.kind !== 'adaptive') throw new Error(`cnnc internal error: ${np.node.name} has no adaptive pool geometry`);
  return np.geometry.adaptive;
}

/** The upsample geometry of an upsample record. */
export function upsampleOf(np: NodePlan): UpsampleGeometry {
  if (np.geometry.kind !== 'upsample') throw new Error(`cnnc internal error: ${np.node.name} has no upsample geometry`);
  return np.geometry.upsample;
}

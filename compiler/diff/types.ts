// ModelDiff: what `cnnc diff` found, as plain JSON data. `--format json` prints it as is; the text
// and markdown formatters only render it. Attribute and setting names are the spec's (PyTorch's):
// `out_channels`, `kernel_size`, `label_smoothing`; values are the resolved IR values.
import type { NodeKind, Shape } from '../ir/types.js';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

export interface Change<T = Json> {
  readonly old: T;
  readonly new: T;
}

/** A number old → new; `percent` is null when old is 0. */
export interface Delta extends Change<number> {
  readonly delta: number;
  readonly percent: number | null;
}

/** One side of a layer row. */
export interface LayerSide {
  readonly name: string;
  /** Position in the model's node list. */
  readonly index: number;
  readonly named: boolean;
  readonly inShape: Shape;
  readonly outShape: Shape;
  readonly params: number;
  readonly macs: number;
  /** Its state_dict tensors (weights and buffers), PyTorch names. */
  readonly tensors: readonly string[];
  /** A layer written in a block's definition: the block, the layer's path in it (`conv1`, `downsample.0`) and the instance (`layer1.0`). */
  readonly block?: { readonly name: string; readonly layer: string; readonly instance: string };
}

/** One edit of a block's definition, once, with every instance it changes (their layers fold into it). */
export interface BlockEdit {
  readonly block: string;
  /** The layer's path in the block: `conv1`, `downsample.0`. */
  readonly layer: string;
  readonly kind: NodeKind;
  /** What the user changed (inferred consequences stay with each layer). */
  readonly attrs: readonly AttrChange[];
  /** The instances, in model order: `layer1.0`, `layer1.1`, … */
  readonly instances: readonly string[];
  /** Indices into ModelDiff.layers of the layers it stands for. */
  readonly rows: readonly number[];
  /** Those layers' parameters and MACs, all together. */
  readonly params: Change<number>;
  readonly macs: Change<number>;
}

/**
 * - added / removed: only on one side.
 * - changed: an attribute the user controls changed (out_channels, stride, p, …).
 * - affected: its own attributes did not change, but its input did, so its shape, inferred sizes
 *   (in_channels, in_features, num_features), params or MACs did.
 * - unchanged: same attributes, same shapes (possibly renamed: see `rename`).
 */
export type LayerStatus = 'added' | 'removed' | 'changed' | 'affected' | 'unchanged';

export interface AttrChange extends Change {
  /** The spec's name for it: `out_channels`, `kernel_size`, `padding`, … */
  readonly attr: string;
  /** True for sizes inferred from the input (in_channels, in_features, num_features). */
  readonly inferred: boolean;
  /** What the change means for the user, where the values alone do not say it (`init.weight`). */
  readonly note?: string;
}

export interface LayerDiff {
  readonly status: LayerStatus;
  readonly kind: NodeKind;
  readonly old: LayerSide | null;
  readonly new: LayerSide | null;
  /** Set when both sides exist and the name differs — also when an unnamed layer's generated name
   *  (`conv2d_2` → `conv2d_3`) moved because a layer of its kind was inserted or removed before it. */
  readonly rename: Change<string> | null;
  readonly attrs: readonly AttrChange[];
}

/**
 * Loading the old weights into the new model by name, as PyTorch's load_state_dict does:
 * - kept: same name, same shape, same layer — loads.
 * - misplaced: same name and shape but from a different layer (e.g. the numbering of unnamed
 *   layers shifted) — it loads, silently, into the wrong layer.
 * - reshaped: same name, another shape — does not load (PyTorch: "size mismatch").
 * - renamed: the same layer's tensor under a new name — does not load under the old name.
 * - added: only the new model has it — starts from its initializer.
 * - removed: only the old checkpoint has it — unused.
 */
export type TensorStatus = 'kept' | 'misplaced' | 'reshaped' | 'renamed' | 'added' | 'removed';

export interface TensorDiff {
  readonly status: TensorStatus;
  /** The new model's name for it; for `removed`, the old name. */
  readonly name: string;
  /** The old name, where it differs (renamed). */
  readonly oldName: string | null;
  readonly oldShape: Shape | null;
  readonly newShape: Shape | null;
}

/**
 * - full: every tensor loads and none is left over: `load_state_dict(strict=True)` succeeds.
 * - partial: some tensors load (`strict=False`); `notLoaded` and `unused` say which do not.
 * - none: no tensor of the old checkpoint loads.
 */
export interface CheckpointVerdict {
  readonly kind: 'full' | 'partial' | 'none';
  /** New tensors that load from the old checkpoint (kept and misplaced). */
  readonly loaded: readonly string[];
  /** New tensors that do not load (reshaped, renamed, added). */
  readonly notLoaded: readonly string[];
  /** Old tensors nothing in the new model takes (removed, and the old names of renamed ones). */
  readonly unused: readonly string[];
  /** Tensors that load into a different layer than they came from. */
  readonly misplaced: readonly string[];
}

export interface CheckpointDiff {
  readonly tensors: readonly TensorDiff[];
  readonly verdict: CheckpointVerdict;
}

export type RecipeSection = 'loss' | 'optimizer' | 'scheduler' | 'train' | 'data';

export interface SettingChange extends Change {
  readonly section: RecipeSection;
  /** The spec's key: `kind`, `lr`, `label_smoothing`, `batch_size`, … */
  readonly key: string;
  /** What the change means, in plain words, where its meaning is not obvious from the numbers. */
  readonly note: string | null;
}

export interface LintChange {
  readonly code: string;
  /** The layer it points at (the new name for introduced warnings, the old one for removed), or null. */
  readonly layer: string | null;
  readonly message: string;
}

export interface ModelDiff {
  readonly old: { readonly file: string; readonly name: string };
  readonly new: { readonly file: string; readonly name: string };
  /** True when nothing with a meaning changed: comments, formatting, key order and spelled-out defaults do not count. */
  readonly identical: boolean;
  readonly name: Change<string> | null;
  readonly input: Change<Shape> | null;
  readonly output: Change<Shape> | null;
  /** Every aligned layer, in the new model's order with removed layers where they stood. */
  readonly layers: readonly LayerDiff[];
  readonly totals: {
    readonly params: Delta;
    readonly macs: Delta;
    /** At each side's own train.batch_size. */
    readonly trainingBytes: Delta;
  };
  readonly checkpoint: CheckpointDiff;
  readonly settings: readonly SettingChange[];
  readonly lints: { readonly introduced: readonly LintChange[]; readonly removed: readonly LintChange[] };
  /** Edits of a block's definition that change two or more instances alike (absent: none). */
  readonly blocks?: readonly BlockEdit[];
}

// What a layer's shape rule receives and returns. Each rule lives in layers/<kind>.ts, resolves
// PyTorch's defaults for its attributes, infers its output shape, lists its parameters with
// state_dict names, and counts its MACs. lower.ts fills in the fields every node shares.
import type { Code } from '../../diagnostics/codes.js';
import type { InitRule, Node, ParamInfo, Shape } from '../../ir/types.js';
import { fmtShape, product } from '../format.js';

/** Fields lower.ts derives for every node; a rule returns the rest. */
type Derived = 'index' | 'name' | 'named' | 'inputs' | 'inShapes' | 'paramCount' | 'outSize' | 'span';
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type LayerResult<N extends Node = Node> = DistributiveOmit<N, Derived>;

export interface LayerCtx {
  /** The node's name, as messages and parameter names use it. */
  readonly name: string;
  /** The (first) input shape (never unknown: lowering skips a layer whose input is unknown). */
  readonly x: Shape;
  /** Every input's shape, in `inputs` order (one for all kinds but add and concat). */
  readonly xs: readonly Shape[];
  /** The names of the nodes read, `input` for the model input, in `inputs` order. */
  readonly inputs: readonly string[];
  /** Reports at this layer's `key` value (the layer's `kind` when omitted, or the item for a bare word);
   *  a path (`['inputs', 1]`) points inside the value. */
  error(code: Code, message: string, key?: string | readonly (string | number)[], hint?: string): void;
}

/** The [C, H, W] a 2d layer needs, or null after reporting why not. */
export function needImage(ctx: LayerCtx, kind: string, hint?: string): readonly [number, number, number] | null {
  const x = ctx.x;
  if (x.length === 3) return [x[0]!, x[1]!, x[2]!];
  ctx.error(
    'E0407',
    `${ctx.name}: ${kind} needs a [C, H, W] input, but its input is ${fmtShape(x)}`,
    undefined,
    hint ?? `move \`${kind}\` before the \`flatten\``,
  );
  return null;
}

/** The feature count of the flat [F] input a layer needs, or null after reporting why not. */
export function needFlat(ctx: LayerCtx, kind: string): number | null {
  const x = ctx.x;
  if (x.length === 1) return x[0]!;
  ctx.error(
    'E0408',
    `${ctx.name}: ${kind} needs a flat [features] input, but its input is ${fmtShape(x)}`,
    undefined,
    `add \`- flatten\` before it (${fmtShape(x)} flattens to [${product(x)}])`,
  );
  return null;
}

export function param(
  layer: string,
  role: ParamInfo['role'],
  shape: readonly number[],
  trainable: boolean,
  init: InitRule,
): ParamInfo {
  return { name: `${layer}.${role}`, shape, role, trainable, init, size: product(shape) };
}

/** conv and linear: PyTorch's reset_parameters() (kaiming_uniform a=√5 → bound 1/√fanIn, bias U(±1/√fanIn)). */
export function weightAndBias(layer: string, weightShape: readonly number[], fanIn: number, bias: boolean): ParamInfo[] {
  const w = param(layer, 'weight', weightShape, true, { kind: 'kaiming_uniform', fanIn });
  if (!bias) return [w];
  return [w, param(layer, 'bias', [weightShape[0]!], true, { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) })];
}

/** Layers that keep their input's shape and have no parameters. */
export function sameShape(x: Shape): { readonly outShape: Shape; readonly params: readonly ParamInfo[]; readonly macs: number } {
  return { outShape: x, params: [], macs: 0 };
}

/** The channel rules conv2d and conv_transpose2d share: a written in_channels must equal the inferred one, and
 *  both channel counts must divide by groups. Reports each problem; true when all hold. */
export function convChannelsFit(inChannels: number | undefined, c: number, out: number, groups: number, ctx: LayerCtx): boolean {
  let ok = true;
  if (inChannels !== undefined && inChannels !== c) {
    ctx.error('E0406', `${ctx.name}: in_channels is ${inChannels}, but its input has ${c} channels`, 'in_channels',
      `remove \`in_channels\` (it is inferred) or make it ${c}`);
    ok = false;
  }
  if (c % groups !== 0) {
    ctx.error('E0405', `${ctx.name}: its ${c} input channels are not divisible by groups ${groups}`, 'groups');
    ok = false;
  }
  if (out % groups !== 0) {
    ctx.error('E0405', `${ctx.name}: out_channels ${out} is not divisible by groups ${groups}`, 'groups');
    ok = false;
  }
  return ok;
}

// A layer's attributes as the spec names them, resolved (PyTorch's defaults filled in), so that
// `kernel_size: 3` and `kernel_size: [3, 3]` compare equal and a default spelled out is no change.
import { isActivation, ruleOf } from '../ir/activations.js';
import { assertNever, type Node } from '../ir/types.js';
import type { AttrChange, Json } from './types.js';

export interface LayerAttrs {
  /** What the user controls: compared to align layers and to call a layer `changed`. */
  readonly own: Readonly<Record<string, Json>>;
  /** Sizes inferred from the input (in_channels, …): a change here makes a layer `affected`. */
  readonly inferred: Readonly<Record<string, Json>>;
}

const none: Readonly<Record<string, Json>> = {};

/** With `graph` (the node's model), a node that reads anything but the previous layer also has
 *  `inputs` among its own attributes, so re-wiring a skip shows as a change while a chain stays quiet. */
export function layerAttrs(n: Node, graph?: readonly Node[]): LayerAttrs {
  const a = kindAttrs(n);
  if (graph === undefined) return a;
  const prev = n.index === 0 ? 'input' : graph[n.index - 1]?.name;
  const implicit = n.inputs.length === 1 && n.inputs[0] === prev;
  return implicit ? a : { own: { inputs: [...n.inputs], ...a.own }, inferred: a.inferred };
}

function kindAttrs(n: Node): LayerAttrs {
  if (isActivation(n)) return { own: ruleOf(n).attrs(n), inferred: none };
  switch (n.kind) {
    case 'conv2d':
      return {
        own: {
          out_channels: n.outChannels,
          kernel_size: [...n.kernel],
          stride: [...n.stride],
          padding: { ...n.padding },
          dilation: [...n.dilation],
          groups: n.groups,
          bias: n.bias,
        },
        inferred: { in_channels: n.inChannels },
      };
    case 'maxpool2d':
      return { own: { kernel_size: [...n.kernel], stride: [...n.stride], padding: [...n.padding], ceil_mode: n.ceilMode }, inferred: none };
    case 'avgpool2d':
      return {
        own: {
          kernel_size: [...n.kernel],
          stride: [...n.stride],
          padding: [...n.padding],
          ceil_mode: n.ceilMode,
          count_include_pad: n.countIncludePad,
        },
        inferred: none,
      };
    case 'batchnorm2d':
      return { own: { eps: n.eps, momentum: n.momentum, affine: n.affine }, inferred: { num_features: n.numFeatures } };
    case 'dropout':
    case 'dropout2d':
      return { own: { p: n.p }, inferred: none };
    case 'linear':
      return { own: { out_features: n.outFeatures, bias: n.bias }, inferred: { in_features: n.inFeatures } };
    case 'conv_transpose2d':
      return {
        own: {
          out_channels: n.outChannels,
          kernel_size: [...n.kernel],
          stride: [...n.stride],
          padding: [...n.padding],
          output_padding: [...n.outputPadding],
          dilation: [...n.dilation],
          groups: n.groups,
          bias: n.bias,
        },
        inferred: { in_channels: n.inChannels },
      };
    case 'upsample':
      return {
        own: {
          ...(n.scaleFactor === null ? { size: [n.outShape[1]!, n.outShape[2]!] } : { scale_factor: [...n.scaleFactor] }),
          mode: n.mode,
          ...(n.mode === 'bilinear' ? { align_corners: n.alignCorners } : {}),
        },
        inferred: none,
      };
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d':
      return { own: { output_size: [n.outShape[1]!, n.outShape[2]!] }, inferred: none };
    case 'global_avgpool2d':
    case 'add':
    case 'concat':
      return { own: none, inferred: none };
    case 'flatten':
    case 'softmax':
    case 'log_softmax':
      return { own: none, inferred: none };
    default:
      return assertNever(n, 'layer kind');
  }
}

/** `init.weight` / `init.bias` where the two layers initialize a parameter differently: the torch.nn.init call
 *  (ParamInfo.initFrom, every argument resolved, so a default spelled out is no change) or PyTorch's default. */
export function initChanges(x: Node, y: Node): Omit<AttrChange, 'inferred'>[] {
  const rule = (n: Node, role: string): Json => {
    const p = n.params.find((q) => q.role === role);
    return p === undefined ? null : p.initFrom ?? 'reset_parameters() default';
  };
  return (['weight', 'bias'] as const)
    .filter((role) => rule(x, role) !== null && rule(y, role) !== null && rule(x, role) !== rule(y, role))
    .map((role) => ({ attr: `init.${role}`, old: rule(x, role), new: rule(y, role), note: INIT_NOTE }));
}

// Weights load by name and shape (checkpoint.ts), so they do; `cnnc train --resume` compares the spec's hash,
// which any edit of the spec changes, init included.
const INIT_NOTE = 'init only: the shapes are unchanged, so the old weights load as they are and only a fresh model draws by the new rule (cnnc train --resume still refuses: the spec hash changed)';

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  const ra = a as Readonly<Record<string, Json>>;
  const rb = b as Readonly<Record<string, Json>>;
  const ka = Object.keys(ra);
  return ka.length === Object.keys(rb).length && ka.every((k) => k in rb && jsonEqual(ra[k], rb[k]));
}

/** Fraction of `own` attributes with equal values, in [0, 1]; 1 for layers without attributes. */
export function attrSimilarity(a: LayerAttrs, b: LayerAttrs): number {
  const keys = new Set([...Object.keys(a.own), ...Object.keys(b.own)]);
  if (keys.size === 0) return 1;
  let same = 0;
  for (const k of keys) if (jsonEqual(a.own[k], b.own[k])) same++;
  return same / keys.size;
}

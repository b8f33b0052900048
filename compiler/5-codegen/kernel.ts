// What a layer emitter returns, and the small helpers every emitter shares.
// A kernel is plain data (its parameters and body text); the model emitter turns each argument's
// `ref` into a field of the generated class, and generate.ts prints it through ts-morph.
import type { BufferWhat, NodePlan } from '../ir/plan.js';
import type { ParamInfo } from '../ir/types.js';

export type Dtype = 'float32' | 'float64';

/** What a kernel argument is bound to in the generated class. */
export type Ref =
  | { readonly kind: 'x'; readonly input?: number } // the node's (input-th, default first) input value
  | { readonly kind: 'y' } // its output value
  | { readonly kind: 'dX'; readonly input?: number } // gradient of that input (written, never added to)
  | { readonly kind: 'dY' } // gradient of its output (read)
  | { readonly kind: 'valueOf'; readonly node: string } // another node's output value (a fused layer's)
  | { readonly kind: 'gradOf'; readonly node: string } // the gradient of another node's output (read)
  | { readonly kind: 'param'; readonly role: ParamInfo['role'] }
  | { readonly kind: 'grad'; readonly role: ParamInfo['role'] }
  | { readonly kind: 'buffer'; readonly what: BufferWhat }
  | { readonly kind: 'rng' }
  | { readonly kind: 'training' }
  | { readonly kind: 'n' };

export type ArgType = 'F' | 'I32' | 'Rng' | 'boolean' | 'number';

/** A kernel parameter; `ref` binds it in the model class (forward and backward only; helpers have none). */
export interface KernelArg {
  readonly name: string;
  readonly type: ArgType;
  readonly ref?: Ref;
}

export interface Kernel {
  /** Suffix after `<node>_`: `forward`, `backward`, `im2col`, ... (never contains `_`). */
  readonly suffix: string;
  readonly params: readonly KernelArg[];
  readonly body: string;
}

export interface LayerKernels {
  readonly forward: Kernel;
  /** Null when the layer has no backward (never asked for one). */
  readonly backward: Kernel | null;
  /** Helpers the kernels call (`conv1_im2col`), emitted before them. */
  readonly helpers: readonly Kernel[];
  /** Module-level constants the kernels read (`conv1_geometry`), as statements emitted before the layer's kernels; `<node>_<suffix>` names. */
  readonly constants?: { readonly suffix: string; readonly text: string };
}

/** What an emitter reads: the node's plan record (4-passes/plan.ts), and what follows from it. */
export interface EmitOptions {
  readonly dtype: Dtype;
  readonly plan: NodePlan;
  /** Whether backward must write dX (false for the first layer: the input needs no gradient). */
  readonly writesDX: boolean;
  /** The same, per input, for add and concat (`writesDX` = writesDXs[0]). */
  readonly writesDXs: readonly boolean[];
  /** Whether backward runs at all. */
  readonly backward: boolean;
}

export function emitOptions(np: NodePlan, dtype: Dtype): EmitOptions {
  return { dtype, plan: np, writesDX: np.io.dX !== null, writesDXs: np.io.dXs.map((d) => d !== null), backward: np.io.backward };
}

export { affine, indent, lines, lit, shapeText, size } from '../emit/kit.js';

export const arg = (name: string, type: ArgType, ref: Ref): KernelArg => ({ name, type, ref });
export const N = arg('n', 'number', { kind: 'n' });
export const X = arg('x', 'F', { kind: 'x' });
export const Y = arg('y', 'F', { kind: 'y' });
export const DX = arg('dX', 'F', { kind: 'dX' });
export const DY = arg('dY', 'F', { kind: 'dY' });

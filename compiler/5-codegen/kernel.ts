// What a layer emitter returns, and the small helpers every emitter shares.
// A kernel is plain data (its parameters and body text); the model emitter turns each argument's
// `ref` into a field of the generated class, and generate.ts prints it through ts-morph.
import type { BufferWhat } from '../4-passes/memory.js';
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
  /** One line: `conv1: conv2d 1→32, 3×3, stride 1 · x [n,1,28,28] → y [n,32,26,26]`. */
  readonly comment: string;
  readonly forward: Kernel;
  /** Null when the layer has no backward (never asked for one). */
  readonly backward: Kernel | null;
  /** Helpers the kernels call (`conv1_im2col`), emitted before them. */
  readonly helpers: readonly Kernel[];
  /** Module-level constants the kernels read (`conv1_geometry`), as statements emitted before the layer's kernels; `<node>_<suffix>` names. */
  readonly constants?: { readonly suffix: string; readonly text: string };
  /** The layer whose kernels do this one's work (a relu fused into the conv2d before it): this one's kernels are neither emitted nor called. */
  readonly fusedInto?: string;
}

export interface EmitOptions {
  readonly dtype: Dtype;
  /** Whether backward must write dX (false for the first layer: the input needs no gradient). */
  readonly writesDX: boolean;
  /** The same, per input, for add and concat (`writesDX` = writesDXs[0]). */
  readonly writesDXs: readonly boolean[];
  /** Whether backward runs at all. */
  readonly backward: boolean;
  /** conv2d: the relu layer after it whose forward and backward its kernels also do (4-passes/fuse.ts: planReluFusion). */
  readonly fusedRelu?: string;
  /** relu: the conv2d whose kernels do this layer's work. */
  readonly fusedInto?: string;
}

/** A number as a TypeScript literal; refuses what JSON cannot hold. */
export function lit(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`cnnc internal error: non-finite literal ${x}`);
  return Object.is(x, -0) ? '0' : String(x);
}

/** `a·v1 + b·v2 + c` as readable TypeScript, dropping zero terms and unit factors. */
export function affine(terms: readonly (readonly [number, string])[], c = 0): string {
  const parts: string[] = [];
  for (const [k, v] of terms) {
    if (k === 0) continue;
    parts.push(k === 1 ? v : `${v} * ${lit(k)}`);
  }
  let s = parts.join(' + ');
  if (c !== 0 || s === '') s = s === '' ? lit(c) : c > 0 ? `${s} + ${lit(c)}` : `${s} - ${lit(-c)}`;
  return s;
}

/** `[n,1,28,28]` */
export function shapeText(shape: readonly number[]): string {
  return `[n,${shape.join(',')}]`;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Indents a block of lines by `depth` levels of two spaces. */
export function lines(...ls: (string | readonly string[] | false | null)[]): string {
  const out: string[] = [];
  for (const l of ls) {
    if (l === false || l === null) continue;
    if (typeof l === 'string') out.push(l);
    else out.push(...l);
  }
  return out.join('\n');
}

export function indent(block: string, depth = 1): string[] {
  const pad = '  '.repeat(depth);
  return block.split('\n').map((l) => (l === '' ? l : pad + l));
}

export const arg = (name: string, type: ArgType, ref: Ref): KernelArg => ({ name, type, ref });
export const N = arg('n', 'number', { kind: 'n' });
export const X = arg('x', 'F', { kind: 'x' });
export const Y = arg('y', 'F', { kind: 'y' });
export const DX = arg('dX', 'F', { kind: 'dX' });
export const DY = arg('dY', 'F', { kind: 'dY' });

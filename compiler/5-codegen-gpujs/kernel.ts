// What a gpu.js layer emitter returns. A kernel is one gpu.js kernel: a 1-D output (NCHW laid out
// by the index math, so no output is ever more than 1-D), one thread per output element (gather
// style: each thread sums what it needs, no scatter, no atomics), every shape a literal. The body
// is JavaScript that gpu.js translates (GLSL, WGSL, wasm or JS); it goes into a template literal in
// the generated module, where `${n}` is the one runtime number, baked in when the kernel is compiled
// for a batch size. Kernel rules (gpu.js): loop bounds are literals, no closures, no helpers.
import type { NodePlan } from '../ir/plan.js';
import type { ParamInfo } from '../ir/types.js';

export interface GpuKernel {
  /** After `<node>_`: forward, argmax, dW, dB, dX, mean, ... (never contains `_`). */
  readonly suffix: string;
  /** Parameter names of the kernel function. */
  readonly params: readonly string[];
  /** Output length: elements per sample (times n) or a constant. */
  readonly length: { readonly perSample: number } | { readonly total: number };
  readonly body: string;
}

/** How the generated step names things for one node. */
export interface Ctx {
  /** The input tensor's variable, the output's, the output gradient's and (or null) the input gradient's. */
  readonly x: string;
  readonly y: string;
  readonly dY: string;
  readonly dX: string | null;
  /** Every input's variable, in `inputs` order (x is xs[0]), and where each input's gradient goes (dX is dXs[0]). */
  readonly xs: readonly string[];
  readonly dXs: readonly (string | null)[];
  /** Whether backward runs at all. */
  readonly backward: boolean;
  /** Kernel constant name: `conv1_forward`. */
  readonly k: (suffix: string) => string;
  /** Offset in P of a trainable parameter. */
  readonly offset: (role: ParamInfo['role']) => number;
  /** State-dict name of a parameter (buffers are addressed by it). */
  readonly tensor: (role: ParamInfo['role']) => string;
  /** The node's plan record (4-passes/plan.ts): its geometry, comment and fusions. */
  readonly plan: NodePlan;
}

export interface LayerCode {
  readonly kernels: readonly GpuKernel[];
  /** Statements of the forward step (generator code: `const y = yield this.run(...)`). */
  readonly forward: readonly string[];
  /** Statements of the backward step. */
  readonly backward: readonly string[];
  /** Parameter gradients this layer yields: variable name per trainable role. */
  readonly grads: ReadonlyArray<{ readonly role: ParamInfo['role']; readonly v: string }>;
}

/** The most tensors one kernel reads. On WebGPU each is a storage buffer, and so is the output: a device
 *  gets 8 per shader stage by default (maxStorageBuffersPerShaderStage; gpu.js asks for no more). On GL
 *  each is a texture: WebGL2 guarantees 16 units, and gpu.js binds past them without a word. */
export const MAX_KERNEL_INPUTS = 7;

/** `const v = yield this.run(k, n, args...)`. */
export function call(v: string, kernel: string, args: readonly string[]): string {
  return `const ${v} = yield this.run(${kernel}, n, ${args.join(', ')});`;
}

/** `head {`, the lines indented, `}`. */
export function block(head: string, inner: readonly string[]): string[] {
  return [`${head} {`, ...inner.map((l) => (l === '' ? l : `  ${l}`)), '}'];
}

/** The lines, run only where `cond` holds; a condition that always holds ('true': no padding) is folded away. */
export function guard(cond: string, inner: readonly string[]): string[] {
  return cond === 'true' ? [...inner] : block(`if (${cond})`, inner);
}

/** `v / k` with k = 1 folded away (index math on literals). */
export const over = (v: string, k: number): string => (k === 1 ? v : `Math.floor(${v} / ${k})`);
/** `v * k` with k = 1 folded away. */
export const times = (v: string, k: number): string => (k === 1 ? v : `${v} * ${k}`);

/** Splits the flat thread index into named coordinates of a row-major shape (first is outermost). */
export function unflatten(names: readonly string[], shape: readonly number[], from = 'this.thread.x'): string[] {
  const out: string[] = [];
  let rest = from;
  for (let d = 0; d < names.length; d++) {
    const stride = shape.slice(d + 1).reduce((a, b) => a * b, 1);
    const name = names[d]!;
    if (d === names.length - 1) {
      out.push(`const ${name} = ${rest};`);
    } else {
      out.push(`const ${name} = ${over(rest, stride)};`);
      const r = `r${d}`;
      out.push(`const ${r} = ${rest} - ${times(name, stride)};`);
      rest = r;
    }
  }
  return out;
}

/** `a*k + b` with unit factors and zero terms dropped (literal index math stays readable). */
export function sum(...terms: (readonly [string, number] | string | number)[]): string {
  const parts: string[] = [];
  for (const t of terms) {
    if (typeof t === 'number') { if (t !== 0) parts.push(String(t)); continue; }
    if (typeof t === 'string') { parts.push(t); continue; }
    const [v, k] = t;
    if (k === 0) continue;
    const m = Math.abs(k);
    const f = /^[A-Za-z0-9_.]+$/.test(v) ? v : `(${v})`; // a compound term keeps its sum together
    parts.push(`${k < 0 ? '-' : ''}${m === 1 ? f : `${f} * ${m}`}`);
  }
  return parts.length === 0 ? '0' : parts.join(' + ').replace(/\+ -/g, '- ');
}

/** Kernel bodies are blocks of lines, as in the TypeScript target. */
export { lines as body, shapeText } from '../emit/kit.js';

/** A number as a JavaScript literal inside a kernel (always with a point or exponent: a float). */
export function flt(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`cnnc internal error: non-finite literal ${x}`);
  const s = String(Object.is(x, -0) ? 0 : x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * A layer with a weight and an optional bias (linear, conv2d, conv_transpose2d): forward(x, P) into
 * its output; backward dW(x, dY), dB(dY) and dX(dY, P) where asked; its gradients by parameter role.
 */
export function weightedLayerCode(name: string, bias: boolean, c: Ctx, kernels: GpuKernel[]): LayerCode {
  const dWv = `dW_${name}`;
  const dBv = `dB_${name}`;
  return {
    kernels,
    forward: [call(c.y, c.k('forward'), [c.x, 'this.P'])],
    backward: c.backward
      ? [
          call(dWv, c.k('dW'), [c.x, c.dY]),
          ...(bias ? [call(dBv, c.k('dB'), [c.dY])] : []),
          ...(c.dX !== null ? [call(c.dX, c.k('dX'), [c.dY, 'this.P'])] : []),
        ]
      : [],
    grads: c.backward ? [{ role: 'weight', v: dWv }, ...(bias ? [{ role: 'bias' as const, v: dBv }] : [])] : [],
  };
}

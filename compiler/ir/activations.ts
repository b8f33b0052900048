// The elementwise activations as a table, one rule each, read by every phase: the lowering (3-lower:
// the node's attributes, PyTorch's defaults resolved), the comment and `cnnc diff` (its attributes as the
// spec names them), and both renderers (5-codegen, 5-codegen-gpujs: the forward and backward formulas).
// A formula is written once, as an expression over its operands, and each target prints it with its own
// number literals (`1` in TypeScript, `1.0` in a gpu.js kernel). Backward reads what PyTorch's does: the
// saved output (threshold_backward, sigmoid_backward, tanh_backward) or the input (leaky_relu_backward,
// hardtanh_backward, hardswish_backward, hardsigmoid_backward, silu_backward).
//
// Adding an activation: its schema entry, its spec type (compiler/spec/types.ts), its node type (types.ts:
// Node and ActivationNode), its rule here, its module in tools/pytorch/spec_to_torch.py, and one line in
// the PyTorch fixture spec test/fixtures/reference/specs/activations.yaml; the gradient check and the
// gpu.js parity build their cases from this table.
import type { LayerSpec } from '../spec/types.js';
import type { ActivationKind, ActivationNode, Node } from './types.js';

/** Prints a number as the target's literal. */
export type Num = (x: number) => string;

type NodeOf<K extends ActivationKind> = Extract<ActivationNode, { readonly kind: K }>;
/** The spec layers of kind K (a spec type may cover several bare kinds). */
export type SpecOf<K extends ActivationKind> = LayerSpec extends infer S ? (S extends { readonly kind: infer Q } ? (K extends Q ? S : never) : never) : never;
/** The attributes a rule resolves: the node's own fields. */
type Attrs<K extends ActivationKind> = Omit<NodeOf<K>, keyof Node | 'kind'>;

export interface ActivationRule<K extends ActivationKind> {
  /** The torch.nn module it mirrors (PyTorch 1.13), for the docs and the comment of generated code. */
  readonly torch: string;
  /** The node's attributes from the spec, PyTorch's defaults resolved. */
  lower(spec: SpecOf<K>): Attrs<K>;
  /** Its attributes under the spec's names, for the comment and `cnnc diff` ({} for none). */
  attrs(node: NodeOf<K>): Readonly<Record<string, number>>;
  /** y from v, the input element. */
  forward(v: string, node: NodeOf<K>, num: Num): string;
  /** What backward reads besides dY: the input element or the output element. */
  readonly saved: 'x' | 'y';
  /** dX from g, the output gradient element, and v, the saved element. */
  backward(g: string, v: string, node: NodeOf<K>, num: Num): string;
  /** The runtime's float32 wasm kernel for this rule, with its constants: a float32 module calls
   *  `rt.<kernel>(x, y, count, ...args)` and (unless `backward` is false) `rt.<kernel>Backward(saved, dY, dX,
   *  count, ...args)` first, and runs its own loop where they return false. The piecewise-linear kernels
   *  (runtime/wasm/relu.ts), hardswish and hardsigmoid (runtime/wasm/exact.ts) and every backward one give
   *  exactly the loop's bits; tanh, sigmoid and silu forward (runtime/wasm/smooth.ts) are within 1, 2 and 3
   *  units in the last place of it. */
  readonly fast?: (node: NodeOf<K>) => { readonly kernel: FastKernel; readonly args: readonly number[]; readonly backward?: false };
}

/** The runtime's activation kernels (runtime/wasm/relu.ts, smooth.ts, exact.ts). */
export type FastKernel = 'leakyRelu' | 'clamp' | 'tanh' | 'sigmoid' | 'silu' | 'hardswish' | 'hardsigmoid';

const none = (): Record<string, never> => ({});

export const ACTIVATIONS: { readonly [K in ActivationKind]: ActivationRule<K> } = {
  // y = x < 0 ? 0 : x: a NaN passes through, as torch.relu; threshold_backward(dY, y, 0) → dY·[y > 0].
  relu: {
    torch: 'nn.ReLU',
    lower: none,
    attrs: none,
    forward: (v, _n, num) => `${v} < 0 ? ${num(0)} : ${v}`,
    saved: 'y',
    backward: (g, v, _n, num) => `${v} > 0 ? ${g} : ${num(0)}`,
  },
  // y = min(max(x, 0), 6), NaN passing through (as hardtanh's clamp); hardtanh_backward(dY, x, 0, 6) →
  // dY·[0 < x < 6], reading the input as PyTorch's ReLU6 (Hardtanh(0, 6)) does.
  relu6: {
    torch: 'nn.ReLU6',
    lower: none,
    attrs: none,
    forward: (v, _n, num) => `${v} < ${num(0)} ? ${num(0)} : ${v} > ${num(6)} ? ${num(6)} : ${v}`,
    saved: 'x',
    backward: (g, v, _n, num) => `${v} > ${num(0)} && ${v} < ${num(6)} ? ${g} : ${num(0)}`,
    fast: () => ({ kernel: 'clamp', args: [0, 6] }),
  },
  // y = min(max(x, -1), 1) (torch.clamp, a NaN passing through); hardtanh_backward(dY, x, -1, 1) →
  // dY·[-1 < x < 1]: strict, so the gradient at either bound is 0, as relu6's.
  hardtanh: {
    torch: 'nn.Hardtanh',
    lower: none,
    attrs: none,
    forward: (v, _n, num) => `${v} < ${num(-1)} ? ${num(-1)} : ${v} > ${num(1)} ? ${num(1)} : ${v}`,
    saved: 'x',
    backward: (g, v, _n, num) => `${v} > ${num(-1)} && ${v} < ${num(1)} ? ${g} : ${num(0)}`,
    fast: () => ({ kernel: 'clamp', args: [-1, 1] }),
  },
  // y = x·min(max(x + 3, 0), 6) / 6, in that order (bit for bit PyTorch's CPU kernel, which divides by 6
  // last). hardswish_backward(dY, x) → 0 for x < -3, dY·(x/3 + 1/2) for x ≤ 3, else dY: so -dY/2 at x = -3
  // and 3·dY/2 at x = 3 (its element-wise kernel, and CUDA's; PyTorch 1.13's vectorized CPU loop tests
  // x ≥ 3 first and gives dY there, so torch on CPU answers either at exactly 3, by the element's position).
  hardswish: {
    torch: 'nn.Hardswish',
    lower: none,
    attrs: none,
    forward: (v, _n, num) => `${v} * (${v} + ${num(3)} < ${num(0)} ? ${num(0)} : ${v} + ${num(3)} > ${num(6)} ? ${num(6)} : ${v} + ${num(3)}) / ${num(6)}`,
    saved: 'x',
    backward: (g, v, _n, num) => `${v} < ${num(-3)} ? ${num(0)} : ${v} <= ${num(3)} ? ${g} * (${v} / ${num(3)} + ${num(0.5)}) : ${g}`,
    fast: () => ({ kernel: 'hardswish', args: [] }),
  },
  // y = min(max(x + 3, 0), 6) / 6; hardsigmoid_backward(dY, x) → dY·[-3 < x < 3]·one_sixth, strict at both
  // kinks. PyTorch 1.13's kernel spells one_sixth as 1.0f / 6.0f, 1/6 rounded to float32
  // (0.1666666716337204, 3e-8 above 1/6), in every dtype: the same constant here keeps float64 bit for bit.
  hardsigmoid: {
    torch: 'nn.Hardsigmoid',
    lower: none,
    attrs: none,
    forward: (v, _n, num) => `(${v} + ${num(3)} < ${num(0)} ? ${num(0)} : ${v} + ${num(3)} > ${num(6)} ? ${num(6)} : ${v} + ${num(3)}) / ${num(6)}`,
    saved: 'x',
    backward: (g, v, _n, num) => `${v} > ${num(-3)} && ${v} < ${num(3)} ? ${g} * ${num(Math.fround(1 / 6))} : ${num(0)}`,
    fast: () => ({ kernel: 'hardsigmoid', args: [] }),
  },
  // y = x / (1 + exp(-x)); silu_backward(dY, x) → dY·s·(1 + x·(1 - s)) with s = 1 / (1 + exp(-x)), reading
  // the input as PyTorch does (s computed twice: the formula is one expression).
  silu: {
    torch: 'nn.SiLU',
    lower: none,
    attrs: none,
    forward: (v, _n, num) => `${v} / (${num(1)} + Math.exp(-${v}))`,
    saved: 'x',
    backward: (g, v, _n, num) => {
      const s = `${num(1)} / (${num(1)} + Math.exp(-${v}))`;
      return `${g} * (${s}) * (${num(1)} + ${v} * (${num(1)} - ${s}))`;
    },
    fast: () => ({ kernel: 'silu', args: [] }),
  },
  leaky_relu: {
    torch: 'nn.LeakyReLU',
    lower: (spec) => ({ negativeSlope: spec.negative_slope ?? 0.01 }),
    attrs: (n) => ({ negative_slope: n.negativeSlope }),
    forward: (v, n, num) => `${v} > 0 ? ${v} : ${v} * ${num(n.negativeSlope)}`,
    saved: 'x',
    backward: (g, v, n, num) => `${v} > 0 ? ${g} : ${g} * ${num(n.negativeSlope)}`,
    fast: (n) => ({ kernel: 'leakyRelu', args: [n.negativeSlope] }),
  },
  sigmoid: {
    torch: 'nn.Sigmoid',
    lower: none,
    attrs: none,
    forward: (v, _n, num) => `${num(1)} / (${num(1)} + Math.exp(-${v}))`,
    saved: 'y',
    backward: (g, v, _n, num) => `${g} * ${v} * (${num(1)} - ${v})`,
    fast: () => ({ kernel: 'sigmoid', args: [] }),
  },
  tanh: {
    torch: 'nn.Tanh',
    lower: none,
    attrs: none,
    forward: (v) => `Math.tanh(${v})`,
    saved: 'y',
    backward: (g, v, _n, num) => `${g} * (${num(1)} - ${v} * ${v})`,
    fast: () => ({ kernel: 'tanh', args: [] }),
  },
};

export const ACTIVATION_KINDS = Object.keys(ACTIVATIONS) as readonly ActivationKind[];

export function isActivationKind(kind: string): kind is ActivationKind {
  return Object.prototype.hasOwnProperty.call(ACTIVATIONS, kind);
}

export function isActivation(node: Node): node is ActivationNode {
  return isActivationKind(node.kind);
}

export function isActivationSpec(spec: LayerSpec): spec is SpecOf<ActivationKind> {
  return isActivationKind(spec.kind);
}

/** The rule of a node, typed for it (the table is keyed by kind, so the lookup cannot miss). */
export function ruleOf<N extends ActivationNode>(node: N): ActivationRule<N['kind']> {
  return ACTIVATIONS[node.kind] as unknown as ActivationRule<N['kind']>;
}

/** A formula printed over one operand: where it reads the operand more than once, the operand is
 *  bound to `v` first (`const v = x[i];`), else read in place. Returns the binding (or null) and the
 *  expression. */
export function withOperand(operand: string, formula: (v: string) => string): { readonly bind: string | null; readonly expr: string } {
  const probe = formula('\u0000');
  const uses = probe.split('\u0000').length - 1;
  return uses > 1 ? { bind: `const v = ${operand};`, expr: formula('v') } : { bind: null, expr: formula(operand) };
}

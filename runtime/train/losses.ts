// The spec's loss computed on the host from a model's outputs, in float64: the test loss of `cnnc train`
// and `cnnc eval`, and the per-element losses of `reduction: none` for inspection (lossElements). The
// formulas are the generated kernels' (the TypeScript target's 5-codegen/losses/, one file per kind, PyTorch 1.13); this
// is a second, independent implementation of their forward pass (test/train/losses.test.ts checks the two
// against each other and against PyTorch's numbers).
//
// Over a whole split the loss is that of the split as one batch: additive terms sum their elements and
// their divisor (Σ w[y] for a mean, 1 for a sum, the element count for none) over the batches; dice sums
// its per-class I, P, T. Browser-safe.
import { assertNever } from '../assert-never.js';
import type { LossDescription, LossTerm } from '../contracts.js';

/** Output layout: [C, inner...] per sample. */
interface Layout {
  readonly C: number;
  readonly inner: number;
  readonly outSize: number;
}

const layoutOf = (outShape: readonly number[]): Layout => {
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const C = outShape[0] ?? 1;
  return { C, inner: outSize / C, outSize };
};

/** Accumulates the loss over batches; value() is the loss of everything added, as one batch. */
export interface LossAccumulator {
  add(out: ArrayLike<number>, labels: ArrayLike<number>, n: number): void;
  value(): number;
}

export function lossAccumulator(loss: LossDescription, outShape: readonly number[]): LossAccumulator {
  const parts = loss.terms.map((t) => termAccumulator(t, layoutOf(outShape)));
  return {
    add: (out, labels, n) => parts.forEach((p) => p.add(out, labels, n)),
    value: () => loss.terms.reduce((s, t, i) => s + t.scale * parts[i]!.value(), 0),
  };
}

/** One loss per element of a term ([n, ...labelShape]: a row, or an output element for binary terms),
 *  without its scale — what PyTorch returns with reduction='none'; 0 where the label is ignored.
 *  dice has no per-element form and is refused. */
export function lossElements(t: LossTerm, outShape: readonly number[], out: ArrayLike<number>, labels: ArrayLike<number>, n: number): Float64Array {
  if (t.kind === 'dice') throw new RangeError('dice is a measure of the whole batch: it has no per-element losses');
  const L = layoutOf(outShape);
  const count = binary(t) ? n * L.outSize : n * L.inner;
  const values = new Float64Array(count);
  forEachElement(t, L, out, labels, n, (i, v) => { values[i] = v; });
  return values;
}

function termAccumulator(t: LossTerm, L: Layout): LossAccumulator {
  if (t.kind === 'dice') return diceAccumulator(t, L);
  let sum = 0;
  let divisor = 0;
  return {
    add(out, labels, n) {
      const count = binary(t) ? n * L.outSize : n * L.inner;
      forEachElement(t, L, out, labels, n, (_i, v, w) => {
        sum += v;
        if (t.reduction === 'mean') divisor += w;
      });
      if (t.reduction === 'none') divisor += count;
    },
    value: () => (t.reduction === 'sum' ? sum : sum / divisor),
  };
}

const binary = (t: LossTerm): boolean =>
  t.kind === 'bce' || t.kind === 'bce_with_logits' || ((t.kind === 'focal' || t.kind === 'dice') && t.mode === 'binary');

const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Calls visit(element, loss, weight in a mean) for every element; ignored rows get loss 0, weight 0. */
function forEachElement(
  t: Exclude<LossTerm, { kind: 'dice' }>, L: Layout, out: ArrayLike<number>, labels: ArrayLike<number>, n: number,
  visit: (i: number, value: number, weight: number) => void,
): void {
  const { C, inner, outSize } = L;
  if (binary(t)) {
    for (let i = 0; i < n * outSize; i++) {
      const y = labels[i]!;
      if (y !== 0 && y !== 1) throw new RangeError(`target ${y} at index ${i} is not 0 or 1`);
      visit(i, binaryLoss(t, out[i]!, y, i % outSize), 1);
    }
    return;
  }
  const z = new Float64Array(C);
  for (let r = 0; r < n * inner; r++) {
    const o = Math.floor(r / inner) * outSize + (r % inner);
    const y = labels[r]!;
    const ignore = 'ignoreIndex' in t ? t.ignoreIndex : null;
    if (y === ignore) {
      visit(r, 0, 0);
      continue;
    }
    if (!(y >= 0 && y < C)) throw new RangeError(`label ${y} at index ${r} is not a class in [0, ${C})`);
    for (let c = 0; c < C; c++) z[c] = out[o + c * inner]!;
    const { value, weight } = rowLoss(t, z, y);
    visit(r, value, weight);
  }
}

function rowLoss(t: LossTerm, z: Float64Array, y: number): { value: number; weight: number } {
  const C = z.length;
  switch (t.kind) {
    case 'nll': {
      const w = t.weight === null ? 1 : t.weight[y]!;
      return { value: -w * z[y]!, weight: w };
    }
    case 'cross_entropy': {
      // (1−ε)·w[y]·(−lp[y]) + (ε/C)·Σ_c w[c]·(−lp[c]); the mean divides by Σ w[y].
      const w = (c: number): number => (t.weight === null ? 1 : t.weight[c]!);
      const lse = logSumExp(z);
      const eps = t.labelSmoothing;
      let smooth = 0;
      if (eps > 0) for (let c = 0; c < C; c++) smooth += w(c) * (lse - z[c]!);
      return { value: (1 - eps) * w(y) * (lse - z[y]!) + (eps / C) * smooth, weight: w(y) };
    }
    case 'focal': {
      // −α·(1 − p_t)^γ·log p_t (softmax mode)
      const lpt = z[y]! - logSumExp(z);
      const a = t.alpha >= 0 ? t.alpha : 1;
      return { value: -a * Math.pow(-Math.expm1(lpt), t.gamma) * lpt, weight: 1 };
    }
    case 'bce':
    case 'bce_with_logits':
    case 'dice':
      throw new Error(`cnnc internal error: ${t.kind} is not a class-index row loss`);
    default:
      return assertNever(t, 'loss kind');
  }
}

function binaryLoss(t: LossTerm, x: number, y: number, k: number): number {
  switch (t.kind) {
    case 'bce':
      if (x < 0 || x > 1) throw new RangeError(`bce: input ${x} is not a probability in [0, 1]`);
      return -(y === 1 ? Math.max(Math.log(x), -100) : Math.max(Math.log(1 - x), -100));
    case 'bce_with_logits': {
      const pw = t.posWeight === null ? 1 : t.posWeight.length === 1 ? t.posWeight[0]! : t.posWeight[k]!;
      return (1 - y) * x + (1 + (pw - 1) * y) * softplus(-x);
    }
    case 'focal': {
      // torchvision sigmoid_focal_loss: α_t·(1 − p_t)^γ·bce_with_logits
      const s = y === 1 ? x : -x;
      const at = t.alpha < 0 ? 1 : y === 1 ? t.alpha : 1 - t.alpha;
      return at * Math.pow(sigmoid(-s), t.gamma) * softplus(-s);
    }
    case 'cross_entropy':
    case 'nll':
    case 'dice':
      throw new Error(`cnnc internal error: ${t.kind} is not an elementwise binary loss`);
    default:
      return assertNever(t, 'loss kind');
  }
}

function logSumExp(z: Float64Array): number {
  let mx = -Infinity;
  for (const v of z) mx = Math.max(mx, v);
  let s = 0;
  for (const v of z) s += Math.exp(v - mx);
  return mx + Math.log(s);
}

/** 1 − mean_c (2·I[c] + s) / (P[c] + T[c] + s), I, P, T summed over everything added. */
function diceAccumulator(t: Extract<LossTerm, { kind: 'dice' }>, L: Layout): LossAccumulator {
  const K = t.mode === 'binary' ? 1 : L.C;
  const I = new Float64Array(K);
  const P = new Float64Array(K);
  const T = new Float64Array(K);
  const z = new Float64Array(L.C);
  return {
    add(out, labels, n) {
      if (t.mode === 'binary') {
        for (let i = 0; i < n * L.outSize; i++) {
          const y = labels[i]!;
          if (y !== 0 && y !== 1) throw new RangeError(`target ${y} at index ${i} is not 0 or 1`);
          const p = t.fromLogits ? sigmoid(out[i]!) : out[i]!;
          I[0]! += p * y;
          P[0]! += p;
          T[0]! += y;
        }
        return;
      }
      for (let r = 0; r < n * L.inner; r++) {
        const o = Math.floor(r / L.inner) * L.outSize + (r % L.inner);
        const y = labels[r]!;
        if (y === t.ignoreIndex) continue;
        if (!(y >= 0 && y < L.C)) throw new RangeError(`label ${y} at index ${r} is not a class in [0, ${L.C})`);
        for (let c = 0; c < L.C; c++) z[c] = out[o + c * L.inner]!;
        const lse = t.fromLogits ? logSumExp(z) : 0;
        for (let c = 0; c < L.C; c++) {
          const p = t.fromLogits ? Math.exp(z[c]! - lse) : z[c]!;
          P[c]! += p;
          if (c === y) I[c]! += p;
        }
        T[y]! += 1;
      }
    },
    value() {
      let mean = 0;
      for (let c = 0; c < K; c++) mean += (2 * I[c]! + t.smooth) / (P[c]! + T[c]! + t.smooth);
      return 1 - mean / K;
    },
  };
}

// The loss, emitted as one function per term: `loss = f(n, output, labels, dZ)`, which also writes the
// term's gradient into dZ (the gradient of the output, or of the fused log_softmax's input). A sum of
// terms calls them in order: the first assigns dZ, the later ones add to it, and the model adds their
// losses. Each term file states its formula; common.ts the reductions (PyTorch 1.13). Labels are
// [n, ...labelShape] (ir.loss.labelShape): class indices per sample or pixel, or 0/1 targets.
import { assertNever, type LossTermIR, type ModelIR } from '../../ir/types.js';
import type { LossFusion, MemoryPlan } from '../../ir/plan.js';
import { emitBce, emitBceWithLogits } from './bce.js';
import type { TermCode, TermCtx } from './common.js';
import { emitCrossEntropy } from './cross-entropy.js';
import { emitDice } from './dice.js';
import { emitFocal } from './focal.js';
import { emitNll } from './nll.js';
import { emitLossSoftmax } from './softmax.js';

export type { TermCode } from './common.js';

/** A term's function; where it reads the shared softmax, it takes `prob` and `logSumExp` after dZ. */
export interface LossTerm extends TermCode {
  readonly sharedSoftmax: boolean;
}

export interface LossCode {
  /** The softmax of the logits that several terms read, computed first (plan.lossSoftmax), or null. */
  readonly softmax: TermCode | null;
  /** One function per term, called in this order. */
  readonly terms: readonly LossTerm[];
  /** Every module-level name the loss takes (functions and constants), for collision checks. */
  readonly names: readonly string[];
}

/** Function names by kind (no `_`: they cannot collide with `<layer>_<suffix>` kernels). */
const FUNCTION: Readonly<Record<LossTermIR['kind'], string>> = {
  cross_entropy: 'crossEntropyLoss',
  nll: 'nllLoss',
  bce: 'bceLoss',
  bce_with_logits: 'bceWithLogitsLoss',
  focal: 'focalLoss',
  dice: 'diceLoss',
};

export function emitLoss(ir: ModelIR, fusion: LossFusion, shared: MemoryPlan['lossSoftmax']): LossCode {
  const out = ir.nodes.find((n) => n.name === ir.output);
  if (out === undefined) throw new Error('cnnc internal error: no output node');
  const C = out.outShape[0] ?? 1;
  const names: string[] = [];
  // The k-th use of a base name is `<base>` then `<base>2`, `<base>3`, ...
  const unique = (base: string): string => {
    let name = base;
    for (let k = 2; names.includes(name); k++) name = `${base}${k}`;
    names.push(name);
    return name;
  };
  const terms = ir.loss.terms.map((t, i): LossTerm => {
    if ((t.kind === 'cross_entropy' || t.kind === 'nll') && t.weight !== null && t.weight.length !== C) {
      throw new Error(`cnnc internal error: loss weight has ${t.weight.length} entries for ${C} classes`);
    }
    const ctx: TermCtx = {
      C,
      inner: out.outSize / C,
      outSize: out.outSize,
      outShape: out.outShape,
      write: i === 0 ? 'assign' : 'add',
      fused: fusion.fusedNode !== null,
      fusedNote: fusion.note,
      constant: unique,
      sharedSoftmax: shared?.terms.includes(i) ?? false,
    };
    return { ...emitTerm(t, ctx, unique(FUNCTION[t.kind])), sharedSoftmax: ctx.sharedSoftmax };
  });
  const softmax = shared === null ? null : emitLossSoftmax(C, out.outSize, unique);
  return { softmax, terms, names };
}

function emitTerm(t: LossTermIR, ctx: TermCtx, name: string): TermCode {
  switch (t.kind) {
    case 'cross_entropy': return emitCrossEntropy(t, ctx, name);
    case 'nll': return emitNll(t, ctx, name);
    case 'bce': return emitBce(t, ctx, name);
    case 'bce_with_logits': return emitBceWithLogits(t, ctx, name);
    case 'focal': return emitFocal(t, ctx, name);
    case 'dice': return emitDice(t, ctx, name);
    default: return assertNever(t, 'loss kind');
  }
}

// Lints: warnings about models that run but are almost surely not what the author meant. Each
// one is PROVED from the IR (no heuristics), names the layers involved, and says what to do.
import type { SourceMap } from '../1-parse/source-map.js';
import type { Code } from '../diagnostics/codes.js';
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import type { ModelIR, Node, Span } from '../ir/types.js';
import { lintLossInput } from './lint-loss.js';

type Warn = (code: Code, message: string, span: Span, hint?: string) => void;

export function lint(ir: ModelIR, map: SourceMap): Diagnostic[] {
  const out: Diagnostic[] = [];
  const warn: Warn = (code, message, span, hint) => {
    if (!allowedAt(ir, map, code, span)) out.push(diagnostic(code, message, span, map.source, hint));
  };
  // A layer's key, or its `kind` when the key was not written (the map falls back to the whole item).
  const at = (n: Node, key: string): Span => {
    const span = map.value([...where(n), key]);
    return span.offset === map.value(where(n)).offset ? n.span : span;
  };
  lintLossInput(ir, warn);
  lintNoOps(ir.nodes, at, warn);
  lintBiasBeforeBatchnorm(ir.nodes, at, warn);
  return out;
}

/** Where a node's layer is written. */
const where = (n: Node): readonly (string | number)[] => n.at ?? ['layers', n.index];

/** A warning that points into a layer whose `allow` lists its code: the spec keeps it on purpose. */
function allowedAt(ir: ModelIR, map: SourceMap, code: Code, span: Span): boolean {
  const before = (a: { line: number; col: number }, b: { line: number; col: number }) => a.line < b.line || (a.line === b.line && a.col <= b.col);
  return ir.nodes.some((n) => {
    if (n.allow === undefined || !n.allow.includes(code)) return false;
    const item = map.value(where(n));
    return before(item, span) && before(span, { line: item.endLine, col: item.endCol });
  });
}

/** Layers that provably compute the identity: relu on a non-negative input, dropout with p = 0,
 *  a 1×1 pool with stride 1. */
function lintNoOps(nodes: readonly Node[], at: (n: Node, key: string) => Span, warn: Warn): void {
  // Per node: the layer that made its output non-negative, while the layers since keep it so.
  const since = new Map<string, Node | null>([['input', null]]);
  for (const n of nodes) {
    const from = n.inputs.map((i) => since.get(i) ?? null);
    // A join (add, concat) is non-negative when every input is.
    const nonNegativeSince = from.every((f) => f !== null) ? from[0]! : null;
    if (n.kind === 'relu' && nonNegativeSince) {
      warn('W0605', `${n.name} does nothing: its input is never negative (${nonNegativeSince.name} is a ${nonNegativeSince.kind})`,
        n.span, 'remove it');
    }
    if ((n.kind === 'dropout' || n.kind === 'dropout2d') && n.p === 0) {
      warn('W0606', `${n.name} has p = 0: it never drops anything`, at(n, 'p'), 'remove it, or set p');
    }
    if ((n.kind === 'maxpool2d' || n.kind === 'avgpool2d') && n.kernel.every((k) => k === 1) && n.stride.every((s) => s === 1)) {
      warn('W0607', `${n.name} has a 1×1 window with stride 1: it returns its input`, at(n, 'kernel_size'), 'remove it');
    }
    since.set(n.name, makesNonNegative(n) ? n : keepsSign(n) ? nonNegativeSince : null);
  }
}

function makesNonNegative(n: Node): boolean {
  return n.kind === 'relu' || n.kind === 'sigmoid' || n.kind === 'softmax';
}

/** Layers whose output is non-negative whenever their inputs are (upsample: copies or convex
 *  combinations; add and concat: sums and copies). */
function keepsSign(n: Node): boolean {
  return n.kind === 'maxpool2d' || n.kind === 'avgpool2d' || n.kind === 'dropout' || n.kind === 'dropout2d' || n.kind === 'flatten' ||
    n.kind === 'global_avgpool2d' || n.kind === 'adaptive_avgpool2d' || n.kind === 'adaptive_maxpool2d' || n.kind === 'upsample' ||
    n.kind === 'add' || n.kind === 'concat';
}

/** batchnorm2d subtracts each channel's mean (batch mean in training, running mean in eval), which
 *  cancels a per-channel conv bias exactly: the bias only costs parameters and time. */
function lintBiasBeforeBatchnorm(nodes: readonly Node[], at: (n: Node, key: string) => Span, warn: Warn): void {
  nodes.forEach((bn) => {
    const conv = nodes.find((c) => c.name === bn.inputs[0]);
    if (bn.kind !== 'batchnorm2d' || (conv?.kind !== 'conv2d' && conv?.kind !== 'conv_transpose2d') || !conv.bias) return;
    // Read elsewhere too, the bias still matters there.
    if (nodes.filter((r) => r.inputs.includes(conv.name)).length > 1) return;
    warn('W0608', `${conv.name}'s bias is cancelled by ${bn.name}, which subtracts each channel's mean`,
      at(conv, 'bias'), `set \`bias: false\` on ${conv.name} (${conv.outChannels} parameters fewer)`);
  });
}

// Loss lints: what the loss reads. The layer that makes the model's output decides whether each term
// computes what its name says. Each warning is proved from the IR and names the layers involved.
import type { Code } from '../diagnostics/codes.js';
import type { LossTermIR, ModelIR, Node, Span } from '../ir/types.js';

export type Warn = (code: Code, message: string, span: Span, hint?: string) => void;

export function lintLossInput(ir: ModelIR, warn: Warn): void {
  const last = ir.nodes.find((n) => n.name === ir.output);
  if (!last) return;
  if (last.kind === 'dropout' || last.kind === 'dropout2d') {
    warn('W0604', `${last.name} is the last layer: in training it zeroes outputs the loss reads`,
      last.span, 'move it before the last linear layer');
  }
  for (const t of ir.loss.terms) lintTerm(t, last, warn);
}

function lintTerm(t: LossTermIR, last: Node, warn: Warn): void {
  if (t.kind === 'cross_entropy' && last.kind === 'softmax') {
    // nn.CrossEntropyLoss = log_softmax + nll on logits: after a softmax it sees values in (0, 1),
    // so its gradients shrink and the model trains slowly or not at all.
    warn('W0601', `${last.name} feeds probabilities to cross_entropy, which applies its own softmax: softmax is applied twice`,
      last.span, 'remove the softmax: cross_entropy expects logits');
  }
  if (t.kind === 'cross_entropy' && last.kind === 'log_softmax') {
    warn('W0602',
      `${last.name} before cross_entropy: cross_entropy applies log_softmax again, which is harmless (log_softmax is idempotent) but wasted work`,
      last.span, 'use `loss: nll`, which reads log-probabilities: the same loss and gradient');
  }
  if (t.kind === 'nll' && last.kind !== 'log_softmax') {
    warn('W0603', `nll expects log-probabilities, but the model ends with ${last.name} (${last.kind}), not log_softmax`,
      t.span, last.kind === 'softmax'
        ? 'replace the softmax by `log_softmax`'
        : 'add `- log_softmax` as the last layer, or use `loss: cross_entropy` on these logits');
  }
  if (t.kind === 'cross_entropy' && last.outShape[0] === 1) {
    warn('W0609', 'cross_entropy over one class is always 0 (the softmax of a single logit is 1): nothing is learnt',
      t.span, 'for two classes, give the last layer 2 outputs; for one logit, use `bce_with_logits`');
  }
  // Losses on logits that apply their own sigmoid or softmax (BCEWithLogitsLoss = sigmoid + BCELoss).
  const own = onLogits(t, last.outShape[0] === 1);
  if (own !== null && (last.kind === 'sigmoid' || last.kind === 'softmax')) {
    warn('W0610',
      `${last.name} feeds probabilities to ${t.kind}, which applies its own ${own}: ${last.kind === own ? `${own} is applied twice` : `${last.kind} then ${own}`}`,
      last.span, t.kind === 'bce_with_logits'
        ? `remove the ${last.kind}: bce_with_logits expects logits (\`bce\` reads probabilities, less stably)`
        : t.kind === 'dice' ? 'remove the layer, or set `from_logits: false`' : `remove the ${last.kind}: ${t.kind} expects logits`);
  }
  if ('reduction' in t && t.reduction === 'none') {
    warn('W0612',
      `reduction none gives one ${t.kind} loss per element; a gradient needs one number, so training back-propagates their plain mean (loss.mean().backward() in PyTorch)`,
      t.span, (t.kind === 'cross_entropy' || t.kind === 'nll') && t.weight !== null
        ? 'with class weights that mean differs from reduction mean, which divides by Σ w[y]; write `reduction: mean` unless you mean it'
        : 'write `reduction: mean` (the same here) to silence this');
  }
}

/** The activation a loss applies to the output itself, or null when it reads probabilities. */
function onLogits(t: LossTermIR, oneChannel: boolean): 'sigmoid' | 'softmax' | null {
  switch (t.kind) {
    case 'bce_with_logits': return 'sigmoid';
    case 'focal': return oneChannel ? 'sigmoid' : 'softmax';
    case 'dice': return t.fromLogits ? (oneChannel ? 'sigmoid' : 'softmax') : null;
    case 'cross_entropy': // W0601 says it for cross_entropy
    case 'nll':
    case 'bce':
      return null;
  }
}

// What a model's output holds (runtime/app.ts OutputKind) and the class names its spec gives: decided once here,
// from the spec's last layer and loss, for the plan (PlannedModel.output, which both targets emit into the module's
// metadata) and for `cnnc predict`.
import type { OutputKind } from '../../runtime/app.js';
import type { LossIR, ModelIR } from '../ir/types.js';

export function outputKind(ir: ModelIR): OutputKind {
  const { loss } = ir;
  if (loss.targets === 'binary') return readsLogits(loss) ? 'binary_logits' : 'binary_probabilities';
  if (loss.labelShape.length > 0) return 'label_map';
  const last = ir.nodes.find((n) => n.name === ir.output)?.kind;
  return last === 'log_softmax' ? 'log_probabilities' : last === 'softmax' ? 'probabilities' : 'logits';
}

/** bce and dice on probabilities read probabilities; the other binary losses, logits. */
function readsLogits(loss: LossIR): boolean {
  const t = loss.terms[0]!;
  return !(t.kind === 'bce' || (t.kind === 'dice' && !t.fromLogits));
}

/** The class names the spec lists (data.classes of an image folder or a CSV), or null. */
export function specClasses(ir: ModelIR): readonly string[] | null {
  return ir.data.source === 'folder' || ir.data.source === 'csv' ? ir.data.classes : null;
}

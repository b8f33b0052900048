// Loss fusion: where the model's last layer is log_softmax and the loss is nll, the gradient with
// respect to the log_softmax's *input* is written directly by the loss, `w[y]·(exp(logp) − onehot)/Σw`
// (the seed's `p − y`), and log_softmax_backward is skipped. cross_entropy always works on logits:
// it computes softmax − smoothed one-hot itself, which needs no graph rewrite.
// softmax + cross_entropy (a double softmax, linted elsewhere) is NOT fused: it computes what PyTorch
// computes, log_softmax of the probabilities. Only a single nll term is fused.
import type { LossTermIR, ModelIR } from '../ir/types.js';
import type { LossFusion, MemoryPlan, TargetCaps } from '../ir/plan.js';

export type { LossFusion } from '../ir/plan.js';

export function planLossFusion(ir: ModelIR): LossFusion {
  const out = ir.nodes.find((node) => node.name === ir.output);
  if (out === undefined) throw new Error(`cnnc internal error: output node ${JSON.stringify(ir.output)} not found`);
  const consumers = ir.nodes.filter((node) => node.inputs.includes(out.name)).length;
  const terms = ir.loss.terms;
  const only = terms.length === 1 ? terms[0]! : null;
  // One nll term only: a second term would need the log-probabilities' own gradient.
  if (out.kind === 'log_softmax' && only?.kind === 'nll' && consumers === 0) {
    // Per pixel ([C, H, W], nn.LogSoftmax(dim=1) on NCHW) the same holds pixel by pixel: each pixel's C
    // channels are one row, and an ignored pixel's row gets a zero gradient (the loss writes every row).
    const perPixel = out.outShape.length === 3 ? ' per pixel (over the channels of each pixel)' : '';
    return { fusedNode: out.name, note: `log_softmax + nll fused${perPixel}: the loss writes the gradient of the logits, w[y]·(exp(logp) − onehot)/Σw` };
  }
  if (only?.kind === 'cross_entropy') {
    return { fusedNode: null, note: 'cross_entropy on logits: the loss computes softmax − smoothed one-hot directly' };
  }
  if (only?.kind === 'nll') return { fusedNode: null, note: 'nll on the output as given (not fused)' };
  // bce_with_logits, focal and dice (from_logits) apply their sigmoid or softmax inside the loss, so
  // there is nothing to fuse; sigmoid + bce is not rewritten into bce_with_logits, which would change
  // the clamping PyTorch applies (lint W0610 suggests bce_with_logits instead).
  return { fusedNode: null, note: terms.length === 1 ? `${only!.kind} on the output as given` : `a sum of ${terms.length} terms on the output as given` };
}

/**
 * One softmax for the loss: where two or more terms take the softmax of the logits (cross_entropy, and dice
 * from_logits in softmax mode: the segmentation loss cross_entropy + dice computed the same softmax three
 * times, ~12% of its step), the TypeScript target computes it once per loss into a planned buffer (with each
 * row's log Σ exp, for cross_entropy's value) and those terms read it. Returns their indices, or null.
 */
export function planLossSoftmax(ir: ModelIR, target: TargetCaps): number[] | null {
  if (target.name !== 'ts') return null;
  const reads = (t: LossTermIR): boolean => t.kind === 'cross_entropy' || (t.kind === 'dice' && t.mode === 'softmax' && t.fromLogits);
  const terms = ir.loss.terms.flatMap((t, i) => (reads(t) ? [i] : []));
  return terms.length >= 2 ? terms : null;
}

/**
 * conv2d + batchnorm2d folding for inference: where a batchnorm2d is a conv2d's only reader, forward in eval
 * mode (the model's forward(), never computeGradients) runs the conv with folded weights and bias straight
 * into the bn's output, and the bn's pass is skipped; where a relu is the bn's only reader, the conv's kernel
 * does its work too (as planReluFusion's), and the relu's pass is skipped as well. Training is unchanged; the
 * exports (PyTorch, ONNX) keep every layer. The TypeScript target only. Not folded: a conv that is the
 * model's output. Map: conv → its bn and relu, and the batch the fold starts at (foldMinBatch).
 */
export function planBnFolding(ir: ModelIR, target: TargetCaps): Map<string, { readonly bn: string; readonly relu: string | null; readonly from: number }> {
  const folds = new Map<string, { bn: string; relu: string | null; from: number }>();
  if (target.name !== 'ts') return folds;
  const onlyReader = (name: string): ModelIR['nodes'][number] | null => {
    const readers = ir.nodes.filter((node) => node.inputs.includes(name));
    return readers.length === 1 && readers[0]!.inputs.length === 1 ? readers[0]! : null;
  };
  for (const conv of ir.nodes) {
    if (conv.kind !== 'conv2d' || conv.name === ir.output) continue;
    const bn = onlyReader(conv.name);
    if (bn === null || bn.kind !== 'batchnorm2d') continue;
    const relu = bn.name === ir.output ? null : onlyReader(bn.name);
    const k = (conv.inChannels / conv.groups) * conv.kernel[0] * conv.kernel[1];
    folds.set(conv.name, { bn: bn.name, relu: relu !== null && relu.kind === 'relu' ? relu.name : null, from: foldMinBatch(k, conv.outShape[1]! * conv.outShape[2]!) });
  }
  return folds;
}

/** What folding costs against what it saves, in output elements a weight: the fold reads and writes every weight
 *  once a forward (W' = W·a, about 2 ns a weight from memory), the unfolded bn and relu read and write every output
 *  element (about 1 ns one, in cache). Measured on resnet18 at 3×64×64, 1 thread, eval (2-core AMD EPYC, `cnnc
 *  profile --mode infer`): at batch 1 the per-forward fold of its 11M weights was 23 of 36 ms. */
export const FOLD_WEIGHT_COST = 2;

/** The smallest batch on which folding a batchnorm into a conv with k weights an output channel and p output
 *  positions a channel costs less than the bn's own pass: n·p ≥ FOLD_WEIGHT_COST·k. Below it the conv, the bn and
 *  the relu run as in training's forward (resnet18's layer4, 4,608 weights a channel over 2×2 outputs, folds from
 *  batch 2,304: never, in practice; its stem, 147 over 32×32, from 1). */
export function foldMinBatch(k: number, p: number): number {
  return Math.max(1, Math.ceil((FOLD_WEIGHT_COST * k) / p));
}

/**
 * conv2d + relu fusion: where a conv2d's only reader is a relu, the conv's kernels do the relu's
 * work too (forward: relu(y) sample by sample while the sample is in cache; backward: the conv's
 * dY = the relu's dY where its output is positive, likewise), on the threads that run the conv,
 * and the relu's own kernels are not emitted. Both tensors keep their buffers, so checkpoints,
 * findNonFinite and the loss see what they saw unfused. Not fused: a conv or relu that is the
 * model's output, a conv read by anything else too (its dY would be a sum). Map: conv → relu.
 */
export function planReluFusion(ir: ModelIR, plan: MemoryPlan): Map<string, string> {
  const io = new Map(plan.io.map((e) => [e.node, e]));
  const fused = new Map<string, string>();
  for (const conv of ir.nodes) {
    if (conv.kind !== 'conv2d' || conv.name === ir.output) continue;
    const readers = ir.nodes.filter((node) => node.inputs.includes(conv.name));
    const relu = readers.length === 1 ? readers[0]! : null;
    if (relu === null || relu.kind !== 'relu' || relu.name === ir.output || relu.inputs.length !== 1) continue;
    const c = io.get(conv.name), r = io.get(relu.name);
    if (c === undefined || r === undefined || c.y === null || r.y === null || r.alias || c.alias) continue;
    // The conv's backward reads the relu's output gradient: it must exist wherever the conv runs backward.
    if (c.backward && (r.dY === null || c.dY === null)) continue;
    fused.set(conv.name, relu.name);
  }
  return fused;
}

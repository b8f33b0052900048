// The loss on the gpu.js target: a sum of terms (ir.loss.terms), each as kernels (losses/*.ts) that
// write its per-row losses and its gradient of the output (or of the fused log_softmax's input). The
// host reads every term's rows back, sums them in float64 and combines them, Σ_k scale_k·Σ rows_k /
// total_k (the API returns the number, so this read-back is owed anyway); a sum of several terms adds
// their gradients in one more kernel, `loss_grad`. The host's part (labels, totals) is described to
// the runtime by `lossLayout`.
import { assertNever, type LossTermIR } from '../ir/types.js';
import type { PlannedModel } from '../ir/plan.js';
import type { GpuKernel } from './kernel.js';
import { emitBce, emitBceWithLogits, emitFocalBinary } from './losses/binary.js';
import { emitCrossEntropy, emitFocalSoftmax, emitNll } from './losses/class.js';
import type { TermCtx, TermKernels } from './losses/common.js';
import { emitDice } from './losses/dice.js';

export interface LossCode {
  /** Comment lines, one per term. */
  readonly comments: readonly string[];
  /** Kernels by full name (`loss_rows`, `loss1_grad`, ...). */
  readonly kernels: ReadonlyArray<{ readonly name: string; readonly kernel: GpuKernel }>;
  readonly constants: ReadonlyArray<{ readonly name: string; readonly values: readonly number[] }>;
  /** Generator statements; they end with `const <grad> = ...` (the gradient variable passed in). */
  readonly steps: (z: string, grad: string) => string[];
  /** The per-term row tensors, in term order. */
  readonly rows: readonly string[];
  /** The `loss` field of the layout (runtime/gpujs/model.ts LossLayout), as source text. */
  readonly layout: string;
}

export function emitLossKernels(planned: PlannedModel): LossCode {
  const { ir, lossFusion: fusion } = planned;
  const out = ir.nodes.find((n) => n.name === ir.output);
  if (out === undefined) throw new Error('cnnc internal error: no output node');
  const C = out.outShape[0] ?? 1;
  const K = ir.loss.terms.length;
  const terms = ir.loss.terms.map((t, index) => {
    const ctx: TermCtx = {
      C,
      inner: out.outSize / C,
      outSize: out.outSize,
      outShape: out.outShape,
      prefix: K === 1 ? 'loss' : `loss${index}`,
      index,
      fused: fusion.fusedNode !== null,
      note: fusion.note,
    };
    return { ctx, code: emitTerm(t, ctx) };
  });
  const kernels = terms.flatMap(({ ctx, code }) => code.kernels.map((kernel) => ({ name: `${ctx.prefix}_${kernel.suffix}`, kernel })));
  if (K > 1) {
    kernels.push({
      name: 'loss_grad',
      kernel: {
        suffix: 'grad',
        params: terms.map((_, k) => `g${k}`),
        length: { perSample: out.outSize },
        body: `const i = this.thread.x;\nreturn ${terms.map((_, k) => `g${k}[i]`).join(' + ')};`,
      },
    });
  }
  // Focal (softmax) has no ignore_index: in a sum with one, a label equal to it is refused, as by the TypeScript target.
  const ignore = ir.loss.ignoreIndex !== null && !ir.loss.terms.some((t) => t.kind === 'focal' && t.mode === 'softmax') ? ir.loss.ignoreIndex : null;
  const labelsPerSample = ir.loss.labelShape.reduce((a, b) => a * b, 1);
  const layout = [
    `{ targets: '${ir.loss.targets}', classes: ${C}, labelsPerSample: ${labelsPerSample}, ignoreIndex: ${ignore}, terms: [`,
    ...terms.map(({ code }, k) => `  { scale: ${ir.loss.terms[k]!.scale}, total: '${code.total}', weight: ${code.weight === null ? 'null' : `[${code.weight.join(', ')}]`} },`),
    `] }`,
  ].join('\n');
  return {
    comments: terms.map(({ ctx }, k) => `${ctx.prefix}: ${planned.lossComments[k] ?? ''}`),
    kernels,
    constants: terms.flatMap(({ code }) => code.constants),
    steps: (z, grad) => [
      ...terms.flatMap(({ code }, k) => code.steps(z, 'labels.t', `labels.totals[${k}]`)),
      K === 1 ? `const ${grad} = ${terms[0]!.code.grad};` : `const ${grad} = yield this.run(loss_grad, n, ${terms.map(({ code }) => code.grad).join(', ')});`,
    ],
    rows: terms.map(({ code }) => code.rows),
    layout,
  };
}

function emitTerm(t: LossTermIR, ctx: TermCtx): TermKernels {
  switch (t.kind) {
    case 'cross_entropy': return emitCrossEntropy(t, ctx);
    case 'nll': return emitNll(t, ctx);
    case 'bce': return emitBce(t, ctx);
    case 'bce_with_logits': return emitBceWithLogits(t, ctx);
    case 'focal': return t.mode === 'binary' ? emitFocalBinary(t, ctx) : emitFocalSoftmax(t, ctx);
    case 'dice': return emitDice(t, ctx);
    default: return assertNever(t, 'loss kind');
  }
}

// The losses as two kernels (reduction 'mean', PyTorch 1.13; a weighted mean divides by Σᵢ w[yᵢ]):
//   loss_rows [n·rows]: each row's weighted loss, before the division. Read back and summed on the
//     host in float64 — the API returns the number, so this read-back is owed anyway.
//   loss_grad [n·out]:  the gradient of the output (or of the fused log_softmax's input).
// Host code (runtime/gpujs/model.ts) checks the labels and gives each row its class t and weight w
// as float arrays, and Σ w (`total`, a kernel argument). Formulas: compiler/5-codegen/losses/index.ts.
import { assertNever, type ModelIR } from '../ir/types.js';
import type { LossFusion } from '../4-passes/fuse.js';
import { body, flt, type GpuKernel } from './kernel.js';
import { rowHead, rowLoop } from './layers/softmax.js';

export interface LossCode {
  readonly comment: string;
  readonly rows: GpuKernel;
  readonly grad: GpuKernel;
  /** Extra kernel arguments after (z, t, w, total): the class weights, when the formula needs them. */
  readonly classWeights: boolean;
}

export function emitLossKernels(ir: ModelIR, fusion: LossFusion): LossCode {
  const out = ir.nodes.find((n) => n.name === ir.output);
  if (out === undefined) throw new Error('cnnc internal error: no output node');
  const C = out.outShape[0] ?? 1;
  const inner = out.outSize / C;
  // support-loss.ts refuses every other loss before code generation.
  const loss = ir.loss.terms[0];
  if (ir.loss.terms.length !== 1 || loss === undefined || (loss.kind !== 'cross_entropy' && loss.kind !== 'nll') || loss.reduction !== 'mean') {
    throw new Error('cnnc internal error: the gpujs target compiles one cross_entropy or nll term with reduction mean');
  }
  const rowOf = (): string[] => [`const r = this.thread.x;`, `const s = Math.floor(r / ${inner});`, `const o = s * ${C * inner} + (r - s * ${inner});`];
  const at = (v: string, c: string): string => `${v}[o + ${c}${inner === 1 ? '' : ` * ${inner}`}]`;
  const lse = [`let mx = -3.4e38;`, ...rowLoop(C, inner, (a) => `mx = Math.max(mx, ${a('z')});`), `let sum = 0.0;`, ...rowLoop(C, inner, (a) => `sum += Math.exp(${a('z')} - mx);`), `const lse = mx + Math.log(sum);`];
  switch (loss.kind) {
    case 'cross_entropy': {
      const eps = loss.labelSmoothing;
      const smooth = eps > 0;
      const w = loss.weight;
      const sumW = w === null ? C : w.reduce((a, b) => a + b, 0);
      const cw = smooth && w !== null;
      const params = ['z', 't', 'w', 'total', ...(cw ? ['cw'] : [])];
      return {
        comment: `loss: cross_entropy on logits z [n,${out.outShape.join(',')}]${smooth ? `, label_smoothing ${eps}` : ''}${w === null ? '' : ', class weights'} — ${fusion.note}`,
        classWeights: cw,
        rows: {
          suffix: 'rows',
          params,
          length: { perSample: inner },
          body: body(
            rowOf(),
            lse,
            `let loss = ${smooth ? `${flt(1 - eps)} * ` : ''}w[r] * (lse - ${at('z', 't[r]')});`,
            smooth ? [`let sm = 0.0;`, ...rowLoop(C, inner, (a) => `sm += ${cw ? 'cw[cc] * ' : ''}(lse - ${a('z')});`), `loss += ${flt(eps / C)} * sm;`] : null,
            `return loss;`,
          ),
        },
        grad: {
          suffix: 'grad',
          params,
          length: { perSample: out.outSize },
          body: body(
            rowHead(C, inner),
            `const r = s * ${inner} + p;`,
            lse,
            smooth ? `const a = (${flt(1 - eps)} * w[r] + ${flt((eps / C) * sumW)}) / total;` : `const a = w[r] / total;`,
            `let g = Math.exp(z[this.thread.x] - lse) * a;`,
            smooth ? `g -= ${flt(eps / C)} * ${cw ? 'cw[c]' : '1.0'} / total;` : null,
            `if (c === t[r]) {`,
            `  g -= ${smooth ? `${flt(1 - eps)} * ` : ''}w[r] / total;`,
            `}`,
            `return g;`,
          ),
        },
      };
    }
    case 'nll': {
      const fused = fusion.fusedNode !== null;
      const params = ['z', 't', 'w', 'total'];
      return {
        comment: `loss: nll on log-probabilities z [n,${out.outShape.join(',')}]${loss.weight === null ? '' : ', class weights'} — ${fusion.note}`,
        classWeights: false,
        rows: { suffix: 'rows', params, length: { perSample: inner }, body: body(rowOf(), `return -w[r] * ${at('z', 't[r]')};`) },
        grad: {
          suffix: 'grad',
          params,
          length: { perSample: out.outSize },
          body: body(
            rowHead(C, inner),
            `const r = s * ${inner} + p;`,
            fused ? `let g = Math.exp(z[this.thread.x]) * (w[r] / total);` : `let g = 0.0;`,
            `if (c === t[r]) {`,
            `  g -= w[r] / total;`,
            `}`,
            `return g;`,
          ),
        },
      };
    }
    default:
      return assertNever(loss, 'loss kind');
  }
}

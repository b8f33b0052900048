// The losses, emitted as one function each: `loss = f(output, labels)` plus the gradient written into
// dZ (the gradient of the output, or of the fused log_softmax's input). Reduction 'mean', PyTorch 1.13:
// a weighted mean divides by Σᵢ w[yᵢ] (torch.nn.functional.nll_loss / cross_entropy, weight=...).
// Labels are [n, ...spatial] for an output [C, ...spatial]; each spatial position is one sample.
import { assertNever, type LossIR, type ModelIR } from '../../ir/types.js';
import type { LossFusion } from '../../4-passes/fuse.js';
import { affine, indent, lines, lit } from '../kernel.js';

export interface LossCode {
  /** Function name (no underscore: cannot collide with `<layer>_<suffix>`). */
  readonly name: 'crossEntropyLoss' | 'nllLoss';
  readonly comment: string;
  readonly body: string;
  /** Module-level constants the body reads (class weights), as statements. */
  readonly constants: string | null;
}

export function emitLoss(ir: ModelIR, fusion: LossFusion): LossCode {
  const out = ir.nodes.find((n) => n.name === ir.output);
  if (out === undefined) throw new Error('cnnc internal error: no output node');
  const classes = out.outShape[0] ?? 1;
  const inner = out.outSize / classes;
  const loss: LossIR = ir.loss;
  if (loss.weight !== null && loss.weight.length !== classes) {
    throw new Error(`cnnc internal error: loss weight has ${loss.weight.length} entries for ${classes} classes`);
  }
  const w = loss.weight;
  const constants = w === null ? null : `const lossWeight: readonly number[] = [${w.map(lit).join(', ')}];`;
  const wt = w === null ? '1' : 'lossWeight[t]';
  const at = (v: string, c: string): string => `${v}[o + ${affine([[inner, c]])}]`;
  const rowHeader = inner === 1
    ? [`for (let s = 0; s < n; s++) {`, `  const o = s * ${classes};`, `  const t = labels[s];`]
    : [`for (let r = 0; r < n * ${inner}; r++) {`, `  const o = Math.floor(r / ${inner}) * ${out.outSize} + (r % ${inner});`, `  const t = labels[r];`];
  // Σ w[y] first: every gradient is divided by it.
  const denominator = lines(
    w === null ? `const total = ${inner === 1 ? 'n' : `n * ${inner}`};` : `let total = 0;`,
    `for (let i = 0; i < ${inner === 1 ? 'n' : `n * ${inner}`}; i++) {`,
    `  const t = labels[i];`,
    `  if (!(t >= 0 && t < ${classes})) throw new RangeError('label ' + t + ' at index ' + i + ' is not a class in [0, ${classes})');`,
    w === null ? null : `  total += lossWeight[t];`,
    `}`,
  );
  const loop = (stmt: string): string => `for (let c = 0; c < ${classes}; c++) ${stmt}`;

  switch (loss.kind) {
    case 'cross_entropy': {
      const eps = loss.labelSmoothing;
      const sumW = w === null ? classes : w.reduce((a, b) => a + b, 0);
      const smooth = eps > 0;
      const wc = w === null ? '' : 'lossWeight[c] * ';
      const body = lines(
        denominator,
        `let loss = 0;`,
        rowHeader,
        indent(
          lines(
            `let mx = -Infinity;`,
            loop(`if (${at('z', 'c')} > mx) mx = ${at('z', 'c')};`),
            `let sum = 0;`,
            loop(`sum += Math.exp(${at('z', 'c')} - mx);`),
            `const lse = mx + Math.log(sum);`,
            `const wt = ${wt};`,
            `loss += ${smooth ? `${lit(1 - eps)} * ` : ''}wt * (lse - ${at('z', 't')});`,
            smooth
              ? [`let smooth = 0;`, loop(`smooth += ${wc}(lse - ${at('z', 'c')});`), `loss += ${lit(eps / classes)} * smooth;`]
              : null,
            `if (dZ === null) continue;`,
            smooth ? `const a = (${lit(1 - eps)} * wt + ${lit((eps / classes) * sumW)}) / total;` : `const a = wt / total;`,
            smooth
              ? loop(`${at('dZ', 'c')} = Math.exp(${at('z', 'c')} - lse) * a - ${w === null ? lit(eps / classes) : `${lit(eps / classes)} * lossWeight[c]`} / total;`)
              : loop(`${at('dZ', 'c')} = Math.exp(${at('z', 'c')} - lse) * a;`),
            `${at('dZ', 't')} -= ${smooth ? `${lit(1 - eps)} * ` : ''}wt / total;`,
          ),
        ),
        `}`,
        `return loss / total;`,
      );
      const ls = smooth ? `, label_smoothing ${lit(eps)}` : '';
      return {
        name: 'crossEntropyLoss',
        comment:
          `loss: cross_entropy on logits z [n,${out.outShape.join(',')}]${ls}${w === null ? '' : ', class weights'} — ${fusion.note}. ` +
          `loss = ((1−ε)·Σ w[y]·(−log p[y]) + (ε/C)·Σ Σ_c w[c]·(−log p[c])) / Σ w[y]; dZ = (p·((1−ε)·w[y] + (ε/C)·Σw) − (1−ε)·w[y]·onehot − (ε/C)·w) / Σ w[y]`,
        body,
        constants,
      };
    }
    case 'nll': {
      const fused = fusion.fusedNode !== null;
      const body = lines(
        denominator,
        `let loss = 0;`,
        rowHeader,
        indent(
          lines(
            `const wt = ${wt};`,
            `loss -= wt * ${at('logp', 't')};`,
            `if (dZ === null) continue;`,
            fused
              ? [loop(`${at('dZ', 'c')} = Math.exp(${at('logp', 'c')}) * (wt / total);`), `${at('dZ', 't')} -= wt / total;`]
              : [loop(`${at('dZ', 'c')} = 0;`), `${at('dZ', 't')} = -wt / total;`],
          ),
        ),
        `}`,
        `return loss / total;`,
      );
      return {
        name: 'nllLoss',
        comment: `loss: nll on log-probabilities logp [n,${out.outShape.join(',')}]${w === null ? '' : ', class weights'} — ${fusion.note}. loss = −Σ w[y]·logp[y] / Σ w[y]`,
        body,
        constants,
      };
    }
    default:
      return assertNever(loss, 'loss kind');
  }
}

// The softmax of the logits, once for every loss term that reads it (fuse.ts, planLossSoftmax: cross_entropy
// + dice from_logits computed it once each, dice twice). Per sample, rows (its pixels, or the sample itself)
// side by side, so every pass runs along memory:
//   mx = max_c z[c], e[c] = exp(z[c] − mx) (kept in float64), sum = Σ_c e[c] in class order,
//   prob[c] = e[c] / sum,  logSumExp = mx + log(sum)
// the same operations, in the same order, as each term's own softmax head (common.ts, softmaxHead), then
// stored in the model's arena (rounded once, in a float32 module). Float32 logits in wasm memory take the
// runtime's kernel instead (runtime/wasm/softmax.ts: two pixels at a time, fdlibm's exp; the same bits).
import { lines } from '../kernel.js';
import type { TermCode } from './common.js';

/** lossSoftmax(n, z, prob, logSumExp): no value; `input` is z. */
export function emitLossSoftmax(C: number, outSize: number, constant: (base: string) => string): TermCode {
  const inner = outSize / C;
  const name = constant('lossSoftmax');
  const M = constant('softmaxMax'), S = constant('softmaxSum'), E = constant('softmaxExp');
  const each = (stmt: string): string => `for (let c = 0; c < ${C}; c++) for (let i = 0; i < ${inner}; i++) ${stmt}`;
  const body = lines(
    `if (rt.lossSoftmax(z, prob, logSumExp, n, ${C}, ${inner})) return;`,
    `for (let s = 0; s < n; s++) {`,
    `  const o = s * ${outSize};`,
    `  ${M}.fill(-Infinity);`,
    `  ${S}.fill(0);`,
    `  ${each(`if (z[o + c * ${inner} + i] > ${M}[i]) ${M}[i] = z[o + c * ${inner} + i];`)}`,
    `  ${each(`{\n    const e = Math.exp(z[o + c * ${inner} + i] - ${M}[i]);\n    ${E}[c * ${inner} + i] = e;\n    ${S}[i] += e;\n  }`)}`,
    `  ${each(`prob[o + c * ${inner} + i] = ${E}[c * ${inner} + i] / ${S}[i];`)}`,
    `  for (let i = 0; i < ${inner}; i++) logSumExp[s * ${inner} + i] = ${M}[i] + Math.log(${S}[i]);`,
    `}`,
  );
  return {
    name,
    input: 'z',
    body,
    constants: lines(`const ${M} = new Float64Array(${inner});`, `const ${S} = new Float64Array(${inner});`, `const ${E} = new Float64Array(${outSize});`),
  };
}

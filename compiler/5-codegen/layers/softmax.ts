// softmax / log_softmax over dim 1 (the class or channel dimension), numerically stable: the row max
// is subtracted before exp. For [C, H, W] outputs each pixel is a row of C values `inner` apart.
// backward: softmax dX = y·(dY − Σ dY·y); log_softmax dX = dY − exp(y)·Σ dY.
import type { LogSoftmaxNode, SoftmaxNode } from '../../ir/types.js';
import { affine, DX, DY, indent, lines, N, X, Y, type EmitOptions, type LayerKernels } from '../kernel.js';

export function emitSoftmax(node: SoftmaxNode | LogSoftmaxNode, o: EmitOptions): LayerKernels {
  const classes = node.outShape[0] ?? 1;
  const inner = node.outSize / classes;
  const at = (v: string): string => `${v}[o + ${affine([[inner, 'c']])}]`;
  const rows = (body: string[]): string =>
    lines(
      inner === 1 ? `for (let s = 0; s < n; s++) {` : `for (let r = 0; r < n * ${inner}; r++) {`,
      inner === 1 ? `  const o = s * ${classes};` : `  const o = Math.floor(r / ${inner}) * ${node.outSize} + (r % ${inner});`,
      indent(body.join('\n')),
      `}`,
    );
  const loop = (stmt: string): string => `for (let c = 0; c < ${classes}; c++) ${stmt}`;
  const fwd = [
    `let mx = -Infinity;`,
    loop(`if (${at('x')} > mx) mx = ${at('x')};`),
    `let sum = 0;`,
    loop(`sum += Math.exp(${at('x')} - mx);`),
    node.kind === 'softmax' ? loop(`${at('y')} = Math.exp(${at('x')} - mx) / sum;`) : `const lse = mx + Math.log(sum);`,
    ...(node.kind === 'log_softmax' ? [loop(`${at('y')} = ${at('x')} - lse;`)] : []),
  ];
  const bwd =
    node.kind === 'softmax'
      ? [`let dot = 0;`, loop(`dot += ${at('dY')} * ${at('y')};`), loop(`${at('dX')} = ${at('y')} * (${at('dY')} - dot);`)]
      : [`let sum = 0;`, loop(`sum += ${at('dY')};`), loop(`${at('dX')} = ${at('dY')} - Math.exp(${at('y')}) * sum;`)];
  return {
    helpers: [],
    forward: { suffix: 'forward', params: [N, X, Y], body: rows(fwd) },
    backward: o.backward && o.writesDX ? { suffix: 'backward', params: [N, Y, DY, DX], body: rows(bwd) } : null,
  };
}

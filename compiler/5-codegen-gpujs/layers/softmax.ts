// softmax / log_softmax over dim 1 (the class or channel dimension), numerically stable (the row
// maximum is subtracted before exp). Each thread recomputes its row's maximum and sum over the C
// classes (C is small; no shared memory in gpu.js). For [C, H, W] each pixel is a row, C values H·W apart.
// backward: softmax dX = y·(dY − Σ dY·y); log_softmax dX = dY − exp(y)·Σ dY.
import type { LogSoftmaxNode, SoftmaxNode } from '../../ir/types.js';
import { body, call, unflatten, type Ctx, type LayerCode } from '../kernel.js';

/** Thread → (sample, class, position) and `o`, the index of class 0 of its row. */
export function rowHead(classes: number, inner: number): string[] {
  return [...unflatten(['s', 'c', 'p'], [1e9, classes, inner]), `const o = s * ${classes * inner} + p;`];
}

export function rowLoop(classes: number, inner: number, stmt: (at: (v: string) => string) => string): string[] {
  const at = (v: string): string => `${v}[o + cc${inner === 1 ? '' : ` * ${inner}`}]`;
  return [`for (let cc = 0; cc < ${classes}; cc++) {`, `  ${stmt(at)}`, `}`];
}

export function emitSoftmax(node: SoftmaxNode | LogSoftmaxNode, c: Ctx): LayerCode {
  const classes = node.outShape[0] ?? 1;
  const inner = node.outSize / classes;
  const stats = [
    `let mx = -3.4e38;`,
    ...rowLoop(classes, inner, (at) => `mx = Math.max(mx, ${at('x')});`),
    `let sum = 0.0;`,
    ...rowLoop(classes, inner, (at) => `sum += Math.exp(${at('x')} - mx);`),
  ];
  const fwd = body(rowHead(classes, inner), stats, node.kind === 'softmax' ? 'return Math.exp(x[this.thread.x] - mx) / sum;' : 'return x[this.thread.x] - (mx + Math.log(sum));');
  const bwd =
    node.kind === 'softmax'
      ? body(rowHead(classes, inner), `let dot = 0.0;`, rowLoop(classes, inner, (at) => `dot += ${at('dY')} * ${at('y')};`), `const i = this.thread.x;`, `return y[i] * (dY[i] - dot);`)
      : body(rowHead(classes, inner), `let sum = 0.0;`, rowLoop(classes, inner, (at) => `sum += ${at('dY')};`), `const i = this.thread.x;`, `return dY[i] - Math.exp(y[i]) * sum;`);
  const back = c.backward && c.dX !== null;
  return {
    kernels: [
      { suffix: 'forward', params: ['x'], length: { perSample: node.outSize }, body: fwd },
      ...(back ? [{ suffix: 'backward', params: ['y', 'dY'], length: { perSample: node.outSize }, body: bwd }] : []),
    ],
    forward: [call(c.y, c.k('forward'), [c.x])],
    backward: back && c.dX !== null ? [call(c.dX, c.k('backward'), [c.y, c.dY])] : [],
    grads: [],
  };
}

// add: y = x0 + x1 + …, elementwise (a residual connection). backward: every input's gradient is dY
// itself, so there is no backward kernel: each dXk is the dY tensor (tensors are immutable, so sharing
// one is safe). Where an input is also read elsewhere, the generated step sums its readers' gradients.
import type { AddNode } from '../../ir/types.js';
import { call, type Ctx, type LayerCode } from '../kernel.js';

export function emitAdd(node: AddNode, c: Ctx): LayerCode {
  const ks = c.xs.map((_, k) => k);
  return {
    kernels: [
      {
        suffix: 'forward',
        params: ks.map((k) => `x${k}`),
        length: { perSample: node.outSize },
        body: `const i = this.thread.x;\nreturn ${ks.map((k) => `x${k}[i]`).join(' + ')};`,
      },
    ],
    forward: [call(c.y, c.k('forward'), c.xs)],
    backward: c.backward ? c.dXs.flatMap((d, k) => (d === null ? [] : [`const ${d} = ${c.dY}; // ${node.name}: ∂y/∂x${k} = 1`])) : [],
    grads: [],
  };
}

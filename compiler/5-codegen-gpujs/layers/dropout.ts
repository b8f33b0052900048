// dropout / dropout2d (torch.nn.Dropout, Dropout2d), inverted: kept elements (or whole channels) are
// scaled by 1/(1 − p). The mask is CPU code on purpose: it is drawn from the model's Rng in the same
// order as the TypeScript target (so a seed gives both targets the same masks), then uploaded; the
// kernels only multiply. In eval mode both are the identity: no kernel, the tensor is passed on.
import type { Dropout2dNode, DropoutNode } from '../../ir/types.js';
import { flt, type Ctx, type LayerCode } from '../kernel.js';

export function emitDropout(node: DropoutNode | Dropout2dNode, c: Ctx): LayerCode {
  const channels = node.kind === 'dropout2d' ? (node.outShape[0] ?? 1) : node.outSize;
  const inner = node.outSize / channels;
  const m = inner === 1 ? 'mask[i]' : `mask[Math.floor(i / ${inner})]`;
  const mask = `mask_${node.name}`;
  const back = c.backward && c.dX !== null;
  return {
    kernels: [
      { suffix: 'forward', params: ['x', 'mask'], length: { perSample: node.outSize }, body: `const i = this.thread.x;\nreturn x[i] * ${m};` },
      ...(back ? [{ suffix: 'backward', params: ['dY', 'mask'], length: { perSample: node.outSize }, body: `const i = this.thread.x;\nreturn dY[i] * ${m};` }] : []),
    ],
    forward: [
      `const ${mask} = this.training ? this.dropoutMask(n * ${channels}, ${flt(1 - node.p)}, ${flt(1 / (1 - node.p))}) : null;`,
      `const ${c.y} = ${mask} === null ? ${c.x} : yield this.run(${c.k('forward')}, n, ${c.x}, ${mask});`,
    ],
    backward: back && c.dX !== null ? [`const ${c.dX} = ${mask} === null ? ${c.dY} : yield this.run(${c.k('backward')}, n, ${c.dY}, ${mask});`] : [],
    grads: [],
  };
}

// global_avgpool2d (nn.AdaptiveAvgPool2d(1)): y[s,c] = mean of x[s,c,·,·]; dX[s,c,h,w] = dY[s,c] / (H·W).
import type { GlobalAvgPool2dNode } from '../../ir/types.js';
import { body, call, type Ctx, type LayerCode } from '../kernel.js';

export function emitGlobalAvgPool2d(node: GlobalAvgPool2dNode, c: Ctx): LayerCode {
  const [ch, h, w] = node.inShapes[0] as [number, number, number];
  const hw = h * w;
  const back = c.backward && c.dX !== null;
  return {
    kernels: [
      {
        suffix: 'forward',
        params: ['x'],
        length: { perSample: ch },
        body: body(`const xo = this.thread.x * ${hw};`, `let acc = 0.0;`, `for (let q = 0; q < ${hw}; q++) {`, `  acc += x[xo + q];`, `}`, `return acc / ${hw}.0;`),
      },
      ...(back ? [{ suffix: 'backward', params: ['dY'], length: { perSample: ch * hw }, body: `return dY[Math.floor(this.thread.x / ${hw})] / ${hw}.0;` }] : []),
    ],
    forward: [call(c.y, c.k('forward'), [c.x])],
    backward: back && c.dX !== null ? [call(c.dX, c.k('backward'), [c.dY])] : [],
    grads: [],
  };
}

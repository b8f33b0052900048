// global_avgpool2d: nn.AdaptiveAvgPool2d(1), y[n, c, 0, 0] = mean over h, w of x[n, c]; backward spreads
// dY / (h·w) over the plane.
import type { GlobalAvgPool2dNode } from '../../ir/types.js';
import { DX, DY, lines, N, X, Y, type EmitOptions, type LayerKernels } from '../kernel.js';

export function emitGlobalAvgPool2d(node: GlobalAvgPool2dNode, o: EmitOptions): LayerKernels {
  const [c, h, w] = node.inShapes[0] as [number, number, number];
  const hw = h * w;
  return {
    helpers: [],
    forward: {
      suffix: 'forward',
      params: [N, X, Y],
      body: lines(
        `for (let sc = 0; sc < n * ${c}; sc++) {`,
        `  const xo = sc * ${hw};`,
        `  let acc = 0;`,
        `  for (let q = 0; q < ${hw}; q++) acc += x[xo + q];`,
        `  y[sc] = acc / ${hw};`,
        `}`,
      ),
    },
    backward: o.backward && o.writesDX
      ? {
          suffix: 'backward',
          params: [N, DY, DX],
          body: lines(
            `for (let sc = 0; sc < n * ${c}; sc++) {`,
            `  const g = dY[sc] / ${hw};`,
            `  for (let q = sc * ${hw}; q < sc * ${hw} + ${hw}; q++) dX[q] = g;`, // a loop: fill(g, …) would box the float
            `}`,
          ),
        }
      : null,
  };
}

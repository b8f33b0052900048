// linear as one gemm over the batch (torch.nn.Linear: weight [out, in], y = x·Wᵀ + b).
// forward:  y[n × out] = x[n × in] · W[out × in]ᵀ (gemmNT; bias rows written first, gemm adds)
// backward: dW += dYᵀ · x (gemmTN), dB += Σ_rows dY, dX = dY · W (gemmNN)
import type { LinearNode } from '../../ir/types.js';
import { arg, DX, DY, lines, N, X, Y, type EmitOptions, type KernelArg, type LayerKernels } from '../kernel.js';

export function emitLinear(node: LinearNode, o: EmitOptions): LayerKernels {
  const fin = node.inFeatures;
  const fout = node.outFeatures;
  const fwd: KernelArg[] = [N, X, Y, arg('W', 'F', { kind: 'param', role: 'weight' })];
  if (node.bias) fwd.push(arg('B', 'F', { kind: 'param', role: 'bias' }));
  const bwd: KernelArg[] = [N, X, DY, arg('W', 'F', { kind: 'param', role: 'weight' }), arg('dW', 'F', { kind: 'grad', role: 'weight' })];
  if (node.bias) bwd.push(arg('dB', 'F', { kind: 'grad', role: 'bias' }));
  if (o.writesDX) bwd.push(DX);
  return {
    helpers: [],
    forward: {
      suffix: 'forward',
      params: fwd,
      body: lines(
        node.bias ? `for (let s = 0; s < n; s++) y.set(B, s * ${fout});` : null,
        `rt.gemmNT(n, ${fout}, ${fin}, x, 0, W, 0, y, 0, ${node.bias});`,
      ),
    },
    backward: o.backward
      ? {
          suffix: 'backward',
          params: bwd,
          body: lines(
            `rt.gemmTN(${fout}, ${fin}, n, dY, 0, x, 0, dW, 0, true);`,
            node.bias
              ? [
                  `for (let s = 0; s < n; s++) {`,
                  `  const o = s * ${fout};`,
                  `  for (let j = 0; j < ${fout}; j++) dB[j] += dY[o + j];`,
                  `}`,
                ]
              : null,
            o.writesDX ? `rt.gemmNN(n, ${fin}, ${fout}, dY, 0, W, 0, dX, 0, false);` : null,
          ),
        }
      : null,
  };
}

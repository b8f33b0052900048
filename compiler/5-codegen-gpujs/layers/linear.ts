// linear (torch.nn.Linear: weight [out, in], y = x·Wᵀ + b) as gather kernels:
//   forward y[s,j] = B[j] + Σ_i x[s,i]·W[j,i];  dW[j,i] = Σ_s dY[s,j]·x[s,i];  dB[j] = Σ_s dY[s,j];  dX[s,i] = Σ_j dY[s,j]·W[j,i]
import type { LinearNode } from '../../ir/types.js';
import { body, sum, unflatten, weightedLayerCode, type Ctx, type GpuKernel, type LayerCode } from '../kernel.js';

export function emitLinear(node: LinearNode, c: Ctx): LayerCode {
  const fin = node.inFeatures;
  const fout = node.outFeatures;
  const oW = c.offset('weight');
  const loop = (v: string, bound: string | number, stmt: string): string[] => [`for (let ${v} = 0; ${v} < ${bound}; ${v}++) {`, `  ${stmt}`, `}`];
  const kernels: GpuKernel[] = [
    {
      suffix: 'forward',
      params: ['x', 'params'],
      length: { perSample: fout },
      body: body(
        unflatten(['s', 'j'], [1e9, fout]),
        `let acc = ${node.bias ? `params[${sum(c.offset('bias'), 'j')}]` : '0.0'};`,
        loop('i', fin, `acc += x[${sum(['s', fin], 'i')}] * params[${sum(oW, ['j', fin], 'i')}];`),
        `return acc;`,
      ),
    },
  ];
  if (c.backward) {
    kernels.push({
      suffix: 'dW',
      params: ['x', 'dY'],
      length: { total: fout * fin },
      body: body(unflatten(['j', 'i'], [fout, fin]), `let acc = 0.0;`, loop('s', '${n}', `acc += dY[${sum(['s', fout], 'j')}] * x[${sum(['s', fin], 'i')}];`), `return acc;`),
    });
    if (node.bias) {
      kernels.push({
        suffix: 'dB',
        params: ['dY'],
        length: { total: fout },
        body: body(`const j = this.thread.x;`, `let acc = 0.0;`, loop('s', '${n}', `acc += dY[${sum(['s', fout], 'j')}];`), `return acc;`),
      });
    }
    if (c.dX !== null) {
      kernels.push({
        suffix: 'dX',
        params: ['dY', 'params'],
        length: { perSample: fin },
        body: body(unflatten(['s', 'i'], [1e9, fin]), `let acc = 0.0;`, loop('j', fout, `acc += dY[${sum(['s', fout], 'j')}] * params[${sum(oW, ['j', fin], 'i')}];`), `return acc;`),
      });
    }
  }
  return weightedLayerCode(node.name, node.bias, c, kernels);
}

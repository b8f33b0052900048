// conv_transpose2d (torch.nn.ConvTranspose2d: weight [Cin, Cout/groups, kh, kw], bias [Cout]) as gather
// kernels. Input (ih, iw) reaches output (oh, ow) through tap (ki, kj) when oh = ih·sh − ph + ki·dh and
// ow = iw·sw − pw + kj·dw (output_padding only makes the output larger), so each output gathers
//   forward  y[s,co,oh,ow] = B[co] + Σ_{c,ki,kj} x[s, g·Cin/g + c, ih, iw]·W[g·Cin/g + c, co − g·Cout/g, ki, kj]
//            over the (ki, kj) where ih = (oh + ph − ki·dh)/sh is whole and in range (and iw alike);
//   dW[ci,cc,ki,kj] = Σ_{s,ih,iw} x[s,ci,ih,iw]·dY[s, g·Cout/g + cc, oh, ow] where (oh, ow) is in range;
//   dB[co] = Σ dY[s,co,·,·];  dX[s,ci,ih,iw] = Σ_{cc,ki,kj} W[ci,cc,ki,kj]·dY[s, g·Cout/g + cc, oh, ow]
// (dX is the conv2d forward of dY with the same kernel: the TypeScript target's im2col + gemm).
import { convOf } from '../../ir/plan.js';
import type { ConvTranspose2dNode } from '../../ir/types.js';
import { body, sum, unflatten, weightedLayerCode, type Ctx, type GpuKernel, type LayerCode } from '../kernel.js';

export function emitConvTranspose2d(node: ConvTranspose2dNode, c: Ctx): LayerCode {
  const { cin, h, w, cout, ho, wo, kh, kw, sh, sw, dh, dw, top: ph, left: pw, groups: g, cig, cog, inS, outS } = convOf(c.plan);
  const kk = kh * kw;
  const oW = c.offset('weight');
  const xAt = (s: string, ci: string, ih: string, iw: string): string => `x[${sum([s, inS], [ci, h * w], [ih, w], iw)}]`;
  const wAt = (ci: string, cc: string, ki: string, kj: string): string => `params[${sum(oW, [ci, cog * kk], [cc, kk], [ki, kw], kj)}]`;
  const dyAt = (s: string, co: string, oh: string, ow: string): string => `dY[${sum([s, outS], [co, ho * wo], [oh, wo], ow)}]`;
  // Input row ih that tap ki maps onto output row oh: oh + ph − ki·dh = ih·sh, whole and in [0, size).
  const solve = (i: string, t: string, stride: number, size: number): string[] =>
    stride === 1
      ? [`const ${i} = ${t};`, `if (${i} >= 0 && ${i} < ${size}) {`]
      : [`const ${i} = Math.floor(${t} / ${stride});`, `if (${t} >= 0 && ${i} * ${stride} === ${t} && ${i} < ${size}) {`];
  // Output row oh that input row ih reaches through tap ki.
  const reach = (o: string, v: string, stride: number, pad: number, k: string, dil: number, size: number): string[] => [
    `const ${o} = ${sum([v, stride], -pad, [k, dil])};`,
    `if (${o} >= 0 && ${o} < ${size}) {`,
  ];
  const ind = (ls: string[], d: number): string[] => ls.map((l) => ' '.repeat(d) + l);

  const forward: GpuKernel = {
    suffix: 'forward',
    params: ['x', 'params'],
    length: { perSample: outS },
    body: body(
      unflatten(['s', 'co', 'oh', 'ow'], [1e9, cout, ho, wo]),
      g === 1 ? `const cc = co;` : `const cc = co - Math.floor(co / ${cog}) * ${cog};`,
      `const ci0 = ${g === 1 ? '0' : `Math.floor(co / ${cog}) * ${cig}`};`,
      `let acc = ${node.bias ? `params[${sum(c.offset('bias'), 'co')}]` : '0.0'};`,
      `for (let j = 0; j < ${cig}; j++) {`,
      `  for (let ki = 0; ki < ${kh}; ki++) {`,
      `    const th = ${sum('oh', ph, ['ki', -dh])};`,
      ...ind(solve('ih', 'th', sh, h), 4),
      `      for (let kj = 0; kj < ${kw}; kj++) {`,
      `        const tw = ${sum('ow', pw, ['kj', -dw])};`,
      ...ind(solve('iw', 'tw', sw, w), 8),
      `          acc += ${xAt('s', 'ci0 + j', 'ih', 'iw')} * ${wAt('ci0 + j', 'cc', 'ki', 'kj')};`,
      `        }`,
      `      }`,
      `    }`,
      `  }`,
      `}`,
      `return acc;`,
    ),
  };
  const dW: GpuKernel = {
    suffix: 'dW',
    params: ['x', 'dY'],
    length: { total: cin * cog * kk },
    body: body(
      unflatten(['ci', 'cc', 'ki', 'kj'], [cin, cog, kh, kw]),
      `const co = ${g === 1 ? 'cc' : `Math.floor(ci / ${cig}) * ${cog} + cc`};`,
      `let acc = 0.0;`,
      `for (let s = 0; s < \${n}; s++) {`,
      `  for (let ih = 0; ih < ${h}; ih++) {`,
      ...ind(reach('oh', 'ih', sh, ph, 'ki', dh, ho), 4),
      `      for (let iw = 0; iw < ${w}; iw++) {`,
      ...ind(reach('ow', 'iw', sw, pw, 'kj', dw, wo), 8),
      `          acc += ${xAt('s', 'ci', 'ih', 'iw')} * ${dyAt('s', 'co', 'oh', 'ow')};`,
      `        }`,
      `      }`,
      `    }`,
      `  }`,
      `}`,
      `return acc;`,
    ),
  };
  const dB: GpuKernel = {
    suffix: 'dB',
    params: ['dY'],
    length: { total: cout },
    body: body(
      `const co = this.thread.x;`,
      `let acc = 0.0;`,
      `for (let s = 0; s < \${n}; s++) {`,
      `  for (let q = 0; q < ${ho * wo}; q++) {`,
      `    acc += dY[${sum(['s', outS], ['co', ho * wo], 'q')}];`,
      `  }`,
      `}`,
      `return acc;`,
    ),
  };
  const dX: GpuKernel = {
    suffix: 'dX',
    params: ['dY', 'params'],
    length: { perSample: inS },
    body: body(
      unflatten(['s', 'ci', 'ih', 'iw'], [1e9, cin, h, w]),
      `const co0 = ${g === 1 ? '0' : `Math.floor(ci / ${cig}) * ${cog}`};`,
      `let acc = 0.0;`,
      `for (let cc = 0; cc < ${cog}; cc++) {`,
      `  for (let ki = 0; ki < ${kh}; ki++) {`,
      ...ind(reach('oh', 'ih', sh, ph, 'ki', dh, ho), 4),
      `      for (let kj = 0; kj < ${kw}; kj++) {`,
      ...ind(reach('ow', 'iw', sw, pw, 'kj', dw, wo), 8),
      `          acc += ${dyAt('s', 'co0 + cc', 'oh', 'ow')} * ${wAt('ci', 'cc', 'ki', 'kj')};`,
      `        }`,
      `      }`,
      `    }`,
      `  }`,
      `}`,
      `return acc;`,
    ),
  };
  const kernels = [forward, ...(c.backward ? [dW, ...(node.bias ? [dB] : []), ...(c.dX !== null ? [dX] : [])] : [])];
  return weightedLayerCode(node.name, node.bias, c, kernels);
}

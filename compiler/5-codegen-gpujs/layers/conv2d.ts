// conv2d (torch.nn.Conv2d: weight [Cout, Cin/groups, kh, kw], bias [Cout]) as gather kernels:
//   forward  y[s,co,oh,ow] = B[co] + Σ_{c,ki,kj} W[co,c,ki,kj]·x[s, g·Cin/g + c, oh·sh + ki·dh − top, ow·sw + kj·dw − left]
//   dW[co,c,ki,kj] = Σ_{s,oh,ow} dY[s,co,oh,ow]·x[s,ci,ih,iw];  dB[co] = Σ_{s,oh,ow} dY[s,co,oh,ow]
//   dX[s,ci,ih,iw] = Σ over the (co, ki, kj) whose window covers (ih, iw): dY[s,co,oh,ow]·W[co,c,ki,kj]
// (the adjoint of the forward's index map, solved for oh = (ih + top − ki·dh)/sh where it is whole).
import { convOf } from '../../ir/plan.js';
import type { Conv2dNode } from '../../ir/types.js';
import { block, body, guard, over, sum, times, unflatten, weightedLayerCode, type Ctx, type GpuKernel, type LayerCode } from '../kernel.js';

export function emitConv2d(node: Conv2dNode, c: Ctx): LayerCode {
  const { cin, h, w, cout, ho, wo, kh, kw, sh, sw, dh, dw, top, left, groups: g, cig, cog, k, p, inS, outS } = convOf(c.plan);
  const oW = c.offset('weight');
  const xAt = (s: string, ci: string, ih: string, iw: string): string => `x[${sum([s, inS], [ci, h * w], [ih, w], iw)}]`;
  const wAt = (co: string, cc: string, ki: string, kj: string): string => `params[${sum(oW, [co, k], [cc, kh * kw], [ki, kw], kj)}]`;
  const dyAt = (s: string, co: string, oh: string, ow: string): string => `dY[${sum([s, outS], [co, p], [oh, wo], ow)}]`;
  const group = (co: string): string => (g === 1 ? '0' : over(co, cog));
  const inRange = (v: string, size: number, lo: boolean, hi: boolean): string =>
    [lo ? `${v} >= 0` : '', hi ? `${v} < ${size}` : ''].filter((s) => s !== '').join(' && ') || 'true';
  const padH = top > 0 || convOf(c.plan).bottom > 0;
  const padW = left > 0 || convOf(c.plan).right > 0;

  const ci = (cc: string): string => (g === 1 ? cc : `ci0 + ${cc}`);
  const forward: GpuKernel = {
    suffix: 'forward',
    params: ['x', 'params'],
    length: { perSample: outS },
    body: body(
      unflatten(['s', 'co', 'oh', 'ow'], [1e9, cout, ho, wo]),
      g === 1 ? null : `const ci0 = ${times(group('co'), cig)};`,
      `let acc = ${node.bias ? `params[${sum(c.offset('bias'), 'co')}]` : '0.0'};`,
      block(`for (let cc = 0; cc < ${cig}; cc++)`, block(`for (let ki = 0; ki < ${kh}; ki++)`, [
        `const ih = ${sum(['oh', sh], ['ki', dh], -top)};`,
        ...guard(inRange('ih', h, padH, padH), block(`for (let kj = 0; kj < ${kw}; kj++)`, [
          `const iw = ${sum(['ow', sw], ['kj', dw], -left)};`,
          ...guard(inRange('iw', w, padW, padW), [`acc += ${xAt('s', ci('cc'), 'ih', 'iw')} * ${wAt('co', 'cc', 'ki', 'kj')};`]),
        ])),
      ])),
      `return acc;`,
    ),
  };
  const dW: GpuKernel = {
    suffix: 'dW',
    params: ['x', 'dY'],
    length: { total: cout * k },
    body: body(
      unflatten(['co', 'cc', 'ki', 'kj'], [cout, cig, kh, kw]),
      g === 1 ? null : `const ci0 = ${times(group('co'), cig)};`,
      `let acc = 0.0;`,
      block(`for (let s = 0; s < \${n}; s++)`, block(`for (let oh = 0; oh < ${ho}; oh++)`, [
        `const ih = ${sum(['oh', sh], ['ki', dh], -top)};`,
        ...guard(inRange('ih', h, padH, padH), block(`for (let ow = 0; ow < ${wo}; ow++)`, [
          `const iw = ${sum(['ow', sw], ['kj', dw], -left)};`,
          ...guard(inRange('iw', w, padW, padW), [`acc += ${dyAt('s', 'co', 'oh', 'ow')} * ${xAt('s', ci('cc'), 'ih', 'iw')};`]),
        ])),
      ])),
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
      `  for (let q = 0; q < ${p}; q++) {`,
      `    acc += dY[${sum(['s', outS], ['co', p], 'q')}];`,
      `  }`,
      `}`,
      `return acc;`,
    ),
  };
  // dX: for output row oh to read (ih, iw) through tap ki, oh·sh = ih + top − ki·dh must be a whole row in range.
  const solve = (o: string, t: string, stride: number, size: number): string[] =>
    stride === 1
      ? [`const ${o} = ${t};`, `if (${o} >= 0 && ${o} < ${size}) {`]
      : [`const ${o} = Math.floor(${t} / ${stride});`, `if (${t} >= 0 && ${o} * ${stride} === ${t} && ${o} < ${size}) {`];
  const dX: GpuKernel = {
    suffix: 'dX',
    params: ['dY', 'params'],
    length: { perSample: inS },
    body: body(
      unflatten(['s', 'ci', 'ih', 'iw'], [1e9, cin, h, w]),
      g === 1 ? `const cc = ci;` : cig === 1 ? 'const cc = 0;' : `const cc = ci - ${times(over('ci', cig), cig)};`,
      `const co0 = ${g === 1 ? '0' : times(over('ci', cig), cog)};`,
      `let acc = 0.0;`,
      `for (let j = 0; j < ${cog}; j++) {`,
      `  for (let ki = 0; ki < ${kh}; ki++) {`,
      `    const th = ${sum('ih', top, ['ki', -dh])};`,
      ...solve('oh', 'th', sh, ho).map((l) => `    ${l}`),
      `      for (let kj = 0; kj < ${kw}; kj++) {`,
      `        const tw = ${sum('iw', left, ['kj', -dw])};`,
      ...solve('ow', 'tw', sw, wo).map((l) => `        ${l}`),
      `          acc += ${dyAt('s', 'co0 + j', 'oh', 'ow')} * ${wAt('co0 + j', 'cc', 'ki', 'kj')};`,
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

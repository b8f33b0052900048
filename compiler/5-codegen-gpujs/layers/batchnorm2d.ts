// batchnorm2d (torch.nn.BatchNorm2d). Training: per-channel batch mean and biased variance over
// (n, H, W) — one small kernel each, [C] outputs — normalize with them, and move the running
// statistics toward the mean and the UNBIASED variance (var·count/(count − 1)) by `momentum`
// (two more [C] kernels; num_batches_tracked is a host count). Eval: the running statistics.
// y = x·a + b with a = γ·invstd, b = β − mean·a, as PyTorch's CPU kernel and the TypeScript target.
// backward: Σ dY and Σ dY·(x − mean) per channel ([C] kernels); dγ = Σ dY·x̂, dβ = Σ dY;
// dX = γ·invstd·(dY − mean(dY) − x̂·mean(dY·x̂)) in training, γ·invstd·dY in eval.
import type { BatchNorm2dNode } from '../../ir/types.js';
import { body, call, flt, sum, unflatten, type Ctx, type GpuKernel, type LayerCode } from '../kernel.js';

export function emitBatchNorm2d(node: BatchNorm2dNode, c: Ctx): LayerCode {
  const [ch, h, w] = node.inShapes[0] as [number, number, number];
  const hw = h * w;
  const chw = ch * hw;
  const eps = flt(node.eps);
  const mom = node.momentum;
  const name = node.name;
  const hasNbt = node.params.some((p) => p.role === 'num_batches_tracked');
  // Σ over the channel's n·H·W values of `term` (which reads `v`, the element index).
  const overChannel = (term: string): string[] => [
    `const ch = this.thread.x;`,
    `let acc = 0.0;`,
    `for (let s = 0; s < \${n}; s++) {`,
    `  for (let j = 0; j < ${hw}; j++) {`,
    `    const v = ${sum(['s', chw], ['ch', hw], 'j')};`,
    `    acc += ${term};`,
    `  }`,
    `}`,
  ];
  const count = `(\${n} * ${hw})`;
  const gamma = (chan: string): string => (node.affine ? `params[${sum(c.offset('weight'), chan)}]` : '1.0');
  const beta = (chan: string): string => (node.affine ? `params[${sum(c.offset('bias'), chan)}]` : '0.0');
  const elem = unflatten(['s', 'ch', 'j'], [1e9, ch, hw]);
  const kernels: GpuKernel[] = [
    { suffix: 'mean', params: ['x'], length: { total: ch }, body: body(overChannel('x[v]'), `return acc / ${count};`) },
    { suffix: 'var', params: ['x', 'mean'], length: { total: ch }, body: body(overChannel('(x[v] - mean[ch]) * (x[v] - mean[ch])'), `return acc / ${count};`) },
    {
      suffix: 'forward',
      params: ['x', 'mean', 'vr', 'params'],
      length: { perSample: chw },
      body: body(
        elem,
        `const is = 1.0 / Math.sqrt(vr[ch] + ${eps});`,
        node.affine ? `const a = ${gamma('ch')} * is;` : 'const a = is;',
        `const b = ${beta('ch')} - mean[ch] * a;`,
        `return x[this.thread.x] * a + b;`,
      ),
    },
    { suffix: 'runningMean', params: ['r', 'mean'], length: { total: ch }, body: `const ch = this.thread.x;\nreturn ${flt(1 - mom)} * r[ch] + ${flt(mom)} * mean[ch];` },
    {
      suffix: 'runningVar',
      params: ['r', 'vr'],
      length: { total: ch },
      body: `const ch = this.thread.x;\nreturn ${flt(1 - mom)} * r[ch] + ${flt(mom)} * (vr[ch] * ${count} / (${count} - 1.0));`,
    },
  ];
  const back = c.backward;
  if (back) {
    kernels.push(
      { suffix: 'sdy', params: ['dY'], length: { total: ch }, body: body(overChannel('dY[v]'), 'return acc;') },
      { suffix: 'sdyx', params: ['x', 'dY', 'mean'], length: { total: ch }, body: body(overChannel('dY[v] * (x[v] - mean[ch])'), 'return acc;') },
    );
    if (node.affine) kernels.push({ suffix: 'dW', params: ['sdyx', 'vr'], length: { total: ch }, body: `const ch = this.thread.x;\nreturn sdyx[ch] / Math.sqrt(vr[ch] + ${eps});` });
    if (c.dX !== null) {
      kernels.push({
        suffix: 'dX',
        params: ['x', 'dY', 'mean', 'vr', 'sdy', 'sdyx', 'params', 'training'],
        length: { perSample: chw },
        body: body(
          elem,
          `const i = this.thread.x;`,
          `const is = 1.0 / Math.sqrt(vr[ch] + ${eps});`,
          `const mdy = training > 0 ? sdy[ch] / ${count} : 0.0;`,
          `const proj = training > 0 ? (sdyx[ch] * is * is) / ${count} : 0.0;`,
          `return (dY[i] - mdy - (x[i] - mean[ch]) * proj) * ${node.affine ? `${gamma('ch')} * ` : ''}is;`,
        ),
      });
    }
  }
  const rm = JSON.stringify(c.tensor('running_mean'));
  const rv = JSON.stringify(c.tensor('running_var'));
  const m = `mean_${name}`;
  const v = `var_${name}`;
  const forward = [
    ...(hw === 1 ? [`if (this.training && n < 2) throw new RangeError('${name}: batchnorm2d needs more than 1 value per channel when training');`] : []),
    `let ${m} = this.buffer(${rm});`,
    `let ${v} = this.buffer(${rv});`,
    `if (this.training) {`,
    `  ${m} = yield this.run(${c.k('mean')}, n, ${c.x});`,
    `  ${v} = yield this.run(${c.k('var')}, n, ${c.x}, ${m});`,
    `  this.setBuffer(${rm}, yield this.run(${c.k('runningMean')}, n, this.buffer(${rm}), ${m}));`,
    `  this.setBuffer(${rv}, yield this.run(${c.k('runningVar')}, n, this.buffer(${rv}), ${v}));`,
    ...(hasNbt ? [`  this.countBatch(${JSON.stringify(c.tensor('num_batches_tracked'))});`] : []),
    `}`,
    call(c.y, c.k('forward'), [c.x, m, v, 'this.P']),
  ];
  const dWv = `dW_${name}`;
  const sdy = `sdy_${name}`;
  const sdyx = `sdyx_${name}`;
  const backward = back
    ? [
        call(sdy, c.k('sdy'), [c.dY]),
        call(sdyx, c.k('sdyx'), [c.x, c.dY, m]),
        ...(node.affine ? [call(dWv, c.k('dW'), [sdyx, v])] : []),
        ...(c.dX !== null ? [call(c.dX, c.k('dX'), [c.x, c.dY, m, v, sdy, sdyx, 'this.P', 'this.training ? 1 : 0'])] : []),
      ]
    : [];
  return {
    kernels,
    forward,
    backward,
    grads: back && node.affine ? [{ role: 'weight', v: dWv }, { role: 'bias', v: sdy }] : [],
  };
}

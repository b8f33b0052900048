// maxpool2d / avgpool2d (torch.nn.MaxPool2d, AvgPool2d; dilation 1; the window: PoolGeometry) as gather kernels.
// MaxPool2d keeps the first maximum in window order; its argmax (index in the input plane, a whole
// number held exactly in float32 below 2^24) is a second small kernel, since gpu.js kernels have one
// output. Backward gathers: each input cell sums dY over the windows whose argmax is that cell.
// (A NaN in a window is not propagated as PyTorch does: GLSL has no portable isnan.)
// AvgPool2d divides by kh·kw (count_include_pad, the default) or by the window's in-bounds size; a
// ceil_mode window past the padded input divides by its part inside the padded input (PyTorch's pool_size).
import { poolOf, type PoolGeometry } from '../../ir/plan.js';
import type { AvgPool2dNode, MaxPool2dNode } from '../../ir/types.js';
import { body, call, sum, unflatten, type Ctx, type GpuKernel, type LayerCode } from '../kernel.js';


/** Window of output (oh, ow) clipped to the input: rows [hs, he), columns [ws, we). Loops run over the full kernel with a bounds test. */
function windowHead(gm: PoolGeometry): string[] {
  return [
    ...unflatten(['sc', 'oh', 'ow'], [1e9, gm.ho, gm.wo]),
    `const xo = sc * ${gm.h * gm.w};`,
    `const h0 = ${sum(['oh', gm.sh], -gm.ph)};`,
    `const w0 = ${sum(['ow', gm.sw], -gm.pw)};`,
  ];
}

function inWindow(gm: PoolGeometry, inner: string[]): string[] {
  return [
    `for (let ki = 0; ki < ${gm.kh}; ki++) {`,
    `  const ih = h0 + ki;`,
    `  for (let kj = 0; kj < ${gm.kw}; kj++) {`,
    `    const iw = w0 + kj;`,
    `    if (ih >= 0 && ih < ${gm.h} && iw >= 0 && iw < ${gm.w}) {`,
    ...inner.map((l) => `      ${l}`),
    `    }`,
    `  }`,
    `}`,
  ];
}

/** For input cell (ih, iw): every output (oh, ow) whose window holds it, `q` its index in the plane. */
function coveringWindows(gm: PoolGeometry, inner: string[]): string[] {
  const solve = (o: string, t: string, stride: number, size: number): string[] =>
    stride === 1
      ? [`const ${o} = ${t};`, `if (${o} >= 0 && ${o} < ${size}) {`]
      : [`const ${o} = Math.floor(${t} / ${stride});`, `if (${t} >= 0 && ${o} * ${stride} === ${t} && ${o} < ${size}) {`];
  return [
    ...unflatten(['sc', 'ih', 'iw'], [1e9, gm.h, gm.w]),
    `const yo = sc * ${gm.ho * gm.wo};`,
    `let acc = 0.0;`,
    `for (let ki = 0; ki < ${gm.kh}; ki++) {`,
    `  const th = ${sum('ih', gm.ph)} - ki;`,
    ...solve('oh', 'th', gm.sh, gm.ho).map((l) => `  ${l}`),
    `    for (let kj = 0; kj < ${gm.kw}; kj++) {`,
    `      const tw = ${sum('iw', gm.pw)} - kj;`,
    ...solve('ow', 'tw', gm.sw, gm.wo).map((l) => `      ${l}`),
    `        const q = oh * ${gm.wo} + ow;`,
    ...inner.map((l) => `        ${l}`),
    `      }`,
    `    }`,
    `  }`,
    `}`,
    `return acc;`,
  ];
}

export function emitMaxPool2d(node: MaxPool2dNode, c: Ctx): LayerCode {
  const gm = poolOf(c.plan);
  const scan = (ret: string): string =>
    body(
      windowHead(gm),
      `let best = 0.0;`,
      `let at = -1.0;`,
      inWindow(gm, [`const v = x[xo + ih * ${gm.w} + iw];`, `if (at < 0 || v > best) {`, `  best = v;`, `  at = ih * ${gm.w} + iw;`, `}`]),
      `return ${ret};`,
    );
  const back = c.backward && c.dX !== null;
  const argmax = `argmax_${node.name}`;
  const kernels: GpuKernel[] = [
    { suffix: 'forward', params: ['x'], length: { perSample: node.outSize }, body: scan('best') },
    ...(back
      ? [
          { suffix: 'argmax', params: ['x'], length: { perSample: node.outSize }, body: scan('at') },
          {
            suffix: 'backward',
            params: ['dY', 'argmax'],
            length: { perSample: gm.c * gm.h * gm.w },
            body: body(coveringWindows(gm, [`if (argmax[yo + q] === ih * ${gm.w} + iw) {`, `  acc += dY[yo + q];`, `}`])),
          },
        ]
      : []),
  ];
  return {
    kernels,
    forward: [call(c.y, c.k('forward'), [c.x])],
    backward: back && c.dX !== null ? [call(argmax, c.k('argmax'), [c.x]), call(c.dX, c.k('backward'), [c.dY, argmax])] : [],
    grads: [],
  };
}

export function emitAvgPool2d(node: AvgPool2dNode, c: Ctx): LayerCode {
  const gm = poolOf(c.plan);
  // The in-bounds window size of output (oh, ow), for count_include_pad false.
  const count = (oh: string, ow: string): string[] => [
    `const hs = Math.max(${sum([oh, gm.sh], -gm.ph)}, 0);`,
    `const he = Math.min(${sum([oh, gm.sh], -gm.ph, gm.kh)}, ${gm.h});`,
    `const ws = Math.max(${sum([ow, gm.sw], -gm.pw)}, 0);`,
    `const we = Math.min(${sum([ow, gm.sw], -gm.pw, gm.kw)}, ${gm.w});`,
  ];
  // count_include_pad: kh·kw, or where a ceil_mode window runs past the padded input, its part inside it.
  const padded = (oh: string, ow: string): string[] => [
    `const hp = Math.min(${sum([oh, gm.sh], -gm.ph, gm.kh)}, ${gm.h + gm.ph}) - (${sum([oh, gm.sh], -gm.ph)});`,
    `const wp = Math.min(${sum([ow, gm.sw], -gm.pw, gm.kw)}, ${gm.w + gm.pw}) - (${sum([ow, gm.sw], -gm.pw)});`,
  ];
  const pastEnd = gm.pastEnd[0] || gm.pastEnd[1];
  const sizes = node.countIncludePad ? (pastEnd ? padded : null) : count;
  const divisor = !node.countIncludePad ? '((he - hs) * (we - ws))' : pastEnd ? '(hp * wp)' : `${gm.kh * gm.kw}.0`;
  const back = c.backward && c.dX !== null;
  const kernels: GpuKernel[] = [
    {
      suffix: 'forward',
      params: ['x'],
      length: { perSample: node.outSize },
      body: body(windowHead(gm), sizes === null ? null : sizes('oh', 'ow'), `let acc = 0.0;`, inWindow(gm, [`acc += x[xo + ih * ${gm.w} + iw];`]), `return acc / ${divisor};`),
    },
    ...(back
      ? [
          {
            suffix: 'backward',
            params: ['dY'],
            length: { perSample: gm.c * gm.h * gm.w },
            body: body(coveringWindows(gm, [...(sizes === null ? [] : sizes('oh', 'ow')), `acc += dY[yo + q] / ${divisor};`])),
          },
        ]
      : []),
  ];
  return {
    kernels,
    forward: [call(c.y, c.k('forward'), [c.x])],
    backward: back && c.dX !== null ? [call(c.dX, c.k('backward'), [c.dY])] : [],
    grads: [],
  };
}

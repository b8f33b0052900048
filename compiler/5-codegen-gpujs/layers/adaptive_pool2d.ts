// adaptive_avgpool2d / adaptive_maxpool2d (nn.AdaptiveAvgPool2d, AdaptiveMaxPool2d) as gather kernels, with the
// TypeScript target's rule (compiler/5-codegen/layers/adaptive_pool2d.ts): output i of an axis pools input
// [start(i), end(i)), the plan's AdaptiveAxis tables. A kernel cannot index a table, so the bounds are computed:
// start = ⌊(i·in + 0.5) / out⌋ and end = ⌊((i + 1)·in + out − 0.5) / out⌋, the integer rule with the 0.5 keeping
// float division off the integer boundary; every index is checked against the plan's tables when the kernel is
// made. Loops run over the widest window with a bounds test (gpu.js loop bounds are literals).
// avg divides Σ x by kh then kw (as PyTorch); max keeps the first maximum in window order, its argmax a second
// kernel (a NaN is not propagated as PyTorch does: GLSL has no portable isnan, as maxpool2d's note says).
// Backward gathers: each input cell sums, in output order, dY over the windows that hold it (max: whose argmax it is).
import { adaptiveOf, type AdaptiveAxis } from '../../ir/plan.js';
import type { AdaptivePool2dNode } from '../../ir/types.js';
import { body, call, unflatten, type Ctx, type GpuKernel, type LayerCode } from '../kernel.js';

/** The kernel's bounds of one axis, checked against the plan's table in float32 (GLSL's precision). */
function axisBounds(v: 'h' | 'w', o: string, axis: AdaptiveAxis): { lines: string[]; widest: number } {
  const { inSize, outSize } = axis;
  const f = Math.fround;
  for (let i = 0; i < outSize; i++) {
    const s = Math.floor(f(f(i * inSize + 0.5) / outSize));
    const e = Math.floor(f(f((i + 1) * inSize + outSize - 0.5) / outSize));
    if (s !== axis.start[i] || e !== axis.end[i]) throw new Error(`cnnc internal error: adaptive window ${i} of ${inSize} → ${outSize} is [${s}, ${e}), the plan's [${axis.start[i]}, ${axis.end[i]})`);
  }
  const widest = Math.max(...axis.start.map((s, i) => axis.end[i]! - s));
  return {
    lines: [
      `const ${v}s = Math.floor((${o} * ${inSize}.0 + 0.5) / ${outSize}.0);`,
      `const ${v}e = Math.floor(((${o} + 1.0) * ${inSize}.0 + ${outSize - 0.5}) / ${outSize}.0);`,
    ],
    widest,
  };
}

export function emitAdaptivePool2d(node: AdaptivePool2dNode, c: Ctx): LayerCode {
  const gm = adaptiveOf(c.plan);
  const [h, w, oh, ow] = [gm.h.inSize, gm.w.inSize, gm.h.outSize, gm.w.outSize];
  // The window of output (a, b): rows [hs, he), columns [ws, we).
  const window = (a: string, b: string): { lines: string[]; kh: number; kw: number } => {
    const H = axisBounds('h', a, gm.h);
    const W = axisBounds('w', b, gm.w);
    return { lines: [...H.lines, ...W.lines], kh: H.widest, kw: W.widest };
  };
  const fwdWin = window('oh', 'ow');
  const scanWindow = (inner: string[]): string[] => [
    `for (let ki = 0; ki < ${fwdWin.kh}; ki++) {`,
    `  const ih = hs + ki;`,
    `  for (let kj = 0; kj < ${fwdWin.kw}; kj++) {`,
    `    const iw = ws + kj;`,
    `    if (ih < he && iw < we) {`,
    ...inner.map((l) => `      ${l}`),
    `    }`,
    `  }`,
    `}`,
  ];
  const head = [...unflatten(['sc', 'oh', 'ow'], [1e9, oh, ow]), `const xo = sc * ${h * w};`, ...fwdWin.lines];
  // For input cell (ih, iw): every output (a, b) whose window holds it, in output order.
  const covering = (inner: string[]): string => {
    const bw = window('a', 'b');
    return body(
      unflatten(['sc', 'ih', 'iw'], [1e9, h, w]),
      `const yo = sc * ${oh * ow};`,
      `let acc = 0.0;`,
      `for (let a = 0; a < ${oh}; a++) {`,
      `  for (let b = 0; b < ${ow}; b++) {`,
      ...bw.lines.map((l) => `    ${l}`),
      `    if (ih >= hs && ih < he && iw >= ws && iw < we) {`,
      `      const q = a * ${ow} + b;`,
      ...inner.map((l) => `      ${l}`),
      `    }`,
      `  }`,
      `}`,
      `return acc;`,
    );
  };
  const back = c.backward && c.dX !== null;
  const dXLength = { perSample: gm.c * h * w };
  if (node.kind === 'adaptive_avgpool2d') {
    const kernels: GpuKernel[] = [
      { suffix: 'forward', params: ['x'], length: { perSample: node.outSize }, body: body(head, `let acc = 0.0;`, scanWindow([`acc += x[xo + ih * ${w} + iw];`]), `return acc / (he - hs) / (we - ws);`) },
      ...(back ? [{ suffix: 'backward', params: ['dY'], length: dXLength, body: covering([`acc += dY[yo + q] / (he - hs) / (we - ws);`]) }] : []),
    ];
    return {
      kernels,
      forward: [call(c.y, c.k('forward'), [c.x])],
      backward: back && c.dX !== null ? [call(c.dX, c.k('backward'), [c.dY])] : [],
      grads: [],
    };
  }
  const scan = (ret: string): string =>
    body(head, `let best = 0.0;`, `let at = -1.0;`, scanWindow([`const v = x[xo + ih * ${w} + iw];`, `if (at < 0 || v > best) {`, `  best = v;`, `  at = ih * ${w} + iw;`, `}`]), `return ${ret};`);
  const argmax = `argmax_${node.name}`;
  const kernels: GpuKernel[] = [
    { suffix: 'forward', params: ['x'], length: { perSample: node.outSize }, body: scan('best') },
    ...(back
      ? [
          { suffix: 'argmax', params: ['x'], length: { perSample: node.outSize }, body: scan('at') },
          { suffix: 'backward', params: ['dY', 'argmax'], length: dXLength, body: covering([`if (argmax[yo + q] === ih * ${w} + iw) {`, `  acc += dY[yo + q];`, `}`]) },
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

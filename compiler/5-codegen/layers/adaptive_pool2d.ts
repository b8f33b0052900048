// adaptive_avgpool2d and adaptive_maxpool2d (nn.AdaptiveAvgPool2d / AdaptiveMaxPool2d, PyTorch 1.13's CPU
// kernels, aten/src/ATen/native/cpu/AdaptiveAvgPoolKernel.cpp and AdaptiveMaxPoolKernel.cpp): output (oh, ow)
// pools input rows [hs, he) and columns [ws, we), the windows of the plan (AdaptivePoolGeometry). Where the
// output divides the input every window is k×k with stride k and the bounds are written inline; else they
// are the plan's tables, emitted as a constant. Each kernel first calls the runtime's wasm kernel (runtime/wasm/
// maxpool.ts: a pool geometry for uniform windows, the tables otherwise; the loops' bits), which returns false where
// the arrays are not in wasm memory; the loops below it run then.
// avg:  y = Σ x / kh / kw (divided twice, as PyTorch does: it is not the same float as Σ x / (kh·kw));
//       backward adds dY / kh / kw to every cell of the window, windows in output order (they may overlap).
// max:  the first maximum in window order, a NaN wins (PyTorch's `val > max || isnan(val)`); the argmax (index
//       in the input plane) is saved and backward adds dY there, in output order.
import { adaptiveOf, type AdaptiveAxis, type AdaptivePoolGeometry } from '../../ir/plan.js';
import type { AdaptivePool2dNode } from '../../ir/types.js';
import { arg, DX, DY, indent, lines, N, X, Y, type EmitOptions, type KernelArg, type LayerKernels } from '../kernel.js';

export function emitAdaptivePool2d(node: AdaptivePool2dNode, o: EmitOptions): LayerKernels {
  const gm = adaptiveOf(o.plan);
  const table = `${node.name}_windows`;
  const bounds = (v: 'h' | 'w', axis: AdaptiveAxis): string[] => {
    const o = v === 'h' ? 'oh' : 'ow';
    if (gm.uniform) {
      const k = axis.inSize / axis.outSize;
      return [`const ${v}s = ${k === 1 ? o : `${o} * ${k}`};`, `const ${v}e = ${v}s + ${k};`];
    }
    return [`const ${v}s = ${table}.${v}s[${o}];`, `const ${v}e = ${table}.${v}e[${o}];`];
  };
  const loops = (inner: string[]): string =>
    lines(
      `for (let sc = 0; sc < n * ${gm.c}; sc++) {`,
      `  const xo = sc * ${gm.h.inSize * gm.w.inSize};`,
      `  const yo = sc * ${gm.h.outSize * gm.w.outSize};`,
      `  for (let oh = 0; oh < ${gm.h.outSize}; oh++) {`,
      ...indent(bounds('h', gm.h).join('\n'), 2),
      `    for (let ow = 0; ow < ${gm.w.outSize}; ow++) {`,
      ...indent(bounds('w', gm.w).join('\n'), 3),
      `      const q = yo + oh * ${gm.w.outSize} + ow;`,
      ...indent(inner.join('\n'), 3),
      `    }`,
      `  }`,
      `}`,
    );
  const geometry = `${node.name}_geometry`;
  const constants = gm.uniform
    ? { constants: { suffix: 'geometry', text: uniformGeometry(geometry, gm, node.kind === 'adaptive_avgpool2d') } }
    : { constants: { suffix: 'windows', text: windowsConstant(table, gm) } };
  const w = gm.w.inSize;
  const zero = `dX.fill(0, 0, n * ${gm.c * gm.h.inSize * w});`;
  // The runtime's wasm kernels (runtime/wasm/maxpool.ts, the same sums, divisions and maxima, the same bits) where the
  // arrays live in wasm memory; they return false otherwise and the loops run. Uniform windows are a pool's (kernel =
  // stride = in / out; the average divided twice); the others are the tables'.
  const call = (uniform: string, tables: string, args: string): string =>
    gm.uniform ? `if (rt.${uniform}(${geometry}, n, ${args})) return;` : `if (rt.${tables}(${table}, n, ${args})) return;`;
  if (node.kind === 'adaptive_avgpool2d') {
    return {
      helpers: [],
      ...constants,
      forward: {
        suffix: 'forward',
        params: [N, X, Y],
        body: lines(call('avgpool2dForward', 'adaptiveAvgpool2dForward', 'x, y'), loops([
          `let acc = 0;`,
          `for (let ih = hs; ih < he; ih++) {`,
          `  for (let iw = ws; iw < we; iw++) acc += x[xo + ih * ${w} + iw];`,
          `}`,
          `y[q] = acc / (he - hs) / (we - ws);`,
        ])),
      },
      backward: o.backward && o.writesDX
        ? {
            suffix: 'backward',
            params: [N, DY, DX],
            body: lines(call('avgpool2dBackward', 'adaptiveAvgpool2dBackward', 'dY, dX'), zero, loops([
              `const g = dY[q] / (he - hs) / (we - ws);`,
              `for (let ih = hs; ih < he; ih++) {`,
              `  for (let iw = ws; iw < we; iw++) dX[xo + ih * ${w} + iw] += g;`,
              `}`,
            ])),
          }
        : null,
    };
  }
  const argmax: KernelArg = arg('argmax', 'I32', { kind: 'buffer', what: 'argmax' });
  return {
    helpers: [],
    ...constants,
    forward: {
      suffix: 'forward',
      params: [N, X, Y, argmax],
      body: lines(call('maxpool2dForward', 'adaptiveMaxpool2dForward', 'x, y, argmax'), loops([
        `let best = -Infinity;`,
        `let at = hs * ${w} + ws;`,
        `for (let ih = hs; ih < he; ih++) {`,
        `  for (let iw = ws; iw < we; iw++) {`,
        `    const v = x[xo + ih * ${w} + iw];`,
        `    if (v > best || v !== v) {`,
        `      best = v;`,
        `      at = ih * ${w} + iw;`,
        `    }`,
        `  }`,
        `}`,
        `y[q] = best;`,
        `argmax[q] = at;`,
      ])),
    },
    backward: o.backward && o.writesDX
      ? {
          suffix: 'backward',
          params: [N, DY, argmax, DX],
          body: lines(
            `if (rt.maxpool2dBackward(n * ${gm.c}, ${gm.h.inSize * w}, ${gm.h.outSize * gm.w.outSize}, dY, argmax, dX)) return;`,
            zero,
            `for (let sc = 0; sc < n * ${gm.c}; sc++) {`,
            `  const xo = sc * ${gm.h.inSize * w};`,
            `  const yo = sc * ${gm.h.outSize * gm.w.outSize};`,
            `  for (let q = 0; q < ${gm.h.outSize * gm.w.outSize}; q++) dX[xo + argmax[yo + q]] += dY[yo + q];`,
            `}`,
          ),
        }
      : null,
  };
}

/** The plan's window tables: output row oh pools input rows [hs[oh], he[oh]), column ow columns [ws[ow], we[ow]). */
function windowsConstant(name: string, gm: AdaptivePoolGeometry): string {
  const ints = (v: readonly number[]): string => `new Int32Array([${v.join(', ')}])`;
  return lines(
    `const ${name}: rt.AdaptiveWindows = {`,
    `  c: ${gm.c}, h: ${gm.h.inSize}, w: ${gm.w.inSize}, ho: ${gm.h.outSize}, wo: ${gm.w.outSize},`,
    `  hs: ${ints(gm.h.start)},`,
    `  he: ${ints(gm.h.end)},`,
    `  ws: ${ints(gm.w.start)},`,
    `  we: ${ints(gm.w.end)},`,
    `};`,
  );
}

/** Uniform windows as the runtime's pool geometry (rt.Pool2dGeometry): kernel = stride = in / out a side (the average
 *  divided twice, `adaptive`; the maximum is maxpool2d's). */
function uniformGeometry(name: string, gm: AdaptivePoolGeometry, average: boolean): string {
  const kh = gm.h.inSize / gm.h.outSize, kw = gm.w.inSize / gm.w.outSize;
  return `const ${name}: rt.Pool2dGeometry = { c: ${gm.c}, h: ${gm.h.inSize}, w: ${gm.w.inSize}, ho: ${gm.h.outSize}, wo: ${gm.w.outSize}, kh: ${kh}, kw: ${kw}, sh: ${kh}, sw: ${kw}${average ? ', adaptive: true' : ''} };`;
}

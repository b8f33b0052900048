// upsample: nn.Upsample / F.interpolate on NCHW, as PyTorch 1.13's CPU kernels compute it
// (aten/src/ATen/native/UpSample.h, UpSampleKernel.cpp). The source-index scale is 1/scale_factor when
// a scale_factor was given, else in/out (align_corners: (in − 1)/(out − 1)).
// nearest:  src = min(floor(dst · scale), in − 1), with dst · scale in float32 as PyTorch's float
//           `scale` makes it; the index is written in its simplest exact form (`oh`, `oh >> 1`, …).
// bilinear: src = max(scale·(dst + 0.5) − 0.5, 0) (align_corners: scale·dst), i0 = min(floor(src), in − 1),
//           i1 = i0 + 1 clamped, λ = min(src − i0, 1): y = (1−λh)((1−λw)·x00 + λw·x01) + λh((1−λw)·x10 + λw·x11).
// backward scatters dY through the same indices and weights into a zeroed dX.
import type { UpsampleNode } from '../../ir/types.js';
import { upsampleOf, type UpsampleAxis, type UpsampleGeometry } from '../../ir/plan.js';
import { DX, DY, indent, lines, lit, N, X, Y, type EmitOptions, type LayerKernels } from '../kernel.js';

export function emitUpsample(node: UpsampleNode, o: EmitOptions): LayerKernels {
  const [c, h, w] = node.inShapes[0] as [number, number, number];
  const [, oh, ow] = node.outShape as [number, number, number];
  const gm = upsampleOf(o.plan);
  const loops = (inner: (read: boolean) => string[], read: boolean): string =>
    lines(
      `for (let sc = 0; sc < n * ${c}; sc++) {`,
      `  const xo = sc * ${h * w};`,
      `  const yo = sc * ${oh * ow};`,
      indent(inner(read).join('\n')),
      `}`,
    );
  const inner = node.mode === 'nearest' ? nearest(gm) : bilinear(h, w, oh, ow, gm.h.scale, gm.w.scale, node.alignCorners);
  return {
    helpers: [],
    forward: { suffix: 'forward', params: [N, X, Y], body: loops(inner, true) },
    backward: o.backward && o.writesDX
      ? { suffix: 'backward', params: [N, DY, DX], body: lines(`dX.fill(0, 0, n * ${c * h * w});`, loops(inner, false)) }
      : null,
  };
}

/** The source index of output index `v` (0 ≤ v < outSize) for nearest, in its simplest exact form. */
function nearestIndex(v: string, axis: UpsampleAxis): string {
  const { inSize, outSize } = axis;
  const table = axis.nearest;
  if (table === null) throw new Error('cnnc internal error: nearest upsample without its table');
  const candidates: string[] = [v, `${v} >> 1`, `Math.floor(${v} / ${Math.round(outSize / inSize)})`, `Math.floor(${v} * ${inSize} / ${outSize})`];
  const exact = [
    table.every((t, i) => t === i),
    table.every((t, i) => t === i >> 1),
    Number.isInteger(outSize / inSize) && table.every((t, i) => t === Math.floor(i / (outSize / inSize))),
    table.every((t, i) => t === Math.floor((i * inSize) / outSize)),
  ];
  const k = exact.indexOf(true);
  return k >= 0 ? candidates[k]! : `Math.min(Math.floor(Math.fround(${v} * ${lit(Math.fround(axis.scale))})), ${inSize - 1})`;
}

function nearest(gm: UpsampleGeometry): (read: boolean) => string[] {
  const w = gm.w.inSize, oh = gm.h.outSize, ow = gm.w.outSize;
  const ih = nearestIndex('oh', gm.h);
  const iw = nearestIndex('ow', gm.w);
  const iwTerm = iw === 'ow' ? 'ow' : `(${iw})`; // `xr + ow >> 1` would read (xr + ow) >> 1
  return (read) => [
    `for (let oh = 0; oh < ${oh}; oh++) {`,
    `  const xr = xo + ${ih === 'oh' ? 'oh' : `(${ih})`} * ${w};`,
    `  const yr = yo + oh * ${ow};`,
    read
      ? `  for (let ow = 0; ow < ${ow}; ow++) y[yr + ow] = x[xr + ${iwTerm}];`
      : `  for (let ow = 0; ow < ${ow}; ow++) dX[xr + ${iwTerm}] += dY[yr + ow];`,
    `}`,
  ];
}

function bilinear(h: number, w: number, oh: number, ow: number, sh: number, sw: number, alignCorners: boolean): (read: boolean) => string[] {
  const axis = (v: 'h' | 'w', size: number, s: number): string[] => [
    alignCorners ? `const s${v} = ${lit(s)} * o${v};` : `const s${v} = Math.max(${lit(s)} * (o${v} + 0.5) - 0.5, 0);`,
    `const ${v}0 = Math.min(Math.floor(s${v}), ${size - 1});`,
    `const ${v}1 = ${v}0 < ${size - 1} ? ${v}0 + 1 : ${v}0;`,
    `const l${v} = Math.min(s${v} - ${v}0, 1);`,
  ];
  return (read) => [
    `for (let oh = 0; oh < ${oh}; oh++) {`,
    ...indent(axis('h', h, sh).join('\n')),
    `  const r0 = xo + h0 * ${w};`,
    `  const r1 = xo + h1 * ${w};`,
    `  for (let ow = 0; ow < ${ow}; ow++) {`,
    ...indent(axis('w', w, sw).join('\n'), 2),
    ...(read
      ? [
          `    y[yo + oh * ${ow} + ow] = (1 - lh) * ((1 - lw) * x[r0 + w0] + lw * x[r0 + w1]) + lh * ((1 - lw) * x[r1 + w0] + lw * x[r1 + w1]);`,
        ]
      : [
          `    const g = dY[yo + oh * ${ow} + ow];`,
          `    dX[r0 + w0] += (1 - lh) * (1 - lw) * g;`,
          `    dX[r0 + w1] += (1 - lh) * lw * g;`,
          `    dX[r1 + w0] += lh * (1 - lw) * g;`,
          `    dX[r1 + w1] += lh * lw * g;`,
        ]),
    `  }`,
    `}`,
  ];
}

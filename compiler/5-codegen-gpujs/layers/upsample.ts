// upsample (nn.Upsample / F.interpolate on NCHW) with the TypeScript target's index math
// (compiler/5-codegen/layers/upsample.ts, after PyTorch 1.13's aten/src/ATen/native/UpSample.h):
// nearest:  src = min(floor(dst · scale), in − 1) with dst · scale rounded to float32 as PyTorch's float
//           `scale` makes it. The table is known here, so the kernel gets an exact integer form: `oh`,
//           floor((oh + 0.5) / k) for a whole factor k (the 0.5 keeps float division off the integer
//           boundary), else the step function Σ_i [dst ≥ first(i)] (first(i): the first dst reading row i).
// bilinear: src = max(scale·(dst + 0.5) − 0.5, 0) (align_corners: scale·dst), i0 = min(floor(src), in − 1),
//           i1 = i0 + 1 clamped, λ = min(src − i0, 1); y = (1−λh)((1−λw)·x00 + λw·x01) + λh((1−λw)·x10 + λw·x11).
// backward gathers: input cell (ih, iw) sums dY over the outputs that read it, with the same weights
// (rows oh are scanned and those that do not touch ih skipped; a whole factor k scans only its k rows).
import { upsampleOf, type UpsampleAxis } from '../../ir/plan.js';
import type { UpsampleNode } from '../../ir/types.js';
import { body, call, flt, sum, unflatten, type Ctx, type LayerCode } from '../kernel.js';

export function emitUpsample(node: UpsampleNode, c: Ctx): LayerCode {
  const [ch, h, w] = node.inShapes[0] as [number, number, number];
  const [, oh, ow] = node.outShape as [number, number, number];
  const gm = upsampleOf(c.plan);
  const head = unflatten(['sc', 'a', 'b'], [1e9, oh, ow]);
  const back = c.backward && c.dX !== null;
  let fwd: string;
  let bwd: string;
  if (node.mode === 'nearest') {
    const H = nearest(gm.h);
    const W = nearest(gm.w);
    fwd = body(head, `return x[${sum(['sc', h * w], [H.src('a'), w], W.src('b'))}];`);
    bwd = body(
      unflatten(['sc', 'ih', 'iw'], [1e9, h, w]),
      `const yo = sc * ${oh * ow};`,
      `let acc = 0.0;`,
      H.rows('ih', 'a', W.rows('iw', 'b', [`acc += dY[yo + a * ${ow} + b];`])),
      `return acc;`,
    );
  } else {
    const H = bilinear('h', h, gm.h.scale, node.alignCorners);
    const W = bilinear('w', w, gm.w.scale, node.alignCorners);
    fwd = body(
      head,
      `const xo = sc * ${h * w};`,
      H.axis('a'),
      W.axis('b'),
      `const x0r = xo + h0 * ${w};`,
      `const x1r = xo + h1 * ${w};`,
      `return (1.0 - lh) * ((1.0 - lw) * x[x0r + w0] + lw * x[x0r + w1]) + lh * ((1.0 - lw) * x[x1r + w0] + lw * x[x1r + w1]);`,
    );
    // Weight of input row ih in output row a: (1 − λ) where it is i0, plus λ where it is i1 (both at a clamped edge).
    bwd = body(
      unflatten(['sc', 'ih', 'iw'], [1e9, h, w]),
      `const yo = sc * ${oh * ow};`,
      `let acc = 0.0;`,
      `for (let a = 0; a < ${oh}; a++) {`,
      ...H.axis('a').map((l) => `  ${l}`),
      `  const wh = (h0 === ih ? 1.0 - lh : 0.0) + (h1 === ih ? lh : 0.0);`,
      `  if (wh !== 0.0) {`,
      `    for (let b = 0; b < ${ow}; b++) {`,
      ...W.axis('b').map((l) => `      ${l}`),
      `      const ww = (w0 === iw ? 1.0 - lw : 0.0) + (w1 === iw ? lw : 0.0);`,
      `      acc += wh * ww * dY[yo + a * ${ow} + b];`,
      `    }`,
      `  }`,
      `}`,
      `return acc;`,
    );
  }
  return {
    kernels: [
      { suffix: 'forward', params: ['x'], length: { perSample: node.outSize }, body: fwd },
      ...(back ? [{ suffix: 'backward', params: ['dY'], length: { perSample: ch * h * w }, body: bwd }] : []),
    ],
    forward: [call(c.y, c.k('forward'), [c.x])],
    backward: back && c.dX !== null ? [call(c.dX, c.k('backward'), [c.dY])] : [],
    grads: [],
  };
}

interface NearestAxis {
  /** The source index of output index v, as an exact kernel expression. */
  src(v: string): string;
  /** Loops over the output indices `o` that read input index `i`, around `inner` statements. */
  rows(i: string, o: string, inner: readonly string[]): string[];
}

function nearest(axis: UpsampleAxis): NearestAxis {
  const { inSize, outSize } = axis;
  const table = axis.nearest;
  if (table === null) throw new Error('cnnc internal error: nearest upsample without its table');
  if (table.every((t, i) => t === i)) {
    return { src: (v) => v, rows: (i, o, inner) => [`const ${o} = ${i};`, ...inner] };
  }
  const k = Math.round(outSize / inSize);
  if (k >= 2 && k * inSize === outSize && table.every((t, i) => t === Math.floor(i / k))) {
    return {
      src: (v) => `Math.floor((${v} + 0.5) / ${k}.0)`,
      rows: (i, o, inner) => [`for (let j${o} = 0; j${o} < ${k}; j${o}++) {`, `  const ${o} = ${i} * ${k} + j${o};`, ...inner.map((l) => `  ${l}`), `}`],
    };
  }
  // A monotone step function: src(v) = Σ_{i ≥ 1} [v ≥ first(i)], first(i) the first output reading row i or beyond.
  const firsts: number[] = [];
  for (let i = 1; i < inSize; i++) {
    const f = table.findIndex((t) => t >= i);
    if (f >= 0) firsts.push(f);
  }
  const src = (v: string): string => (firsts.length === 0 ? '0' : firsts.map((f) => `(${v} >= ${f} ? 1.0 : 0.0)`).join(' + '));
  return {
    src,
    rows: (i, o, inner) => [`for (let ${o} = 0; ${o} < ${outSize}; ${o}++) {`, `  if (${src(o)} === ${i}) {`, ...inner.map((l) => `    ${l}`), `  }`, `}`],
  };
}

function bilinear(v: 'h' | 'w', inSize: number, s: number, alignCorners: boolean): { axis(o: string): string[] } {
  return {
    axis: (o) => [
      alignCorners ? `const s${v} = ${flt(s)} * ${o};` : `const s${v} = Math.max(${flt(s)} * (${o} + 0.5) - 0.5, 0.0);`,
      `const ${v}0 = Math.min(Math.floor(s${v}), ${inSize - 1});`,
      `const ${v}1 = ${v}0 < ${inSize - 1} ? ${v}0 + 1 : ${v}0;`,
      `const l${v} = Math.min(s${v} - ${v}0, 1.0);`,
    ],
  };
}

// maxpool2d and avgpool2d (torch.nn.MaxPool2d / AvgPool2d, dilation 1; the window: PoolGeometry, 4-passes/geometry.ts).
// MaxPool2d pads with −∞ and takes the first maximum in window order (PyTorch's `val > max || isnan(val)`,
// aten/src/ATen/native/cpu/MaxPoolKernel.cpp: so a NaN wins, and of several NaNs the last);
// forward saves the argmax (index in the input plane) so backward scatters dY there.
// Without padding and with a small window (MNIST's 2×2 stride 2), forward unrolls the window: a
// window's first element starts the max (what −∞ then the rule gives, −∞ and NaN included), the
// rest are compared in order with the same rule. Measured on the seed's model (x [64,64,24,24], 1
// thread): 12.8 ms generic, 8.4 ms unrolled; the compares themselves are the cost (half of them
// mispredict on activations), which Math.max or a pairwise tournament did not beat (13.7, 9.3 ms).
// AvgPool2d divides by kh·kw when count_include_pad (the default), else by the window's in-bounds size;
// a ceil_mode window past the padded input divides by its part inside the padded input (PyTorch's pool_size).
import { AVGPOOL_UNROLLED_MAX, MAXPOOL_UNROLLED_MAX } from '../../../runtime/contracts.js';
import { poolOf, type PoolGeometry } from '../../ir/plan.js';
import type { AvgPool2dNode, MaxPool2dNode } from '../../ir/types.js';
import { affine, arg, DX, DY, indent, lines, N, X, Y, type EmitOptions, type LayerKernels } from '../kernel.js';

type Geometry = PoolGeometry;

/** Loops over (sample·channel, oh, ow) with the window's in-bounds rows [hs, he) and columns [ws, we)
 *  (and, where the window starts in the padding, its first row and column h0, w0, which may be negative). */
function windowLoops(gm: Geometry, inner: string[]): string[] {
  const clip = (v: string, pad: number, k: number, size: number, pastEnd: boolean): string[] =>
    pad > 0
      ? [`const ${v}0 = ${affine([[v === 'h' ? gm.sh : gm.sw, v === 'h' ? 'oh' : 'ow']], -pad)};`,
         `const ${v}s = ${v}0 < 0 ? 0 : ${v}0;`,
         `const ${v}e = ${v}0 + ${k} > ${size} ? ${size} : ${v}0 + ${k};`]
      : pastEnd
        ? [`const ${v}s = ${affine([[v === 'h' ? gm.sh : gm.sw, v === 'h' ? 'oh' : 'ow']])};`, `const ${v}e = ${v}s + ${k} > ${size} ? ${size} : ${v}s + ${k};`]
        : [`const ${v}s = ${affine([[v === 'h' ? gm.sh : gm.sw, v === 'h' ? 'oh' : 'ow']])};`, `const ${v}e = ${v}s + ${k};`];
  return [
    `for (let sc = 0; sc < n * ${gm.c}; sc++) {`,
    `  const xo = sc * ${gm.h * gm.w};`,
    `  const yo = sc * ${gm.ho * gm.wo};`,
    `  for (let oh = 0; oh < ${gm.ho}; oh++) {`,
    ...indent(clip('h', gm.ph, gm.kh, gm.h, gm.pastEnd[0]).join('\n'), 2),
    `    for (let ow = 0; ow < ${gm.wo}; ow++) {`,
    ...indent(clip('w', gm.pw, gm.kw, gm.w, gm.pastEnd[1]).join('\n'), 3),
    `      const q = yo + oh * ${gm.wo} + ow;`,
    ...indent(inner.join('\n'), 3),
    `    }`,
    `  }`,
    `}`,
  ];
}

/** The pool's shapes as the module-level literal the runtime's kernels read (rt.Pool2dGeometry; ph, pw where it pads). */
function geometryConstant(name: string, gm: Geometry, countIncludePad = true): { suffix: string; text: string } {
  const padding = gm.ph > 0 || gm.pw > 0 ? `, ph: ${gm.ph}, pw: ${gm.pw}` : '';
  const divisor = countIncludePad ? '' : ', countIncludePad: false';
  return {
    suffix: 'geometry',
    text: `const ${name}: rt.Pool2dGeometry = { c: ${gm.c}, h: ${gm.h}, w: ${gm.w}, ho: ${gm.ho}, wo: ${gm.wo}, kh: ${gm.kh}, kw: ${gm.kw}, sh: ${gm.sh}, sw: ${gm.sw}${padding}${divisor} };`,
  };
}

/** Windows of at most this many elements are unrolled (when there is no padding); the runtime's wasm
 *  kernel takes the larger ones, so the number is the runtime's. */
const UNROLL_MAX = MAXPOOL_UNROLLED_MAX;

/** Forward with the window unrolled: every window in bounds (gm.inside), y and argmax written in order. */
function maxPoolUnrolled(gm: Geometry): string[] {
  const taps = windowTaps(gm);
  return [
    `let q = 0;`,
    `for (let sc = 0; sc < n * ${gm.c}; sc++) {`,
    `  const xo = sc * ${gm.h * gm.w};`,
    `  for (let oh = 0; oh < ${gm.ho}; oh++) {`,
    `    const row = oh * ${gm.sh * gm.w};`,
    `    for (let p = row; p < row + ${rowSpan(gm)}; p += ${gm.sw}) {`,
    `      const i = xo + p;`,
    `      let best = x[i];`,
    `      let at = p;`,
    ...taps.slice(1).flatMap((t, k) => [
      `      ${k === 0 ? 'let ' : ''}v = x[i + ${t}];`,
      `      if (v > best || v !== v) {`,
      `        best = v;`,
      `        at = p + ${t};`,
      `      }`,
    ]),
    `      y[q] = best;`,
    `      argmax[q] = at;`,
    `      q++;`,
    `    }`,
    `  }`,
    `}`,
  ];
}

export function emitMaxPool2d(node: MaxPool2dNode, o: EmitOptions): LayerKernels {
  const gm = poolOf(o.plan);
  const argmax = arg('argmax', 'I32', { kind: 'buffer', what: 'argmax' });
  const unpadded = gm.inside; // no padding, and no ceil_mode window past the input
  const unrolled = unpadded && gm.kh * gm.kw <= UNROLL_MAX;
  // The runtime's wasm kernels (runtime/wasm/maxpool.ts, branch-free; padding and ceil_mode too) when the
  // arrays live in wasm memory; it returns false otherwise (and for small unpadded windows it has no
  // four-at-a-time kernel for) and the loops below run.
  const geometryName = `${node.name}_geometry`;
  const wasmCall = `if (rt.maxpool2dForward(${geometryName}, n, x, y, argmax)) return;`;
  return {
    helpers: [],
    constants: geometryConstant(geometryName, gm),
    forward: {
      suffix: 'forward',
      params: [N, X, Y, argmax],
      body: unrolled ? lines(wasmCall, ...maxPoolUnrolled(gm)) : lines(wasmCall, ...windowLoops(gm, [
        `let best = -Infinity;`,
        `let at = hs * ${gm.w} + ws;`,
        `for (let ih = hs; ih < he; ih++) {`,
        `  for (let iw = ws; iw < we; iw++) {`,
        `    const v = x[xo + ih * ${gm.w} + iw];`,
        `    if (v > best || v !== v) {`,
        `      best = v;`,
        `      at = ih * ${gm.w} + iw;`,
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
            `if (rt.maxpool2dBackward(n * ${gm.c}, ${gm.h * gm.w}, ${gm.ho * gm.wo}, dY, argmax, dX)) return;`,
            `dX.fill(0, 0, n * ${gm.c * gm.h * gm.w});`,
            `for (let sc = 0; sc < n * ${gm.c}; sc++) {`,
            `  const xo = sc * ${gm.h * gm.w};`,
            `  const yo = sc * ${gm.ho * gm.wo};`,
            `  for (let q = 0; q < ${gm.ho * gm.wo}; q++) dX[xo + argmax[yo + q]] += dY[yo + q];`,
            `}`,
          ),
        }
      : null,
  };
}

/** Windows of at most this many elements are unrolled in avgpool2d when every window is inside the input (the runtime's number). */
const AVG_UNROLL_MAX = AVGPOOL_UNROLLED_MAX;

/** Loops over every window's first element p (an index into x and dX) and its output index q, with every
 *  window inside the input (gm.inside): `body` per window, q counting up. */
function insideWindows(gm: Geometry, body: string[]): string[] {
  return [
    `let q = 0;`,
    `for (let sc = 0; sc < n * ${gm.c}; sc++) {`,
    `  for (let oh = 0; oh < ${gm.ho}; oh++) {`,
    `    const row = sc * ${gm.h * gm.w} + oh * ${gm.sh * gm.w};`,
    `    for (let p = row; p < row + ${rowSpan(gm)}; p += ${gm.sw}) {`,
    ...indent(body.join('\n'), 3),
    `      q++;`,
    `    }`,
    `  }`,
    `}`,
  ];
}

/** The window's taps from its first element, in row-major order (the generic loops' order). */
function tapOffsets(gm: Geometry): string[] {
  return windowTaps(gm).map((t) => (t === 0 ? 'p' : `p + ${t}`));
}

/** A window's elements as offsets from its first in the input plane, row-major: i·w + j. */
function windowTaps(gm: Geometry): number[] {
  const taps: number[] = [];
  for (let i = 0; i < gm.kh; i++) for (let j = 0; j < gm.kw; j++) taps.push(i * gm.w + j);
  return taps;
}

/** The span of a row's window starts: p runs over [row, row + span) by sw, the windows' first columns. */
function rowSpan(gm: Geometry): number {
  return (gm.wo - 1) * gm.sw + 1;
}

export function emitAvgPool2d(node: AvgPool2dNode, o: EmitOptions): LayerKernels {
  const gm = poolOf(o.plan);
  if (gm.inside && gm.kh * gm.kw <= AVG_UNROLL_MAX) return avgPoolUnrolled(node, gm, o);
  const divisor = node.countIncludePad ? includePadDivisor(gm) : '((he - hs) * (we - ws))'; // parenthesized: it follows a `/`
  // A window past the padded input's end (ceil_mode, padded axis): that end, min(h0 + kh, h + ph).
  const padEnd = (v: 'h' | 'w', k: number, end: number): string => `const ${v}p = ${v}0 + ${k} > ${end} ? ${end} : ${v}0 + ${k};`;
  const ends = node.countIncludePad
    ? [...(gm.pastEnd[0] && gm.ph > 0 ? [padEnd('h', gm.kh, gm.h + gm.ph)] : []), ...(gm.pastEnd[1] && gm.pw > 0 ? [padEnd('w', gm.kw, gm.w + gm.pw)] : [])]
    : [];
  // The runtime's wasm kernels (runtime/wasm/maxpool.ts: each window cut to the input, the same divisor and float64
  // sum, the same bits) where the arrays live in wasm memory; they return false otherwise and the loops run.
  const geometryName = `${node.name}_geometry`;
  return {
    helpers: [],
    constants: geometryConstant(geometryName, gm, node.countIncludePad),
    forward: {
      suffix: 'forward',
      params: [N, X, Y],
      body: lines(`if (rt.avgpool2dForward(${geometryName}, n, x, y)) return;`, windowLoops(gm, [
        ...ends,
        `let acc = 0;`,
        `for (let ih = hs; ih < he; ih++) {`,
        `  for (let iw = ws; iw < we; iw++) acc += x[xo + ih * ${gm.w} + iw];`,
        `}`,
        `y[q] = acc / ${divisor};`,
      ])),
    },
    backward: o.backward && o.writesDX
      ? {
          suffix: 'backward',
          params: [N, DY, DX],
          body: lines(
            `if (rt.avgpool2dBackward(${geometryName}, n, dY, dX)) return;`,
            `dX.fill(0, 0, n * ${gm.c * gm.h * gm.w});`,
            windowLoops(gm, [
              ...ends,
              `const g = dY[q] / ${divisor};`,
              `for (let ih = hs; ih < he; ih++) {`,
              `  for (let iw = ws; iw < we; iw++) dX[xo + ih * ${gm.w} + iw] += g;`,
              `}`,
            ]),
          ),
        }
      : null,
  };
}

/** count_include_pad's divisor: kh·kw, but per window where a ceil_mode window runs past the padded input:
 *  the rows (and columns) inside it, [h0, hp) (without padding [hs, he), the same). */
function includePadDivisor(gm: Geometry): string {
  if (!gm.pastEnd[0] && !gm.pastEnd[1]) return `${gm.kh * gm.kw}`;
  const axis = (v: 'h' | 'w', pastEnd: boolean, pad: number, k: number): string =>
    !pastEnd ? `${k}` : pad > 0 ? `(${v}p - ${v}0)` : `(${v}e - ${v}s)`;
  return `(${axis('h', gm.pastEnd[0], gm.ph, gm.kh)} * ${axis('w', gm.pastEnd[1], gm.pw, gm.kw)})`;
}

/** avgpool2d with every window inside the input and the window unrolled: the divisor is kh·kw with or
 *  without count_include_pad, and the sums run in the generic loops' order from 0 (so −0 inputs give +0,
 *  as there and as PyTorch's accumulator). Measured on LeNet-5's 2×2 pools (batch 32): see the commit. */
function avgPoolUnrolled(node: AvgPool2dNode, gm: Geometry, o: EmitOptions): LayerKernels {
  const taps = tapOffsets(gm);
  const divisor = gm.kh * gm.kw;
  // The runtime's wasm kernels (runtime/wasm/maxpool.ts: the same arithmetic in float64 lanes, the same
  // bits) where the arrays live in wasm memory; they return false otherwise and the loops run.
  const geometryName = `${node.name}_geometry`;
  return {
    helpers: [],
    constants: geometryConstant(geometryName, gm),
    forward: {
      suffix: 'forward',
      params: [N, X, Y],
      body: lines(`if (rt.avgpool2dForward(${geometryName}, n, x, y)) return;`, insideWindows(gm, [`y[q] = (0 + ${taps.map((t) => `x[${t}]`).join(' + ')}) / ${divisor};`])),
    },
    backward: o.backward && o.writesDX
      ? {
          suffix: 'backward',
          params: [N, DY, DX],
          body: lines(
            `if (rt.avgpool2dBackward(${geometryName}, n, dY, dX)) return;`,
            `dX.fill(0, 0, n * ${gm.c * gm.h * gm.w});`,
            insideWindows(gm, [`const g = dY[q] / ${divisor};`, ...taps.map((t) => `dX[${t}] += g;`)]),
          ),
        }
      : null,
  };
}

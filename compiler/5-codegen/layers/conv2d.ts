// conv2d as im2col + one gemm per sample and group (torch.nn.Conv2d: weight [Cout, Cin/groups, kh, kw]).
// forward:  y_g[Cout/g × P] = W_g[Cout/g × K] · col_g[K × P]            (bias written first, gemm adds)
// backward: dW_g += dY_g · col_gᵀ (gemmNT), dB += Σ_p dY, dCol_g = W_gᵀ · dY_g (gemmTN), dX = col2im(dCol)
// K = Cin/g·kh·kw, P = Hout·Wout. Padding (any side), stride and dilation live in im2col's index math;
// a 1×1 stride-1 unpadded convolution uses the input as its own column matrix.
import type { Conv2dNode } from '../../ir/types.js';
import { convOf, type ConvGeometry } from '../../ir/plan.js';
import { affine, arg, DX, DY, indent, lines, N, X, Y, type EmitOptions, type Kernel, type KernelArg, type LayerKernels } from '../kernel.js';

export function emitConv2d(node: Conv2dNode, o: EmitOptions): LayerKernels {
  const gm = convOf(o.plan);
  const { cin, h, w, cout, ho, wo, kh, kw, sh, sw, dh, dw, groups: g, cog, k, p, inS, outS, pointwise } = gm;
  const name = node.name;

  // One gemm per group; a loop over g only when there are several.
  const perGroup = (call: (goff: (stride: number, base?: string) => string) => string): string[] => {
    if (g === 1) return [call((_stride, base) => base ?? '0')];
    return [
      `for (let g = 0; g < ${g}; g++) {`,
      `  ${call((stride, base) => (base === undefined ? affine([[stride, 'g']]) : `${base} + ${affine([[stride, 'g']])}`))}`,
      '}',
    ];
  };
  const colArg = pointwise ? 'x' : 'col';
  // Float32 arrays on an engine with WebAssembly SIMD128: the runtime runs the whole batch in wasm
  // (runtime/wasm/conv.ts) and returns true; the loops below are the path for everything else
  // (float64, no SIMD128, CNNC_NO_WASM=1). Emitted for both dtypes, so they differ in array types only.
  const geometry = `${name}_geometry`;
  const constants = {
    suffix: 'geometry',
    text: `// ${gm.algorithmNote}\nconst ${geometry}: rt.Conv2dGeometry = { cin: ${cin}, h: ${h}, w: ${w}, cout: ${cout}, ho: ${ho}, wo: ${wo}, kh: ${kh}, kw: ${kw}, sh: ${sh}, sw: ${sw}, dh: ${dh}, dw: ${dw}, top: ${gm.top}, left: ${gm.left}, groups: ${g}, algorithm: '${gm.algorithm}'${gm.backward === gm.algorithm ? '' : `, backward: '${gm.backward}'`}${gm.winogradFrom > 1 ? `, winogradFrom: ${gm.winogradFrom}` : ''} };`,
  };
  const colOff = (goff: (s: number, b?: string) => string): string => (pointwise ? goff(k * p, 'xOff') : goff(k * p));

  const fwdParams: KernelArg[] = [N, X, Y, arg('W', 'F', { kind: 'param', role: 'weight' })];
  if (node.bias) fwdParams.push(arg('B', 'F', { kind: 'param', role: 'bias' }));
  if (!pointwise) fwdParams.push(arg('col', 'F', { kind: 'buffer', what: 'col' }));
  // A relu after this conv (its only reader) is fused in (4-passes/fuse.ts): reluY is its output, reluDY its gradient.
  const relu = o.plan.fusedRelu ?? undefined;
  if (relu !== undefined) fwdParams.push(arg('reluY', 'F', { kind: 'valueOf', node: relu }));
  const forward: Kernel = {
    suffix: 'forward',
    params: fwdParams,
    body: lines(
      `if (rt.conv2dForward(${geometry}, n, x, W, ${node.bias ? 'B' : 'null'}, y${relu === undefined ? '' : ', reluY'})) return;`,
      `for (let s = 0; s < n; s++) {`,
      `  const xOff = ${affine([[inS, 's']])};`,
      `  const yOff = ${affine([[outS, 's']])};`,
      pointwise ? null : `  ${name}_im2col(x, xOff, col);`,
      // A loop, not y.fill(B[co], …): passing a float to the fill builtin boxes it (16 B per call, 4,096 calls a step).
      node.bias ? `  for (let co = 0; co < ${cout}; co++) { const b = B[co]; const o = yOff + co * ${p}; for (let q = 0; q < ${p}; q++) y[o + q] = b; }` : null,
      indent(perGroup((goff) => `rt.gemmNN(${cog}, ${p}, ${k}, W, ${goff(cog * k)}, ${colArg}, ${colOff(goff)}, y, ${goff(cog * p, 'yOff')}, ${node.bias});`).join('\n')),
      `}`,
      relu === undefined ? null : `rt.relu(y, reluY, n * ${outS}); // ${relu}, fused`,
    ),
  };

  const bwdParams: KernelArg[] = [N, X, DY, arg('W', 'F', { kind: 'param', role: 'weight' }), arg('dW', 'F', { kind: 'grad', role: 'weight' })];
  if (node.bias) bwdParams.push(arg('dB', 'F', { kind: 'grad', role: 'bias' }));
  if (!pointwise) bwdParams.push(arg('col', 'F', { kind: 'buffer', what: 'col' }));
  if (!pointwise && o.writesDX) bwdParams.push(arg('dCol', 'F', { kind: 'buffer', what: 'dCol' }));
  if (o.writesDX) bwdParams.push(DX);
  if (relu !== undefined) bwdParams.push(arg('reluY', 'F', { kind: 'valueOf', node: relu }), arg('reluDY', 'F', { kind: 'gradOf', node: relu }));
  const backward: Kernel = {
    suffix: 'backward',
    params: bwdParams,
    body: lines(
      // The wasm batch path takes the bias gradient too (in its parallel blocks, while dY is in cache).
      `if (rt.conv2dBackward(${geometry}, n, x, dY, W, dW, ${o.writesDX ? 'dX' : 'null'}, ${node.bias ? 'dB' : 'null'}${relu === undefined ? '' : ', reluY, reluDY'})) return;`,
      relu === undefined ? null : `rt.reluBackward(reluY, reluDY, dY, n * ${outS}); // ${relu}, fused`,
      node.bias
        ? [
            `for (let s = 0; s < n; s++) {`,
            `  for (let co = 0; co < ${cout}; co++) {`,
            `    const o = ${affine([[outS, 's'], [p, 'co']])};`,
            `    let acc = 0;`,
            `    for (let q = 0; q < ${p}; q++) acc += dY[o + q];`,
            `    dB[co] += acc;`,
            `  }`,
            `}`,
          ]
        : null,
      `for (let s = 0; s < n; s++) {`,
      `  const xOff = ${affine([[inS, 's']])};`,
      `  const yOff = ${affine([[outS, 's']])};`,
      pointwise ? null : `  ${name}_im2col(x, xOff, col);`,
      indent(perGroup((goff) => `rt.gemmNT(${cog}, ${k}, ${p}, dY, ${goff(cog * p, 'yOff')}, ${colArg}, ${colOff(goff)}, dW, ${goff(cog * k)}, true);`).join('\n')),
      o.writesDX
        ? pointwise
          ? indent(perGroup((goff) => `rt.gemmTN(${k}, ${p}, ${cog}, W, ${goff(cog * k)}, dY, ${goff(cog * p, 'yOff')}, dX, ${goff(k * p, 'xOff')}, false);`).join('\n'))
          : [
              ...indent(perGroup((goff) => `rt.gemmTN(${k}, ${p}, ${cog}, W, ${goff(cog * k)}, dY, ${goff(cog * p, 'yOff')}, dCol, ${goff(k * p)}, false);`).join('\n')),
              `  ${name}_col2im(dCol, dX, xOff);`,
            ]
        : null,
      `}`,
    ),
  };

  const helpers = pointwise ? [] : [im2col(gm, false), ...(o.writesDX ? [im2col(gm, true)] : [])];
  return { forward, backward: o.backward ? backward : null, helpers, constants };
}

/** im2col (x → col) or its adjoint col2im (dCol → dX, accumulated after zeroing the sample). */
function im2col(gm: ConvGeometry, adjoint: boolean): Kernel {
  const { cin, h, w, ho, wo, kh, kw, sh, sw, dh, dw, top, bottom, left, right, p } = gm;
  const rowChecks = [top > 0 ? 'ih < 0' : '', bottom > 0 ? `ih >= ${h}` : ''].filter((s) => s !== '');
  const colChecks = [left > 0 ? 'iw >= 0' : '', right > 0 ? `iw < ${w}` : ''].filter((s) => s !== '');
  const iw = affine([[sw, 'ow'], [dw, 'kj']], -left);
  const inner = adjoint
    ? colChecks.length > 0
      ? [`for (let ow = 0; ow < ${wo}; ow++) {`, `  const iw = ${iw};`, `  if (${colChecks.join(' && ')}) dX[xr + iw] += dCol[o + ow];`, `}`]
      : [`for (let ow = 0; ow < ${wo}; ow++) dX[xr + ${iw}] += dCol[o + ow];`]
    : colChecks.length > 0
      ? [`for (let ow = 0; ow < ${wo}; ow++) {`, `  const iw = ${iw};`, `  col[o + ow] = ${colChecks.join(' && ')} ? x[xr + iw] : 0;`, `}`]
      : [`for (let ow = 0; ow < ${wo}; ow++) col[o + ow] = x[xr + ${iw}];`];
  const skipRow = rowChecks.length === 0
    ? null
    : adjoint
      ? `if (${rowChecks.join(' || ')}) continue;`
      : `if (${rowChecks.join(' || ')}) { col.fill(0, o, o + ${wo}); continue; }`;
  const body = lines(
    adjoint ? `dX.fill(0, xOff, xOff + ${cin * h * w});` : null,
    `for (let c = 0; c < ${cin}; c++) {`,
    `  for (let ki = 0; ki < ${kh}; ki++) {`,
    `    for (let kj = 0; kj < ${kw}; kj++) {`,
    `      const row = ${affine([[kh * kw * p, 'c'], [kw * p, 'ki'], [p, 'kj']])};`,
    `      for (let oh = 0; oh < ${ho}; oh++) {`,
    `        const ih = ${affine([[sh, 'oh'], [dh, 'ki']], -top)};`,
    `        const o = row + oh * ${wo};`,
    skipRow === null ? null : `        ${skipRow}`,
    `        const xr = xOff + ${affine([[h * w, 'c'], [w, 'ih']])};`,
    indent(inner.join('\n'), 4),
    `      }`,
    `    }`,
    `  }`,
    `}`,
  );
  return adjoint
    ? { suffix: 'col2im', params: [arg('dCol', 'F', { kind: 'n' }), arg('dX', 'F', { kind: 'n' }), arg('xOff', 'number', { kind: 'n' })], body }
    : { suffix: 'im2col', params: [arg('x', 'F', { kind: 'n' }), arg('xOff', 'number', { kind: 'n' }), arg('col', 'F', { kind: 'n' })], body };
}

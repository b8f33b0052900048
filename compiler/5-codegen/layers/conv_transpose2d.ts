// conv_transpose2d (torch.nn.ConvTranspose2d: weight [Cin, Cout/groups, kh, kw]) — the adjoint of a
// conv2d that maps [Cout, Ho, Wo] to [Cin, H, W] with the same kernel, stride, padding and dilation, so
// it reuses that conv's im2col/col2im index math with the roles of input and output swapped.
// forward:  col_g[Cout/g·kh·kw × H·W] = W_gᵀ · x_g (gemmTN), y = col2im(col) (+ bias)
// backward: dCol = im2col(dY) (into the same scratch), dB += Σ dY, dW_g += x_g · dCol_gᵀ (gemmNT),
//           dX_g = W_g · dCol_g (gemmNN)
// An output position (oh, ow) receives input (ih, iw) through tap (ki, kj) when
// oh = ih·sh − ph + ki·dh and ow = iw·sw − pw + kj·dw; output_padding only makes the output larger.
import type { ConvTranspose2dNode } from '../../ir/types.js';
import { convOf, type ConvGeometry } from '../../ir/plan.js';
import { affine, arg, DX, DY, indent, lines, N, X, Y, type EmitOptions, type Kernel, type KernelArg, type LayerKernels } from '../kernel.js';

export function emitConvTranspose2d(node: ConvTranspose2dNode, o: EmitOptions): LayerKernels {
  const gm = convOf(o.plan);
  // Columns: one per input position (p = h·w); one group's rows kg = Cout/g·kh·kw.
  const { cout, ho, wo, groups: g, cig, p, k: kg, inS, outS } = gm;
  const name = node.name;

  const perGroup = (call: (goff: (stride: number, base?: string) => string) => string): string[] => {
    if (g === 1) return [call((_s, base) => base ?? '0')];
    return [
      `for (let g = 0; g < ${g}; g++) {`,
      `  ${call((stride, base) => (base === undefined ? affine([[stride, 'g']]) : `${base} + ${affine([[stride, 'g']])}`))}`,
      '}',
    ];
  };
  // Float32 arrays on an engine with WebAssembly SIMD128: the runtime runs the whole batch in wasm as the
  // adjoint conv2d (runtime/wasm/conv.ts: convTranspose2dForward/Backward), the conv from this layer's
  // output shape to its input shape with the same weight, and returns true; the loops below are the path
  // for everything else (float64, no SIMD128, CNNC_NO_WASM=1).
  const adjoint = `${name}_adjoint`;
  const constants = {
    suffix: 'adjoint',
    text: `// ${gm.algorithmNote}\nconst ${adjoint}: rt.Conv2dGeometry = { cin: ${cout}, h: ${ho}, w: ${wo}, cout: ${gm.cin}, ho: ${gm.h}, wo: ${gm.w}, kh: ${gm.kh}, kw: ${gm.kw}, sh: ${gm.sh}, sw: ${gm.sw}, dh: ${gm.dh}, dw: ${gm.dw}, top: ${gm.top}, left: ${gm.left}, groups: ${g}, algorithm: '${gm.algorithm}' };`,
  };
  const W = arg('W', 'F', { kind: 'param', role: 'weight' });
  const col = arg('col', 'F', { kind: 'buffer', what: 'col' });

  const fwdParams: KernelArg[] = [N, X, Y, W];
  if (node.bias) fwdParams.push(arg('B', 'F', { kind: 'param', role: 'bias' }));
  fwdParams.push(col);
  const forward: Kernel = {
    suffix: 'forward',
    params: fwdParams,
    body: lines(
      `if (rt.convTranspose2dForward(${adjoint}, n, x, W, ${node.bias ? 'B' : 'null'}, y)) return;`,
      `for (let s = 0; s < n; s++) {`,
      `  const xOff = ${affine([[inS, 's']])};`,
      `  const yOff = ${affine([[outS, 's']])};`,
      indent(perGroup((goff) => `rt.gemmTN(${kg}, ${p}, ${cig}, W, ${goff(cig * kg)}, x, ${goff(cig * p, 'xOff')}, col, ${goff(kg * p)}, false);`).join('\n')),
      node.bias
        // A loop, not y.fill(B[co], …), which boxes the float (as conv2d).
        ? `  for (let co = 0; co < ${cout}; co++) { const b = B[co]; const o = yOff + co * ${ho * wo}; for (let q = 0; q < ${ho * wo}; q++) y[o + q] = b; }`
        : `  y.fill(0, yOff, yOff + ${outS});`,
      `  ${name}_col2im(col, y, yOff);`,
      `}`,
    ),
  };

  const bwdParams: KernelArg[] = [N, X, DY, W, arg('dW', 'F', { kind: 'grad', role: 'weight' })];
  if (node.bias) bwdParams.push(arg('dB', 'F', { kind: 'grad', role: 'bias' }));
  bwdParams.push(col);
  if (o.writesDX) bwdParams.push(DX);
  const backward: Kernel = {
    suffix: 'backward',
    params: bwdParams,
    body: lines(
      `if (rt.convTranspose2dBackward(${adjoint}, n, x, dY, W, dW, ${node.bias ? 'dB' : 'null'}, ${o.writesDX ? 'dX' : 'null'})) return;`,
      `for (let s = 0; s < n; s++) {`,
      `  const xOff = ${affine([[inS, 's']])};`,
      `  const yOff = ${affine([[outS, 's']])};`,
      node.bias
        ? [
            `  for (let co = 0; co < ${cout}; co++) {`,
            `    const o = yOff + co * ${ho * wo};`,
            `    let acc = 0;`,
            `    for (let q = 0; q < ${ho * wo}; q++) acc += dY[o + q];`,
            `    dB[co] += acc;`,
            `  }`,
          ]
        : null,
      `  ${name}_im2col(dY, yOff, col);`,
      indent(perGroup((goff) => `rt.gemmNT(${cig}, ${kg}, ${p}, x, ${goff(cig * p, 'xOff')}, col, ${goff(kg * p)}, dW, ${goff(cig * kg)}, true);`).join('\n')),
      o.writesDX
        ? indent(perGroup((goff) => `rt.gemmNN(${cig}, ${p}, ${kg}, W, ${goff(cig * kg)}, col, ${goff(kg * p)}, dX, ${goff(cig * p, 'xOff')}, false);`).join('\n'))
        : null,
      `}`,
    ),
  };
  return {
    forward,
    backward: o.backward ? backward : null,
    helpers: [columns(gm, 'col2im'), ...(o.backward ? [columns(gm, 'im2col')] : [])],
    constants,
  };
}

/** col2im (col → y, added: y holds the bias) or im2col (dY → col, zero where a tap falls outside y). */
function columns(gm: ConvGeometry, which: 'col2im' | 'im2col'): Kernel {
  const { h, w, cout, ho, wo, kh, kw, sh, sw, dh, dw, top: ph, left: pw, p } = gm;
  const oh = affine([[sh, 'ih'], [dh, 'ki']], -ph);
  const ow = affine([[sw, 'iw'], [dw, 'kj']], -pw);
  const adjoint = which === 'col2im';
  const body = lines(
    `for (let c = 0; c < ${cout}; c++) {`,
    `  for (let ki = 0; ki < ${kh}; ki++) {`,
    `    for (let kj = 0; kj < ${kw}; kj++) {`,
    `      const row = ${affine([[kh * kw * p, 'c'], [kw * p, 'ki'], [p, 'kj']])};`,
    `      for (let ih = 0; ih < ${h}; ih++) {`,
    `        const oh = ${oh};`,
    `        const o = row + ih * ${w};`,
    adjoint ? `        if (oh < 0 || oh >= ${ho}) continue;` : `        if (oh < 0 || oh >= ${ho}) { col.fill(0, o, o + ${w}); continue; }`,
    `        const yr = yOff + ${affine([[ho * wo, 'c'], [wo, 'oh']])};`,
    `        for (let iw = 0; iw < ${w}; iw++) {`,
    `          const ow = ${ow};`,
    adjoint
      ? `          if (ow >= 0 && ow < ${wo}) y[yr + ow] += col[o + iw];`
      : `          col[o + iw] = ow >= 0 && ow < ${wo} ? dY[yr + ow] : 0;`,
    `        }`,
    `      }`,
    `    }`,
    `  }`,
    `}`,
  );
  return adjoint
    ? { suffix: 'col2im', params: [arg('col', 'F', { kind: 'n' }), arg('y', 'F', { kind: 'n' }), arg('yOff', 'number', { kind: 'n' })], body }
    : { suffix: 'im2col', params: [arg('dY', 'F', { kind: 'n' }), arg('yOff', 'number', { kind: 'n' }), arg('col', 'F', { kind: 'n' })], body };
}

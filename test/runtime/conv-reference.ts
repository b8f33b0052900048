// torch.nn.Conv2d's definition in float64 (direct loops, groups included), and the geometry of a test case: what the
// wasm convolutions' tests (conv-direct.test.ts, conv-depthwise.test.ts) check their float32 results against.
import type { Conv2dGeometry } from 'cnnc/runtime';

export interface Case {
  readonly title: string;
  readonly cin: number; readonly h: number; readonly w: number; readonly cout: number;
  readonly k: [number, number]; readonly s?: [number, number]; readonly d?: [number, number];
  /** top, bottom, left, right */
  readonly pad?: [number, number, number, number];
  readonly groups?: number;
  readonly n: number;
}

/** The case's geometry, computed by `algorithm`. */
export function geometryOf(c: Case, algorithm: NonNullable<Conv2dGeometry['algorithm']>): Conv2dGeometry {
  const [top, bottom, left, right] = c.pad ?? [0, 0, 0, 0];
  const [kh, kw] = c.k, [sh, sw] = c.s ?? [1, 1], [dh, dw] = c.d ?? [1, 1];
  const ho = Math.floor((c.h + top + bottom - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((c.w + left + right - dw * (kw - 1) - 1) / sw) + 1;
  return { cin: c.cin, h: c.h, w: c.w, cout: c.cout, ho, wo, kh, kw, sh, sw, dh, dw, top, left, groups: c.groups ?? 1, algorithm };
}

/** y = conv2d(x, W) + B, and for dY its input gradient dX, dW0 + its weight gradient and dB0 + its bias
 *  gradient, in float64 by the definition (torch.nn.Conv2d, groups included). */
export function reference(g: Conv2dGeometry, n: number, x: Float32Array, W: Float32Array, B: Float32Array, dY: Float32Array, dW0: Float32Array, dB0: Float32Array): { y: Float64Array; dX: Float64Array; dW: Float64Array; dB: Float64Array } {
  const y = new Float64Array(n * g.cout * g.ho * g.wo), dX = new Float64Array(x.length), dW = Float64Array.from(dW0), dB = Float64Array.from(dB0);
  const cig = g.cin / g.groups, cog = g.cout / g.groups;
  for (let s = 0; s < n; s++) for (let co = 0; co < g.cout; co++) for (let oh = 0; oh < g.ho; oh++) for (let ow = 0; ow < g.wo; ow++) {
    const yi = ((s * g.cout + co) * g.ho + oh) * g.wo + ow, gi = Math.floor(co / cog);
    let acc = B[co]!;
    dB[co]! += dY[yi]!;
    for (let c = 0; c < cig; c++) for (let ki = 0; ki < g.kh; ki++) for (let kj = 0; kj < g.kw; kj++) {
      const ih = oh * g.sh + ki * g.dh - g.top, iw = ow * g.sw + kj * g.dw - g.left;
      if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
      const xi = ((s * g.cin + gi * cig + c) * g.h + ih) * g.w + iw, wi = ((co * cig + c) * g.kh + ki) * g.kw + kj;
      acc += W[wi]! * x[xi]!;
      dX[xi]! += W[wi]! * dY[yi]!;
      dW[wi]! += dY[yi]! * x[xi]!;
    }
    y[yi] = acc;
  }
  return { y, dX, dW, dB };
}

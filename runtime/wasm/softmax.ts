// The loss's shared softmax (compiler/5-codegen/losses/softmax.ts) for float32 logits in wasm memory: the generated
// `lossSoftmax` calls `if (rt.lossSoftmax(z, prob, logSumExp, n, C, inner)) return;` before its own loops, which
// run everywhere else (float64, no SIMD128, arrays outside wasm memory). Per sample the wasm kernel
// (softmax-kernel.ts) writes prob and each pixel's max and sum (float64); logSumExp = max + Math.log(sum) here,
// as the loop computes it: the loop's bits (test/runtime/softmax-kernel.test.ts).
import type { FloatArray } from '../model.js';
import { roundUp } from './gemm-part.js';
import { addresses, residentIn, sideModule } from './side.js';
import { ensureFloats, float64View, scratchBase } from './sgemm.js';
import { softmaxModule } from './softmax-kernel.js';

interface SoftmaxKernels {
  readonly softmaxPlanes: (pZ: number, pP: number, pM: number, pS: number, pE: number, C: number, inner: number) => void;
}

/** prob = softmax(z) over the C classes of each of n samples' `inner` pixels (z, prob [n, C, inner]), logSumExp [n, inner]
 *  = max + log(Σ exp(z − max)); false (nothing done) where z and prob are not float32 arrays in wasm memory. */
export function lossSoftmax(z: FloatArray, prob: FloatArray, logSumExp: FloatArray, n: number, C: number, inner: number): boolean {
  const w = residentIn(z, prob);
  if (w === null) return false;
  const pZ = addresses[0]!, pP = addresses[1]!, sample = 4 * C * inner;
  // float64 scratch: max and sum (inner + 1 each: an odd row's last pair), e [C, inner] (+ 1)
  const base = roundUp(scratchBase(w), 16), pM = base >> 1, pS = pM + inner + 2, pE = pS + inner + 2;
  const f64 = float64View(ensureFloats(w, base + 2 * (2 * (inner + 2) + C * inner + 2)).buffer);
  const k = sideModule<SoftmaxKernels>(w, 'softmax', softmaxModule);
  for (let s = 0; s < n; s++) {
    k.softmaxPlanes(pZ + s * sample, pP + s * sample, 8 * pM, 8 * pS, 8 * pE, C, inner);
    for (let i = 0; i < inner; i++) logSumExp[s * inner + i] = f64[pM + i]! + Math.log(f64[pS + i]!);
  }
  return true;
}

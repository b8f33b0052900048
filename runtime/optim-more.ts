// The arithmetic of RMSprop, Adagrad, Adadelta and Adam(W) with amsgrad, bit for bit as torch.optim 1.13's
// _single_tensor_* functions compute it on the CPU (the classes are in optim.ts). One update function per
// optimizer and dtype, per parameter, allocation-free.
//
// What "bit for bit" takes (measured on torch 1.13's CPU kernels, AVX2):
// - every tensor op rounds to the tensor's dtype: float32 tensors round at each op (Math.fround here);
// - a Python scalar becomes the tensor's dtype before the op (value.to<scalar_t>()): fround(alpha), fround(1 − alpha);
// - `a.add(b, alpha=s)` and `a.addcmul(t1, t2, value=s)` are fused multiply-adds: fma(s, b, a) and
//   fma(round(s·t1), t2, a) (ATen's vectorized fmadd, its scalar tail contracted the same way), so fma32/fma64 below
//   are correctly rounded fused multiply-adds; `addcdiv(t1, t2, value=s)` is a + round(round(s·t1) / t2), unfused;
// - Adam's bias corrections use β^t: Python's `beta ** step` calls the C library's pow, which JavaScript's ** does
//   not reproduce (0.9 ** 4 differs in the last bit); powCorrect below is β^t correctly rounded, which glibc's pow
//   also returns for all but about 1 in 1000 step counts (0.999^t: once in t ≤ 3000).
const f = Math.fround;

/** a·b + c rounded once to float32 (a, b, c float32 values): the product is exact in a double; the double sum
 *  is then rounded to float32, correcting the one case double rounding gets wrong (the sum on a float32 tie). */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bp = s - p;
  const e = (p - (s - bp)) + (c - bp); // s + e = p + c exactly (2Sum)
  const r = f(s);
  if (e === 0) return r;
  const d = s - r;
  if (d === 0) return r;
  const o = r + 2 * d; // the other float32 neighbour, if s lies halfway
  if (f(o) !== o) return r;
  return (e > 0) === (d > 0) ? o : r;
}

const SPLIT = 134217729; // 2^27 + 1 (Veltkamp)
const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // the low word's index

/** a·b + c rounded once (float64): the exact product as two doubles (Dekker), then Boldo and Melquiond's
 *  emulated FMA: th + tl = c + uh exactly, v = (tl + ul) rounded to odd, result = th + v rounded to nearest. */
export function fma64(a: number, b: number, c: number): number {
  const uh = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  const ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl;
  const th = c + uh;
  const bv = th - c;
  const tl = (c - (th - bv)) + (uh - bv);
  let v = tl + ul;
  const bw = v - tl;
  const ve = (tl - (v - bw)) + (ul - bw);
  if (ve !== 0) {
    BITS[0] = v;
    const lo = WORDS[LOW]!;
    if ((lo & 1) === 0) {
      // Round to odd: the neighbour of v toward the exact sum (v is not 0 here: a sum rounded to 0 is exact).
      if ((ve > 0) === (v > 0)) WORDS[LOW] = lo + 1;
      else if (lo !== 0) WORDS[LOW] = lo - 1;
      else { WORDS[LOW] = 0xffffffff; WORDS[1 - LOW] = WORDS[1 - LOW]! - 1; }
      v = BITS[0]!;
    }
  }
  return th + v;
}

/** β^t correctly rounded (t a positive integer step count): exponentiation by squaring in double-double. */
export function powCorrect(b: number, t: number): number {
  let rh = 1, rl = 0, bh = b, bl = 0, n = t;
  while (true) {
    if (n % 2 === 1) {
      const ph = rh * bh;
      const pl = fma64(rh, bh, -ph) + (rh * bl + rl * bh);
      rh = ph + pl;
      rl = pl - (rh - ph);
    }
    n = Math.floor(n / 2);
    if (n === 0) break;
    const sh = bh * bh;
    const sl = fma64(bh, bh, -sh) + 2 * bh * bl;
    bh = sh + sl;
    bl = sl - (bh - sh);
  }
  return rh + rl;
}

/** RMSprop's scalars for one step: [alpha, 1 − alpha, eps, weight decay, momentum, −lr], in the tensor's dtype. */
export interface RmspropScalars { alpha: number; oneMinusAlpha: number; eps: number; weightDecay: number; momentum: number; negLr: number }

/** _single_tensor_rmsprop, float64 tensors. grad_avg (centered) and buf (momentum > 0) are null when absent. */
export function rmspropUpdate64(s: RmspropScalars, p: Float64Array, gr: Float64Array, sq: Float64Array, ga: Float64Array | null, buf: Float64Array | null): void {
  const { alpha, oneMinusAlpha, eps, weightDecay, momentum, negLr } = s;
  const n = p.length;
  for (let j = 0; j < n; j++) {
    let g = gr[j]!;
    if (weightDecay !== 0) g = fma64(weightDecay, p[j]!, g);
    sq[j] = fma64(oneMinusAlpha * g, g, sq[j]! * alpha);
    let avg: number;
    if (ga !== null) {
      ga[j] = fma64(oneMinusAlpha, g, ga[j]! * alpha);
      avg = Math.sqrt(fma64(-ga[j]!, ga[j]!, sq[j]!));
    } else avg = Math.sqrt(sq[j]!);
    avg = avg + eps;
    if (buf !== null) {
      buf[j] = buf[j]! * momentum + g / avg;
      p[j] = fma64(negLr, buf[j]!, p[j]!);
    } else p[j] = p[j]! + (negLr * g) / avg;
  }
}

/** _single_tensor_rmsprop, float32 tensors (every op rounded to float32). */
export function rmspropUpdate32(s: RmspropScalars, p: Float32Array, gr: Float32Array, sq: Float32Array, ga: Float32Array | null, buf: Float32Array | null): void {
  const { alpha, oneMinusAlpha, eps, weightDecay, momentum, negLr } = s;
  const n = p.length;
  for (let j = 0; j < n; j++) {
    let g = gr[j]!;
    if (weightDecay !== 0) g = fma32(weightDecay, p[j]!, g);
    sq[j] = fma32(f(oneMinusAlpha * g), g, f(sq[j]! * alpha));
    let avg: number;
    if (ga !== null) {
      ga[j] = fma32(oneMinusAlpha, g, f(ga[j]! * alpha));
      avg = f(Math.sqrt(fma32(-ga[j]!, ga[j]!, sq[j]!)));
    } else avg = f(Math.sqrt(sq[j]!));
    avg = f(avg + eps);
    if (buf !== null) {
      buf[j] = f(buf[j]! * momentum) + f(g / avg);
      p[j] = fma32(negLr, buf[j]!, p[j]!);
    } else p[j] = p[j]! + f(f(negLr * g) / avg);
  }
}

/** _single_tensor_adagrad (dense), float64: sum += g²; p += (−clr)·g / (√sum + eps). */
export function adagradUpdate64(weightDecay: number, eps: number, negClr: number, p: Float64Array, gr: Float64Array, sum: Float64Array): void {
  const n = p.length;
  for (let j = 0; j < n; j++) {
    let g = gr[j]!;
    if (weightDecay !== 0) g = fma64(weightDecay, p[j]!, g);
    sum[j] = fma64(g, g, sum[j]!);
    const std = Math.sqrt(sum[j]!) + eps;
    p[j] = p[j]! + (negClr * g) / std;
  }
}

/** _single_tensor_adagrad (dense), float32. */
export function adagradUpdate32(weightDecay: number, eps: number, negClr: number, p: Float32Array, gr: Float32Array, sum: Float32Array): void {
  const n = p.length;
  for (let j = 0; j < n; j++) {
    let g = gr[j]!;
    if (weightDecay !== 0) g = fma32(weightDecay, p[j]!, g);
    sum[j] = fma32(g, g, sum[j]!);
    const std = f(f(Math.sqrt(sum[j]!)) + eps);
    p[j] = p[j]! + f(f(negClr * g) / std);
  }
}

/** Adadelta's scalars in the tensor's dtype: rho, 1 − rho, eps, weight decay, −lr. */
export interface AdadeltaScalars { rho: number; oneMinusRho: number; eps: number; weightDecay: number; negLr: number }

/** _single_tensor_adadelta, float64. */
export function adadeltaUpdate64(s: AdadeltaScalars, p: Float64Array, gr: Float64Array, sq: Float64Array, acc: Float64Array): void {
  const { rho, oneMinusRho, eps, weightDecay, negLr } = s;
  const n = p.length;
  for (let j = 0; j < n; j++) {
    let g = gr[j]!;
    if (weightDecay !== 0) g = fma64(weightDecay, p[j]!, g);
    sq[j] = fma64(oneMinusRho * g, g, sq[j]! * rho);
    const std = Math.sqrt(sq[j]! + eps);
    const delta = (Math.sqrt(acc[j]! + eps) / std) * g;
    acc[j] = fma64(oneMinusRho * delta, delta, acc[j]! * rho);
    p[j] = fma64(negLr, delta, p[j]!);
  }
}

/** _single_tensor_adadelta, float32. */
export function adadeltaUpdate32(s: AdadeltaScalars, p: Float32Array, gr: Float32Array, sq: Float32Array, acc: Float32Array): void {
  const { rho, oneMinusRho, eps, weightDecay, negLr } = s;
  const n = p.length;
  for (let j = 0; j < n; j++) {
    let g = gr[j]!;
    if (weightDecay !== 0) g = fma32(weightDecay, p[j]!, g);
    sq[j] = fma32(f(oneMinusRho * g), g, f(sq[j]! * rho));
    const std = f(Math.sqrt(f(sq[j]! + eps)));
    const delta = f(f(f(Math.sqrt(f(acc[j]! + eps))) / std) * g);
    acc[j] = fma32(f(oneMinusRho * delta), delta, f(acc[j]! * rho));
    p[j] = fma32(negLr, delta, p[j]!);
  }
}

/** Adam(W) amsgrad's scalars in the tensor's dtype: β1, 1 − β1, β2, 1 − β2, eps, L2 weight decay (Adam; 0 for
 *  AdamW), the decay factor 1 − lr·wd (AdamW; 1 for Adam), −step_size and √(1 − β2^t). */
export interface AmsgradScalars { beta1: number; oneMinusBeta1: number; beta2: number; oneMinusBeta2: number; eps: number; l2: number; decay: number; negStepSize: number; bc2Sqrt: number }

/** _single_tensor_adam[w] with amsgrad, float64. */
export function amsgradUpdate64(s: AmsgradScalars, p: Float64Array, gr: Float64Array, m: Float64Array, v: Float64Array, vmax: Float64Array): void {
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, l2, decay, negStepSize, bc2Sqrt } = s;
  const n = p.length;
  for (let j = 0; j < n; j++) {
    if (decay !== 1) p[j] = p[j]! * decay;
    let g = gr[j]!;
    if (l2 !== 0) g = fma64(l2, p[j]!, g);
    m[j] = fma64(oneMinusBeta1, g, m[j]! * beta1);
    v[j] = fma64(oneMinusBeta2 * g, g, v[j]! * beta2);
    vmax[j] = Math.max(vmax[j]!, v[j]!);
    const denom = Math.sqrt(vmax[j]!) / bc2Sqrt + eps;
    p[j] = p[j]! + (negStepSize * m[j]!) / denom;
  }
}

/** _single_tensor_adam[w] with amsgrad, float32. */
export function amsgradUpdate32(s: AmsgradScalars, p: Float32Array, gr: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array): void {
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, l2, decay, negStepSize, bc2Sqrt } = s;
  const n = p.length;
  for (let j = 0; j < n; j++) {
    if (decay !== 1) p[j] = p[j]! * decay;
    let g = gr[j]!;
    if (l2 !== 0) g = fma32(l2, p[j]!, g);
    m[j] = fma32(oneMinusBeta1, g, f(m[j]! * beta1));
    v[j] = fma32(f(oneMinusBeta2 * g), g, f(v[j]! * beta2));
    vmax[j] = Math.max(vmax[j]!, v[j]!);
    const denom = f(f(f(Math.sqrt(vmax[j]!)) / bc2Sqrt) + eps);
    p[j] = p[j]! + f(f(negStepSize * m[j]!) / denom);
  }
}

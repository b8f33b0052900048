// RMSprop, Adagrad, Adadelta and Adam(W) with amsgrad in wasm, float32: the updates of runtime/optim-more.ts
// (rmspropUpdate32, adagradUpdate32, adadeltaUpdate32, amsgradUpdate32) operation for operation, so the
// same bits as those and as torch.optim 1.13 on the CPU. Every float32 operation rounds as torch's
// per-op tensors do; fma (optim-lanes.ts) is ATen's fused add(…, alpha=) / addcmul.
//
// Each kernel: (addresses of the parameter, its gradient and its slots, n, scalars), byte addresses; the
// step's float32 scalars are at `scalars`, written by optim.ts (the values optim-more.ts's update gets).
// A slot that is absent (RMSprop's grad_avg uncentered, momentum_buffer at momentum 0) is address −1.
// A zero weight decay is skipped, as the JavaScript skips it (g + 0·p is not g where p is not finite
// or g is −0). One module per optimizer and fma (optim-more.ts in this folder instantiates the one a run uses,
// and hands the workers all of them), each under the 4 KB a browser compiles on its main thread.
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { elementLoops, value, type Fma, type Lanes } from './optim-lanes.js';

type I32 = Local<ValType.i32>;

export type OptimKernel = 'rmsprop' | 'adagrad' | 'adadelta' | 'amsgrad';

/** The export of `kind`'s kernel built with `how`: the variants are named apart, since a worker holds both
 *  (gemm-part.js UPDATES; the caller may switch fma after the workers started: optim-more.ts setOptimFma). */
export function optimKernelName(kind: OptimKernel, how: Fma): OptimKernel | `${OptimKernel}Fused` {
  return how === 'fused' ? `${kind}Fused` : kind;
}

/** `kind`'s module, its fma emulated or fused (relaxed_madd: only where maddIsFused, optim-lanes.ts); its one export is
 *  optimKernelName(kind, how). */
export function optimModule(kind: OptimKernel, memory: MemoryDecl, how: Fma = 'emulated'): Uint8Array<ArrayBuffer> {
  const kernel = { rmsprop: rmspropKernel, adagrad: adagradKernel, adadelta: adadeltaKernel, amsgrad: amsgradKernel }[kind];
  return encodeModule([kernel(how)], memory);
}

/** Scalar k of the block at `scalars`, in every lane, as a local. */
function scalarOf(f: FunctionBuilder, W: Lanes, scalars: I32, k: number): Local {
  return value(f, W, () => { f.get(scalars); W.loadScalar(k); });
}

/** An i32 local: 1 where float32 scalar k ≠ 0 (a weight decay to apply). */
function nonZero(f: FunctionBuilder, scalars: I32, k: number): I32 {
  const l = f.local(ValType.i32);
  f.get(scalars).f32Load(4 * k).f32Zero().f32Ne().set(l);
  return l;
}

/** g = fma(wd, p, g) where wdOn (torch: grad = grad.add(param, alpha=weight_decay)). */
function weightDecay(f: FunctionBuilder, W: Lanes, wdOn: I32, WD: Local, p: Local, g: Local): void {
  f.get(wdOn).ifElse(() => { W.fma(WD, p, g); f.set(g); });
}

/** Stores the value `emit` leaves at address `at` and keeps it in `into`. */
function storeAt(f: FunctionBuilder, W: Lanes, at: I32, into: Local, emit: () => void): void {
  emit();
  f.set(into).get(at).get(into);
  W.store();
}

/** Loads the W.lanes floats at `at` into a new local. */
function loadFrom(f: FunctionBuilder, W: Lanes, at: I32): Local {
  return value(f, W, () => { f.get(at); W.load(); });
}

/** rmsprop(pP, pG, pSq, pGa, pBuf, n, scalars): scalars [α, 1 − α, eps, weight decay, momentum, −lr]; pGa −1 uncentered, pBuf −1 without momentum. */
export function rmspropKernel(how: Fma): FunctionBuilder {
  const f = new FunctionBuilder(optimKernelName('rmsprop', how), Array<ValType>(7).fill(ValType.i32));
  const [pP, pG, pSq, pGa, pBuf, n, scalars] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  const wdOn = nonZero(f, scalars, 3);
  const centered = f.local(ValType.i32), momentum = f.local(ValType.i32);
  f.get(pGa).i32Const(-1).i32Ne().set(centered);
  f.get(pBuf).i32Const(-1).i32Ne().set(momentum);
  elementLoops(f, how, n, [pP, pG, pSq, pGa, pBuf], (W) => {
    const [A, OMA, EPS, WD, MOM, NLR] = [0, 1, 2, 3, 4, 5].map((k) => scalarOf(f, W, scalars, k)) as [Local, Local, Local, Local, Local, Local];
    const g = f.local(W.type), sq = f.local(W.type), ga = f.local(W.type), avg = f.local(W.type), buf = f.local(W.type), t = f.local(W.type), u = f.local(W.type);
    return () => {
      const p = loadFrom(f, W, pP);
      f.get(pG); W.load(); f.set(g);
      weightDecay(f, W, wdOn, WD, p, g);
      // square_avg = fma((1 − α)·g, g, square_avg·α)
      f.get(OMA).get(g); W.mul(); f.set(t);
      f.get(pSq); W.load(); f.get(A); W.mul(); f.set(u);
      storeAt(f, W, pSq, sq, () => W.fma(t, g, u));
      f.get(centered).ifElse(() => {
        // grad_avg = fma(1 − α, g, grad_avg·α);  avg = √fma(−grad_avg, grad_avg, square_avg)
        f.get(pGa); W.load(); f.get(A); W.mul(); f.set(u);
        storeAt(f, W, pGa, ga, () => W.fma(OMA, g, u));
        f.get(ga); W.neg(); f.set(t);
        W.fma(t, ga, sq); W.sqrt(); f.set(avg);
      }, () => { f.get(sq); W.sqrt(); f.set(avg); });
      f.get(avg).get(EPS); W.add(); f.set(avg);
      f.get(momentum).ifElse(() => {
        // buf = buf·momentum + g / avg;  p = fma(−lr, buf, p)
        storeAt(f, W, pBuf, buf, () => { f.get(pBuf); W.load(); f.get(MOM); W.mul(); f.get(g).get(avg); W.div(); W.add(); });
        f.get(pP); W.fma(NLR, buf, p); W.store();
      }, () => {
        // p = p + (−lr·g) / avg
        f.get(pP).get(p).get(NLR).get(g); W.mul(); f.get(avg); W.div(); W.add(); W.store();
      });
    };
  });
  return f;
}

/** adagrad(pP, pG, pSum, n, scalars): scalars [weight decay, eps, −clr]. */
export function adagradKernel(how: Fma): FunctionBuilder {
  const f = new FunctionBuilder(optimKernelName('adagrad', how), Array<ValType>(5).fill(ValType.i32));
  const [pP, pG, pSum, n, scalars] = f.params as [I32, I32, I32, I32, I32];
  const wdOn = nonZero(f, scalars, 0);
  elementLoops(f, how, n, [pP, pG, pSum], (W) => {
    const [WD, EPS, NCLR] = [0, 1, 2].map((k) => scalarOf(f, W, scalars, k)) as [Local, Local, Local];
    const g = f.local(W.type), sum = f.local(W.type);
    return () => {
      const p = loadFrom(f, W, pP);
      f.get(pG); W.load(); f.set(g);
      weightDecay(f, W, wdOn, WD, p, g);
      // sum = fma(g, g, sum);  p = p + (−clr·g) / (√sum + eps)
      const s0 = loadFrom(f, W, pSum);
      storeAt(f, W, pSum, sum, () => W.fma(g, g, s0));
      f.get(pP).get(p).get(NCLR).get(g); W.mul(); f.get(sum); W.sqrt(); f.get(EPS); W.add(); W.div(); W.add(); W.store();
    };
  });
  return f;
}

/** adadelta(pP, pG, pSq, pAcc, n, scalars): scalars [ρ, 1 − ρ, eps, weight decay, −lr]. */
export function adadeltaKernel(how: Fma): FunctionBuilder {
  const f = new FunctionBuilder(optimKernelName('adadelta', how), Array<ValType>(6).fill(ValType.i32));
  const [pP, pG, pSq, pAcc, n, scalars] = f.params as [I32, I32, I32, I32, I32, I32];
  const wdOn = nonZero(f, scalars, 3);
  elementLoops(f, how, n, [pP, pG, pSq, pAcc], (W) => {
    const [RHO, OMR, EPS, WD, NLR] = [0, 1, 2, 3, 4].map((k) => scalarOf(f, W, scalars, k)) as [Local, Local, Local, Local, Local];
    const g = f.local(W.type), sq = f.local(W.type), acc = f.local(W.type), delta = f.local(W.type), t = f.local(W.type), u = f.local(W.type);
    return () => {
      const p = loadFrom(f, W, pP);
      f.get(pG); W.load(); f.set(g);
      weightDecay(f, W, wdOn, WD, p, g);
      // square_avg = fma((1 − ρ)·g, g, square_avg·ρ)
      f.get(OMR).get(g); W.mul(); f.set(t);
      f.get(pSq); W.load(); f.get(RHO); W.mul(); f.set(u);
      storeAt(f, W, pSq, sq, () => W.fma(t, g, u));
      // delta = √(acc_delta + eps) / √(square_avg + eps) · g
      f.get(pAcc); W.load(); f.set(acc);
      f.get(acc).get(EPS); W.add(); W.sqrt(); f.get(sq).get(EPS); W.add(); W.sqrt(); W.div(); f.get(g); W.mul(); f.set(delta);
      // acc_delta = fma((1 − ρ)·delta, delta, acc_delta·ρ);  p = fma(−lr, delta, p)
      f.get(OMR).get(delta); W.mul(); f.set(t);
      f.get(acc).get(RHO); W.mul(); f.set(u);
      f.get(pAcc); W.fma(t, delta, u); W.store();
      f.get(pP); W.fma(NLR, delta, p); W.store();
    };
  });
  return f;
}

/**
 * amsgrad(pP, pG, pM, pV, pVmax, n, scalars): scalars [β1, 1 − β1, β2, 1 − β2, eps, l2, decay, −step_size,
 * √(1 − β2^t)] (Adam: l2 = weight decay, decay 1; AdamW: l2 = 0, decay = 1 − lr·wd); each applied only where it
 * does something (l2 ≠ 0, decay ≠ 1), as the JavaScript does.
 */
export function amsgradKernel(how: Fma): FunctionBuilder {
  const f = new FunctionBuilder(optimKernelName('amsgrad', how), Array<ValType>(7).fill(ValType.i32));
  const [pP, pG, pM, pV, pVmax, n, scalars] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  const l2On = nonZero(f, scalars, 5);
  const decayOn = f.local(ValType.i32);
  f.get(scalars).f32Load(4 * 6).f32Const(1).f32Ne().set(decayOn);
  elementLoops(f, how, n, [pP, pG, pM, pV, pVmax], (W) => {
    const [B1, OMB1, B2, OMB2, EPS, L2, DECAY, NSS, BC2] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => scalarOf(f, W, scalars, k)) as [Local, Local, Local, Local, Local, Local, Local, Local, Local];
    const p = f.local(W.type), g = f.local(W.type), m = f.local(W.type), v = f.local(W.type), vmax = f.local(W.type), t = f.local(W.type), u = f.local(W.type);
    return () => {
      f.get(pP); W.load(); f.set(p);
      f.get(decayOn).ifElse(() => { f.get(p).get(DECAY); W.mul(); f.set(p); });
      f.get(pG); W.load(); f.set(g);
      weightDecay(f, W, l2On, L2, p, g);
      // m = fma(1 − β1, g, m·β1);  v = fma((1 − β2)·g, g, v·β2);  vmax = max(vmax, v)
      f.get(pM); W.load(); f.get(B1); W.mul(); f.set(u);
      storeAt(f, W, pM, m, () => W.fma(OMB1, g, u));
      f.get(OMB2).get(g); W.mul(); f.set(t);
      f.get(pV); W.load(); f.get(B2); W.mul(); f.set(u);
      storeAt(f, W, pV, v, () => W.fma(t, g, u));
      storeAt(f, W, pVmax, vmax, () => { f.get(pVmax); W.load(); f.get(v); W.max(); });
      // p = p + (−step_size·m) / (√vmax / √(1 − β2^t) + eps)
      f.get(pP).get(p).get(NSS).get(m); W.mul(); f.get(vmax); W.sqrt(); f.get(BC2); W.div(); f.get(EPS); W.add(); W.div(); W.add(); W.store();
    };
  });
  return f;
}

// Adam(W) in wasm, as torch.optim computes it (_single_tensor_adam[w], 1.13), in two functions:
//
// adamPrepare(hyper, t, scalars): from the float64 hyperparameters at `hyper` (lr, β1, β2, eps,
// weight decay, decoupled 0/1) and the step t, the nine float32 scalars at `scalars`: β1, β2,
// 1 − β1, 1 − β2, step_size = lr / (1 − β1^t), √(1 − β2^t), eps, l2, decay, computed in float64
// as torch does in Python, then rounded (Adam: l2 = weight decay, decay = 1; AdamW: l2 = 0,
// decay = 1 − lr·wd). β^t is taken by repeated squaring: within a few float64 ulps of pow(), far
// below the float32 rounding that follows. Done here, not in JS, because every float JS computes
// or loads is a 16-byte heap number until V8 optimizes the code, which for code run once a step
// takes hundreds of steps.
//
// adam(pP, pG, pM, pV, n, scalars): the update of n parameters, four at a time, then one at a time
// (the same float32 operations lane by lane, so the tail rounds as the vectors do):
//   p' = p·decay;  g' = g + l2·p;  m = m·β1 + (1 − β1)·g';  v = v·β2 + ((1 − β2)·g')·g'
//   p = p' − step_size · m / (√v / √(1 − β2^t) + eps)
// All addresses are in bytes. A module of its own on the kernels' memory (adam.ts instantiates it
// once per memory): the gemm module stays under the 4 KB a browser compiles on its main thread,
// and the workers, which never run the optimizer, do not compile it.
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';

type I32 = Local<ValType.i32>;
type F64 = Local<ValType.f64>;

export function adamModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([adamKernel(), adamPrepareKernel()], memory);
}

export function adamKernel(): FunctionBuilder {
  const f = new FunctionBuilder('adam', Array<ValType>(6).fill(ValType.i32));
  const [pP, pG, pM, pV, n, scalars] = f.params as [I32, I32, I32, I32, I32, I32];
  /** The k-th float32 scalar at `scalars`, broadcast to four lanes. */
  const splat = (k: number): Local<ValType.v128> => {
    const l = f.local(ValType.v128);
    f.get(scalars).v128Load32Splat(4 * k).set(l);
    return l;
  };
  const B1 = splat(0), B2 = splat(1), C1 = splat(2), C2 = splat(3), S = splat(4), BC2 = splat(5), E = splat(6), L2 = splat(7), D = splat(8);
  const p = f.local(ValType.v128), g = f.local(ValType.v128), m = f.local(ValType.v128), v = f.local(ValType.v128);
  f.block(() => f.loop(() => {
    f.get(n).i32Const(4).i32LtU().brIf(1);
    f.get(pP).v128Load(0).set(p);
    f.get(pG).v128Load(0).get(L2).get(p).f32x4Mul().f32x4Add().set(g);
    f.get(pM).v128Load(0).get(B1).f32x4Mul().get(C1).get(g).f32x4Mul().f32x4Add().set(m);
    f.get(pM).get(m).v128Store(0);
    f.get(pV).v128Load(0).get(B2).f32x4Mul().get(C2).get(g).f32x4Mul().get(g).f32x4Mul().f32x4Add().set(v);
    f.get(pV).get(v).v128Store(0);
    // p = p·decay − step_size · (m / (√v / bc2 + eps))
    f.get(pP);
    f.get(p).get(D).f32x4Mul();
    f.get(S).get(m).get(v).f32x4Sqrt().get(BC2).f32x4Div().get(E).f32x4Add().f32x4Div().f32x4Mul();
    f.f32x4Sub().v128Store(0);
    f.addTo(pP, 16).addTo(pG, 16).addTo(pM, 16).addTo(pV, 16);
    f.get(n).i32Const(4).i32Sub().set(n);
    f.br(0);
  }));
  // The last n mod 4, with the scalar forms of the same operations.
  const scalar = (k: number): Local<ValType.f32> => {
    const l = f.local(ValType.f32);
    f.get(scalars).f32Load(4 * k).set(l);
    return l;
  };
  const b1 = scalar(0), b2 = scalar(1), c1 = scalar(2), c2 = scalar(3), st = scalar(4), bc2 = scalar(5), e = scalar(6), l2 = scalar(7), d = scalar(8);
  const ps = f.local(ValType.f32), gs = f.local(ValType.f32), ms = f.local(ValType.f32), vs = f.local(ValType.f32);
  f.block(() => f.loop(() => {
    f.get(n).i32Eqz().brIf(1);
    f.get(pP).f32Load(0).set(ps);
    f.get(pG).f32Load(0).get(l2).get(ps).f32Mul().f32Add().set(gs);
    f.get(pM).f32Load(0).get(b1).f32Mul().get(c1).get(gs).f32Mul().f32Add().set(ms);
    f.get(pM).get(ms).f32Store(0);
    f.get(pV).f32Load(0).get(b2).f32Mul().get(c2).get(gs).f32Mul().get(gs).f32Mul().f32Add().set(vs);
    f.get(pV).get(vs).f32Store(0);
    f.get(pP);
    f.get(ps).get(d).f32Mul();
    f.get(st).get(ms).get(vs).f32Sqrt().get(bc2).f32Div().get(e).f32Add().f32Div().f32Mul();
    f.f32Sub().f32Store(0);
    f.addTo(pP, 4).addTo(pG, 4).addTo(pM, 4).addTo(pV, 4);
    f.get(n).i32Const(1).i32Sub().set(n);
    f.br(0);
  }));
  return f;
}

export function adamPrepareKernel(): FunctionBuilder {
  const f = new FunctionBuilder('adamPrepare', [ValType.i32, ValType.i32, ValType.i32]);
  const [hyper, t, out] = f.params as [I32, I32, I32];
  const load = (k: number): F64 => {
    const l = f.local(ValType.f64);
    f.get(hyper).f64Load(8 * k).set(l);
    return l;
  };
  const lr = load(0), b1 = load(1), b2 = load(2), eps = load(3), wd = load(4), decoupled = load(5);
  // β1^t and β2^t by repeated squaring.
  const p1 = f.local(ValType.f64), p2 = f.local(ValType.f64), x1 = f.local(ValType.f64), x2 = f.local(ValType.f64);
  f.f64Const(1).set(p1).f64Const(1).set(p2).get(b1).set(x1).get(b2).set(x2);
  f.block(() => f.loop(() => {
    f.get(t).i32Eqz().brIf(1);
    f.get(t).i32Const(1).i32And().ifElse(() => {
      f.get(p1).get(x1).f64Mul().set(p1);
      f.get(p2).get(x2).f64Mul().set(p2);
    });
    f.get(x1).get(x1).f64Mul().set(x1);
    f.get(x2).get(x2).f64Mul().set(x2);
    f.get(t).i32Const(1).i32ShrU().set(t);
    f.br(0);
  }));
  /** Stores the float64 on the stack, rounded to float32, as scalar k. */
  const store = (k: number, value: () => void): void => {
    f.get(out);
    value();
    f.f32DemoteF64().f32Store(4 * k);
  };
  const isDecoupled = (): void => void f.get(decoupled).f64Const(0).f64Ne();
  store(0, () => f.get(b1));
  store(1, () => f.get(b2));
  store(2, () => f.f64Const(1).get(b1).f64Sub());
  store(3, () => f.f64Const(1).get(b2).f64Sub());
  store(4, () => f.get(lr).f64Const(1).get(p1).f64Sub().f64Div());
  store(5, () => f.f64Const(1).get(p2).f64Sub().f64Sqrt());
  store(6, () => f.get(eps));
  store(7, () => { f.f64Const(0).get(wd); isDecoupled(); f.select(); });
  store(8, () => { f.f64Const(1).get(lr).get(wd).f64Mul().f64Sub().f64Const(1); isDecoupled(); f.select(); });
  return f;
}

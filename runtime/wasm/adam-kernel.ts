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

/** The float32 operations of one lane width: four lanes (v128) or one (f32). */
interface Width {
  readonly type: ValType.v128 | ValType.f32;
  /** Elements a step takes. */
  readonly lanes: number;
  readonly load: (f: FunctionBuilder) => void;
  /** The k-th float32 at the address on the stack, in every lane. */
  readonly loadScalar: (f: FunctionBuilder, k: number) => void;
  readonly store: (f: FunctionBuilder) => void;
  readonly add: (f: FunctionBuilder) => void;
  readonly sub: (f: FunctionBuilder) => void;
  readonly mul: (f: FunctionBuilder) => void;
  readonly div: (f: FunctionBuilder) => void;
  readonly sqrt: (f: FunctionBuilder) => void;
}

const FOUR: Width = {
  type: ValType.v128, lanes: 4,
  load: (f) => void f.v128Load(0), loadScalar: (f, k) => void f.v128Load32Splat(4 * k), store: (f) => void f.v128Store(0),
  add: (f) => void f.f32x4Add(), sub: (f) => void f.f32x4Sub(), mul: (f) => void f.f32x4Mul(), div: (f) => void f.f32x4Div(), sqrt: (f) => void f.f32x4Sqrt(),
};

const ONE: Width = {
  type: ValType.f32, lanes: 1,
  load: (f) => void f.f32Load(0), loadScalar: (f, k) => void f.f32Load(4 * k), store: (f) => void f.f32Store(0),
  add: (f) => void f.f32Add(), sub: (f) => void f.f32Sub(), mul: (f) => void f.f32Mul(), div: (f) => void f.f32Div(), sqrt: (f) => void f.f32Sqrt(),
};

export function adamKernel(): FunctionBuilder {
  const f = new FunctionBuilder('adam', Array<ValType>(6).fill(ValType.i32));
  const [pP, pG, pM, pV, n, scalars] = f.params as [I32, I32, I32, I32, I32, I32];
  // Four lanes while four are left, then one at a time: the same operations in the same order.
  for (const W of [FOUR, ONE]) {
    const scalar = (k: number): Local => {
      const l = f.local(W.type);
      f.get(scalars);
      W.loadScalar(f, k);
      f.set(l);
      return l;
    };
    const B1 = scalar(0), B2 = scalar(1), C1 = scalar(2), C2 = scalar(3), S = scalar(4), BC2 = scalar(5), E = scalar(6), L2 = scalar(7), D = scalar(8);
    const p = f.local(W.type), g = f.local(W.type), m = f.local(W.type), v = f.local(W.type);
    f.block(() => f.loop(() => {
      f.get(n).i32Const(W.lanes).i32LtU().brIf(1);
      f.get(pP); W.load(f); f.set(p);
      // g' = g + l2·p
      f.get(pG); W.load(f); f.get(L2).get(p); W.mul(f); W.add(f); f.set(g);
      // m = m·β1 + (1 − β1)·g'
      f.get(pM); W.load(f); f.get(B1); W.mul(f); f.get(C1).get(g); W.mul(f); W.add(f); f.set(m);
      f.get(pM).get(m); W.store(f);
      // v = v·β2 + ((1 − β2)·g')·g'
      f.get(pV); W.load(f); f.get(B2); W.mul(f); f.get(C2).get(g); W.mul(f); f.get(g); W.mul(f); W.add(f); f.set(v);
      f.get(pV).get(v); W.store(f);
      // p = p·decay − step_size · (m / (√v / bc2 + eps))
      f.get(pP);
      f.get(p).get(D); W.mul(f);
      f.get(S).get(m).get(v); W.sqrt(f); f.get(BC2); W.div(f); f.get(E); W.add(f); W.div(f); W.mul(f);
      W.sub(f); W.store(f);
      f.addTo(pP, 4 * W.lanes).addTo(pG, 4 * W.lanes).addTo(pM, 4 * W.lanes).addTo(pV, 4 * W.lanes);
      f.get(n).i32Const(W.lanes).i32Sub().set(n);
      f.br(0);
    }));
  }
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

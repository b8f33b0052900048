// Adam(W)'s update in wasm, four parameters at a time, in float32 as torch.optim does it
// (_single_tensor_adam, 1.13): adam(pP, pG, pM, pV, vectors, scalars), byte addresses for the
// parameter, its gradient, the two moments and nine float32 scalars β1, β2, 1 − β1, 1 − β2,
// step_size, √(1 − β2^t), eps, l2, decay (in memory: floats passed to a call would be boxed):
//   p' = p·decay;  g' = g + l2·p;  m = m·β1 + (1 − β1)·g';  v = v·β2 + ((1 − β2)·g')·g'
//   p = p' − step_size · m / (√v / √(1 − β2^t) + eps)
// (Adam: l2 = weight decay, decay = 1; AdamW: l2 = 0, decay = 1 − lr·wd.)
import { FunctionBuilder, ValType, type Local } from './encoder.js';

type I32 = Local<ValType.i32>;

export function adamKernel(): FunctionBuilder {
  const f = new FunctionBuilder('adam', Array<ValType>(6).fill(ValType.i32));
  const [pP, pG, pM, pV, vectors, scalars] = f.params as [I32, I32, I32, I32, I32, I32];
  /** The k-th float32 scalar at `scalars`, broadcast to four lanes. */
  const splat = (k: number): Local<ValType.v128> => {
    const l = f.local(ValType.v128);
    f.get(scalars).v128Load32Splat(4 * k).set(l);
    return l;
  };
  const B1 = splat(0), B2 = splat(1), C1 = splat(2), C2 = splat(3), S = splat(4), BC2 = splat(5), E = splat(6), L2 = splat(7), D = splat(8);
  const p = f.local(ValType.v128), g = f.local(ValType.v128), m = f.local(ValType.v128), v = f.local(ValType.v128);
  f.block(() => f.loop(() => {
    f.get(vectors).i32Eqz().brIf(1);
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
    f.get(vectors).i32Const(1).i32Sub().set(vectors);
    f.br(0);
  }));
  return f;
}

// Adam(W)'s update in wasm, four parameters at a time, in float32 as torch.optim does it
// (_single_tensor_adam, 1.13): adam(pP, pG, pM, pV, vectors, β1, β2, 1 − β1, 1 − β2, step_size,
// √(1 − β2^t), eps, l2, decay), byte addresses for the parameter, its gradient and the two moments:
//   p' = p·decay;  g' = g + l2·p;  m = m·β1 + (1 − β1)·g';  v = v·β2 + ((1 − β2)·g')·g'
//   p = p' − step_size · m / (√v / √(1 − β2^t) + eps)
// (Adam: l2 = weight decay, decay = 1; AdamW: l2 = 0, decay = 1 − lr·wd.)
import { FunctionBuilder, ValType, type Local } from './encoder.js';

type I32 = Local<ValType.i32>;
type F32 = Local<ValType.f32>;

export function adamKernel(): FunctionBuilder {
  const f = new FunctionBuilder('adam', [...Array<ValType>(5).fill(ValType.i32), ...Array<ValType>(9).fill(ValType.f32)]);
  const [pP, pG, pM, pV, vectors] = f.params.slice(0, 5) as [I32, I32, I32, I32, I32];
  const [b1, b2, c1, c2, stepSize, bc2, eps, l2, decay] = f.params.slice(5) as [F32, F32, F32, F32, F32, F32, F32, F32, F32];
  const splat = (x: F32): Local<ValType.v128> => {
    const l = f.local(ValType.v128);
    f.get(x).f32x4Splat().set(l);
    return l;
  };
  const B1 = splat(b1), B2 = splat(b2), C1 = splat(c1), C2 = splat(c2), S = splat(stepSize), BC2 = splat(bc2), E = splat(eps), L2 = splat(l2), D = splat(decay);
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

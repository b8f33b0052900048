// gemvRows(pA, pB, pC, N, K, load): c[j] = (load ? c[j] : 0) + Σ_k a[k]·b[j·K + k] for j < N,
// byte addresses: one row a times a matrix b stored by rows of K floats, transposed (C = A·Bᵀ with
// M = 1). A linear layer's forward at batch 1 is this product; the gemm would pack all of b to use
// each element once. Eight floats per step in two vector accumulators, then the lanes and the tail.
import { FunctionBuilder, ValType, type Local } from './encoder.js';

type I32 = Local<ValType.i32>;

export function gemvRows(): FunctionBuilder {
  const f = new FunctionBuilder('gemvRows', Array<ValType>(6).fill(ValType.i32));
  const [pA, pB, pC, N, K, load] = f.params as [I32, I32, I32, I32, I32, I32];
  const a = f.local(ValType.i32), b = f.local(ValType.i32), k = f.local(ValType.i32), j = f.local(ValType.i32);
  const acc0 = f.local(ValType.v128), acc1 = f.local(ValType.v128), sum = f.local(ValType.f32);
  f.get(N).set(j);
  f.loop(() => { // rows of b: one output each
    f.get(pA).set(a);
    f.get(pB).set(b);
    f.get(K).set(k);
    f.v128Zero().set(acc0);
    f.v128Zero().set(acc1);
    f.block(() => f.loop(() => { // eight at a time
      f.get(k).i32Const(8).i32LtS().brIf(1);
      f.get(acc0).get(a).v128Load(0).get(b).v128Load(0).f32x4Mul().f32x4Add().set(acc0);
      f.get(acc1).get(a).v128Load(16).get(b).v128Load(16).f32x4Mul().f32x4Add().set(acc1);
      f.addTo(a, 32).addTo(b, 32);
      f.get(k).i32Const(8).i32Sub().set(k);
      f.br(0);
    }));
    f.get(acc0).get(acc1).f32x4Add().set(acc0);
    f.get(acc0).f32x4ExtractLane(0).get(acc0).f32x4ExtractLane(1).f32Add();
    f.get(acc0).f32x4ExtractLane(2).get(acc0).f32x4ExtractLane(3).f32Add().f32Add().set(sum);
    f.block(() => f.loop(() => { // the tail
      f.get(k).i32Eqz().brIf(1);
      f.get(sum).get(a).f32Load(0).get(b).f32Load(0).f32Mul().f32Add().set(sum);
      f.addTo(a, 4).addTo(b, 4);
      f.get(k).i32Const(1).i32Sub().set(k);
      f.br(0);
    }));
    f.get(load).ifElse(() => { f.get(pC).f32Load(0).get(sum).f32Add().set(sum); });
    f.get(pC).get(sum).f32Store(0);
    f.addTo(pC, 4);
    f.get(pB).get(K).i32Const(4).i32Mul().i32Add().set(pB);
    f.get(j).i32Const(1).i32Sub().tee(j).brIf(0);
  });
  return f;
}

// gemvRows(pA, pB, pC, N, K, load): c[j] = (load ? c[j] : 0) + Σ_k a[k]·b[j·K + k] for j < N,
// byte addresses: one row a times a matrix b stored by rows of K floats, transposed (C = A·Bᵀ with
// M = 1). A linear layer's forward at batch 1 is this product; the gemm would pack all of b to use
// each element once. Each output: eight floats per step in two vector accumulators, then the lanes
// and the tail. GEMV_ROWS rows of b go together, reading a once for all of them and keeping that many streams
// of b in flight (a batch-1 linear layer reads each weight once: it waits on memory, not on the
// arithmetic); the rows left over go one by one. Every output's adds are the same, in the same order,
// either way: the same bits. Its own module (1.3 KB), beside the gemm one, which must stay under 4 KiB.
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';

type I32 = Local<ValType.i32>;
type V128 = Local<ValType.v128>;

/** Rows of b one pass of the main loop takes. */
const GEMV_ROWS = 4;

export function gemvRows(): FunctionBuilder {
  const f = new FunctionBuilder('gemvRows', Array<ValType>(6).fill(ValType.i32));
  const [pA, pB, pC, N, K, load] = f.params as [I32, I32, I32, I32, I32, I32];
  const a = f.local(ValType.i32), k = f.local(ValType.i32), j = f.local(ValType.i32), rowBytes = f.local(ValType.i32);
  const tailA = f.local(ValType.i32), tailK = f.local(ValType.i32);
  const b = Array.from({ length: GEMV_ROWS }, () => f.local(ValType.i32));
  const acc = Array.from({ length: GEMV_ROWS }, () => [f.local(ValType.v128), f.local(ValType.v128)] as const);
  const av = [f.local(ValType.v128), f.local(ValType.v128)] as const;
  const sum = f.local(ValType.f32);

  /** The outputs of `rows` rows of b (from b[0]; each next one rowBytes on) with a, K floats each: the accumulators
   *  over the eight-float steps, then per row its lanes, its tail and its store at pC + 4·r. */
  const outputs = (rows: number): void => {
    f.get(pA).set(a);
    f.get(K).set(k);
    for (let r = 0; r < rows; r++) {
      if (r > 0) f.get(b[r - 1]!).get(rowBytes).i32Add().set(b[r]!);
      f.v128Zero().set(acc[r]![0]);
      f.v128Zero().set(acc[r]![1]);
    }
    f.block(() => f.loop(() => { // eight at a time
      f.get(k).i32Const(8).i32LtS().brIf(1);
      if (rows > 1) av.forEach((x, v) => f.get(a).v128Load(16 * v).set(x));
      for (let r = 0; r < rows; r++) {
        for (let v = 0; v < 2; v++) {
          const x: V128 = acc[r]![v]!;
          f.get(x);
          if (rows > 1) f.get(av[v]!);
          else f.get(a).v128Load(16 * v);
          f.get(b[r]!).v128Load(16 * v).f32x4Mul().f32x4Add().set(x);
        }
        f.addTo(b[r]!, 32);
      }
      f.addTo(a, 32);
      f.get(k).i32Const(8).i32Sub().set(k);
      f.br(0);
    }));
    for (let r = 0; r < rows; r++) {
      const [x0, x1] = acc[r]!;
      f.get(x0).get(x1).f32x4Add().set(x0);
      f.get(x0).f32x4ExtractLane(0).get(x0).f32x4ExtractLane(1).f32Add();
      f.get(x0).f32x4ExtractLane(2).get(x0).f32x4ExtractLane(3).f32Add().f32Add().set(sum);
      f.get(a).set(tailA);
      f.get(k).set(tailK);
      f.block(() => f.loop(() => { // the tail
        f.get(tailK).i32Eqz().brIf(1);
        f.get(sum).get(tailA).f32Load(0).get(b[r]!).f32Load(0).f32Mul().f32Add().set(sum);
        f.addTo(tailA, 4).addTo(b[r]!, 4);
        f.get(tailK).i32Const(1).i32Sub().set(tailK);
        f.br(0);
      }));
      f.get(load).ifElse(() => { f.get(pC).f32Load(4 * r).get(sum).f32Add().set(sum); });
      f.get(pC).get(sum).f32Store(4 * r);
    }
  };

  f.get(K).i32Const(4).i32Mul().set(rowBytes);
  f.get(N).set(j);
  f.block(() => f.loop(() => { // GEMV_ROWS rows at a time
    f.get(j).i32Const(GEMV_ROWS).i32LtS().brIf(1);
    f.get(pB).set(b[0]!);
    outputs(GEMV_ROWS);
    f.addTo(pC, 4 * GEMV_ROWS);
    f.get(pB).get(rowBytes).i32Const(GEMV_ROWS).i32Mul().i32Add().set(pB);
    f.get(j).i32Const(GEMV_ROWS).i32Sub().set(j);
    f.br(0);
  }));
  f.block(() => f.loop(() => { // the rows left, one by one
    f.get(j).i32Eqz().brIf(1);
    f.get(pB).set(b[0]!);
    outputs(1);
    f.addTo(pC, 4);
    f.get(pB).get(rowBytes).i32Add().set(pB);
    f.get(j).i32Const(1).i32Sub().set(j);
    f.br(0);
  }));
  return f;
}

/** gemvRows alone, over the gemm instance's memory (sgemm.ts: sideModule). */
export function gemvModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([gemvRows()], memory);
}

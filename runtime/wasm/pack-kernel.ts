// Packing into micro-panels, in wasm (scalar copies run ~5× faster here than the same JS loop
// over typed arrays). Both functions write `panels` panels of R rows, k-major:
//   dst[p·kc·R + k·R + r] = X(p·R + r, k), zero where p·R + r ≥ count (padding read as 0, never garbage),
// and differ in where X(i, k) lives (ld = the source's row stride in bytes):
//   packRows: X(i, k) = src[i·ld + 4k]  (i is the source's row: op(A) = A, op(B) = Bᵀ)
//   packCols: X(i, k) = src[k·ld + 4i]  (i is the source's column: op(A) = Aᵀ, op(B) = B);
//             a whole panel's R values per k are consecutive in the source: copied four at a time
import { FunctionBuilder, ValType, type Local } from './encoder.js';

type I32 = Local<ValType.i32>;
const params = (f: FunctionBuilder): I32[] => f.params as I32[];
const decrementAndRepeat = (f: FunctionBuilder, counter: I32): void => {
  f.get(counter).i32Const(1).i32Sub().tee(counter).brIf(0);
};

export function packRows(): FunctionBuilder {
  const f = new FunctionBuilder('packRows', Array<ValType>(7).fill(ValType.i32));
  const [src, ld, count, kc, R, panels, dst] = params(f) as [I32, I32, I32, I32, I32, I32, I32];
  const i = f.local(ValType.i32), r = f.local(ValType.i32), k = f.local(ValType.i32);
  const s = f.local(ValType.i32), d = f.local(ValType.i32), step = f.local(ValType.i32), panelBytes = f.local(ValType.i32);
  f.get(R).i32Const(4).i32Mul().set(step);
  f.get(kc).get(step).i32Mul().set(panelBytes);
  f.loop(() => { // panels
    f.i32Const(0).set(r);
    f.loop(() => { // rows of the panel
      f.get(dst).get(r).i32Const(4).i32Mul().i32Add().set(d);
      f.get(src).set(s);
      f.get(kc).set(k);
      f.get(i).get(count).i32LtU().ifElse(
        () => f.loop(() => {
          f.get(d).get(s).f32Load(0).f32Store(0);
          f.addTo(s, 4).addTo(d, step);
          decrementAndRepeat(f, k);
        }),
        () => f.loop(() => {
          f.get(d).f32Zero().f32Store(0);
          f.addTo(d, step);
          decrementAndRepeat(f, k);
        }),
      );
      f.addTo(src, ld).addTo(i, 1).addTo(r, 1);
      f.get(r).get(R).i32LtU().brIf(0);
    });
    f.addTo(dst, panelBytes);
    decrementAndRepeat(f, panels);
  });
  return f;
}

export function packCols(): FunctionBuilder {
  const f = new FunctionBuilder('packCols', Array<ValType>(7).fill(ValType.i32));
  const [src, ld, count, kc, R, panels, dst] = params(f) as [I32, I32, I32, I32, I32, I32, I32];
  const i0 = f.local(ValType.i32), r = f.local(ValType.i32), k = f.local(ValType.i32);
  const s = f.local(ValType.i32), rowBytes = f.local(ValType.i32), v = f.local(ValType.i32);
  f.get(R).i32Const(4).i32Mul().set(rowBytes);
  f.loop(() => { // panels
    f.get(src).set(s);
    f.get(kc).set(k);
    f.get(i0).get(R).i32Add().get(count).i32GtS().ifElse(
      () => f.loop(() => { // the last panel, past the last column: R values or 0 each
        f.i32Const(0).set(r);
        f.loop(() => {
          f.get(dst);
          f.get(s).get(r).i32Const(4).i32Mul().i32Add().f32Load(0);
          f.f32Zero();
          f.get(i0).get(r).i32Add().get(count).i32LtU().select();
          f.f32Store(0);
          f.addTo(dst, 4).addTo(r, 1);
          f.get(r).get(R).i32LtU().brIf(0);
        });
        f.addTo(s, ld);
        decrementAndRepeat(f, k);
      }),
      () => f.loop(() => { // a whole panel: R consecutive values per k, four at a time (R is 4 or 8)
        f.i32Const(0).set(v);
        f.loop(() => {
          f.get(dst).get(s).get(v).i32Add().v128Load(0).v128Store(0);
          f.addTo(dst, 16).addTo(v, 16);
          f.get(v).get(rowBytes).i32LtU().brIf(0);
        });
        f.addTo(s, ld);
        decrementAndRepeat(f, k);
      }),
    );
    f.addTo(src, rowBytes).addTo(i0, R);
    decrementAndRepeat(f, panels);
  });
  return f;
}

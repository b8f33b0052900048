// The wasm side of conv2d's batch path (conv.ts): im2col, its adjoint col2im, and the two row
// loops around a gemm (bias rows in, C rows out). All addresses and strides are in bytes.
//
// im2col(src, dst, ldr, cin, h, w, kh, kw, sh, sw, dh, dw, top, left, ho, wo) writes the column
// matrix of one sample, row r = (c, ki, kj) at dst + r·ldr, element oh·wo + ow:
//   col[r][oh·wo + ow] = x[c][oh·sh + ki·dh − top][ow·sw + kj·dw − left], 0 outside the image
// col2im(src, dst, ldr, …) is its adjoint: dX[c][ih][iw] += dCol[r][oh·wo + ow] over the same index
// map, into a dX the caller zeroed, in the same (c, ki, kj, oh, ow) order as the generated JS loop.
// For each kernel column kj, the output columns ow whose input column falls inside the image form
// one range [lo, hi): outside it the value is padding (zero), inside it the input is read with
// stride sw, four floats at a time when sw = 1 (the common case: a contiguous run of the input row) or
// sw = 2 (a strided conv: two loads and a shuffle; 32 channels of 32×32 at batch 8, im2col 0.76–0.90 →
// 0.34–0.36 ms, col2im 0.99–1.04 → 0.75–0.76), one at a time for other strides.
import { FunctionBuilder, ValType, type Local } from './encoder.js';

type I32 = Local<ValType.i32>;
type V128 = Local<ValType.v128>;

/** while (count > 0) { body(); count-- }: zero times for count ≤ 0. */
function whilePositive(f: FunctionBuilder, count: I32, step: number, body: () => void): void {
  f.block(() => f.loop(() => {
    f.get(count).i32Const(step - 1).i32GtS().i32Eqz().brIf(1);
    body();
    f.get(count).i32Const(step).i32Sub().set(count);
    f.br(0);
  }));
}

/** `count` floats of 0 at d (d advances past them; count is consumed). */
function zeroRun(f: FunctionBuilder, d: I32, count: I32): void {
  whilePositive(f, count, 1, () => {
    f.get(d).f32Zero().f32Store(0);
    f.addTo(d, 4);
  });
}

/** Bytes of f32 lanes i, j, k, l of two vectors a, b (lanes 4–7 are b's 0–3). */
function lanes(i: number, j: number, k: number, l: number): number[] {
  return [i, j, k, l].flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);
}

/**
 * `count` floats, d[i] = s[i·stride] (or d[i] += … when `add`, with d the strided side); four at a
 * time when `unit` (stride 4 bytes) is non-zero, or when `two` (stride 8 bytes: a stride-2 conv) is: the
 * strided side's floats 0, 2, 4, 6 are read as the loads at 0 and 3 (floats 0–3 and 3–6), so nothing past
 * the last one used is read or written (col2im writes floats 1, 3, 5 back as they were). s and d advance;
 * count is consumed.
 */
function run(f: FunctionBuilder, s: I32, d: I32, count: I32, strideBytes: I32, unit: I32, add: boolean, two?: { readonly flag: I32; readonly v: V128; readonly u: V128; readonly dc: V128 }): void {
  // add: dX (strided, at s) += dCol (contiguous, at d); copy: col (contiguous, at d) = x (strided, at s)
  f.get(unit).ifElse(() => {
    whilePositive(f, count, 4, () => {
      if (add) f.get(s).get(s).v128Load(0).get(d).v128Load(0).f32x4Add().v128Store(0);
      else f.get(d).get(s).v128Load(0).v128Store(0);
      f.addTo(s, 16).addTo(d, 16);
    });
  }, two === undefined ? undefined : () => f.get(two.flag).ifElse(() => {
    const { v, u, dc } = two;
    whilePositive(f, count, 4, () => {
      if (add) {
        // floats 0 and 2 += dCol 0 and 1: lanes 0 and 2 of the load at 0 (v); 4 and 6 += dCol 2 and 3: lanes 1 and 3 of
        // the load at 3 (u); the other lanes are stored as loaded
        f.get(s).v128Load(0).set(v).get(s).v128Load(12).set(u).get(d).v128Load(0).set(dc);
        f.get(s).get(v).get(dc).get(dc).i8x16Shuffle(lanes(0, 0, 1, 1)).f32x4Add().get(v).i8x16Shuffle(lanes(0, 5, 2, 7)).v128Store(0);
        f.get(s).get(u).get(u).get(dc).get(dc).i8x16Shuffle(lanes(2, 2, 3, 3)).f32x4Add().i8x16Shuffle(lanes(0, 5, 2, 7)).v128Store(12);
      } else f.get(d).get(s).v128Load(0).get(s).v128Load(12).i8x16Shuffle(lanes(0, 2, 5, 7)).v128Store(0);
      f.addTo(s, 32).addTo(d, 16);
    });
  }));
  whilePositive(f, count, 1, () => {
    if (add) f.get(s).get(s).f32Load(0).get(d).f32Load(0).f32Add().f32Store(0);
    else f.get(d).get(s).f32Load(0).f32Store(0);
    f.addTo(s, strideBytes).addTo(d, 4);
  });
}

/** im2col (adjoint = false) or col2im (adjoint = true), as described at the top. */
export function im2colKernel(adjoint: boolean): FunctionBuilder {
  const f = new FunctionBuilder(adjoint ? 'col2im' : 'im2col', Array<ValType>(16).fill(ValType.i32));
  const [src, dst, ldr, cin, h, w, kh, kw, sh, sw, dh, dw, top, left, ho, wo] = f.params as I32[] as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  // im2col reads the image at src and writes columns at dst; col2im reads columns at src, adds into the image at dst.
  const image = adjoint ? dst : src;
  const cols = adjoint ? src : dst;
  const c = f.local(ValType.i32), ki = f.local(ValType.i32), kj = f.local(ValType.i32), oh = f.local(ValType.i32);
  const ih = f.local(ValType.i32), lo = f.local(ValType.i32), hi = f.local(ValType.i32), t = f.local(ValType.i32);
  const s = f.local(ValType.i32), d = f.local(ValType.i32), row = f.local(ValType.i32), chan = f.local(ValType.i32);
  const count = f.local(ValType.i32), kjOff = f.local(ValType.i32), stride = f.local(ValType.i32), unit = f.local(ValType.i32);
  const two = { flag: f.local(ValType.i32), v: f.local(ValType.v128), u: f.local(ValType.v128), dc: f.local(ValType.v128) };

  f.get(sw).i32Const(4).i32Mul().set(stride);
  f.get(sw).i32Const(1).i32Ne().i32Eqz().set(unit);
  f.get(sw).i32Const(2).i32Ne().i32Eqz().set(two.flag);
  f.get(cols).set(row);
  f.get(image).set(chan);
  f.get(cin).set(c);
  f.loop(() => { // channels
    f.i32Const(0).set(ki);
    f.loop(() => { // kernel rows
      f.i32Const(0).set(kj);
      f.loop(() => { // kernel columns: one row of the column matrix
        f.get(kj).get(dw).i32Mul().get(left).i32Sub().set(kjOff);
        // lo = first ow with ow·sw + kjOff ≥ 0; hi = first ow with ow·sw + kjOff ≥ w; both in [0, wo], lo ≤ hi
        f.get(sw).i32Const(1).i32Sub().get(kjOff).i32Sub().get(sw).i32DivS().i32Const(0).get(kjOff).i32Const(0).i32LtS().select().set(lo);
        f.get(w).get(kjOff).i32Sub().set(t);
        f.get(t).get(sw).i32Add().i32Const(1).i32Sub().get(sw).i32DivS().i32Const(0).get(t).i32Const(0).i32GtS().select().set(hi);
        f.get(wo).get(lo).get(lo).get(wo).i32GtS().select().set(lo);
        f.get(wo).get(hi).get(hi).get(wo).i32GtS().select().set(hi);
        f.get(lo).get(hi).get(hi).get(lo).i32LtS().select().set(hi);
        f.get(row).set(d);
        f.i32Const(0).set(oh);
        f.loop(() => { // output rows
          f.get(oh).get(sh).i32Mul().get(ki).get(dh).i32Mul().i32Add().get(top).i32Sub().set(ih);
          f.get(ih).get(h).i32LtU().ifElse(
            () => {
              // s = the image at (ih, lo·sw + kjOff)
              f.get(chan).get(ih).get(w).i32Mul().get(lo).get(sw).i32Mul().i32Add().get(kjOff).i32Add().i32Const(4).i32Mul().i32Add().set(s);
              if (adjoint) {
                f.get(d).get(lo).i32Const(4).i32Mul().i32Add().set(t); // dCol at ow = lo
                f.get(hi).get(lo).i32Sub().set(count);
                run(f, s, t, count, stride, unit, true, two);
              } else {
                f.get(lo).set(count);
                zeroRun(f, d, count);
                f.get(hi).get(lo).i32Sub().set(count);
                run(f, s, d, count, stride, unit, false, two);
                f.get(wo).get(hi).i32Sub().set(count);
                zeroRun(f, d, count);
              }
            },
            adjoint ? undefined : () => {
              f.get(wo).set(count);
              zeroRun(f, d, count);
            },
          );
          if (adjoint) f.get(d).get(wo).i32Const(4).i32Mul().i32Add().set(d);
          f.addTo(oh, 1);
          f.get(oh).get(ho).i32LtS().brIf(0);
        });
        f.addTo(row, ldr);
        f.addTo(kj, 1);
        f.get(kj).get(kw).i32LtS().brIf(0);
      });
      f.addTo(ki, 1);
      f.get(ki).get(kh).i32LtS().brIf(0);
    });
    f.get(chan).get(h).get(w).i32Mul().i32Const(4).i32Mul().i32Add().set(chan);
    f.get(c).i32Const(1).i32Sub().tee(c).brIf(0);
  });
  return f;
}

/**
 * fillRows(dst, ld, rows, cols, src): row r of dst (stride ld) = src[r], four lanes at a time over
 * cols rounded up to 4 (C's rows are padded to whole tiles, so the extra lanes are its padding).
 */
export function fillRows(): FunctionBuilder {
  const f = new FunctionBuilder('fillRows', Array<ValType>(5).fill(ValType.i32));
  const [dst, ld, rows, cols, src] = f.params as [I32, I32, I32, I32, I32];
  const d = f.local(ValType.i32), count = f.local(ValType.i32), v = f.local(ValType.v128);
  whilePositive(f, rows, 1, () => {
    f.get(src).v128Load32Splat(0).set(v);
    f.get(dst).set(d);
    f.get(cols).set(count);
    whilePositive(f, count, 1, () => {
      f.get(d).get(v).v128Store(0);
      f.addTo(d, 16);
      f.get(count).i32Const(3).i32Sub().set(count); // with the loop's −1: four floats
    });
    f.addTo(dst, ld).addTo(src, 4);
  });
  return f;
}

/** copyRows(src, ls, dst, ld, rows, cols): rows × cols floats from src (row stride ls) to dst (ld). */
export function copyRows(): FunctionBuilder {
  const f = new FunctionBuilder('copyRows', Array<ValType>(6).fill(ValType.i32));
  const [src, ls, dst, ld, rows, cols] = f.params as [I32, I32, I32, I32, I32, I32];
  const s = f.local(ValType.i32), d = f.local(ValType.i32), count = f.local(ValType.i32);
  const four = f.local(ValType.i32), one = f.local(ValType.i32);
  f.i32Const(4).set(four);
  f.i32Const(1).set(one);
  whilePositive(f, rows, 1, () => {
    f.get(src).set(s);
    f.get(dst).set(d);
    f.get(cols).set(count);
    run(f, s, d, count, four, one, false);
    f.addTo(src, ls).addTo(dst, ld);
  });
  return f;
}

/**
 * addRowSums(src, ls, rows, cols, dst): dst[r] += the sum of row r of src (stride ls), r < rows:
 * the bias gradient of a sample's dY. Per row: four lane sums over its whole vectors, added as
 * (l0 + l1) + (l2 + l3), then the last cols mod 4 in order: a fixed order, so fixed bits.
 */
export function addRowSums(): FunctionBuilder {
  const f = new FunctionBuilder('addRowSums', Array<ValType>(5).fill(ValType.i32));
  const [src, ls, rows, cols, dst] = f.params as [I32, I32, I32, I32, I32];
  const s = f.local(ValType.i32), count = f.local(ValType.i32), acc = f.local(ValType.v128), sum = f.local(ValType.f32);
  whilePositive(f, rows, 1, () => {
    f.get(src).set(s);
    f.get(cols).set(count);
    f.v128Zero().set(acc);
    whilePositive(f, count, 4, () => {
      f.get(acc).get(s).v128Load(0).f32x4Add().set(acc);
      f.addTo(s, 16);
    });
    f.get(acc).f32x4ExtractLane(0).get(acc).f32x4ExtractLane(1).f32Add();
    f.get(acc).f32x4ExtractLane(2).get(acc).f32x4ExtractLane(3).f32Add();
    f.f32Add().set(sum);
    whilePositive(f, count, 1, () => {
      f.get(sum).get(s).f32Load(0).f32Add().set(sum);
      f.addTo(s, 4);
    });
    f.get(dst).get(dst).f32Load(0).get(sum).f32Add().f32Store(0);
    f.addTo(src, ls).addTo(dst, 4);
  });
  return f;
}

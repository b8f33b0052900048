// The wasm side of Winograd F(4×4,3×3) (winograd.ts, tile 4): the input and output transforms with the
// points 0, ±1, ±2, ∞ (Lavin & Gray 2015; NNPACK's and cuDNN's choice):
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
// (G, for the filters, is in winograd.ts.) Four tiles a vector (lane t = tile tx + t of a tile row), as the
// F(2×2) kernels (winograd-kernel.ts); all addresses and strides are in bytes.
//
// winograd4In(plane, pw, th, groups, tw, dst, es): for each 6×6 tile d (tile (ty, tx) at rows 4ty..,
// columns 4tx.. of a zero-bordered plane with row stride pw), V_e = (Bᵀ d B)[e] to dst + e·es + 4·(ty·tw + tx),
// e = 6·row + column. Four tiles span 20 floats of a row (five vectors): Bᵀ runs down the six rows on those
// whole vectors first, then each of its six rows is transposed into the tiles' six columns (a 4×4 transpose
// and two columns more) for · B. Reads the plane up to 4·(16·groups + 4) bytes a row; a group past the row's
// last tile writes up to 3 floats past it, as winogradIn. Uses the 480 bytes past the plane's last row (row
// 4·th + 2) as scratch: the caller leaves room.
//
// winograd4Out(m, es, th, groups, tw, out, ow, bias): Y = Aᵀ M A + bias for each tile, as a 4×4 block at
// row 4ty, column 4tx of a staging plane (4·th rows, 16·groups floats): the caller copies its ho × wo corner.
//
// winograd4OutAdjoint(plane, ow, th, groups, tw, dst, es): the adjoint of winograd4Out without the bias, for
// the weight gradient: dM = A dY Aᵀ (6×6) from the 4×4 block of dY at row 4ty, column 4tx of a zero-bordered
// plane (row stride ow, 16·groups floats wide).
//
// Each module stays under the 4 KiB a browser compiles on its main thread (side.ts): one kernel a module.
import { FunctionBuilder, ValType, type Local } from './encoder.js';
import { repeat } from './winograd-kernel.js';

type I32 = Local<ValType.i32>;
type V128 = Local<ValType.v128>;
/** Something that pushes one f32x4 on the stack. */
type E = () => void;

/** Byte lanes of an i8x16.shuffle from f32 lanes (0..3 of a, 4..7 of b). */
function lanes(...f32: number[]): number[] {
  return f32.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
}
const LO_PAIRS = lanes(0, 4, 1, 5); // (a0, b0, a1, b1)
const HI_PAIRS = lanes(2, 6, 3, 7); // (a2, b2, a3, b3)
const LO_HALVES = lanes(0, 1, 4, 5); // (a0, a1, b0, b1)
const HI_HALVES = lanes(2, 3, 6, 7); // (a2, a3, b2, b3)

/** for (count = k; count > 0; count--) body(), k a constant. */
function times(f: FunctionBuilder, k: number, count: I32, body: () => void): void {
  f.i32Const(k).set(count);
  f.block(() => f.loop(() => {
    body();
    f.get(count).i32Const(1).i32Sub().tee(count).i32Eqz().brIf(1);
    f.br(0);
  }));
}

/** f32x4 expressions over locals, emitted in the order written (so the float32 operations are fixed). */
function algebra(f: FunctionBuilder) {
  const v = (l: V128): E => () => { f.get(l); };
  const bin = (a: E, b: E, emit: () => void): E => () => { a(); b(); emit(); };
  return {
    v,
    add: (a: E, b: E): E => bin(a, b, () => f.f32x4Add()),
    sub: (a: E, b: E): E => bin(a, b, () => f.f32x4Sub()),
    mul: (a: E, b: E): E => bin(a, b, () => f.f32x4Mul()),
    set: (r: V128, e: E): void => { e(); f.set(r); },
    /** A local holding c in every lane, set at the function's start. */
    splat(c: number): V128 {
      const l = f.local(ValType.v128);
      f.f32Const(c).f32x4Splat().set(l);
      return l;
    },
  };
}

/** out = Bᵀ x for six vectors x (out distinct from x); t1, t2 scratch. */
function inputRows(f: FunctionBuilder, x: readonly V128[], out: readonly V128[], t1: V128, t2: V128, c2: V128, c4: V128, c5: V128): void {
  const { v, add, sub, mul, set } = algebra(f);
  const [x0, x1, x2, x3, x4, x5] = x.map(v) as [E, E, E, E, E, E];
  set(out[0]!, add(sub(mul(x0, v(c4)), mul(x2, v(c5))), x4)); // 4x0 − 5x2 + x4
  set(out[1]!, sub(add(x3, x4), mul(add(x1, x2), v(c4)))); // −4x1 − 4x2 + x3 + x4
  set(out[2]!, add(sub(x4, x3), mul(sub(x1, x2), v(c4)))); // 4x1 − 4x2 − x3 + x4
  set(t1, sub(x4, x2));
  set(t2, mul(sub(x3, x1), v(c2)));
  set(out[3]!, add(v(t1), v(t2))); // −2x1 − x2 + 2x3 + x4
  set(out[4]!, sub(v(t1), v(t2))); // 2x1 − x2 − 2x3 + x4
  set(out[5]!, add(sub(mul(x1, v(c4)), mul(x3, v(c5))), x5)); // 4x1 − 5x3 + x5
}

/** The 4×4 transpose of rows r0..r3 (vector i, lane j) into columns c0..c3 (vector j, lane i); t scratch (4). */
function transpose(f: FunctionBuilder, r: readonly V128[], c: readonly V128[], t: readonly V128[]): void {
  f.get(r[0]!).get(r[1]!).i8x16Shuffle(LO_PAIRS).set(t[0]!);
  f.get(r[2]!).get(r[3]!).i8x16Shuffle(LO_PAIRS).set(t[1]!);
  f.get(r[0]!).get(r[1]!).i8x16Shuffle(HI_PAIRS).set(t[2]!);
  f.get(r[2]!).get(r[3]!).i8x16Shuffle(HI_PAIRS).set(t[3]!);
  f.get(t[0]!).get(t[1]!).i8x16Shuffle(LO_HALVES).set(c[0]!);
  f.get(t[0]!).get(t[1]!).i8x16Shuffle(HI_HALVES).set(c[1]!);
  f.get(t[2]!).get(t[3]!).i8x16Shuffle(LO_HALVES).set(c[2]!);
  f.get(t[2]!).get(t[3]!).i8x16Shuffle(HI_HALVES).set(c[3]!);
}

export function winograd4InKernel(): FunctionBuilder {
  const f = new FunctionBuilder('winograd4In', Array<ValType>(7).fill(ValType.i32));
  const [plane, pw, th, groups, tw, dst, es] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  const row = f.local(ValType.i32), v = f.local(ValType.i32), p = f.local(ValType.i32), d = f.local(ValType.i32);
  const r = f.local(ValType.i32), a = f.local(ValType.i32), ny = f.local(ValType.i32), nx = f.local(ValType.i32);
  const scratch = f.local(ValType.i32), sq = f.local(ValType.i32), count = f.local(ValType.i32);
  const { splat } = algebra(f);
  const c2 = splat(2), c4 = splat(4), c5 = splat(5);
  const X = Array.from({ length: 6 }, () => f.local(ValType.v128)); // floats 4q..4q+3 of the tiles' six rows
  const R = Array.from({ length: 6 }, () => f.local(ValType.v128)); // vector q of Bᵀ d's six rows; then one row's five
  const C = Array.from({ length: 6 }, () => f.local(ValType.v128)); // the six columns of one row of Bᵀ d
  const O = Array.from({ length: 6 }, () => f.local(ValType.v128));
  const t = Array.from({ length: 4 }, () => f.local(ValType.v128));
  // Bᵀ d's six rows of 20 floats (480 bytes) go through memory just past the plane (rows 4·th + 2 on), so that
  // each half is one loop body and the module stays under 4 KiB; they stay in L1.
  f.get(th).i32Const(4).i32Mul().i32Const(2).i32Add().get(pw).i32Mul().get(plane).i32Add().set(scratch);
  f.get(plane).set(row);
  f.get(dst).set(v);
  repeat(f, th, ny, () => {
    f.get(row).set(p);
    f.get(v).set(d);
    repeat(f, groups, nx, () => {
      // Bᵀ down the rows, vector q (floats 4q..4q+3) of the 20 at a time; row k's to scratch + 80k + 16q.
      f.get(p).set(r);
      f.get(scratch).set(sq);
      times(f, 5, count, () => {
        f.get(r).set(a);
        for (let i = 0; i < 6; i++) {
          f.get(a).v128Load(0).set(X[i]!);
          if (i < 5) f.addTo(a, pw);
        }
        inputRows(f, X, R, t[0]!, t[1]!, c2, c4, c5);
        for (let k = 0; k < 6; k++) f.get(sq).get(R[k]!).v128Store(80 * k);
        f.addTo(r, 16).addTo(sq, 16);
      });
      // Row k's columns: column j of tile t is float 4t + j, so columns 0..3 are the transpose of vectors
      // 0..3 and columns 4, 5 lanes 0, 1 of vectors 1..4. · B, and V_e (e = 6k + l) to d + e·es.
      f.get(d).set(a);
      f.get(scratch).set(sq);
      times(f, 6, count, () => {
        for (let q = 0; q < 5; q++) f.get(sq).v128Load(16 * q).set(R[q]!);
        transpose(f, R.slice(0, 4), C, t);
        f.get(R[1]!).get(R[2]!).i8x16Shuffle(LO_PAIRS).set(t[0]!);
        f.get(R[3]!).get(R[4]!).i8x16Shuffle(LO_PAIRS).set(t[1]!);
        f.get(t[0]!).get(t[1]!).i8x16Shuffle(LO_HALVES).set(C[4]!);
        f.get(t[0]!).get(t[1]!).i8x16Shuffle(HI_HALVES).set(C[5]!);
        inputRows(f, C, O, t[2]!, t[3]!, c2, c4, c5);
        for (let l = 0; l < 6; l++) {
          f.get(a).get(O[l]!).v128Store(0);
          f.addTo(a, es);
        }
        f.addTo(sq, 80);
      });
      f.addTo(p, 64).addTo(d, 16);
    });
    f.get(row).get(pw).i32Const(4).i32Mul().i32Add().set(row);
    f.get(v).get(tw).i32Const(4).i32Mul().i32Add().set(v);
  });
  return f;
}

/** out = Aᵀ m for six vectors m (4 results, + bias where given); t scratch (2). */
function outputRows(f: FunctionBuilder, m: readonly V128[], out: readonly V128[], t: readonly V128[], c2: V128, c4: V128, c8: V128, bias: V128 | null): void {
  const { v, add, sub, mul, set } = algebra(f);
  const [m0, m1, m2, m3, m4, m5] = m.map(v) as [E, E, E, E, E, E];
  const b = (e: E): E => (bias === null ? e : add(e, v(bias)));
  // a = m1 + m2, b = m1 − m2, c = m3 + m4, d = m3 − m4: y0 = m0 + a + c, y1 = b + 2d, y2 = a + 4c, y3 = b + 8d + m5.
  set(t[0]!, add(m1, m2));
  set(t[1]!, add(m3, m4));
  set(out[0]!, b(add(add(m0, v(t[0]!)), v(t[1]!))));
  set(out[2]!, b(add(v(t[0]!), mul(v(t[1]!), v(c4)))));
  set(t[0]!, sub(m1, m2));
  set(t[1]!, sub(m3, m4));
  set(out[1]!, b(add(v(t[0]!), mul(v(t[1]!), v(c2)))));
  set(out[3]!, b(add(add(v(t[0]!), mul(v(t[1]!), v(c8))), m5)));
}

export function winograd4OutKernel(): FunctionBuilder {
  const f = new FunctionBuilder('winograd4Out', [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.f32]);
  const [m, es, th, groups, tw, out, ow] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  const bias = f.params[7] as Local<ValType.f32>;
  const mrow = f.local(ValType.i32), orow = f.local(ValType.i32), q = f.local(ValType.i32), o = f.local(ValType.i32);
  const a = f.local(ValType.i32), ny = f.local(ValType.i32), nx = f.local(ValType.i32);
  const { splat } = algebra(f);
  const c2 = splat(2), c4 = splat(4), c8 = splat(8);
  const b = f.local(ValType.v128);
  f.get(bias).f32x4Splat().set(b);
  const M = Array.from({ length: 6 }, () => f.local(ValType.v128)); // column j of M: M[i][j], i = 0..5
  const S = Array.from({ length: 24 }, () => f.local(ValType.v128)); // S[6r + j] = (Aᵀ M)[r][j]
  const Y = Array.from({ length: 4 }, () => f.local(ValType.v128)); // row r of Y: Y[r][c], lane = tile
  const P = Array.from({ length: 4 }, () => f.local(ValType.v128)); // row r of the four tiles, tile t's 4 floats
  const t = Array.from({ length: 4 }, () => f.local(ValType.v128));
  f.get(m).set(mrow);
  f.get(out).set(orow);
  repeat(f, th, ny, () => {
    f.get(mrow).set(q);
    f.get(orow).set(o);
    repeat(f, groups, nx, () => {
      for (let j = 0; j < 6; j++) {
        for (let i = 0; i < 6; i++) {
          f.get(q).i32Const(6 * i + j).get(es).i32Mul().i32Add().v128Load(0).set(M[i]!);
        }
        outputRows(f, M, [0, 1, 2, 3].map((r) => S[6 * r + j]!), t, c2, c4, c8, null);
      }
      f.get(o).set(a);
      for (let r = 0; r < 4; r++) {
        outputRows(f, S.slice(6 * r, 6 * r + 6), Y, t, c2, c4, c8, b);
        transpose(f, Y, P, t);
        for (let tile = 0; tile < 4; tile++) f.get(a).get(P[tile]!).v128Store(16 * tile);
        if (r < 3) f.addTo(a, ow);
      }
      f.addTo(q, 16).addTo(o, 64);
    });
    f.get(mrow).get(tw).i32Const(4).i32Mul().i32Add().set(mrow);
    f.get(orow).get(ow).i32Const(4).i32Mul().i32Add().set(orow);
  });
  return f;
}

/** out = A y for four vectors y (6 results); t scratch (2). A = (Aᵀ)ᵀ: rows [1 0 0 0], [1 1 1 1], [1 −1 1 −1],
 *  [1 2 4 8], [1 −2 4 −8], [0 0 0 1]. */
function adjointRows(f: FunctionBuilder, y: readonly V128[], out: readonly V128[], t: readonly V128[], c2: V128, c4: V128): void {
  const { v, add, sub, mul, set } = algebra(f);
  const [y0, y1, y2, y3] = y.map(v) as [E, E, E, E];
  set(out[0]!, y0);
  set(t[0]!, add(y0, y2));
  set(t[1]!, add(y1, y3));
  set(out[1]!, add(v(t[0]!), v(t[1]!)));
  set(out[2]!, sub(v(t[0]!), v(t[1]!)));
  set(t[0]!, add(y0, mul(y2, v(c4))));
  set(t[1]!, mul(add(y1, mul(y3, v(c4))), v(c2)));
  set(out[3]!, add(v(t[0]!), v(t[1]!)));
  set(out[4]!, sub(v(t[0]!), v(t[1]!)));
  set(out[5]!, y3);
}

export function winograd4OutAdjointKernel(): FunctionBuilder {
  const f = new FunctionBuilder('winograd4OutAdjoint', Array<ValType>(7).fill(ValType.i32));
  const [plane, ow, th, groups, tw, dst, es] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  const row = f.local(ValType.i32), v = f.local(ValType.i32), p = f.local(ValType.i32), d = f.local(ValType.i32);
  const r = f.local(ValType.i32), a = f.local(ValType.i32), ny = f.local(ValType.i32), nx = f.local(ValType.i32);
  const { splat } = algebra(f);
  const c2 = splat(2), c4 = splat(4);
  const P = Array.from({ length: 4 }, () => f.local(ValType.v128)); // row i of the four tiles' dY, tile t's 4 floats
  const Y = Array.from({ length: 16 }, () => f.local(ValType.v128)); // Y[4i + c]: dY[i][c], lane = tile
  const Z = Array.from({ length: 24 }, () => f.local(ValType.v128)); // Z[4k + c] = (A dY)[k][c]
  const O = Array.from({ length: 6 }, () => f.local(ValType.v128));
  const t = Array.from({ length: 4 }, () => f.local(ValType.v128));
  f.get(plane).set(row);
  f.get(dst).set(v);
  repeat(f, th, ny, () => {
    f.get(row).set(p);
    f.get(v).set(d);
    repeat(f, groups, nx, () => {
      f.get(p).set(r);
      for (let i = 0; i < 4; i++) {
        for (let tile = 0; tile < 4; tile++) f.get(r).v128Load(16 * tile).set(P[tile]!);
        transpose(f, P, Y.slice(4 * i, 4 * i + 4), t);
        if (i < 3) f.addTo(r, ow);
      }
      for (let c = 0; c < 4; c++) adjointRows(f, [0, 1, 2, 3].map((i) => Y[4 * i + c]!), [0, 1, 2, 3, 4, 5].map((k) => Z[4 * k + c]!), t, c2, c4);
      f.get(d).set(a);
      for (let k = 0; k < 6; k++) {
        adjointRows(f, Z.slice(4 * k, 4 * k + 4), O, t, c2, c4);
        for (let l = 0; l < 6; l++) {
          f.get(a).get(O[l]!).v128Store(0);
          f.addTo(a, es);
        }
      }
      f.addTo(p, 64).addTo(d, 16);
    });
    f.get(row).get(ow).i32Const(4).i32Mul().i32Add().set(row);
    f.get(v).get(tw).i32Const(4).i32Mul().i32Add().set(v);
  });
  return f;
}

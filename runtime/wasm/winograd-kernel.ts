// The wasm side of Winograd F(2×2,3×3) (winograd.ts): the input and output transforms, four tiles a
// vector (lane t = tile tx + t of a tile row). All addresses and strides are in bytes.
//
// winogradIn(plane, pw, th, groups, tw, dst, es): for each 4×4 tile d (tile (ty, tx) at rows 2ty..,
// columns 2tx.. of a zero-bordered plane with row stride pw), V_e = (Bᵀ d B)[e] to dst + e·es + 4·(ty·tw + tx).
// Column j of four tiles is every other float from 2tx + j: two vector loads and a shuffle. A group
// past the row's last tile writes up to 3 floats past it (into the next row's, written after; the
// caller leaves room after the last row), and reads the plane up to 4·(2·4·groups + 4) bytes a row.
//
// winogradOut(m, es, th, groups, tw, out, ow, bias): for each tile, Y = Aᵀ M A + bias with M_e at
// m + e·es + 4·(ty·tw + tx), written as a 2×2 block to out (row stride ow) at row 2ty, column 2tx:
// the four tiles' outputs interleaved into two rows of eight floats. out is a staging plane of
// 2·th rows by 8·groups columns; the caller copies its ho × wo corner out.
import { FunctionBuilder, ValType, type Local } from './encoder.js';

type I32 = Local<ValType.i32>;
type V128 = Local<ValType.v128>;

/** Lanes (bytes) of two f32x4 vectors a, b: (a0, a2, b0, b2) and (a1, a3, b1, b3). */
const EVEN = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const ODD = [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31];
/** (a0, b0, a1, b1) and (a2, b2, a3, b3): two rows of a 2×2 block, four tiles. */
const LOW = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
const HIGH = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];

/** for (count = n; count > 0; count--) body() */
export function repeat(f: FunctionBuilder, n: I32, count: I32, body: () => void): void {
  f.get(n).set(count);
  f.block(() => f.loop(() => {
    f.get(count).i32Eqz().brIf(1);
    body();
    f.get(count).i32Const(1).i32Sub().set(count);
    f.br(0);
  }));
}

/** r = a ∘ b for f32x4 locals, ∘ = add or sub. */
function op(f: FunctionBuilder, r: V128, a: V128, b: V128, add: boolean): void {
  f.get(a).get(b);
  if (add) f.f32x4Add();
  else f.f32x4Sub();
  f.set(r);
}

export function winogradInKernel(): FunctionBuilder {
  const f = new FunctionBuilder('winogradIn', Array<ValType>(7).fill(ValType.i32));
  const [plane, pw, th, groups, tw, dst, es] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  const row = f.local(ValType.i32), v = f.local(ValType.i32), p = f.local(ValType.i32), d = f.local(ValType.i32);
  const r = f.local(ValType.i32), a = f.local(ValType.i32), ny = f.local(ValType.i32), nx = f.local(ValType.i32);
  const D = Array.from({ length: 16 }, () => f.local(ValType.v128)); // D[4i + j]: row i, column j of four tiles
  const U = Array.from({ length: 16 }, () => f.local(ValType.v128)); // U[4k + j]: row k of Bᵀ d
  const t = f.local(ValType.v128);
  f.get(plane).set(row);
  f.get(dst).set(v);
  repeat(f, th, ny, () => {
    f.get(row).set(p);
    f.get(v).set(d);
    repeat(f, groups, nx, () => {
      for (let i = 0; i < 4; i++) {
        // r = p + i·pw: row i of the four tiles; columns 0, 1 from floats 0..7, columns 2, 3 from 2..9.
        f.get(p);
        for (let k = 0; k < i; k++) f.get(pw).i32Add();
        f.set(r);
        f.get(r).v128Load(0).get(r).v128Load(16).i8x16Shuffle(EVEN).set(D[4 * i]!);
        f.get(r).v128Load(0).get(r).v128Load(16).i8x16Shuffle(ODD).set(D[4 * i + 1]!);
        f.get(r).v128Load(8).get(r).v128Load(24).i8x16Shuffle(EVEN).set(D[4 * i + 2]!);
        f.get(r).v128Load(8).get(r).v128Load(24).i8x16Shuffle(ODD).set(D[4 * i + 3]!);
      }
      // Bᵀ d: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3, column by column.
      for (let j = 0; j < 4; j++) {
        op(f, U[j]!, D[j]!, D[8 + j]!, false);
        op(f, U[4 + j]!, D[4 + j]!, D[8 + j]!, true);
        op(f, U[8 + j]!, D[8 + j]!, D[4 + j]!, false);
        op(f, U[12 + j]!, D[4 + j]!, D[12 + j]!, false);
      }
      // · B along each row: u0 − u2, u1 + u2, u2 − u1, u1 − u3; e = 4k + j stored at d + e·es.
      f.get(d).set(a);
      for (let k = 0; k < 4; k++) {
        const u = (j: number) => U[4 * k + j]!;
        const pairs: [V128, V128, boolean][] = [[u(0), u(2), false], [u(1), u(2), true], [u(2), u(1), false], [u(1), u(3), false]];
        for (const [x, y, add] of pairs) {
          op(f, t, x, y, add);
          f.get(a).get(t).v128Store(0);
          f.addTo(a, es);
        }
      }
      f.addTo(p, 32).addTo(d, 16);
    });
    f.get(row).get(pw).i32Add().get(pw).i32Add().set(row);
    f.get(v).get(tw).i32Const(4).i32Mul().i32Add().set(v);
  });
  return f;
}

export function winogradOutKernel(): FunctionBuilder {
  const f = new FunctionBuilder('winogradOut', [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.f32]);
  const [m, es, th, groups, tw, out, ow] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  const bias = f.params[7] as Local<ValType.f32>;
  const mrow = f.local(ValType.i32), orow = f.local(ValType.i32), q = f.local(ValType.i32), o = f.local(ValType.i32);
  const a = f.local(ValType.i32), ny = f.local(ValType.i32), nx = f.local(ValType.i32);
  const M = Array.from({ length: 16 }, () => f.local(ValType.v128));
  const S = Array.from({ length: 4 }, () => f.local(ValType.v128)); // row 0 of Aᵀ M
  const T = Array.from({ length: 4 }, () => f.local(ValType.v128)); // row 1
  const y00 = f.local(ValType.v128), y01 = f.local(ValType.v128), y10 = f.local(ValType.v128), y11 = f.local(ValType.v128);
  const b = f.local(ValType.v128);
  f.get(bias).f32x4Splat().set(b);
  f.get(m).set(mrow);
  f.get(out).set(orow);
  repeat(f, th, ny, () => {
    f.get(mrow).set(q);
    f.get(orow).set(o);
    repeat(f, groups, nx, () => {
      f.get(q).set(a);
      for (let e = 0; e < 16; e++) {
        f.get(a).v128Load(0).set(M[e]!);
        if (e < 15) f.addTo(a, es);
      }
      // Aᵀ M: S_j = M0j + M1j + M2j, T_j = M1j − M2j − M3j.
      for (let j = 0; j < 4; j++) {
        f.get(M[j]!).get(M[4 + j]!).f32x4Add().get(M[8 + j]!).f32x4Add().set(S[j]!);
        f.get(M[4 + j]!).get(M[8 + j]!).f32x4Sub().get(M[12 + j]!).f32x4Sub().set(T[j]!);
      }
      // · A, + bias: y00 = S0 + S1 + S2, y01 = S1 − S2 − S3, y10 and y11 the same of T.
      f.get(S[0]!).get(S[1]!).f32x4Add().get(S[2]!).f32x4Add().get(b).f32x4Add().set(y00);
      f.get(S[1]!).get(S[2]!).f32x4Sub().get(S[3]!).f32x4Sub().get(b).f32x4Add().set(y01);
      f.get(T[0]!).get(T[1]!).f32x4Add().get(T[2]!).f32x4Add().get(b).f32x4Add().set(y10);
      f.get(T[1]!).get(T[2]!).f32x4Sub().get(T[3]!).f32x4Sub().get(b).f32x4Add().set(y11);
      f.get(o).get(y00).get(y01).i8x16Shuffle(LOW).v128Store(0);
      f.get(o).get(y00).get(y01).i8x16Shuffle(HIGH).v128Store(16);
      f.get(o).get(ow).i32Add().set(a);
      f.get(a).get(y10).get(y11).i8x16Shuffle(LOW).v128Store(0);
      f.get(a).get(y10).get(y11).i8x16Shuffle(HIGH).v128Store(16);
      f.addTo(q, 16).addTo(o, 32);
    });
    f.get(mrow).get(tw).i32Const(4).i32Mul().i32Add().set(mrow);
    f.get(orow).get(ow).i32Add().get(ow).i32Add().set(orow);
  });
  return f;
}

/**
 * winogradOutAdjoint(plane, ow, th, groups, tw, dst, es): the adjoint of winogradOut (without the bias),
 * for the weight gradient: for each tile, dM = A dY Aᵀ (4×4) from the 2×2 block of dY at row 2ty,
 * column 2tx of a zero-bordered plane (row stride ow, 8·groups floats wide), to dst + e·es + 4·(ty·tw + tx).
 * A group past the row's last tile writes up to 3 floats past it, as winogradIn.
 */
export function winogradOutAdjointKernel(): FunctionBuilder {
  const f = new FunctionBuilder('winogradOutAdjoint', Array<ValType>(7).fill(ValType.i32));
  const [plane, ow, th, groups, tw, dst, es] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  const row = f.local(ValType.i32), v = f.local(ValType.i32), p = f.local(ValType.i32), d = f.local(ValType.i32);
  const r = f.local(ValType.i32), a = f.local(ValType.i32), ny = f.local(ValType.i32), nx = f.local(ValType.i32);
  const Y = Array.from({ length: 4 }, () => f.local(ValType.v128)); // Y[2a + b]: dY[a][b] of four tiles
  const R = Array.from({ length: 8 }, () => f.local(ValType.v128)); // R[2i + b]: row i of A dY
  const t = f.local(ValType.v128);
  f.get(plane).set(row);
  f.get(dst).set(v);
  repeat(f, th, ny, () => {
    f.get(row).set(p);
    f.get(v).set(d);
    repeat(f, groups, nx, () => {
      f.get(p).set(r);
      f.get(r).v128Load(0).get(r).v128Load(16).i8x16Shuffle(EVEN).set(Y[0]!);
      f.get(r).v128Load(0).get(r).v128Load(16).i8x16Shuffle(ODD).set(Y[1]!);
      f.get(p).get(ow).i32Add().set(r);
      f.get(r).v128Load(0).get(r).v128Load(16).i8x16Shuffle(EVEN).set(Y[2]!);
      f.get(r).v128Load(0).get(r).v128Load(16).i8x16Shuffle(ODD).set(Y[3]!);
      // A dY: rows dY0, dY0 + dY1, dY0 − dY1, −dY1 (A = Aᵀ's transpose: columns [1 1 1 0], [0 1 −1 −1]).
      for (let b = 0; b < 2; b++) {
        f.get(Y[b]!).set(R[b]!);
        op(f, R[2 + b]!, Y[b]!, Y[2 + b]!, true);
        op(f, R[4 + b]!, Y[b]!, Y[2 + b]!, false);
        f.get(Y[2 + b]!).f32x4Neg().set(R[6 + b]!);
      }
      // · Aᵀ along each row (r0, r1): r0, r0 + r1, r0 − r1, −r1; e = 4i + j stored at d + e·es.
      f.get(d).set(a);
      for (let i = 0; i < 4; i++) {
        const r0 = R[2 * i]!, r1 = R[2 * i + 1]!;
        f.get(a).get(r0).v128Store(0);
        f.addTo(a, es);
        op(f, t, r0, r1, true);
        f.get(a).get(t).v128Store(0);
        f.addTo(a, es);
        op(f, t, r0, r1, false);
        f.get(a).get(t).v128Store(0);
        f.addTo(a, es);
        f.get(a).get(r1).f32x4Neg().v128Store(0);
        f.addTo(a, es);
      }
      f.addTo(p, 32).addTo(d, 16);
    });
    f.get(row).get(ow).i32Add().get(ow).i32Add().set(row);
    f.get(v).get(tw).i32Const(4).i32Mul().i32Add().set(v);
  });
  return f;
}

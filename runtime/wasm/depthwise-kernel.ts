// The wasm side of the depthwise convolution (depthwise.ts): groups = in = out channels, one kh×kw filter a
// channel. A row-vectorised kernel wastes most of its lanes and calls on the small planes such layers see
// (mobilenet_v2's 960 channels at 2×2), so here the vector lanes are channels instead: a block of CB = 16
// channels of one sample is copied channel-last into a zero-bordered scratch, [Hp][Wp][16] floats (pixel (r, q)
// of the padded input at (r·Wp + q)·64 bytes), where every tap of every output pixel is four whole vectors.
// All addresses and steps are in bytes.
//
//   forward:  y[c][oh][ow]  = bias[c] + Σ_{ki,kj} W[c][ki][kj] · Xp[oh·sh + ki·dh][ow·sw + kj·dw][c]
//   data:     dXp[…same…][c] += W[c][ki][kj] · dY[c][oh][ow], for (oh, ow) in order, then (ki, kj)
//   weights:  dW[c][ki][kj] += Σ_{oh,ow} dY[c][oh][ow] · Xp[…same…][c],  dB[c] += Σ dY[c][oh][ow]
//
// Each sum runs in a fixed order (the taps; the pixels, sample after sample), in one lane of one thread: the bits
// depend on the shapes only. The filters come re-laid out by the caller, [block][ki][kj][16] (zero past the last
// channel), as do the biases, [block][16].
import { FunctionBuilder, ValType, type Local } from './encoder.js';
import { ints, madd, times } from './direct-kernel.js';
import type { Madd } from './sgemm-kernel.js';

type I32 = Local<ValType.i32>;

/** Channels a block: the lanes of four vectors. */
export const CB = 16;
/** Bytes of one pixel of a block, channel-last. */
const PIXEL = 4 * CB;

/** The i8x16.shuffle lanes that pick 32-bit lanes `lanes` of the pair (a: 0–3, b: 4–7). */
function lanes32(lanes: readonly number[]): number[] {
  return lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
}
const LO = lanes32([0, 4, 1, 5]), HI = lanes32([2, 6, 3, 7]), FIRST = lanes32([0, 1, 4, 5]), SECOND = lanes32([2, 3, 6, 7]);

/**
 * dwIn(src, dst, cv, h, w, skip): channel c < cv of the plane-major src (h·w floats a channel) to lane c of the
 * channel-last dst, pixel after pixel, skipping `skip` bytes after each row of w pixels (the border of the padded
 * scratch). dwOut(src, dst, cv, h, w, skip) is its inverse (src channel-last, dst plane-major). Four channels × four
 * pixels at a time are one 4×4 transpose of vectors (eight shuffles); a row's last w mod 4 pixels and the last
 * cv mod 4 channels go a float at a time.
 */
function transposeKernel(name: string, out: boolean): FunctionBuilder {
  const f = new FunctionBuilder(name, Array<ValType>(6).fill(ValType.i32));
  const [src, dst, cv, h, w, skip] = f.params as I32[] as [I32, I32, I32, I32, I32, I32];
  const [c, r, q, plain, lane, planeB, plane2, plane3, chunks, tail, rest] = ints(f, 11);
  const v = Array.from({ length: 4 }, () => f.local(ValType.v128));
  const t = Array.from({ length: 4 }, () => f.local(ValType.v128));
  const planeAt = [null, planeB, plane2, plane3] as const;
  // plain: the plane-major side, 4 bytes a pixel; lane: the channel-last side, PIXEL bytes a pixel.
  const plainAddr = (j: number): void => { f.get(plain); if (j > 0) f.get(planeAt[j]!).i32Add(); };
  /** One float of channel j: plane-major ↔ lane j. */
  const copy = (j: number): void => {
    if (out) { plainAddr(j); f.get(lane).f32Load(4 * j).f32Store(0); }
    else { f.get(lane); plainAddr(j); f.f32Load(0).f32Store(4 * j); }
  };
  f.get(h).get(w).i32Mul().i32Const(4).i32Mul().set(planeB);
  f.get(planeB).get(planeB).i32Add().set(plane2);
  f.get(plane2).get(planeB).i32Add().set(plane3);
  f.get(w).i32Const(2).i32ShrU().set(chunks);
  f.get(w).i32Const(3).i32And().set(tail);
  f.i32Const(0).set(c);
  f.block(() => f.loop(() => { // groups of four channels
    f.get(c).i32Const(4).i32Add().get(cv).i32GtS().brIf(1);
    f.get(out ? dst : src).get(c).get(planeB).i32Mul().i32Add().set(plain);
    f.get(out ? src : dst).get(c).i32Const(4).i32Mul().i32Add().set(lane);
    times(f, r, h, () => {
      f.get(chunks).ifElse(() => times(f, q, chunks, () => {
        for (let j = 0; j < 4; j++) {
          if (out) f.get(lane).v128Load(PIXEL * j).set(v[j]!);
          else { plainAddr(j); f.v128Load(0).set(v[j]!); }
        }
        f.get(v[0]!).get(v[1]!).i8x16Shuffle(LO).set(t[0]!);
        f.get(v[0]!).get(v[1]!).i8x16Shuffle(HI).set(t[1]!);
        f.get(v[2]!).get(v[3]!).i8x16Shuffle(LO).set(t[2]!);
        f.get(v[2]!).get(v[3]!).i8x16Shuffle(HI).set(t[3]!);
        f.get(t[0]!).get(t[2]!).i8x16Shuffle(FIRST).set(v[0]!);
        f.get(t[0]!).get(t[2]!).i8x16Shuffle(SECOND).set(v[1]!);
        f.get(t[1]!).get(t[3]!).i8x16Shuffle(FIRST).set(v[2]!);
        f.get(t[1]!).get(t[3]!).i8x16Shuffle(SECOND).set(v[3]!);
        for (let j = 0; j < 4; j++) {
          if (out) { plainAddr(j); f.get(v[j]!).v128Store(0); }
          else f.get(lane).get(v[j]!).v128Store(PIXEL * j);
        }
        f.addTo(plain, 16).addTo(lane, 4 * PIXEL);
      }));
      f.get(tail).ifElse(() => times(f, q, tail, () => {
        for (let j = 0; j < 4; j++) copy(j);
        f.addTo(plain, 4).addTo(lane, PIXEL);
      }));
      f.addTo(lane, skip);
    });
    f.addTo(c, 4);
    f.br(0);
  }));
  // The last cv mod 4 channels, one at a time.
  f.get(cv).get(c).i32Sub().set(rest);
  f.get(rest).ifElse(() => times(f, q, rest, () => {
    f.get(out ? dst : src).get(c).get(planeB).i32Mul().i32Add().set(plain);
    f.get(out ? src : dst).get(c).i32Const(4).i32Mul().i32Add().set(lane);
    times(f, r, h, () => {
      times(f, chunks, w, () => {
        copy(0);
        f.addTo(plain, 4).addTo(lane, PIXEL);
      });
      f.addTo(lane, skip);
    });
    f.addTo(c, 1);
  }));
  return f;
}

/** The geometry's loop counts and byte steps, as the kernels' parameters (rowStep = sh rows, colStep = sw pixels,
 *  dhStep = dh rows, dwStep = dw pixels of the padded scratch). */
interface Steps { readonly ho: I32; readonly wo: I32; readonly kh: I32; readonly kw: I32; readonly rowStep: I32; readonly colStep: I32; readonly dhStep: I32; readonly dwStep: I32 }

/**
 * The loops dwForward and dwData share: each output pixel in order, `pix` its place in the block's channel-last
 * ho·wo array (ys or ds, from `pixels`), `before` then, per tap (ki, kj), `tap(wp, r)` with wp the tap's 16 filter
 * floats (from wt) and r the scratch pixel it reads (from `scratch`), then `after`; pix moves on a pixel.
 */
function eachPixelTap(f: FunctionBuilder, g: Steps, scratch: I32, pixels: I32, wt: I32, before: (pix: I32) => void, tap: (wp: I32, r: I32) => void, after: (pix: I32) => void): void {
  const [oh, ow, rowBase, p, wp, q, r, ki, kj, pix] = ints(f, 10);
  f.get(scratch).set(rowBase);
  f.get(pixels).set(pix);
  times(f, oh, g.ho, () => {
    f.get(rowBase).set(p);
    times(f, ow, g.wo, () => {
      before(pix);
      f.get(wt).set(wp);
      f.get(p).set(q);
      times(f, ki, g.kh, () => {
        f.get(q).set(r);
        times(f, kj, g.kw, () => {
          tap(wp, r);
          f.addTo(wp, PIXEL).addTo(r, g.dwStep);
        });
        f.addTo(q, g.dhStep);
      });
      after(pix);
      f.addTo(pix, PIXEL).addTo(p, g.colStep);
    });
    f.addTo(rowBase, g.rowStep);
  });
}

/** The 12 parameters (four addresses, then the Steps) of the kernels that walk the output pixels. */
function stepsKernel(name: string): { f: FunctionBuilder; a: [I32, I32, I32, I32]; g: Steps } {
  const f = new FunctionBuilder(name, Array<ValType>(12).fill(ValType.i32));
  const [a0, a1, a2, a3, ho, wo, kh, kw, rowStep, colStep, dhStep, dwStep] = f.params as I32[] as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  return { f, a: [a0, a1, a2, a3], g: { ho, wo, kh, kw, rowStep, colStep, dhStep, dwStep } };
}

/**
 * dwForward(xs, wt, bias, ys, ho, wo, kh, kw, rowStep, colStep, dhStep, dwStep): one block's output pixels,
 * channel-last into ys (ho·wo pixels), from its padded scratch xs (dwOut then lays ys out as planes).
 */
function forwardKernel(m: Madd): FunctionBuilder {
  const { f, a: [xs, wt, bias, ys], g } = stepsKernel('dwForward');
  const b = Array.from({ length: 4 }, () => f.local(ValType.v128));
  const acc = Array.from({ length: 4 }, () => f.local(ValType.v128));
  const wv = f.local(ValType.v128), xv = f.local(ValType.v128);
  b.forEach((v, i) => f.get(bias).v128Load(16 * i).set(v));
  eachPixelTap(f, g, xs, ys, wt, () => b.forEach((v, i) => f.get(v).set(acc[i]!)), (wp, r) => {
    for (let i = 0; i < 4; i++) {
      f.get(wp).v128Load(16 * i).set(wv);
      f.get(r).v128Load(16 * i).set(xv);
      madd(f, m, acc[i]!, wv, xv);
    }
  }, (o) => acc.forEach((v, i) => f.get(o).get(v).v128Store(16 * i)));
  return f;
}

/**
 * dwWeights(xs, ds, acc, db, ho, wo, kh, kw, rowStep, colStep, dhStep, dwStep): acc[tap] += Σ over the output
 * pixels of ds (the block's dY, channel-last, ho·wo pixels) times the tap's input pixel in xs, tap after tap
 * (acc: kh·kw vectors of 16 floats); with db ≥ 0, db += Σ ds too (16 floats).
 */
function weightsKernel(m: Madd): FunctionBuilder {
  const { f, a: [xs, ds, acc, db], g: { ho, wo, kh, kw, rowStep, colStep, dhStep, dwStep } } = stepsKernel('dwWeights');
  const [ki, kj, oh, ow, tapRow, tap, rowBase, xp, dp, ap] = ints(f, 10);
  const a = Array.from({ length: 4 }, () => f.local(ValType.v128));
  const dv = Array.from({ length: 4 }, () => f.local(ValType.v128));
  const xv = f.local(ValType.v128);
  f.get(acc).set(ap);
  f.get(xs).set(tapRow);
  times(f, ki, kh, () => {
    f.get(tapRow).set(tap);
    times(f, kj, kw, () => {
      a.forEach((v, i) => f.get(ap).v128Load(16 * i).set(v));
      f.get(ds).set(dp);
      f.get(tap).set(rowBase);
      times(f, oh, ho, () => {
        f.get(rowBase).set(xp);
        times(f, ow, wo, () => {
          for (let i = 0; i < 4; i++) {
            f.get(dp).v128Load(16 * i).set(dv[i]!);
            f.get(xp).v128Load(16 * i).set(xv);
            madd(f, m, a[i]!, dv[i]!, xv);
          }
          f.addTo(dp, PIXEL).addTo(xp, colStep);
        });
        f.addTo(rowBase, rowStep);
      });
      a.forEach((v, i) => f.get(ap).get(v).v128Store(16 * i));
      f.addTo(ap, PIXEL).addTo(tap, dwStep);
    });
    f.addTo(tapRow, dhStep);
  });
  f.get(db).i32Const(0).i32GtS().ifElse(() => { // db is never at address 0 (the control block is)
    a.forEach((v, i) => f.get(db).v128Load(16 * i).set(v));
    f.get(ds).set(dp);
    f.get(ho).get(wo).i32Mul().set(oh);
    times(f, ow, oh, () => {
      for (let i = 0; i < 4; i++) f.get(a[i]!).get(dp).v128Load(16 * i).f32x4Add().set(a[i]!);
      f.addTo(dp, PIXEL);
    });
    a.forEach((v, i) => f.get(db).get(v).v128Store(16 * i));
  }, () => {});
  return f;
}

/**
 * dwData(ds, wt, dxs, bytes, ho, wo, kh, kw, rowStep, colStep, dhStep, dwStep): dxs (the padded scratch's shape,
 * `bytes` long) = 0, then each output pixel of ds scattered through the block's filters wt into it.
 */
function dataKernel(m: Madd): FunctionBuilder {
  const { f, a: [ds, wt, dxs, bytes], g } = stepsKernel('dwData');
  const dv = Array.from({ length: 4 }, () => f.local(ValType.v128));
  const wv = f.local(ValType.v128), t = f.local(ValType.v128);
  f.get(dxs).i32Const(0).get(bytes).memoryFill(); // the bits of +0.0f
  eachPixelTap(f, g, dxs, ds, wt, (dp) => dv.forEach((v, i) => f.get(dp).v128Load(16 * i).set(v)), (wp, r) => {
    for (let i = 0; i < 4; i++) {
      f.get(wp).v128Load(16 * i).set(wv);
      f.get(r).v128Load(16 * i).set(t);
      madd(f, m, t, wv, dv[i]!);
      f.get(r).get(t).v128Store(16 * i);
    }
  }, () => {});
  return f;
}

/**
 * dwFlush(acc, dW, cv, taps, dbAcc, dB): dW[c][tap] += acc[tap][c] for the block's cv channels (dW the block's
 * first filter, taps floats each); with dB ≥ 0, dB[c] += dbAcc[c] too.
 */
function flushKernel(): FunctionBuilder {
  const f = new FunctionBuilder('dwFlush', Array<ValType>(6).fill(ValType.i32));
  const [acc, dW, cv, taps, dbAcc, dB] = f.params as I32[] as [I32, I32, I32, I32, I32, I32];
  const [c, t, a, d] = ints(f, 4);
  f.get(dW).set(d);
  f.i32Const(0).set(c);
  f.loop(() => {
    f.get(acc).get(c).i32Const(4).i32Mul().i32Add().set(a);
    times(f, t, taps, () => {
      f.get(d).get(d).f32Load(0).get(a).f32Load(0).f32Add().f32Store(0);
      f.addTo(d, 4).addTo(a, PIXEL);
    });
    f.get(dB).i32Const(0).i32GtS().ifElse(() => {
      f.get(dB).get(c).i32Const(4).i32Mul().i32Add().set(a);
      f.get(a).get(a).f32Load(0).get(dbAcc).get(c).i32Const(4).i32Mul().i32Add().f32Load(0).f32Add().f32Store(0);
    }, () => {});
    f.addTo(c, 1);
    f.get(c).get(cv).i32LtS().brIf(0);
  });
  return f;
}

/** The module's functions, in export order. */
export function depthwiseKernels(m: Madd): FunctionBuilder[] {
  return [transposeKernel('dwIn', false), transposeKernel('dwOut', true), forwardKernel(m), weightsKernel(m), dataKernel(m), flushKernel()];
}

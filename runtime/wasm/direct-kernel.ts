// The wasm side of the direct convolution (direct.ts): no column matrix, the multiply-adds read the
// input where it lies. All addresses and strides are in bytes.
//
// The input of a sample is first copied into a "phased" layout (phase): per channel, sw planes
// of `rows` rows of `rowLen` floats, zero outside the image (the padding), where padded column
// j = iw + left of row r lives in plane j mod sw at index ⌊j / sw⌋. Output column ow, kernel
// column kj then reads padded column ow·sw + kj·dw, which is plane (kj·dw) mod sw, index
// ow + ⌊kj·dw / sw⌋: consecutive output columns read consecutive floats for any stride and
// dilation, so every loop below runs four output columns to a vector. kjTab holds, per kj, the
// byte offset of (plane, index) from a row's start. Rows are picked directly: oh·sh + ki·dh.
//
//   forward:  y[co][oh][ow]   = bias[co] + Σ_{ci,ki,kj} W[co][ci][ki][kj] · X[ci][oh·sh + ki·dh][ow·sw + kj·dw]
//   data:     dX[ci][…same…] += Σ_co W[co][ci][ki][kj] · dY[co][oh][ow]        (scattered into the phased layout)
//   weights:  dW[co][ci][ki][kj] += Σ_{oh,ow} dY[co][oh][ow] · X[ci][…same…]
//
// Output rows are processed in blocks of vb vectors (4·vb columns; the caller pads rows to whole
// blocks: the extra lanes are computed and dropped, and dY's extra lanes are zeros), output
// channels in blocks of cb and rows in blocks of rb (the forward; weights re-laid out
// [block][ci][ki][kj][b] by the caller).
// Every sum runs in a fixed order (ci, ki, kj; co; oh, ow), so the bits depend on the shapes only.
import { FunctionBuilder, ValType, type Local } from './encoder.js';
import type { Madd } from './sgemm-kernel.js';

type I32 = Local<ValType.i32>;
type V128 = Local<ValType.v128>;

/** count = n; do { body() } while (--count): n must be ≥ 1. */
export function times(f: FunctionBuilder, count: I32, n: I32, body: () => void): void {
  f.get(n).set(count);
  f.loop(() => {
    body();
    f.get(count).i32Const(1).i32Sub().tee(count).brIf(0);
  });
}

/** while (count ≥ least) { body(); count −= step }: zero times for count < least. */
export function whileAtLeast(f: FunctionBuilder, count: I32, least: number, step: number, body: () => void): void {
  f.block(() => f.loop(() => {
    f.get(count).i32Const(least).i32LtS().brIf(1);
    body();
    f.get(count).i32Const(step).i32Sub().set(count);
    f.br(0);
  }));
}

/** acc += a · b, fused where the gemm's kernel is (kernelMadd). */
export function madd(f: FunctionBuilder, m: Madd, acc: V128, a: V128, b: V128): void {
  if (m === 'relaxed') f.get(a).get(b).get(acc).f32x4RelaxedMadd().set(acc);
  else f.get(acc).get(a).get(b).f32x4Mul().f32x4Add().set(acc);
}

/** locals of type i32, n of them. */
export function ints(f: FunctionBuilder, n: number): I32[] {
  return Array.from({ length: n }, () => f.local(ValType.i32));
}

/**
 * forward{cb}x{vb}[r{rb}](xp, wr, bias, hasBias, out, blocks, taps, tapTab, shRow, ho, vblocks, ldo, outPlane, xStep):
 * `blocks` blocks of cb output channels of one group, rb output rows × vb vectors of columns at a time; xp its
 * first input channel (phased), wr its weights re-laid out ([block][tap][b]), bias its cb·blocks biases, out its
 * first output plane (rows ldo apart, planes outPlane apart; ho rows, a multiple of rb). tapTab holds, for each of
 * the group's taps (ci, ki, kj) in that order, the byte offset of its input from an output block's: ci·chan + ki·dh
 * rows + kjTab[kj]; one flat loop over the taps carries the multiply-adds of a block (the sums' order is still ci,
 * ki, kj; V8 unrolls it). shRow = sh rows of the phased planes. xp moves on by xStep bytes after each block: 0
 * within a group; a group's input channels where each group is one block (cb = cog: depthwise), so that one call
 * takes every group of a sample.
 */
export function directForwardKernel(cb: number, vb: number, rb: number, name: string, m: Madd): FunctionBuilder {
  const f = new FunctionBuilder(name, Array<ValType>(14).fill(ValType.i32));
  const [xp, wr, bias, hasBias, out, blocks, taps, tapTab, shRow, ho, vblocks, ldo, outPlane, xStep] = f.params as I32[] as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const [blk, oh, ob, kt, cp, ip, wp, wBlock, rowBase, o, outBlk, count, outRow] = ints(f, 13);
  /** acc[b][r·vb + v]: channel b, row r, vector v; xv[r·vb + v] likewise. */
  const acc = Array.from({ length: cb }, () => Array.from({ length: rb * vb }, () => f.local(ValType.v128)));
  const bv = Array.from({ length: cb }, () => f.local(ValType.v128));
  const xv = Array.from({ length: rb * vb }, () => f.local(ValType.v128));
  const wv = f.local(ValType.v128);
  f.get(wr).set(wBlock);
  f.get(out).set(outBlk);
  times(f, blk, blocks, () => {
    for (let b = 0; b < cb; b++) {
      f.get(hasBias).ifElse(() => f.get(bias).v128Load32Splat(4 * b).set(bv[b]!), () => f.v128Zero().set(bv[b]!));
    }
    f.i32Const(0).set(oh);
    f.loop(() => { // blocks of rb output rows
      f.get(xp).get(oh).get(shRow).i32Mul().i32Add().set(rowBase);
      f.i32Const(0).set(ob);
      f.loop(() => { // blocks of 4·vb output columns
        for (let b = 0; b < cb; b++) for (const a of acc[b]!) f.get(bv[b]!).set(a);
        f.get(wBlock).set(wp);
        f.get(tapTab).set(kt);
        f.get(rowBase).get(ob).i32Const(16 * vb).i32Mul().i32Add().set(cp);
        times(f, count, taps, () => {
          f.get(cp).get(kt).i32Load(0).i32Add().set(ip);
          for (let r = 0; r < rb; r++) {
            if (r > 0) f.get(ip).get(shRow).i32Add().set(ip);
            for (let v = 0; v < vb; v++) f.get(ip).v128Load(16 * v).set(xv[r * vb + v]!);
          }
          for (let b = 0; b < cb; b++) {
            f.get(wp).v128Load32Splat(4 * b).set(wv);
            for (let i = 0; i < rb * vb; i++) madd(f, m, acc[b]![i]!, wv, xv[i]!);
          }
          f.addTo(kt, 4).addTo(wp, 4 * cb);
        });
        f.get(outBlk).get(oh).get(ldo).i32Mul().i32Add().get(ob).i32Const(16 * vb).i32Mul().i32Add().set(o);
        for (let b = 0; b < cb; b++) {
          if (b > 0) f.addTo(o, outPlane);
          f.get(o).set(outRow);
          for (let r = 0; r < rb; r++) {
            if (r > 0) f.get(outRow).get(ldo).i32Add().set(outRow);
            for (let v = 0; v < vb; v++) f.get(outRow).get(acc[b]![r * vb + v]!).v128Store(16 * v);
          }
        }
        f.addTo(ob, 1);
        f.get(ob).get(vblocks).i32LtS().brIf(0);
      });
      f.addTo(oh, rb);
      f.get(oh).get(ho).i32LtS().brIf(0);
    });
    f.get(wp).set(wBlock); // past this block's weights
    f.get(outBlk).get(outPlane).i32Const(cb).i32Mul().i32Add().set(outBlk);
    f.addTo(bias, 4 * cb);
    f.get(xp).get(xStep).i32Add().set(xp);
  });
  return f;
}

/** Rows of output a backward block takes with vb vectors each: four accumulators in all, four independent chains of multiply-adds. */
export function rowBlock(vb: number): number {
  return 4 / vb;
}

/**
 * data{vb}(dyp, W, dxp, cig, cog, kh, kw, rowBlocks, vblocks, coStride, dyPlane, ldy, chan, dhRow, shRow, kjTab):
 * one group's input gradient, added into its phased dX (dxp, zeroed by the caller): for each input
 * channel, kernel position and block of rb = 4/vb output rows, the sum over the group's output
 * channels of W · dY, vb vectors of output columns at a time. W is conv2d's own [cout][cig][kh][kw]
 * (coStride bytes between output channels); dY padded (rows ldy bytes apart, planes dyPlane apart,
 * zero past wo and past ho, so the extra lanes and rows add zeros).
 */
export function directDataKernel(vb: number, m: Madd): FunctionBuilder {
  const rb = rowBlock(vb);
  const f = new FunctionBuilder(`data${vb}`, Array<ValType>(16).fill(ValType.i32));
  const [dyp, W, dxp, cig, cog, kh, kw, rowBlocks, vblocks, coStride, dyPlane, ldy, chan, dhRow, shRow, kjTab] = f.params as I32[] as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const [ci, ki, kt, kEnd, wk, xCi, xKi, tgtBase, rbk, src, ob, dp, wp, co, tgt] = ints(f, 15);
  const offY = ints(f, rb), offX = ints(f, rb);
  const acc = Array.from({ length: rb * vb }, () => f.local(ValType.v128));
  const wv = f.local(ValType.v128), dv = f.local(ValType.v128);
  for (let r = 0; r < rb; r++) {
    f.get(ldy).i32Const(r).i32Mul().set(offY[r]!);
    f.get(shRow).i32Const(r).i32Mul().set(offX[r]!);
  }
  f.get(kjTab).get(kw).i32Const(4).i32Mul().i32Add().set(kEnd);
  f.get(W).set(wk);
  f.get(dxp).set(xCi);
  times(f, ci, cig, () => {
    f.get(xCi).set(xKi);
    times(f, ki, kh, () => {
      f.get(kjTab).set(kt);
      f.loop(() => { // kernel columns; wk = W[0][ci][ki][kj]
        f.get(xKi).get(kt).i32Load(0).i32Add().set(tgtBase);
        f.get(dyp).set(src);
        f.get(tgtBase).set(tgt);
        times(f, rbk, rowBlocks, () => { // blocks of rb output rows
          times(f, ob, vblocks, () => {
            acc.forEach((a) => f.v128Zero().set(a));
            f.get(src).set(dp);
            f.get(wk).set(wp);
            times(f, co, cog, () => {
              f.get(wp).v128Load32Splat(0).set(wv);
              for (let r = 0; r < rb; r++) {
                for (let v = 0; v < vb; v++) {
                  f.get(dp).get(offY[r]!).i32Add().v128Load(16 * v).set(dv);
                  madd(f, m, acc[r * vb + v]!, wv, dv);
                }
              }
              f.addTo(dp, dyPlane).addTo(wp, coStride);
            });
            for (let r = 0; r < rb; r++) {
              for (let v = 0; v < vb; v++) {
                f.get(tgt).get(offX[r]!).i32Add().set(dp);
                f.get(dp).get(dp).v128Load(16 * v).get(acc[r * vb + v]!).f32x4Add().v128Store(16 * v);
              }
            }
            f.addTo(tgt, 16 * vb).addTo(src, 16 * vb);
          });
          // next row block: back from the row's end, rb rows down
          f.get(src).get(vblocks).i32Const(16 * vb).i32Mul().i32Sub().get(ldy).i32Const(rb).i32Mul().i32Add().set(src);
          f.get(tgt).get(vblocks).i32Const(16 * vb).i32Mul().i32Sub().get(shRow).i32Const(rb).i32Mul().i32Add().set(tgt);
        });
        f.addTo(wk, 4).addTo(kt, 4);
        f.get(kt).get(kEnd).i32LtS().brIf(0);
      });
      f.addTo(xKi, dhRow);
    });
    f.addTo(xCi, chan);
  });
  return f;
}

/**
 * weights{vb}(dyp, xp, part, cog, cig, kh, kw, rowBlocks, vblocks, dyPlane, ldy, chan, dhRow, shRow, kjTab):
 * part[co][ci][ki][kj] += Σ_{oh,ow} dY[co][oh][ow] · X[ci][oh·sh + ki·dh][ow·sw + kj·dw] for one
 * group of one sample, rb = 4/vb rows × vb vectors of columns at a time into four accumulators,
 * summed as (a0 + a1) + (a2 + a3), then their lanes as (l0 + l1) + (l2 + l3): a fixed order. dY is
 * padded with zeros past wo and ho (its extra lanes and rows add 0).
 */
export function directWeightsKernel(vb: number, m: Madd): FunctionBuilder {
  const rb = rowBlock(vb);
  const f = new FunctionBuilder(`weights${vb}`, Array<ValType>(15).fill(ValType.i32));
  const [dyp, xp, part, cog, cig, kh, kw, rowBlocks, vblocks, dyPlane, ldy, chan, dhRow, shRow, kjTab] = f.params as I32[] as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const [co, ci, ki, kt, kEnd, dyCo, xCi, xKi, xr, dr, ob, rbk] = ints(f, 12);
  const offY = ints(f, rb), offX = ints(f, rb);
  const acc = Array.from({ length: 4 }, () => f.local(ValType.v128));
  const dv = f.local(ValType.v128), xv = f.local(ValType.v128);
  for (let r = 0; r < rb; r++) {
    f.get(ldy).i32Const(r).i32Mul().set(offY[r]!);
    f.get(shRow).i32Const(r).i32Mul().set(offX[r]!);
  }
  f.get(kjTab).get(kw).i32Const(4).i32Mul().i32Add().set(kEnd);
  f.get(dyp).set(dyCo);
  times(f, co, cog, () => {
    f.get(xp).set(xCi);
    times(f, ci, cig, () => {
      f.get(xCi).set(xKi);
      times(f, ki, kh, () => {
        f.get(kjTab).set(kt);
        f.loop(() => { // kernel columns
          f.get(xKi).get(kt).i32Load(0).i32Add().set(xr);
          f.get(dyCo).set(dr);
          acc.forEach((a) => f.v128Zero().set(a));
          times(f, rbk, rowBlocks, () => { // blocks of rb output rows
            times(f, ob, vblocks, () => {
              for (let r = 0; r < rb; r++) {
                for (let v = 0; v < vb; v++) {
                  f.get(dr).get(offY[r]!).i32Add().v128Load(16 * v).set(dv);
                  f.get(xr).get(offX[r]!).i32Add().v128Load(16 * v).set(xv);
                  madd(f, m, acc[r * vb + v]!, dv, xv);
                }
              }
              f.addTo(xr, 16 * vb).addTo(dr, 16 * vb);
            });
            f.get(dr).get(vblocks).i32Const(16 * vb).i32Mul().i32Sub().get(ldy).i32Const(rb).i32Mul().i32Add().set(dr);
            f.get(xr).get(vblocks).i32Const(16 * vb).i32Mul().i32Sub().get(shRow).i32Const(rb).i32Mul().i32Add().set(xr);
          });
          f.get(acc[0]!).get(acc[1]!).f32x4Add().get(acc[2]!).get(acc[3]!).f32x4Add().f32x4Add().set(dv);
          f.get(part).get(part).f32Load(0);
          f.get(dv).f32x4ExtractLane(0).get(dv).f32x4ExtractLane(1).f32Add();
          f.get(dv).f32x4ExtractLane(2).get(dv).f32x4ExtractLane(3).f32Add();
          f.f32Add().f32Add().f32Store(0);
          f.addTo(part, 4).addTo(kt, 4);
          f.get(kt).get(kEnd).i32LtS().brIf(0);
        });
        f.addTo(xKi, dhRow);
      });
      f.addTo(xCi, chan);
    });
    f.addTo(dyCo, dyPlane);
  });
  return f;
}

/**
 * phase(image, phased, cin, h, w, top, rowLen, plane, sw, phaseTab, back): the image [cin][h][w] into
 * the phased layout (back = 0; its padding is left as it is: the caller zeroes it once), or the
 * image's part of the phased layout back into the image (back = 1). phaseTab holds, per plane p, the
 * byte offsets of its first image column in an image row and of its place in a plane's row, and how many
 * columns it holds (direct.ts tables()). rowLen and plane in bytes; a channel is sw planes.
 */
export function phaseKernel(): FunctionBuilder {
  const f = new FunctionBuilder('phase', Array<ValType>(11).fill(ValType.i32));
  const [image, phased, cin, h, w, top, rowLen, plane, sw, phaseTab, back] = f.params as I32[] as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const [c, ih, pt, tEnd, cnt, s, d, rowS, rowD, planeD, stride] = ints(f, 11);
  f.get(sw).i32Const(4).i32Mul().set(stride);
  f.get(phaseTab).get(sw).i32Const(12).i32Mul().i32Add().set(tEnd);
  f.get(image).set(rowS);
  f.get(phased).get(top).get(rowLen).i32Mul().i32Add().set(rowD); // channel 0, plane 0, row top
  /** cnt columns from `from` to `to` (s, d or d, s): s moves on sw floats a column, d one. Four columns at a time at
   *  stride 1 (a plain copy) and, with `shuffle`, at stride 2 (every other float of the eight from s, all of them in
   *  the row while five or more columns are left); then one by one. */
  const copy = (from: I32, to: I32, shuffle: boolean): void => {
    f.get(sw).i32Const(1).i32Eq().ifElse(() => whileAtLeast(f, cnt, 4, 4, () => {
      f.get(to).get(from).v128Load(0).v128Store(0);
      f.addTo(s, 16).addTo(d, 16);
    }), shuffle ? () => f.get(sw).i32Const(2).i32Eq().ifElse(() => whileAtLeast(f, cnt, 5, 4, () => {
      f.get(d).get(s).v128Load(0).get(s).v128Load(16).i8x16Shuffle([0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]).v128Store(0);
      f.addTo(s, 32).addTo(d, 16);
    })) : undefined);
    whileAtLeast(f, cnt, 1, 1, () => {
      f.get(to).get(from).f32Load(0).f32Store(0);
      f.addTo(s, stride).addTo(d, 4);
    });
  };
  times(f, c, cin, () => {
    times(f, ih, h, () => {
      f.get(rowD).set(planeD);
      f.get(phaseTab).set(pt);
      f.loop(() => { // planes: cnt columns from the row's first in the plane
        f.get(rowS).get(pt).i32Load(0).i32Add().set(s);
        f.get(planeD).get(pt).i32Load(4).i32Add().set(d);
        f.get(pt).i32Load(8).set(cnt);
        f.get(back).ifElse(() => copy(d, s, false), () => copy(s, d, true));
        f.addTo(planeD, plane).addTo(pt, 12);
        f.get(pt).get(tEnd).i32LtS().brIf(0);
      });
      f.get(rowS).get(w).i32Const(4).i32Mul().i32Add().set(rowS);
      f.addTo(rowD, rowLen);
    });
    // next channel: rowD is at row top + h of plane 0; the channel's sw planes further on, row top
    f.get(rowD).get(h).get(rowLen).i32Mul().i32Sub().get(plane).get(sw).i32Mul().i32Add().set(rowD);
  });
  return f;
}

// maxpool2d forward without padding, in wasm: maxpool(src, dst, arg, planes, h, w, ho, wo, kh, kw,
// sh, sw), byte addresses for src (the [planes, h, w] input), dst (the [planes, ho, wo] output) and
// arg (i32: each output's argmax, an index in its input plane, as the generated code keeps it).
// PyTorch's rule (aten/src/ATen/native/cpu/MaxPoolKernel.cpp): the window's first element starts
// the maximum, then each later one replaces it when `v > max || isnan(v)` (a NaN wins, and of
// several NaNs the last). Written with select, not a branch: on activations half of the compares
// go either way, and the mispredicted branches were the cost of the JS loop.
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { HIGH, JOIN } from './batchnorm-kernel.js';

type I32 = Local<ValType.i32>;

export function maxpoolKernel(): FunctionBuilder {
  const f = new FunctionBuilder('maxpool', Array<ValType>(12).fill(ValType.i32));
  const [src, dst, arg, planes, h, w, ho, wo, kh, kw, sh, sw] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const plane = f.local(ValType.i32), oh = f.local(ValType.i32), ow = f.local(ValType.i32), i = f.local(ValType.i32), j = f.local(ValType.i32);
  const first = f.local(ValType.i32), idx = f.local(ValType.i32), at = f.local(ValType.i32), take = f.local(ValType.i32);
  const best = f.local(ValType.f32), v = f.local(ValType.f32);
  f.get(planes).set(plane);
  f.loop(() => { // planes (sample · channel)
    f.i32Const(0).set(oh);
    f.loop(() => {
      f.i32Const(0).set(ow);
      f.loop(() => {
        // the window's first element: index oh·sh·w + ow·sw in the plane
        f.get(oh).get(sh).i32Mul().get(w).i32Mul().get(ow).get(sw).i32Mul().i32Add().set(first);
        f.get(src).get(first).i32Const(4).i32Mul().i32Add().f32Load(0).set(best);
        f.get(first).set(at);
        f.i32Const(0).set(i);
        f.loop(() => { // window rows
          f.i32Const(0).set(j);
          f.loop(() => { // window columns (the first element again is harmless: v > v is false, a NaN replaces itself)
            f.get(first).get(i).get(w).i32Mul().i32Add().get(j).i32Add().set(idx);
            f.get(src).get(idx).i32Const(4).i32Mul().i32Add().f32Load(0).set(v);
            f.get(v).get(best).f32Gt().get(v).get(v).f32Ne().i32Or().set(take);
            f.get(v).get(best).get(take).select().set(best);
            f.get(idx).get(at).get(take).select().set(at);
            f.addTo(j, 1);
            f.get(j).get(kw).i32LtS().brIf(0);
          });
          f.addTo(i, 1);
          f.get(i).get(kh).i32LtS().brIf(0);
        });
        f.get(dst).get(best).f32Store(0);
        f.get(arg).get(at).i32Store(0);
        f.addTo(dst, 4).addTo(arg, 4);
        f.addTo(ow, 1);
        f.get(ow).get(wo).i32LtS().brIf(0);
      });
      f.addTo(oh, 1);
      f.get(oh).get(ho).i32LtS().brIf(0);
    });
    f.get(src).get(h).get(w).i32Mul().i32Const(4).i32Mul().i32Add().set(src);
    f.get(plane).i32Const(1).i32Sub().tee(plane).brIf(0);
  });
  return f;
}

type V128 = Local<ValType.v128>;

/** Lane by lane, maxpool's rule: where v > best or v is NaN (take), best ← v and at ← the index
 *  vector that `index` pushes. The four-at-a-time kernels' one step per tap. */
function keepMax(f: FunctionBuilder, v: V128, best: V128, at: V128, take: V128, index: () => void): void {
  f.get(v).get(best).f32x4Gt().get(v).get(v).f32x4Ne().v128Or().set(take);
  f.get(v).get(best).get(take).v128Bitselect().set(best);
  index();
  f.get(at).get(take).v128Bitselect().set(at);
}

/** Bytes of the f32 lanes 0, 2 of a and 0, 2 of b (the even floats of eight), and the odd ones. */
const EVEN = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const ODD = EVEN.map((b) => b + 4);

/** An i32x4 constant's bytes, little-endian. */
function i32x4(values: readonly number[]): number[] {
  return values.flatMap((v) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]);
}

/**
 * maxpool2x2(src, dst, arg, planes, h, w, ho, wo): the 2×2 stride-2 window (the seed's), four outputs
 * at a time, wo a multiple of 4. Eight floats of each of the two input rows are split into even and
 * odd columns (the window's left and right taps for four outputs); the same rule as maxpool, lane by
 * lane, with bitselect: taps in window order (0,0), (0,1), (1,0), (1,1).
 */
export function maxpool2x2Kernel(): FunctionBuilder {
  const f = new FunctionBuilder('maxpool2x2', Array<ValType>(8).fill(ValType.i32));
  const [src, dst, arg, planes, h, w, ho, wo] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32];
  const plane = f.local(ValType.i32), oh = f.local(ValType.i32), q = f.local(ValType.i32);
  const r0 = f.local(ValType.i32), r1 = f.local(ValType.i32), idx = f.local(ValType.i32), rowBytes = f.local(ValType.i32);
  const v0 = f.local(ValType.v128), v1 = f.local(ValType.v128), best = f.local(ValType.v128), at = f.local(ValType.v128);
  const base = f.local(ValType.v128), take = f.local(ValType.v128), v = f.local(ValType.v128);
  const one = f.local(ValType.v128), wv = f.local(ValType.v128), w1 = f.local(ValType.v128);
  f.i32Const(1).i32x4Splat().set(one);
  f.get(w).i32x4Splat().set(wv);
  f.get(w).i32Const(1).i32Add().i32x4Splat().set(w1);
  f.get(w).i32Const(4).i32Mul().set(rowBytes);
  /** best, at ← v, base + offset where v > best or v is NaN. */
  const tap = (offset: typeof one | null): void => keepMax(f, v, best, at, take, () => {
    f.get(base);
    if (offset !== null) f.get(offset).i32x4Add();
  });
  f.get(planes).set(plane);
  f.loop(() => { // planes
    f.i32Const(0).set(oh);
    f.loop(() => { // output rows: input rows 2·oh and 2·oh + 1
      f.get(oh).i32Const(2).i32Mul().get(w).i32Mul().set(idx);
      f.get(src).get(idx).i32Const(4).i32Mul().i32Add().set(r0);
      f.get(r0).get(rowBytes).i32Add().set(r1);
      f.get(wo).i32Const(4).i32DivS().set(q);
      f.loop(() => { // four outputs
        f.get(idx).i32x4Splat().v128Const(i32x4([0, 2, 4, 6])).i32x4Add().set(base);
        f.get(r0).v128Load(0).set(v0);
        f.get(r0).v128Load(16).set(v1);
        f.get(v0).get(v1).i8x16Shuffle(EVEN).set(best); // tap (0,0) starts the maximum
        f.get(base).set(at);
        f.get(v0).get(v1).i8x16Shuffle(ODD).set(v);
        tap(one);
        f.get(r1).v128Load(0).set(v0);
        f.get(r1).v128Load(16).set(v1);
        f.get(v0).get(v1).i8x16Shuffle(EVEN).set(v);
        tap(wv);
        f.get(v0).get(v1).i8x16Shuffle(ODD).set(v);
        tap(w1);
        f.get(dst).get(best).v128Store(0);
        f.get(arg).get(at).v128Store(0);
        f.addTo(dst, 16).addTo(arg, 16).addTo(r0, 32).addTo(r1, 32).addTo(idx, 8);
        f.get(q).i32Const(1).i32Sub().tee(q).brIf(0);
      });
      f.addTo(oh, 1);
      f.get(oh).get(ho).i32LtS().brIf(0);
    });
    f.get(src).get(h).get(w).i32Mul().i32Const(4).i32Mul().i32Add().set(src);
    f.get(plane).i32Const(1).i32Sub().tee(plane).brIf(0);
  });
  return f;
}

/**
 * maxpoolBackward(dY, arg, dX, planes, inPlane, outPlane), byte addresses: per plane, dX = 0, then
 * dX[arg[q]] += dY[q] for q in order (torch's max_pool2d backward; overlapping windows add up). The
 * same order and float32 adds as the generated JS loop, so the same bits.
 */
export function maxpoolBackwardKernel(): FunctionBuilder {
  const f = new FunctionBuilder('maxpoolBackward', Array<ValType>(6).fill(ValType.i32));
  const [dy, arg, dx, planes, inPlane, outPlane] = f.params as [I32, I32, I32, I32, I32, I32];
  const k = f.local(ValType.i32), a = f.local(ValType.i32);
  /** Runs body while count ≥ step, taking step off count each time. */
  const whileAtLeast = (count: I32, step: number, body: () => void): void => {
    f.block(() => f.loop(() => {
      f.get(count).i32Const(step).i32LtS().brIf(1);
      body();
      f.get(count).i32Const(step).i32Sub().set(count);
      f.br(0);
    }));
  };
  whileAtLeast(planes, 1, () => {
    f.get(dx).i32Const(0).get(inPlane).i32Const(4).i32Mul().memoryFill(); // the bits of +0.0f
    f.get(outPlane).set(k);
    whileAtLeast(k, 1, () => {
      f.get(dx).get(arg).i32Load(0).i32Const(4).i32Mul().i32Add().set(a);
      f.get(a).get(a).f32Load(0).get(dy).f32Load(0).f32Add().f32Store(0);
      f.addTo(arg, 4).addTo(dy, 4);
    });
    f.get(inPlane).i32Const(4).i32Mul().get(dx).i32Add().set(dx);
  });
  return f;
}

/** Bytes of f32 lanes 0, 2 of a and 1, 3 of b: columns c, c+2, c+4, c+6 from loads at c and c+3. */
const STRIDE2 = [0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23, 28, 29, 30, 31];

/** v ← the four inputs at byte address a, sw columns apart: one load (stride 1), or two loads of four floats at
 *  columns c and c+3 shuffled to c, c+2, c+4, c+6 (stride 2; both end at c+6, inside the window's row). */
function gatherFour(f: FunctionBuilder, a: I32, v: V128, sw: 1 | 2): void {
  if (sw === 1) f.get(a).v128Load(0).set(v);
  else f.get(a).v128Load(0).get(a).v128Load(12).i8x16Shuffle(STRIDE2).set(v);
}

/** ow ← min(ow, end − 4): a row's last group of four outputs starts at end − 4 (some outputs written twice, the same bits). */
function lastGroupAt(f: FunctionBuilder, ow: I32, end: I32): void {
  f.get(end).i32Const(4).i32Sub().get(ow).get(ow).get(end).i32Const(4).i32Sub().i32GtS().select().set(ow);
}

/**
 * maxpoolS1 / maxpoolS2(src, dst, arg, planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, lo, end): any
 * window, padding and ceil_mode's windows past the input included. A window is cut to the input
 * (rows [hs, he), columns [ws, we)): the maximum starts at −∞ with the first element inside as its
 * argmax, which is what PyTorch's −∞ padding gives (a padded −∞ never passes `v > best`). Output
 * columns [lo, end) are windows wholly inside the row, four outputs at a time with the column stride
 * of the function's name: each tap's four inputs are one load (stride 1) or two loads of four floats at
 * columns c and c+3, shuffled to c, c+2, c+4, c+6 (stride 2; both loads end inside the window's row,
 * never past the input). The last group starts at end − 4 and writes some outputs a second time with
 * the same bits. The columns before lo and from end on go one output at a time (any sw); lo = end = wo
 * makes the whole row so. The rule of maxpool: taps in window order, `v > best || isnan(v)`.
 */
export function maxpoolStridedKernel(simd: 1 | 2): FunctionBuilder {
  const f = new FunctionBuilder(`maxpoolS${simd}`, Array<ValType>(16).fill(ValType.i32));
  const [src, dst, arg, planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, lo, end] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const plane = f.local(ValType.i32), oh = f.local(ValType.i32), ow = f.local(ValType.i32), i = f.local(ValType.i32), j = f.local(ValType.i32);
  const hs = f.local(ValType.i32), he = f.local(ValType.i32), ws = f.local(ValType.i32), we = f.local(ValType.i32);
  const first = f.local(ValType.i32), t = f.local(ValType.i32), out = f.local(ValType.i32), a = f.local(ValType.i32);
  const atS = f.local(ValType.i32), takeS = f.local(ValType.i32), bestS = f.local(ValType.f32), vS = f.local(ValType.f32);
  const best = f.local(ValType.v128), at = f.local(ValType.v128), v = f.local(ValType.v128), take = f.local(ValType.v128), lanes = f.local(ValType.v128);
  f.v128Const(i32x4([0, simd, 2 * simd, 3 * simd])).set(lanes);
  /** v ← the four inputs of tap index t (the first output's input index in the plane). */
  const gather = (): void => {
    f.get(src).get(t).i32Const(4).i32Mul().i32Add().set(a);
    gatherFour(f, a, v, simd);
  };
  /** The output's byte offset in its plane's dst and arg: (oh·wo + ow)·4. */
  const output = (): void => {
    f.get(oh).get(wo).i32Mul().get(ow).i32Add().i32Const(4).i32Mul().set(out);
  };
  /** One output at a time over the columns [ow, to): its window cut to the input's columns. */
  const oneByOne = (to: I32): void => {
    f.block(() => f.loop(() => {
      f.get(ow).get(to).i32LtS().i32Eqz().brIf(1);
      f.get(ow).get(sw).i32Mul().get(pw).i32Sub().set(ws); // the window's first column, maybe in the padding
      f.get(ws).get(kw).i32Add().set(we);
      f.get(w).get(we).get(we).get(w).i32GtS().select().set(we);
      f.i32Const(0).get(ws).get(ws).i32Const(0).i32LtS().select().set(ws);
      f.f32Const(-Infinity).set(bestS);
      f.get(hs).get(w).i32Mul().get(ws).i32Add().set(atS);
      f.get(hs).set(i);
      f.loop(() => { // window rows (never none: a window starts inside the input or its padding, pad ≤ kernel / 2)
        f.get(ws).set(j);
        f.loop(() => { // window columns
          f.get(i).get(w).i32Mul().get(j).i32Add().set(t);
          f.get(src).get(t).i32Const(4).i32Mul().i32Add().f32Load(0).set(vS);
          f.get(vS).get(bestS).f32Gt().get(vS).get(vS).f32Ne().i32Or().set(takeS);
          f.get(vS).get(bestS).get(takeS).select().set(bestS);
          f.get(t).get(atS).get(takeS).select().set(atS);
          f.addTo(j, 1);
          f.get(j).get(we).i32LtS().brIf(0);
        });
        f.addTo(i, 1);
        f.get(i).get(he).i32LtS().brIf(0);
      });
      output();
      f.get(dst).get(out).i32Add().get(bestS).f32Store(0);
      f.get(arg).get(out).i32Add().get(atS).i32Store(0);
      f.addTo(ow, 1);
      f.br(0);
    }));
  };
  f.get(planes).set(plane);
  f.loop(() => { // planes (sample · channel)
    f.i32Const(0).set(oh);
    f.loop(() => { // output rows: the window's rows cut to [hs, he), the same for every output of the row
      f.get(oh).get(sh).i32Mul().get(ph).i32Sub().set(hs);
      f.get(hs).get(kh).i32Add().set(he);
      f.get(h).get(he).get(he).get(h).i32GtS().select().set(he);
      f.i32Const(0).get(hs).get(hs).i32Const(0).i32LtS().select().set(hs);
      f.i32Const(0).set(ow);
      oneByOne(lo);
      f.block(() => {
        f.get(lo).get(end).i32LtS().i32Eqz().brIf(0);
        f.get(lo).set(ow);
        f.loop(() => { // groups of four outputs inside the row: the last one starts at end - 4
          lastGroupAt(f, ow, end);
          f.get(hs).get(w).i32Mul().get(ow).i32Const(simd).i32Mul().i32Add().get(pw).i32Sub().set(first);
          f.f32Const(-Infinity).f32x4Splat().set(best);
          f.get(first).i32x4Splat().get(lanes).i32x4Add().set(at);
          f.get(hs).set(i);
          f.loop(() => { // window rows
            f.i32Const(0).set(j);
            f.loop(() => { // window columns
              f.get(first).get(i).get(hs).i32Sub().get(w).i32Mul().i32Add().get(j).i32Add().set(t);
              gather();
              keepMax(f, v, best, at, take, () => f.get(t).i32x4Splat().get(lanes).i32x4Add());
              f.addTo(j, 1);
              f.get(j).get(kw).i32LtS().brIf(0);
            });
            f.addTo(i, 1);
            f.get(i).get(he).i32LtS().brIf(0);
          });
          output();
          f.get(dst).get(out).i32Add().get(best).v128Store(0);
          f.get(arg).get(out).i32Add().get(at).v128Store(0);
          f.addTo(ow, 4);
          f.get(ow).get(end).i32LtS().brIf(0);
        });
        f.get(end).set(ow);
      });
      oneByOne(wo);
      f.addTo(oh, 1);
      f.get(oh).get(ho).i32LtS().brIf(0);
    });
    f.get(src).get(h).get(w).i32Mul().i32Const(4).i32Mul().i32Add().set(src);
    f.get(ho).get(wo).i32Mul().i32Const(4).i32Mul().set(out);
    f.get(dst).get(out).i32Add().set(dst);
    f.get(arg).get(out).i32Add().set(arg);
    f.get(plane).i32Const(1).i32Sub().tee(plane).brIf(0);
  });
  return f;
}

/** The side module of the strided kernels (side.ts): the gemm module has no room left for them. */
export function maxpoolStridedModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([maxpoolStridedKernel(1), maxpoolStridedKernel(2)], memory);
}

/**
 * avgpoolS1 / avgpoolS2(src, dst, planes, h, w, ho, wo, kh, kw, sh, divisor): every window inside the
 * input, column stride 1 or 2 (the name), wo ≥ 4, four outputs at a time (the last group of a row at
 * wo − 4, writing some outputs again with the same bits), each tap's four inputs gathered as maxpoolS1/S2
 * do. The generated loop's arithmetic in float64 lanes: (((0 + tap 0) + tap 1) + …) / divisor, taps in
 * window order, rounded once to float32.
 */
export function avgpoolStridedKernel(sw: 1 | 2): FunctionBuilder {
  const f = new FunctionBuilder(`avgpoolS${sw}`, [...Array<ValType>(10).fill(ValType.i32), ValType.f64]);
  const [src, dst, planes, h, w, ho, wo, kh, kw, sh] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const divisor = f.params[10] as Local<ValType.f64>;
  const plane = f.local(ValType.i32), oh = f.local(ValType.i32), ow = f.local(ValType.i32), i = f.local(ValType.i32), j = f.local(ValType.i32);
  const first = f.local(ValType.i32), a = f.local(ValType.i32), out = f.local(ValType.i32);
  const v = f.local(ValType.v128), lo = f.local(ValType.v128), hi = f.local(ValType.v128), div = f.local(ValType.v128);
  f.get(divisor).f64x2Splat().set(div);
  f.get(planes).set(plane);
  f.loop(() => { // planes (sample · channel)
    f.i32Const(0).set(oh);
    f.loop(() => {
      f.i32Const(0).set(ow);
      f.loop(() => { // groups of four outputs: the last one starts at wo - 4
        lastGroupAt(f, ow, wo);
        f.get(oh).get(sh).i32Mul().get(w).i32Mul().get(ow).i32Const(sw).i32Mul().i32Add().set(first);
        f.v128Zero().set(lo); // +0.0 in both lanes: the loop's sum starts at 0
        f.v128Zero().set(hi);
        f.i32Const(0).set(i);
        f.loop(() => { // window rows
          f.i32Const(0).set(j);
          f.loop(() => { // window columns
            f.get(src).get(first).get(i).get(w).i32Mul().i32Add().get(j).i32Add().i32Const(4).i32Mul().i32Add().set(a);
            gatherFour(f, a, v, sw);
            f.get(lo).get(v).f64x2PromoteLowF32x4().f64x2Add().set(lo);
            f.get(hi).get(v).get(v).i8x16Shuffle(HIGH).f64x2PromoteLowF32x4().f64x2Add().set(hi);
            f.addTo(j, 1);
            f.get(j).get(kw).i32LtS().brIf(0);
          });
          f.addTo(i, 1);
          f.get(i).get(kh).i32LtS().brIf(0);
        });
        f.get(oh).get(wo).i32Mul().get(ow).i32Add().i32Const(4).i32Mul().get(dst).i32Add().set(out);
        f.get(out);
        f.get(lo).get(div).f64x2Div().f32x4DemoteF64x2Zero();
        f.get(hi).get(div).f64x2Div().f32x4DemoteF64x2Zero();
        f.i8x16Shuffle(JOIN).v128Store(0);
        f.addTo(ow, 4);
        f.get(ow).get(wo).i32LtS().brIf(0);
      });
      f.addTo(oh, 1);
      f.get(oh).get(ho).i32LtS().brIf(0);
    });
    f.get(src).get(h).get(w).i32Mul().i32Const(4).i32Mul().i32Add().set(src);
    f.get(ho).get(wo).i32Mul().i32Const(4).i32Mul().get(dst).i32Add().set(dst);
    f.get(plane).i32Const(1).i32Sub().tee(plane).brIf(0);
  });
  return f;
}

/**
 * avgpoolBackward(dy, dx, planes, h, w, ho, wo, kh, kw, sh, sw, divisor): every window inside the input; per
 * plane dX = 0, then for each output q in order, g = dY[q] / divisor (float64) and dX[t] = f32(dX[t] + g) for
 * its taps t in window order: the generated loop's order and roundings, so its bits (overlapping windows too).
 */
export function avgpoolBackwardKernel(): FunctionBuilder {
  const f = new FunctionBuilder('avgpoolBackward', [...Array<ValType>(11).fill(ValType.i32), ValType.f64]);
  const [dy, dx, planes, h, w, ho, wo, kh, kw, sh, sw] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const divisor = f.params[11] as Local<ValType.f64>;
  const plane = f.local(ValType.i32), oh = f.local(ValType.i32), ow = f.local(ValType.i32), i = f.local(ValType.i32), j = f.local(ValType.i32);
  const first = f.local(ValType.i32), a = f.local(ValType.i32), g = f.local(ValType.f64);
  f.get(planes).set(plane);
  f.loop(() => {
    f.get(dx).i32Const(0).get(h).get(w).i32Mul().i32Const(4).i32Mul().memoryFill(); // the bits of +0.0f
    f.i32Const(0).set(oh);
    f.loop(() => {
      f.i32Const(0).set(ow);
      f.loop(() => {
        f.get(dy).f32Load(0).f64PromoteF32().get(divisor).f64Div().set(g);
        f.get(oh).get(sh).i32Mul().get(w).i32Mul().get(ow).get(sw).i32Mul().i32Add().set(first);
        f.i32Const(0).set(i);
        f.loop(() => {
          f.i32Const(0).set(j);
          f.loop(() => {
            f.get(dx).get(first).get(i).get(w).i32Mul().i32Add().get(j).i32Add().i32Const(4).i32Mul().i32Add().set(a);
            f.get(a).get(a).f32Load(0).f64PromoteF32().get(g).f64Add().f32DemoteF64().f32Store(0);
            f.addTo(j, 1);
            f.get(j).get(kw).i32LtS().brIf(0);
          });
          f.addTo(i, 1);
          f.get(i).get(kh).i32LtS().brIf(0);
        });
        f.addTo(dy, 4);
        f.addTo(ow, 1);
        f.get(ow).get(wo).i32LtS().brIf(0);
      });
      f.addTo(oh, 1);
      f.get(oh).get(ho).i32LtS().brIf(0);
    });
    f.get(h).get(w).i32Mul().i32Const(4).i32Mul().get(dx).i32Add().set(dx);
    f.get(plane).i32Const(1).i32Sub().tee(plane).brIf(0);
  });
  return f;
}

/** avgpool2d's side module (side.ts). */
export function avgpoolModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([avgpoolStridedKernel(1), avgpoolStridedKernel(2), avgpoolBackwardKernel()], memory);
}


/** avgpoolPadded's flags (the last argument): count_include_pad off, divided twice (adaptive_avgpool2d's y = Σ / rows /
 *  columns), and no four-at-a-time part (a column stride the kernel's name does not have). */
export const AVG_EXCLUDE_PAD = 1, AVG_TWICE = 2, AVG_SCALAR = 4;

/**
 * avgpoolP1 / avgpoolP2(src, dst, planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, flags): any window, padding and
 * ceil_mode's windows past the input (the generated loops of pool2d.ts's windowLoops, and adaptive_avgpool2d's uniform
 * windows with AVG_TWICE). A window is cut to the input, rows [hs, he) and columns [ws, we), and its sum runs over
 * those in window order from 0 in float64: (((0 + x₀) + x₁) + …). The divisor: count_include_pad's (rows and columns
 * of the window inside the padded input: min(h0 + kh, h + ph) − h0, which is kh but where a ceil_mode window runs past
 * it), or with AVG_EXCLUDE_PAD the elements summed, (he − hs)·(we − ws); AVG_TWICE divides by the rows, then by the
 * columns. Rounded once to float32: the loops' bits. Output columns whose windows lie wholly inside the row, where
 * there are at least four of them, go four at a time as avgpoolS1/S2 do (their rows still cut); the others one by one.
 */
export function avgpoolPaddedKernel(simd: 1 | 2): FunctionBuilder {
  const f = new FunctionBuilder(`avgpoolP${simd}`, Array<ValType>(14).fill(ValType.i32));
  const [src, dst, planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, flags] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const plane = f.local(ValType.i32), oh = f.local(ValType.i32), ow = f.local(ValType.i32), i = f.local(ValType.i32), j = f.local(ValType.i32);
  const h0 = f.local(ValType.i32), hs = f.local(ValType.i32), he = f.local(ValType.i32), rows = f.local(ValType.i32);
  const w0 = f.local(ValType.i32), ws = f.local(ValType.i32), we = f.local(ValType.i32), cols = f.local(ValType.i32);
  const lo = f.local(ValType.i32), end = f.local(ValType.i32), a = f.local(ValType.i32), out = f.local(ValType.i32);
  const twice = f.local(ValType.i32), exclude = f.local(ValType.i32);
  const acc = f.local(ValType.f64);
  const v = f.local(ValType.v128), sumLo = f.local(ValType.v128), sumHi = f.local(ValType.v128), d1 = f.local(ValType.v128), d2 = f.local(ValType.v128);
  f.get(flags).i32Const(AVG_EXCLUDE_PAD).i32And().set(exclude);
  f.get(flags).i32Const(AVG_TWICE).i32And().set(twice);
  // [lo, end): the columns whose windows start at ≥ 0 and end at ≤ w; none (lo = end = wo) under four of them
  f.get(wo).set(lo);
  f.get(wo).set(end);
  f.block(() => {
    f.get(flags).i32Const(AVG_SCALAR).i32And().brIf(0);
    f.get(w).get(pw).i32Add().get(kw).i32Sub().set(a);
    f.get(a).i32Const(0).i32LtS().brIf(0);
    f.get(a).get(sw).i32DivS().i32Const(1).i32Add().set(end);
    f.get(wo).get(end).get(end).get(wo).i32GtS().select().set(end);
    f.get(pw).get(sw).i32Add().i32Const(1).i32Sub().get(sw).i32DivS().set(lo);
    f.get(end).get(lo).i32Sub().i32Const(4).i32LtS().ifElse(() => {
      f.get(wo).set(lo);
      f.get(wo).set(end);
    }, () => {});
  });
  /** The divisors of a window of `rows` × `cols` (the count_include_pad or the summed rows and columns), as
   *  float64 d1 and d2 in both lanes of a vector: y = Σ / d1 / d2 (d2 = 1, which changes no bits, but for AVG_TWICE). */
  const divisors = (): void => {
    f.get(rows).get(rows).get(cols).i32Mul().get(twice).select().f64ConvertI32S().f64x2Splat().set(d1);
    f.get(cols).i32Const(1).get(twice).select().f64ConvertI32S().f64x2Splat().set(d2);
  };
  /** One output at a time over the columns [ow, to): its window cut to the input's columns. */
  const oneByOne = (to: I32): void => {
    f.block(() => f.loop(() => {
      f.get(ow).get(to).i32LtS().i32Eqz().brIf(1);
      f.get(ow).get(sw).i32Mul().get(pw).i32Sub().set(w0);
      f.get(w0).get(kw).i32Add().set(we);
      f.get(w).get(we).get(we).get(w).i32GtS().select().set(we);
      f.i32Const(0).get(w0).get(w0).i32Const(0).i32LtS().select().set(ws);
      // count_include_pad's columns: min(w0 + kw, w + pw) − w0; else the summed ones
      f.get(w0).get(kw).i32Add().set(cols);
      f.get(w).get(pw).i32Add().get(cols).get(cols).get(w).get(pw).i32Add().i32GtS().select().get(w0).i32Sub().set(cols);
      f.get(we).get(ws).i32Sub().get(cols).get(exclude).get(twice).i32Or().select().set(cols);
      f.f64Const(0).set(acc);
      f.get(hs).set(i);
      f.block(() => f.loop(() => { // window rows
        f.get(i).get(he).i32LtS().i32Eqz().brIf(1);
        f.get(ws).set(j);
        f.block(() => f.loop(() => { // window columns
          f.get(j).get(we).i32LtS().i32Eqz().brIf(1);
          f.get(acc).get(src).get(i).get(w).i32Mul().get(j).i32Add().i32Const(4).i32Mul().i32Add().f32Load(0).f64PromoteF32().f64Add().set(acc);
          f.addTo(j, 1);
          f.br(0);
        }));
        f.addTo(i, 1);
        f.br(0);
      }));
      divisors();
      f.get(oh).get(wo).i32Mul().get(ow).i32Add().i32Const(4).i32Mul().get(dst).i32Add();
      f.get(acc).get(d1).f64x2ExtractLane(0).f64Div().get(d2).f64x2ExtractLane(0).f64Div().f32DemoteF64().f32Store(0);
      f.addTo(ow, 1);
      f.br(0);
    }));
  };
  f.get(planes).set(plane);
  f.loop(() => { // planes (sample · channel)
    f.i32Const(0).set(oh);
    f.loop(() => { // output rows: the window's rows cut to [hs, he), the same for every output of the row
      f.get(oh).get(sh).i32Mul().get(ph).i32Sub().set(h0);
      f.get(h0).get(kh).i32Add().set(he);
      f.get(h).get(he).get(he).get(h).i32GtS().select().set(he);
      f.i32Const(0).get(h0).get(h0).i32Const(0).i32LtS().select().set(hs);
      f.get(h0).get(kh).i32Add().set(rows);
      f.get(h).get(ph).i32Add().get(rows).get(rows).get(h).get(ph).i32Add().i32GtS().select().get(h0).i32Sub().set(rows);
      f.get(he).get(hs).i32Sub().get(rows).get(exclude).get(twice).i32Or().select().set(rows);
      f.i32Const(0).set(ow);
      oneByOne(lo);
      f.block(() => {
        f.get(lo).get(end).i32LtS().i32Eqz().brIf(0);
        f.get(kw).set(cols); // a window inside the row: kw columns either way
        divisors();
        f.get(lo).set(ow);
        f.loop(() => { // groups of four outputs inside the row: the last one starts at end - 4
          lastGroupAt(f, ow, end);
          f.v128Zero().set(sumLo);
          f.v128Zero().set(sumHi);
          f.get(hs).set(i);
          f.block(() => f.loop(() => { // window rows
            f.get(i).get(he).i32LtS().i32Eqz().brIf(1);
            f.i32Const(0).set(j);
            f.loop(() => { // window columns
              f.get(src).get(i).get(w).i32Mul().get(ow).i32Const(simd).i32Mul().i32Add().get(pw).i32Sub().get(j).i32Add().i32Const(4).i32Mul().i32Add().set(a);
              gatherFour(f, a, v, simd);
              f.get(sumLo).get(v).f64x2PromoteLowF32x4().f64x2Add().set(sumLo);
              f.get(sumHi).get(v).get(v).i8x16Shuffle(HIGH).f64x2PromoteLowF32x4().f64x2Add().set(sumHi);
              f.addTo(j, 1);
              f.get(j).get(kw).i32LtS().brIf(0);
            });
            f.addTo(i, 1);
            f.br(0);
          }));
          f.get(oh).get(wo).i32Mul().get(ow).i32Add().i32Const(4).i32Mul().get(dst).i32Add().set(out);
          f.get(out);
          f.get(sumLo).get(d1).f64x2Div().get(d2).f64x2Div().f32x4DemoteF64x2Zero();
          f.get(sumHi).get(d1).f64x2Div().get(d2).f64x2Div().f32x4DemoteF64x2Zero();
          f.i8x16Shuffle(JOIN).v128Store(0);
          f.addTo(ow, 4);
          f.get(ow).get(end).i32LtS().brIf(0);
        });
        f.get(end).set(ow);
      });
      oneByOne(wo);
      f.addTo(oh, 1);
      f.get(oh).get(ho).i32LtS().brIf(0);
    });
    f.get(src).get(h).get(w).i32Mul().i32Const(4).i32Mul().i32Add().set(src);
    f.get(ho).get(wo).i32Mul().i32Const(4).i32Mul().get(dst).i32Add().set(dst);
    f.get(plane).i32Const(1).i32Sub().tee(plane).brIf(0);
  });
  return f;
}

/**
 * avgpoolPaddedBackward(dy, dx, planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, flags): the backward of avgpoolP1/P2's
 * windows: per plane dX = 0, then for each output q in order, g = dY[q] / d1 / d2 (float64: avgpoolP's divisors) and
 * dX[t] = f32(dX[t] + g) over its window cut to the input, in window order: the generated loop's order and roundings.
 */
export function avgpoolPaddedBackwardKernel(): FunctionBuilder {
  const f = new FunctionBuilder('avgpoolPBackward', Array<ValType>(14).fill(ValType.i32));
  const [dy, dx, planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, flags] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const plane = f.local(ValType.i32), oh = f.local(ValType.i32), ow = f.local(ValType.i32), i = f.local(ValType.i32), j = f.local(ValType.i32);
  const h0 = f.local(ValType.i32), hs = f.local(ValType.i32), he = f.local(ValType.i32), rows = f.local(ValType.i32);
  const w0 = f.local(ValType.i32), ws = f.local(ValType.i32), we = f.local(ValType.i32), cols = f.local(ValType.i32);
  const a = f.local(ValType.i32), twice = f.local(ValType.i32), exclude = f.local(ValType.i32);
  const g = f.local(ValType.f64);
  f.get(flags).i32Const(AVG_EXCLUDE_PAD).i32And().set(exclude);
  f.get(flags).i32Const(AVG_TWICE).i32And().set(twice);
  f.get(planes).set(plane);
  f.loop(() => {
    f.get(dx).i32Const(0).get(h).get(w).i32Mul().i32Const(4).i32Mul().memoryFill(); // the bits of +0.0f
    f.i32Const(0).set(oh);
    f.loop(() => {
      f.get(oh).get(sh).i32Mul().get(ph).i32Sub().set(h0);
      f.get(h0).get(kh).i32Add().set(he);
      f.get(h).get(he).get(he).get(h).i32GtS().select().set(he);
      f.i32Const(0).get(h0).get(h0).i32Const(0).i32LtS().select().set(hs);
      f.get(h0).get(kh).i32Add().set(rows);
      f.get(h).get(ph).i32Add().get(rows).get(rows).get(h).get(ph).i32Add().i32GtS().select().get(h0).i32Sub().set(rows);
      f.get(he).get(hs).i32Sub().get(rows).get(exclude).get(twice).i32Or().select().set(rows);
      f.i32Const(0).set(ow);
      f.loop(() => {
        f.get(ow).get(sw).i32Mul().get(pw).i32Sub().set(w0);
        f.get(w0).get(kw).i32Add().set(we);
        f.get(w).get(we).get(we).get(w).i32GtS().select().set(we);
        f.i32Const(0).get(w0).get(w0).i32Const(0).i32LtS().select().set(ws);
        f.get(w0).get(kw).i32Add().set(cols);
        f.get(w).get(pw).i32Add().get(cols).get(cols).get(w).get(pw).i32Add().i32GtS().select().get(w0).i32Sub().set(cols);
        f.get(we).get(ws).i32Sub().get(cols).get(exclude).get(twice).i32Or().select().set(cols);
        f.get(dy).f32Load(0).f64PromoteF32();
        f.get(rows).get(rows).get(cols).i32Mul().get(twice).select().f64ConvertI32S().f64Div();
        f.get(cols).i32Const(1).get(twice).select().f64ConvertI32S().f64Div().set(g);
        f.get(hs).set(i);
        f.block(() => f.loop(() => {
          f.get(i).get(he).i32LtS().i32Eqz().brIf(1);
          f.get(ws).set(j);
          f.block(() => f.loop(() => {
            f.get(j).get(we).i32LtS().i32Eqz().brIf(1);
            f.get(dx).get(i).get(w).i32Mul().get(j).i32Add().i32Const(4).i32Mul().i32Add().set(a);
            f.get(a).get(a).f32Load(0).f64PromoteF32().get(g).f64Add().f32DemoteF64().f32Store(0);
            f.addTo(j, 1);
            f.br(0);
          }));
          f.addTo(i, 1);
          f.br(0);
        }));
        f.addTo(dy, 4);
        f.addTo(ow, 1);
        f.get(ow).get(wo).i32LtS().brIf(0);
      });
      f.addTo(oh, 1);
      f.get(oh).get(ho).i32LtS().brIf(0);
    });
    f.get(h).get(w).i32Mul().i32Const(4).i32Mul().get(dx).i32Add().set(dx);
    f.get(plane).i32Const(1).i32Sub().tee(plane).brIf(0);
  });
  return f;
}

/** The side module of avgpool2d's cut windows and adaptive_avgpool2d's uniform ones (side.ts). */
export function avgpoolPaddedModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([avgpoolPaddedKernel(1), avgpoolPaddedKernel(2), avgpoolPaddedBackwardKernel()], memory);
}

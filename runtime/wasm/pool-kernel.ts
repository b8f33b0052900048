// maxpool2d forward without padding, in wasm: maxpool(src, dst, arg, planes, h, w, ho, wo, kh, kw,
// sh, sw), byte addresses for src (the [planes, h, w] input), dst (the [planes, ho, wo] output) and
// arg (i32: each output's argmax, an index in its input plane, as the generated code keeps it).
// PyTorch's rule (aten/src/ATen/native/cpu/MaxPoolKernel.cpp): the window's first element starts
// the maximum, then each later one replaces it when `v > max || isnan(v)` (a NaN wins, and of
// several NaNs the last). Written with select, not a branch: on activations half of the compares
// go either way, and the mispredicted branches were the cost of the JS loop.
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { HIGH, JOIN } from './batchnorm-kernel.js';
import { whileAtLeast } from './direct-kernel.js';

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
  whileAtLeast(f, planes, 1, 1, () => {
    f.get(dx).i32Const(0).get(inPlane).i32Const(4).i32Mul().memoryFill(); // the bits of +0.0f
    f.get(outPlane).set(k);
    whileAtLeast(f, k, 1, 1, () => {
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

/** avgpoolP1/P2's and avgpoolPBackward's flags (the last argument): count_include_pad off, divided twice (adaptive_avgpool2d's y = Σ / rows /
 *  columns), and no four-at-a-time part (a column stride the kernel's name does not have). */
export const AVG_EXCLUDE_PAD = 1, AVG_TWICE = 2, AVG_SCALAR = 4;

/** body() for every element (i, j) of the window rows [hs, he) × columns [ws, we), row by row; none where it is empty. */
function eachInWindow(f: FunctionBuilder, i: I32, j: I32, hs: I32, he: I32, ws: I32, we: I32, body: () => void): void {
  f.get(hs).set(i);
  f.block(() => f.loop(() => { // window rows
    f.get(i).get(he).i32LtS().i32Eqz().brIf(1);
    f.get(ws).set(j);
    f.block(() => f.loop(() => { // window columns
      f.get(j).get(we).i32LtS().i32Eqz().brIf(1);
      body();
      f.addTo(j, 1);
      f.br(0);
    }));
    f.addTo(i, 1);
    f.br(0);
  }));
}

/**
 * The window of output o on one axis (stride s, padding p, kernel k, input size n) cut to the input: x0 = o·s − p,
 * [xs, xe) = [max(x0, 0), min(x0 + k, n)), and count, the divisor's factor: count_include_pad's min(x0 + k, n + p) − x0
 * (k but where a ceil_mode window runs past the padded input), or where `summed` is nonzero the elements summed, xe − xs.
 */
function cutWindow(f: FunctionBuilder, o: I32, s: I32, p: I32, k: I32, n: I32, x0: I32, xs: I32, xe: I32, count: I32, summed: I32): void {
  f.get(o).get(s).i32Mul().get(p).i32Sub().set(x0);
  f.get(x0).get(k).i32Add().set(xe);
  f.get(n).get(xe).get(xe).get(n).i32GtS().select().set(xe);
  f.i32Const(0).get(x0).get(x0).i32Const(0).i32LtS().select().set(xs);
  f.get(x0).get(k).i32Add().set(count);
  f.get(n).get(p).i32Add().get(count).get(count).get(n).get(p).i32Add().i32GtS().select().get(x0).i32Sub().set(count);
  f.get(xe).get(xs).i32Sub().get(count).get(summed).select().set(count);
}

/**
 * avgpoolP1 / avgpoolP2(src, dst, planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, flags): any window, padding and
 * ceil_mode's windows past the input (the generated loops of pool2d.ts, unrolled or windowLoops, and
 * adaptive_avgpool2d's uniform windows with AVG_TWICE). A window is cut to the input, rows [hs, he) and columns [ws, we), and its sum runs over
 * those in window order from 0 in float64: (((0 + x₀) + x₁) + …). The divisor: count_include_pad's (rows and columns
 * of the window inside the padded input: min(h0 + kh, h + ph) − h0, which is kh but where a ceil_mode window runs past
 * it), or with AVG_EXCLUDE_PAD the elements summed, (he − hs)·(we − ws); AVG_TWICE divides by the rows, then by the
 * columns. Rounded once to float32: the loops' bits. Output columns whose windows lie wholly inside the row, where
 * there are at least four of them, go four at a time with the column stride of the function's name (each tap's four
 * inputs gathered as maxpoolS1/S2 do; the last group of a row starts at end − 4, writing some outputs again with the
 * same bits); the others one by one (any column stride; AVG_SCALAR: every output).
 */
export function avgpoolKernel(simd: 1 | 2): FunctionBuilder {
  const f = new FunctionBuilder(`avgpoolP${simd}`, Array<ValType>(14).fill(ValType.i32));
  const [src, dst, planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, flags] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const plane = f.local(ValType.i32), oh = f.local(ValType.i32), ow = f.local(ValType.i32), i = f.local(ValType.i32), j = f.local(ValType.i32);
  const h0 = f.local(ValType.i32), hs = f.local(ValType.i32), he = f.local(ValType.i32), rows = f.local(ValType.i32);
  const w0 = f.local(ValType.i32), ws = f.local(ValType.i32), we = f.local(ValType.i32), cols = f.local(ValType.i32);
  const lo = f.local(ValType.i32), end = f.local(ValType.i32), a = f.local(ValType.i32), out = f.local(ValType.i32);
  const twice = f.local(ValType.i32), summed = f.local(ValType.i32);
  const acc = f.local(ValType.f64);
  const v = f.local(ValType.v128), sumLo = f.local(ValType.v128), sumHi = f.local(ValType.v128), d1 = f.local(ValType.v128), d2 = f.local(ValType.v128);
  f.get(flags).i32Const(AVG_TWICE).i32And().set(twice);
  f.get(flags).i32Const(AVG_EXCLUDE_PAD | AVG_TWICE).i32And().set(summed); // divisors of the elements summed
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
   *  float64 d1 and d2 in both lanes of a vector: y = Σ / d1, then / d2 with AVG_TWICE (rows·cols, or rows then cols). */
  const divisors = (): void => {
    f.get(rows).get(rows).get(cols).i32Mul().get(twice).select().f64ConvertI32S().f64x2Splat().set(d1);
    f.get(cols).f64ConvertI32S().f64x2Splat().set(d2);
  };
  /** One output at a time over the columns [ow, to): its window cut to the input's columns. */
  const oneByOne = (to: I32): void => {
    f.block(() => f.loop(() => {
      f.get(ow).get(to).i32LtS().i32Eqz().brIf(1);
      cutWindow(f, ow, sw, pw, kw, w, w0, ws, we, cols, summed);
      f.f64Const(0).set(acc);
      eachInWindow(f, i, j, hs, he, ws, we, () => {
        f.get(acc).get(src).get(i).get(w).i32Mul().get(j).i32Add().i32Const(4).i32Mul().i32Add().f32Load(0).f64PromoteF32().f64Add().set(acc);
      });
      divisors();
      f.get(acc).get(d1).f64x2ExtractLane(0).f64Div().set(acc);
      f.get(twice).ifElse(() => f.get(acc).get(d2).f64x2ExtractLane(0).f64Div().set(acc));
      f.get(oh).get(wo).i32Mul().get(ow).i32Add().i32Const(4).i32Mul().get(dst).i32Add().get(acc).f32DemoteF64().f32Store(0);
      f.addTo(ow, 1);
      f.br(0);
    }));
  };
  f.get(planes).set(plane);
  f.loop(() => { // planes (sample · channel)
    f.i32Const(0).set(oh);
    f.loop(() => { // output rows: the window's rows cut to [hs, he), the same for every output of the row
      cutWindow(f, oh, sh, ph, kh, h, h0, hs, he, rows, summed);
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
          f.get(sumLo).get(d1).f64x2Div().set(sumLo);
          f.get(sumHi).get(d1).f64x2Div().set(sumHi);
          f.get(twice).ifElse(() => {
            f.get(sumLo).get(d2).f64x2Div().set(sumLo);
            f.get(sumHi).get(d2).f64x2Div().set(sumHi);
          });
          f.get(out).get(sumLo).f32x4DemoteF64x2Zero().get(sumHi).f32x4DemoteF64x2Zero().i8x16Shuffle(JOIN).v128Store(0);
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
 * avgpoolPBackward(dy, dx, planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, flags): the backward of avgpoolP1/P2's
 * windows: per plane dX = 0, then for each output q in order, g = dY[q] / d1 (/ d2) (float64: avgpoolP's divisors) and
 * dX[t] = f32(dX[t] + g) over its window cut to the input, in window order: the generated loop's order and roundings.
 */
export function avgpoolBackwardKernel(): FunctionBuilder {
  const f = new FunctionBuilder('avgpoolPBackward', Array<ValType>(14).fill(ValType.i32));
  const [dy, dx, planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, flags] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const plane = f.local(ValType.i32), oh = f.local(ValType.i32), ow = f.local(ValType.i32), i = f.local(ValType.i32), j = f.local(ValType.i32);
  const h0 = f.local(ValType.i32), hs = f.local(ValType.i32), he = f.local(ValType.i32), rows = f.local(ValType.i32);
  const w0 = f.local(ValType.i32), ws = f.local(ValType.i32), we = f.local(ValType.i32), cols = f.local(ValType.i32);
  const a = f.local(ValType.i32), twice = f.local(ValType.i32), summed = f.local(ValType.i32);
  const g = f.local(ValType.f64);
  f.get(flags).i32Const(AVG_TWICE).i32And().set(twice);
  f.get(flags).i32Const(AVG_EXCLUDE_PAD | AVG_TWICE).i32And().set(summed);
  f.get(planes).set(plane);
  f.loop(() => {
    f.get(dx).i32Const(0).get(h).get(w).i32Mul().i32Const(4).i32Mul().memoryFill(); // the bits of +0.0f
    f.i32Const(0).set(oh);
    f.loop(() => {
      cutWindow(f, oh, sh, ph, kh, h, h0, hs, he, rows, summed);
      f.i32Const(0).set(ow);
      f.loop(() => {
        cutWindow(f, ow, sw, pw, kw, w, w0, ws, we, cols, summed);
        f.get(dy).f32Load(0).f64PromoteF32().get(rows).get(rows).get(cols).i32Mul().get(twice).select().f64ConvertI32S().f64Div().set(g);
        f.get(twice).ifElse(() => f.get(g).get(cols).f64ConvertI32S().f64Div().set(g));
        eachInWindow(f, i, j, hs, he, ws, we, () => {
          f.get(dx).get(i).get(w).i32Mul().get(j).i32Add().i32Const(4).i32Mul().i32Add().set(a);
          f.get(a).get(a).f32Load(0).f64PromoteF32().get(g).f64Add().f32DemoteF64().f32Store(0);
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

/** avgpool2d's side module (side.ts): every window, and adaptive_avgpool2d's uniform ones. */
export function avgpoolModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([avgpoolKernel(1), avgpoolKernel(2), avgpoolBackwardKernel()], memory);
}

/**
 * The adaptive pools' windows from tables (adaptive_avgpool2d and adaptive_maxpool2d where the windows differ in size,
 * plan.ts adaptiveWindows), at byte address tab: i32 hs[ho], he[ho], ws[wo], we[wo]; output (oh, ow) pools input rows
 * [hs[oh], he[oh]) and columns [ws[ow], we[ow]), in window order, one output at a time (scalar: such windows are small
 * and few). The generated loops' arithmetic, so their bits:
 * - adaptiveAvg(src, dst, planes, h, w, ho, wo, tab): y = (((0 + x₀) + x₁) + …) / rows / columns in float64, rounded once;
 * - adaptiveAvgBackward(dy, dx, planes, h, w, ho, wo, tab): per plane dX = 0, then g = dY[q] / rows / columns and
 *   dX[t] = f32(dX[t] + g) over each window, outputs in order;
 * - adaptiveMax(src, dst, arg, planes, h, w, ho, wo, tab): maxpool's rule (from −∞ with the first element as the argmax,
 *   `v > best || isnan(v)`), the argmax an index in the input plane (its backward is maxpoolBackward's).
 */
function adaptiveKernel(kind: 'adaptiveAvg' | 'adaptiveAvgBackward' | 'adaptiveMax'): FunctionBuilder {
  const max = kind === 'adaptiveMax', backward = kind === 'adaptiveAvgBackward';
  const f = new FunctionBuilder(kind, Array<ValType>(max ? 9 : 8).fill(ValType.i32));
  const ps = f.params as I32[];
  const [src, dst] = ps as [I32, I32];
  const arg = max ? ps[2]! : null;
  const [planes, h, w, ho, wo, tab] = ps.slice(max ? 3 : 2) as [I32, I32, I32, I32, I32, I32];
  const plane = f.local(ValType.i32), oh = f.local(ValType.i32), ow = f.local(ValType.i32), i = f.local(ValType.i32), j = f.local(ValType.i32);
  const hs = f.local(ValType.i32), he = f.local(ValType.i32), ws = f.local(ValType.i32), we = f.local(ValType.i32);
  const t = f.local(ValType.i32), out = f.local(ValType.i32), take = f.local(ValType.i32), at = f.local(ValType.i32);
  const acc = f.local(ValType.f64), best = f.local(ValType.f32), v = f.local(ValType.f32);
  /** The i32 at tab + 4·(base + index). */
  const entry = (base: () => void, index: I32): void => {
    base();
    f.get(index).i32Add().i32Const(4).i32Mul().get(tab).i32Add().i32Load(0);
  };
  /** acc ← Σ / rows / columns (avg) on the stack as f64: the forward's y and the backward's g. */
  const divide = (): void => {
    f.get(he).get(hs).i32Sub().f64ConvertI32S().f64Div().get(we).get(ws).i32Sub().f64ConvertI32S().f64Div();
  };
  f.get(planes).set(plane);
  f.loop(() => {
    if (backward) f.get(dst).i32Const(0).get(h).get(w).i32Mul().i32Const(4).i32Mul().memoryFill(); // dX = +0.0f
    f.i32Const(0).set(oh);
    f.loop(() => {
      entry(() => f.i32Const(0), oh); f.set(hs);
      entry(() => f.get(ho), oh); f.set(he);
      f.i32Const(0).set(ow);
      f.loop(() => {
        entry(() => f.get(ho).get(ho).i32Add(), ow); f.set(ws);
        entry(() => f.get(ho).get(ho).i32Add().get(wo).i32Add(), ow); f.set(we);
        f.get(oh).get(wo).i32Mul().get(ow).i32Add().i32Const(4).i32Mul().set(out);
        if (backward) {
          f.get(src).get(out).i32Add().f32Load(0).f64PromoteF32();
          divide();
          f.set(acc);
        } else if (max) {
          f.f32Const(-Infinity).set(best);
          f.get(hs).get(w).i32Mul().get(ws).i32Add().set(at);
        } else {
          f.f64Const(0).set(acc);
        }
        eachInWindow(f, i, j, hs, he, ws, we, () => {
          f.get(i).get(w).i32Mul().get(j).i32Add().set(t);
          if (backward) {
            f.get(dst).get(t).i32Const(4).i32Mul().i32Add().set(take);
            f.get(take).get(take).f32Load(0).f64PromoteF32().get(acc).f64Add().f32DemoteF64().f32Store(0);
          } else if (max) {
            f.get(src).get(t).i32Const(4).i32Mul().i32Add().f32Load(0).set(v);
            f.get(v).get(best).f32Gt().get(v).get(v).f32Ne().i32Or().set(take);
            f.get(v).get(best).get(take).select().set(best);
            f.get(t).get(at).get(take).select().set(at);
          } else {
            f.get(acc).get(src).get(t).i32Const(4).i32Mul().i32Add().f32Load(0).f64PromoteF32().f64Add().set(acc);
          }
        });
        if (max) {
          f.get(dst).get(out).i32Add().get(best).f32Store(0);
          f.get(arg!).get(out).i32Add().get(at).i32Store(0);
        } else if (!backward) {
          f.get(dst).get(out).i32Add();
          f.get(acc);
          divide();
          f.f32DemoteF64().f32Store(0);
        }
        f.addTo(ow, 1);
        f.get(ow).get(wo).i32LtS().brIf(0);
      });
      f.addTo(oh, 1);
      f.get(oh).get(ho).i32LtS().brIf(0);
    });
    // next plane: the input side (src, or dX backward) by h·w, the output side (dst, arg; dY backward) by ho·wo
    const inPlane = (): void => { f.get(h).get(w).i32Mul().i32Const(4).i32Mul(); };
    const outPlane = (): void => { f.get(ho).get(wo).i32Mul().i32Const(4).i32Mul(); };
    f.get(src); (backward ? outPlane : inPlane)(); f.i32Add().set(src);
    f.get(dst); (backward ? inPlane : outPlane)(); f.i32Add().set(dst);
    if (max) { f.get(arg!); outPlane(); f.i32Add().set(arg!); }
    f.get(plane).i32Const(1).i32Sub().tee(plane).brIf(0);
  });
  return f;
}

/** The side module of the adaptive pools' table windows (side.ts). */
export function adaptivePoolModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([adaptiveKernel('adaptiveAvg'), adaptiveKernel('adaptiveAvgBackward'), adaptiveKernel('adaptiveMax')], memory);
}

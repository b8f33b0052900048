// batchnorm2d's per-channel passes in wasm (batchnorm.ts calls them for float32 arrays in wasm memory).
// A channel is n runs of `count` floats, `stride` bytes apart, from p (byte addresses): sample s's
// plane of channel c. Every sum and every formula is float64, as the generated JS loop computes it:
//   bnSum(p, n, count, stride) → Σ x
//   bnSqDev(p, n, count, stride, m) → Σ (x − m)²
//   bnAffine(p, q, n, count, stride, a, b): y = f32(x·a + b)
//   bnGradSums(pX, pD, n, count, stride, m, out): out[0] = Σ dY, out[1] = Σ dY·(x − m) (two f64 at out)
//   bnGradInput(pX, pD, pO, n, count, stride, m, mdy, proj, g): dX = f32(((dY − mdy) − (x − m)·proj)·g)
// (bn-prefixed: the workers see every side module's exports in one object, gemm-part.js.)
// Four floats at a time as two f64x2 halves; affine and gradInput give the loop's bits exactly (the same
// float64 operations, one rounding to float32). The sums take eight floats a step into two sets of
// partial sums (floats 0-3 and 4-7 of each eight; a last group of four joins the first set), eight
// partial sums and the tail's, added at the end: they may differ from the loop's sequential sum in the
// last bits of a float64. Two sets, not one: each f64x2 add waits for the one before it (about three
// cycles), and with one set that chain held the pass up. 32×16×28×28 floats (resnet-mini's stem), medians of
// 41 calls, 1 thread, 2-core AMD EPYC: bnSum 121 → 100 µs, bnSqDev 155 → 142, bnGradSums 246 → 232 (the rest
// is memory: the passes read 1.6 MB, past L2).
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { floats, floatSteps } from './elementwise-kernel.js';

type I32 = Local<ValType.i32>;
type F64 = Local<ValType.f64>;
type V128 = Local<ValType.v128>;
const { i32, f64, v128 } = ValType;

/** Lanes 2 and 3 moved to 0 and 1, for promote_low. */
export const HIGH = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** Lanes 0-1 of a, then lanes 0-1 of b: two demoted halves joined. */
export const JOIN = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

export function batchnormModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([sum(), sqDev(), affine(), gradSums(), gradInput()], memory);
}

/**
 * For each of the n runs: `vector` on its whole vectors, `scalar` on the rest (elementwise-kernel.ts
 * floats: the pointers advance 16 then 4 bytes); `runs` holds the pointers to the runs' starts, moved
 * `stride` bytes after each run.
 */
function channel(f: FunctionBuilder, n: I32, count: I32, stride: I32, runs: readonly I32[], vector: (at: readonly I32[]) => void, scalar: (at: readonly I32[]) => void): void {
  runsOf(f, n, stride, runs, (at) => floats(f, count, at, () => vector(at), () => scalar(at)));
}

/** For each of the n runs: `body` with pointers `at` to the run's starts; `runs` moved `stride` bytes after each run. */
function runsOf(f: FunctionBuilder, n: I32, stride: I32, runs: readonly I32[], body: (at: readonly I32[]) => void): void {
  const s = f.local(i32);
  const at = runs.map(() => f.local(i32));
  f.get(n).set(s);
  f.block(() => f.loop(() => {
    f.get(s).i32Eqz().brIf(1);
    runs.forEach((r, i) => f.get(r).set(at[i]!));
    body(at);
    for (const r of runs) f.addTo(r, stride);
    f.get(s).i32Const(1).i32Sub().set(s);
    f.br(0);
  }));
}

/** channel's loops for the sums: `eight` on each whole eight floats of a run, `four` on a last four, `scalar` on the
 *  rest (the pointers advance 32, 16, then 4 bytes). */
function channelSums(f: FunctionBuilder, n: I32, count: I32, stride: I32, runs: readonly I32[], eight: (at: readonly I32[]) => void,
  four: (at: readonly I32[]) => void, scalar: (at: readonly I32[]) => void): void {
  runsOf(f, n, stride, runs, (at) => floatSteps(f, count, at, [[8, () => eight(at)], [4, () => four(at)], [1, () => scalar(at)]]));
}

/** a += b, f64x2 locals. */
function fold(f: FunctionBuilder, a: V128, b: V128): void {
  f.get(a).get(b).f64x2Add().set(a);
}

/** The f64x2 of x's lanes 0-1 (high: 2-3), x a v128 local. */
function half(f: FunctionBuilder, x: V128, high: boolean): void {
  f.get(x);
  if (high) f.get(x).i8x16Shuffle(HIGH);
  f.f64x2PromoteLowF32x4();
}

/** The total of two f64x2 partial sums and a scalar one: (a0 + a1) + (b0 + b1) + t. */
function total(f: FunctionBuilder, a: V128, b: V128, t: F64): void {
  f.get(a).f64x2ExtractLane(0).get(a).f64x2ExtractLane(1).f64Add();
  f.get(b).f64x2ExtractLane(0).get(b).f64x2ExtractLane(1).f64Add().f64Add();
  f.get(t).f64Add();
}

function sum(): FunctionBuilder {
  const f = new FunctionBuilder('bnSum', [i32, i32, i32, i32], [f64]);
  const [p, n, count, stride] = f.params as [I32, I32, I32, I32];
  const lo = [f.local(v128), f.local(v128)], hi = [f.local(v128), f.local(v128)], t = f.local(f64), x = f.local(v128);
  const add = (a: I32, offset: number, set: number): void => {
    f.get(a).v128Load(offset).set(x);
    f.get(lo[set]!); half(f, x, false); f.f64x2Add().set(lo[set]!);
    f.get(hi[set]!); half(f, x, true); f.f64x2Add().set(hi[set]!);
  };
  channelSums(f, n, count, stride, [p], ([a]) => { add(a!, 0, 0); add(a!, 16, 1); }, ([a]) => add(a!, 0, 0), ([a]) => {
    f.get(t).get(a!).f32Load(0).f64PromoteF32().f64Add().set(t);
  });
  fold(f, lo[0]!, lo[1]!); fold(f, hi[0]!, hi[1]!);
  total(f, lo[0]!, hi[0]!, t);
  return f;
}

function sqDev(): FunctionBuilder {
  const f = new FunctionBuilder('bnSqDev', [i32, i32, i32, i32, f64], [f64]);
  const [p, n, count, stride] = f.params as [I32, I32, I32, I32];
  const m = f.params[4] as F64;
  const lo = [f.local(v128), f.local(v128)], hi = [f.local(v128), f.local(v128)], t = f.local(f64), x = f.local(v128), mv = f.local(v128), d = f.local(v128), ds = f.local(f64);
  f.get(m).f64x2Splat().set(mv);
  const add = (a: I32, offset: number, set: number): void => {
    f.get(a).v128Load(offset).set(x);
    for (const [acc, high] of [[lo[set]!, false], [hi[set]!, true]] as const) {
      half(f, x, high); f.get(mv).f64x2Sub().set(d);
      f.get(acc).get(d).get(d).f64x2Mul().f64x2Add().set(acc);
    }
  };
  channelSums(f, n, count, stride, [p], ([a]) => { add(a!, 0, 0); add(a!, 16, 1); }, ([a]) => add(a!, 0, 0), ([a]) => {
    f.get(a!).f32Load(0).f64PromoteF32().get(m).f64Sub().set(ds);
    f.get(t).get(ds).get(ds).f64Mul().f64Add().set(t);
  });
  fold(f, lo[0]!, lo[1]!); fold(f, hi[0]!, hi[1]!);
  total(f, lo[0]!, hi[0]!, t);
  return f;
}

function affine(): FunctionBuilder {
  const f = new FunctionBuilder('bnAffine', [i32, i32, i32, i32, i32, f64, f64]);
  const [p, q, n, count, stride] = f.params as [I32, I32, I32, I32, I32];
  const A = f.params[5] as F64, B = f.params[6] as F64;
  const av = f.local(v128), bv = f.local(v128), x = f.local(v128);
  f.get(A).f64x2Splat().set(av);
  f.get(B).f64x2Splat().set(bv);
  channel(f, n, count, stride, [p, q], ([s, d]) => {
    f.get(s!).v128Load(0).set(x);
    f.get(d!);
    for (const high of [false, true]) {
      half(f, x, high);
      f.get(av).f64x2Mul().get(bv).f64x2Add().f32x4DemoteF64x2Zero();
    }
    f.i8x16Shuffle(JOIN).v128Store(0);
  }, ([s, d]) => {
    f.get(d!).get(s!).f32Load(0).f64PromoteF32().get(A).f64Mul().get(B).f64Add().f32DemoteF64().f32Store(0);
  });
  return f;
}

function gradSums(): FunctionBuilder {
  const f = new FunctionBuilder('bnGradSums', [i32, i32, i32, i32, i32, f64, i32]);
  const [pX, pD, n, count, stride] = f.params as [I32, I32, I32, I32, I32];
  const m = f.params[5] as F64, out = f.params[6] as I32;
  // Per set: Σ dY in s (lanes 0-1, 2-3), Σ dY·(x − m) in q.
  const sums = [0, 1].map(() => ({ s: [f.local(v128), f.local(v128)], q: [f.local(v128), f.local(v128)] }));
  const ts = f.local(f64), tp = f.local(f64);
  const x = f.local(v128), d = f.local(v128), mv = f.local(v128), dh = f.local(v128), ds = f.local(f64);
  f.get(m).f64x2Splat().set(mv);
  const add = (a: I32, b: I32, offset: number, set: number): void => {
    f.get(a).v128Load(offset).set(x);
    f.get(b).v128Load(offset).set(d);
    for (const h of [0, 1]) {
      const sAcc = sums[set]!.s[h]!, pAcc = sums[set]!.q[h]!, high = h === 1;
      half(f, d, high); f.set(dh);
      f.get(sAcc).get(dh).f64x2Add().set(sAcc);
      f.get(pAcc).get(dh); half(f, x, high); f.get(mv).f64x2Sub().f64x2Mul().f64x2Add().set(pAcc);
    }
  };
  channelSums(f, n, count, stride, [pX, pD], ([a, b]) => { add(a!, b!, 0, 0); add(a!, b!, 16, 1); }, ([a, b]) => add(a!, b!, 0, 0), ([a, b]) => {
    f.get(b!).f32Load(0).f64PromoteF32().set(ds);
    f.get(ts).get(ds).f64Add().set(ts);
    f.get(tp).get(ds).get(a!).f32Load(0).f64PromoteF32().get(m).f64Sub().f64Mul().f64Add().set(tp);
  });
  const [A, B] = sums as [typeof sums[0], typeof sums[0]];
  for (const h of [0, 1]) { fold(f, A.s[h]!, B.s[h]!); fold(f, A.q[h]!, B.q[h]!); }
  f.get(out); total(f, A.s[0]!, A.s[1]!, ts); f.f64Store(0);
  f.get(out); total(f, A.q[0]!, A.q[1]!, tp); f.f64Store(8);
  return f;
}

function gradInput(): FunctionBuilder {
  const f = new FunctionBuilder('bnGradInput', [i32, i32, i32, i32, i32, i32, f64, f64, f64, f64]);
  const [pX, pD, pO, n, count, stride] = f.params as [I32, I32, I32, I32, I32, I32];
  const [m, mdy, proj, g] = f.params.slice(6) as [F64, F64, F64, F64];
  const mv = f.local(v128), mdyv = f.local(v128), projv = f.local(v128), gv = f.local(v128), x = f.local(v128), d = f.local(v128);
  f.get(m).f64x2Splat().set(mv);
  f.get(mdy).f64x2Splat().set(mdyv);
  f.get(proj).f64x2Splat().set(projv);
  f.get(g).f64x2Splat().set(gv);
  channel(f, n, count, stride, [pX, pD, pO], ([a, b, o]) => {
    f.get(a!).v128Load(0).set(x);
    f.get(b!).v128Load(0).set(d);
    f.get(o!);
    for (const high of [false, true]) {
      half(f, d, high); f.get(mdyv).f64x2Sub();
      half(f, x, high); f.get(mv).f64x2Sub().get(projv).f64x2Mul();
      f.f64x2Sub().get(gv).f64x2Mul().f32x4DemoteF64x2Zero();
    }
    f.i8x16Shuffle(JOIN).v128Store(0);
  }, ([a, b, o]) => {
    f.get(o!);
    f.get(b!).f32Load(0).f64PromoteF32().get(mdy).f64Sub();
    f.get(a!).f32Load(0).f64PromoteF32().get(m).f64Sub().get(proj).f64Mul();
    f.f64Sub().get(g).f64Mul().f32DemoteF64().f32Store(0);
  });
  return f;
}

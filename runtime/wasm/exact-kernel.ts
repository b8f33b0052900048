// The activations whose wasm kernels give exactly the bits of the generated float32 module's loop
// (compiler/ir/activations.ts): the loop computes in float64 and rounds once when it stores, so these run the
// same float64 operations in the same order, two lanes at a time (f64x2), and round once. Over `count`
// floats: two pairs at a time, then one by one (the same lanes, one loaded); nothing past count is read
// or written.
//   hardswish(p, q, count):             y = x·c/6, c = x + 3 < 0 ? 0 : x + 3 > 6 ? 6 : x + 3
//   hardsigmoid(p, q, count):           y = c/6
//   hardswishBackward(pX, pD, pO, count):   o = x < −3 ? 0 : x ≤ 3 ? d·(x/3 + 1/2) : d
//   hardsigmoidBackward(pX, pD, pO, count): o = −3 < x < 3 ? d·fround(1/6) : 0
//   siluBackward(pX, pD, pO, count):    o = d·s·(1 + x·(1 − s)), s = 1/(1 + exp(−x))
// silu's exp is fdlibm's e_exp.c (Sun, 1993), the one V8 runs for Math.exp (src/base/ieee754.cc) and
// SpiderMonkey too, with each branch computed in every lane and the lane's one picked
// (test/runtime/exact-kernels.test.ts checks it against Math.exp and the loop's bits).
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { floats } from './elementwise-kernel.js';

type I32 = Local<ValType.i32>;
type V128 = Local<ValType.v128>;

export function exactModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([
    lanes('hardswish', 1, hardswish(true)), lanes('hardsigmoid', 1, hardswish(false)),
    lanes('hardswishBackward', 2, hardswishGrad), lanes('hardsigmoidBackward', 2, hardsigmoidGrad),
    lanes('siluBackward', 2, siluGrad),
  ], memory);
}

/** A float64 constant in both lanes, held in a local set once, before the loop. */
export type Splat = (v: number) => V128;

/** Leaves the float64 result on the stack from the operands (float64 lanes; scratch locals as it likes). */
export type Body = (f: FunctionBuilder, operands: readonly V128[], k: Splat) => void;

/** name(p1 … pn, q, count): q[i] = body(p1[i] … pn[i]) in float64, rounded once to float32. */
function lanes(name: string, inputs: number, body: Body): FunctionBuilder {
  const f = new FunctionBuilder(name, Array<ValType>(inputs + 2).fill(ValType.i32));
  const pointers = f.params.slice(0, inputs + 1) as I32[];
  const count = f.params[inputs + 1] as I32;
  const k = constants(f, inputs, body);
  const operands = pointers.slice(0, inputs).map(() => f.local(ValType.v128));
  const step = (pair: boolean, offset: number): void => {
    pointers.slice(0, inputs).forEach((p, i) => {
      f.get(p);
      if (pair) f.v128Load64Zero(offset); else f.v128Load32Zero(offset);
      f.f64x2PromoteLowF32x4().set(operands[i]!);
    });
    f.get(pointers[inputs]!);
    body(f, operands, k);
    f.f32x4DemoteF64x2Zero();
    if (pair) f.v128Store64Lane(offset, 0); else f.v128Store32Lane(offset, 0);
  };
  // two pairs an iteration, each with its own scratch locals: the out-of-order core overlaps their chains
  floats(f, count, pointers, () => { step(true, 0); step(true, 8); }, () => step(false, 0));
  return f;
}

/** The constants `body` asks for (found by building it once on a scratch function), each splatted into a
 *  local of f at its start: the loop only reads them. */
export function constants(f: FunctionBuilder, inputs: number, body: Body): Splat {
  const key = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
  const wanted = new Map<string, number>();
  const scratch = new FunctionBuilder('scratch', []);
  const operands = Array.from({ length: inputs }, () => scratch.local(ValType.v128));
  body(scratch, operands, (v) => { wanted.set(key(v), v); return scratch.local(ValType.v128); });
  const made = new Map<string, V128>();
  for (const [name, v] of wanted) {
    const l = f.local(ValType.v128);
    f.f64Const(v).f64x2Splat().set(l);
    made.set(name, l);
  }
  return (v) => made.get(key(v))!;
}

/** x·c/6 (hardswish) or c/6 (hardsigmoid), c = x + 3 < 0 ? 0 : x + 3 > 6 ? 6 : x + 3: a NaN passes. */
function hardswish(times: boolean): Body {
  return (f, [x], k) => {
    const t = f.local(ValType.v128);
    f.get(x!).get(k(3)).f64x2Add().set(t);
    f.get(k(6)).get(t).get(t).get(k(6)).f64x2Gt().v128Bitselect();
    f.get(t).get(k(0)).f64x2Lt().v128Andnot();
    if (times) f.set(t).get(x!).get(t).f64x2Mul();
    f.get(k(6)).f64x2Div();
  };
}

// x < −3 ? 0 : x ≤ 3 ? d·(x/3 + 0.5) : d
const hardswishGrad: Body = (f, [x, d], k) => {
  f.get(d!).get(x!).get(k(3)).f64x2Div().get(k(0.5)).f64x2Add().f64x2Mul();
  f.get(d!).get(x!).get(k(3)).f64x2Le().v128Bitselect();
  f.get(x!).get(k(-3)).f64x2Lt().v128Andnot();
};

// −3 < x < 3 ? d·fround(1/6) : 0 (PyTorch's one_sixth, 1.0f / 6.0f)
const hardsigmoidGrad: Body = (f, [x, d], k) => {
  f.get(d!).get(k(Math.fround(1 / 6))).f64x2Mul();
  f.get(x!).get(k(-3)).f64x2Gt().get(x!).get(k(3)).f64x2Lt().v128And().v128And();
};

// d·s·(1 + x·(1 − s)), s = 1/(1 + exp(−x)), in the loop's order: (d·s)·(1 + x·(1 − s))
const siluGrad: Body = (f, [x, d], k) => {
  const s = f.local(ValType.v128);
  f.get(x!).f64x2Neg().set(s);
  exp(f, s, k);
  f.set(s).get(k(1)).get(k(1)).get(s).f64x2Add().f64x2Div().set(s);
  f.get(d!).get(s).f64x2Mul();
  f.get(k(1)).get(x!).get(k(1)).get(s).f64x2Sub().f64x2Mul().f64x2Add().f64x2Mul();
};

/** A float64 from its two 32-bit words (the way fdlibm writes its thresholds). */
function words(high: number, low = 0): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, high);
  v.setUint32(4, low);
  return v.getFloat64(0);
}

const LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10, INV_LN2 = 1.44269504088896338700e+00;
const P = [4.13813679705723846039e-08, -1.65339022054652515390e-06, 6.61375632143793436117e-05, -2.77777777770155933842e-03, 1.66666666666666019037e-01];
const O_THRESHOLD = 7.09782712893383973096e+02, U_THRESHOLD = -7.45133219101941108420e+02;

/**
 * Leaves fdlibm's exp(a) on the stack, a a local (overwritten). fdlibm, by |a|'s high word hx:
 *   hx > 0x3fd62e42 (|a| > ln2/2): k = |a| < 1.5·ln2 ? ±1 : (int)(a/ln2 ± ½), hi = a − k·ln2hi, lo = k·ln2lo,
 *     r = hi − lo (k·ln2hi exact: ln2hi has 21 trailing zero bits); else k = 0, r = a.
 *   c = r − r²·P(r²); k = 0: 1 − ((r·c)/(c − 2) − r); else (1 − ((lo − (r·c)/(2 − c)) − hi))·2^k.
 *   Here the second form serves k = 0 too: with lo = 0 and hi = r it is the same operations on the same
 *   values ((r·c)/(2 − c) is −(r·c)/(c − 2) exactly), one division fewer; 2^k is two exact factors
 *   2^⌊k/2⌋·2^(k−⌊k/2⌋), so the one rounding is fdlibm's for every k (its k ≥ −1021, k = 1024 and k < −1021
 *   cases are each one rounding of the same product);
 *   |a| < 2^−28: 1 + a; a = 1: e (V8's fix of the last bit); a > o_threshold: ∞; a < u_threshold: 0;
 *   a NaN: a NaN (it passes through every operation).
 */
export function exp(f: FunctionBuilder, a: V128, k: Splat): void {
  const ax = f.local(ValType.v128), kf = f.local(ValType.v128), hi = f.local(ValType.v128), lo = f.local(ValType.v128);
  const r = f.local(ValType.v128), t = f.local(ValType.v128), c = f.local(ValType.v128), out = f.local(ValType.v128);
  const ki = f.local(ValType.v128), half = f.local(ValType.v128);
  const sign = (v: number): void => { f.get(k(v)).get(a).get(k(-0)).v128And().v128Or(); }; // v with a's sign
  f.get(a).f64x2Abs().set(ax);
  // k: ±1 below 1.5·ln2, else trunc(a/ln2 ± ½); 0 at or below ln2/2
  f.get(a).get(k(INV_LN2)).f64x2Mul();
  sign(0.5);
  f.f64x2Add().f64x2Trunc().set(kf);
  sign(1);
  f.get(kf).get(ax).get(k(words(0x3ff0a2b2))).f64x2Lt().v128Bitselect();
  f.get(ax).get(k(words(0x3fd62e43))).f64x2Ge().v128And().set(kf);
  // hi = a − k·ln2hi, lo = k·ln2lo, r = hi − lo (r = a where k = 0)
  f.get(a).get(kf).get(k(LN2_HI)).f64x2Mul().f64x2Sub().set(hi);
  f.get(kf).get(k(LN2_LO)).f64x2Mul().set(lo);
  f.get(hi).get(lo).f64x2Sub().set(r);
  // c = r − t·(P1 + t·(P2 + t·(P3 + t·(P4 + t·P5)))), t = r²
  f.get(r).get(r).f64x2Mul().set(t);
  f.get(r).get(t).get(k(P[0]!));
  for (const p of P.slice(1)) f.get(t).f64x2Mul().get(k(p)).f64x2Add();
  f.f64x2Mul().f64x2Sub().set(c);
  // k ≠ 0: (1 − ((lo − (r·c)/(2 − c)) − hi))·2^⌊k/2⌋·2^(k−⌊k/2⌋)
  f.get(k(1)).get(lo).get(r).get(c).f64x2Mul().get(k(2)).get(c).f64x2Sub().f64x2Div().f64x2Sub().get(hi).f64x2Sub().f64x2Sub();
  f.get(kf).i32x4TruncSatF64x2SZero().set(ki);
  f.get(ki).i32Const(1).i32x4ShrS().set(half);
  f.i32Const(1023).i32x4Splat().set(t);
  f.get(half).get(t).i32x4Add().i64x2ExtendLowI32x4S().i32Const(52).i64x2Shl().f64x2Mul();
  f.get(ki).get(half).i32x4Sub().get(t).i32x4Add().i64x2ExtendLowI32x4S().i32Const(52).i64x2Shl().f64x2Mul().set(out);
  // the special lanes, in fdlibm's order of tests (later ones win here)
  f.get(k(1)).get(a).f64x2Add().get(out).get(ax).get(k(2 ** -28)).f64x2Lt().v128Bitselect().set(out);
  f.get(k(Math.E)).get(out).get(a).get(k(1)).f64x2Eq().v128Bitselect().set(out);
  f.get(k(Infinity)).get(out).get(a).get(k(O_THRESHOLD)).f64x2Gt().v128Bitselect();
  f.get(a).get(k(U_THRESHOLD)).f64x2Lt().v128Andnot();
}

// The smooth activations in wasm SIMD, four float32 lanes at a time: tanh, sigmoid and silu forward, and
// tanh's and sigmoid's backward, over `count` floats (two vectors or two float64 lanes at a time, then the
// tail one lane at a time: nothing past count is read or written). In a generated module's JavaScript loop,
// Math.tanh and Math.exp cost ~19 ns an element (cnnc profile, LeNet-5's tanh_1 was a third of its training
// step).
//
// Forward, from exp by range reduction (Cephes' expf and tanhf, S. L. Moshier; the constants are theirs):
//   exp(a), a ≥ −104:  n = floor(a·log2(e) + ½), r = a − n·C1 − n·C2 (C1 + C2 = ln 2, C1 exact in 9 bits),
//                      e^r = 1 + r + r²·P(r), P of degree 5 (by Estrin's scheme); 2^n as two factors
//                      2^⌊n/2⌋·2^(n−⌊n/2⌋), each a normal float, so exp(a) down to the denormals comes out graded,
//                      not flushed.
//   tanh(x):  |x| < 0.625: |x| + |x|·x²·Q(x²), Q of degree 4; else 1 − 2/(exp(2·min(|x|, 9.5)) + 1)
//             (tanh(9.5) is 1 in float32); then x's sign. tanh(±0) = ±0, tanh(±∞) = ±1, NaN gives NaN.
//   sigmoid(x): e = exp(−|x|); x < 0 ? e/(1 + e) : 1/(1 + e), so no exp overflows and sigmoid of a
//             large negative x is its denormal, as torch.sigmoid's.
//   silu(x):  x·(x < 0 ? e : 1)/(1 + e), torch.nn.SiLU's x·sigmoid(x), within 3 ulp (four roundings after exp's: 71 of
//             the 36.75M values a dense sweep takes are 3 ulp off, near x = −1.87). Below x = −87.3, where e is a
//             denormal with few bits, it is held to an absolute 2^−140 instead (float32 PyTorch gives −0 there).
// Plain float32 mul and add, no FMA: the bits are the same on every engine and every run. They are not
// the generated loop's (Math.tanh / Math.exp in float64, rounded once): test/runtime/smooth-kernels.test.ts
// measures the largest difference, in units in the last place of float32.
//
// Backward, in float64 lanes (two at a time), so the bits are exactly the generated loop's (the same float64
// operations in the same order, then one rounding to float32):
//   tanhBackward(pY, pD, pO, count):    o = d·(1 − y·y)
//   sigmoidBackward(pY, pD, pO, count): o = d·y·(1 − y)
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { floats, floatSteps } from './elementwise-kernel.js';

type I32 = Local<ValType.i32>;
type V128 = Local<ValType.v128>;

/** The smooth activations' module, beside the gemm module (under the 4 KiB a browser compiles on its main thread). */
export function smoothModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([forward('tanh', tanh), forward('sigmoid', logistic(false)), forward('silu', logistic(true)),
    backward('tanhBackward', tanhGrad), backward('sigmoidBackward', sigmoidGrad)], memory);
}

/** A float32 constant in all four lanes, held in a local set once, before the loop. */
type Splat = (v: number) => V128;

/** Leaves f(x) on the stack, x a local (as many scratch locals as it likes). */
type Lanes = (f: FunctionBuilder, x: V128, k: Splat) => void;

/** name(p, q, count): q[i] = body(p[i]) over count floats; two vectors at a time, then one lane at a time. Two
 *  vectors a step give the core two independent chains: one body is a chain of ~25 dependent operations (the exp's
 *  range reduction, polynomial and scaling, a division), and one vector a step left tanh latency bound at 4.4 ns an
 *  element; two take it to 2.4 ns (4K to 1M floats, in L1 or not alike; a 2-core AMD EPYC). Four would pass the
 *  module's 4 KiB. */
function forward(name: string, body: Lanes): FunctionBuilder {
  const f = new FunctionBuilder(name, [ValType.i32, ValType.i32, ValType.i32]);
  const [p, q, count] = f.params as [I32, I32, I32];
  const k = constants(f, body);
  const x = [f.local(ValType.v128), f.local(ValType.v128)], y = [f.local(ValType.v128), f.local(ValType.v128)];
  floatSteps(f, count, [p, q], [[8, () => {
    for (let v = 0; v < 2; v++) f.get(p).v128Load(16 * v).set(x[v]!);
    for (let v = 0; v < 2; v++) {
      body(f, x[v]!, k);
      f.set(y[v]!);
    }
    for (let v = 0; v < 2; v++) f.get(q).get(y[v]!).v128Store(16 * v);
  }], [1, () => {
    f.get(p).v128Load32Zero(0).set(x[0]!);
    body(f, x[0]!, k);
    f.set(y[0]!).get(q).get(y[0]!).v128Store32Lane(0, 0);
  }]]);
  return f;
}

/** The constants `body` asks for (found by building it once on a scratch function), each splatted into a
 *  local of f here, at the start: the loop only reads them. */
function constants(f: FunctionBuilder, body: Lanes): Splat {
  const key = (v: number): string => (Object.is(v, -0) ? '-0' : String(Math.fround(v)));
  const wanted = new Map<string, number>();
  const scratch = new FunctionBuilder('scratch', []);
  body(scratch, scratch.local(ValType.v128), (v) => { wanted.set(key(v), v); return scratch.local(ValType.v128); });
  const made = new Map<string, V128>();
  for (const [k, v] of wanted) {
    const l = f.local(ValType.v128);
    f.f32Const(v).f32x4Splat().set(l);
    made.set(k, l);
  }
  return (v) => made.get(key(v))!;
}

const LOG2E = 1.44269504088896341;
const C1 = 0.693359375, C2 = -2.12194440e-4;
/** 1.5·2^23: a whole float n in (−2^22, 2^22) plus it has n + 0x4B400000 as its bits. */
const MAGIC = 12582912;
const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const TANH_Q = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];

/** Leaves exp(a) on the stack, a a local; lanes below −104 are taken as −104 (exp of it rounds to 0). */
function exp(f: FunctionBuilder, a: V128, k: Splat): void {
  const n = f.local(ValType.v128), r = f.local(ValType.v128), h = f.local(ValType.v128), bias = f.local(ValType.v128);
  // pmax, a single instruction where max is a sequence: a NaN in `a` passes (pmax(a, b) = a < b ? b : a)
  f.get(a).get(k(-104)).f32x4Pmax().set(a);
  f.get(a).get(k(LOG2E)).f32x4Mul().get(k(0.5)).f32x4Add().f32x4Floor().set(n);
  f.get(a).get(n).get(k(C1)).f32x4Mul().f32x4Sub().get(n).get(k(C2)).f32x4Mul().f32x4Sub().set(r);
  // P(r)·r² + r + 1, P = (p0·r + p1)·r⁴ + (p2·r + p3)·r² + (p4·r + p5) by Estrin's scheme: three short chains side by side
  // where Horner's is one of five multiply-adds, which a lane waits on (tanh 10–25% faster, sigmoid 5–11%, here)
  const r2 = f.local(ValType.v128);
  const [p0, p1, p2, p3, p4, p5] = EXP_P as [number, number, number, number, number, number];
  f.get(r).get(r).f32x4Mul().set(r2);
  f.get(k(p4)).get(r).f32x4Mul().get(k(p5)).f32x4Add();
  f.get(k(p2)).get(r).f32x4Mul().get(k(p3)).f32x4Add();
  f.get(k(p0)).get(r).f32x4Mul().get(k(p1)).f32x4Add();
  f.get(r2).f32x4Mul().f32x4Add().get(r2).f32x4Mul().f32x4Add();
  f.get(r2).f32x4Mul().get(r).f32x4Add().get(k(1)).f32x4Add();
  // · 2^n as 2^h · 2^(n − h), h = n >> 1: each exponent in [−75, 64], a normal float's
  // n to int32 as n + 1.5·2^23's bits − its own (n is whole, in [−150, 28]): an add and a subtract where
  // trunc_sat is a sequence without AVX-512
  f.i32Const(127).i32x4Splat().set(bias);
  f.get(n).get(k(MAGIC)).f32x4Add().get(k(MAGIC)).i32x4Sub().set(n);
  f.get(n).i32Const(1).i32x4ShrS().set(h);
  f.get(h).get(bias).i32x4Add().i32Const(23).i32x4Shl().f32x4Mul();
  f.get(n).get(h).i32x4Sub().get(bias).i32x4Add().i32Const(23).i32x4Shl().f32x4Mul();
}

const tanh: Lanes = (f, x, k) => {
  const ax = f.local(ValType.v128), z = f.local(ValType.v128), small = f.local(ValType.v128), large = f.local(ValType.v128);
  f.get(x).f32x4Abs().set(ax);
  // |x| < 0.625: |x| + |x|·z·Q(z), z = x², Q by Horner
  f.get(ax).get(ax).f32x4Mul().set(z);
  f.get(k(TANH_Q[0]!));
  for (const c of TANH_Q.slice(1)) f.get(z).f32x4Mul().get(k(c)).f32x4Add();
  f.get(z).f32x4Mul().get(ax).f32x4Mul().get(ax).f32x4Add().set(small);
  // else 1 − 2/(exp(2·min(|x|, 9.5)) + 1)
  f.get(ax).get(k(9.5)).f32x4Pmin().get(k(2)).f32x4Mul().set(large); // pmin: a NaN passes, as min's
  exp(f, large, k);
  f.set(large);
  f.get(k(1)).get(k(2)).get(large).get(k(1)).f32x4Add().f32x4Div().f32x4Sub().set(large);
  // the branch by |x|, then x's sign (both branches are ≥ 0, a NaN aside)
  f.get(small).get(large).get(ax).get(k(0.625)).f32x4Lt().v128Bitselect();
  f.get(x).get(k(-0)).v128And().v128Or();
};

/** sigmoid(x) = (x < 0 ? e : 1)/(1 + e), e = exp(−|x|); silu(x) = x·sigmoid(x). */
function logistic(silu: boolean): Lanes {
  return (f, x, k) => {
    const e = f.local(ValType.v128);
    f.get(x).f32x4Abs().f32x4Neg().set(e);
    exp(f, e, k);
    f.set(e);
    f.get(e).get(k(1)).get(x).get(k(0)).f32x4Lt().v128Bitselect();
    if (silu) f.get(x).f32x4Mul();
    f.get(k(1)).get(e).f32x4Add().f32x4Div();
  };
}

/** Leaves the float64 gradient on the stack from y and d (float64 lanes or scalars, by `vector`). */
type Grad = (f: FunctionBuilder, y: Local, d: Local, vector: boolean) => void;

/** name(pY, pD, pO, count): o = grad(y, d) in float64, rounded once; two elements at a time, then the last. */
function backward(name: string, grad: Grad): FunctionBuilder {
  const f = new FunctionBuilder(name, [ValType.i32, ValType.i32, ValType.i32, ValType.i32]);
  const [pY, pD, pO, count] = f.params as [I32, I32, I32, I32];
  const yv = f.local(ValType.v128), dv = f.local(ValType.v128), ys = f.local(ValType.f64), ds = f.local(ValType.f64);
  floats(f, count, [pY, pD, pO], () => {
    f.get(pY).v128Load64Zero(0).f64x2PromoteLowF32x4().set(yv);
    f.get(pD).v128Load64Zero(0).f64x2PromoteLowF32x4().set(dv);
    f.get(pO);
    grad(f, yv, dv, true);
    f.f32x4DemoteF64x2Zero().v128Store64Lane(0, 0);
  }, () => {
    f.get(pY).f32Load(0).f64PromoteF32().set(ys);
    f.get(pD).f32Load(0).f64PromoteF32().set(ds);
    f.get(pO);
    grad(f, ys, ds, false);
    f.f32DemoteF64().f32Store(0);
  }, 2);
  return f;
}

function one(f: FunctionBuilder, vector: boolean): FunctionBuilder {
  f.f64Const(1);
  return vector ? f.f64x2Splat() : f;
}

// d·(1 − y·y), as the loop's `dY[i] * (1 - v * v)`
const tanhGrad: Grad = (f, y, d, vector) => {
  const mul = (): FunctionBuilder => (vector ? f.f64x2Mul() : f.f64Mul());
  f.get(d);
  one(f, vector).get(y).get(y);
  mul();
  if (vector) f.f64x2Sub(); else f.f64Sub();
  mul();
};

// d·y·(1 − y), as the loop's `dY[i] * v * (1 - v)`
const sigmoidGrad: Grad = (f, y, d, vector) => {
  const mul = (): FunctionBuilder => (vector ? f.f64x2Mul() : f.f64Mul());
  f.get(d).get(y);
  mul();
  one(f, vector).get(y);
  if (vector) f.f64x2Sub(); else f.f64Sub();
  mul();
};

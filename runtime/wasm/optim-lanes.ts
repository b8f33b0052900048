// The float32 arithmetic the optimizer kernels (optim-kernel.ts) are written in, at two widths: four
// lanes (v128) and one (f32), the same operations in the same order, so a kernel's scalar tail rounds
// as its vectors do. Besides the IEEE float32 operations (each correctly rounded in wasm, as torch's
// per-op float32 tensors round), one more: fma, a·b + c rounded once to float32, which ATen's
// vectorized add(…, alpha=) / addcmul compute and wasm has no instruction for (relaxed madd may or may
// not fuse). The JavaScript of runtime/optim-more.ts computes the same values (fma32 there).
//
// fma here: a·b is exact in a double (24 + 24 bits); 2Sum gives s + e = a·b + c exactly; s rounded to
// odd (moved one double ulp toward the exact sum where that is inexact and s's last bit is even) and
// then to float32 is a·b + c correctly rounded: with 53 ≥ 24 + 2 bits, rounding to odd never lands on a
// float32 tie that the exact sum is not on (Boldo & Melquiond, "Emulation of FMA and correctly rounded
// sums: proved algorithms using rounding to odd", IEEE TC 2008). The same correctly rounded float32 as
// optim-more.ts's fma32, whose tie correction does the same job with branches; no branch here, so the
// four lanes run as two f64x2 halves: ~48 instructions for four lanes.
//
// Or, `fused`: relaxed SIMD's f32x4.relaxed_madd, one instruction, where the engine computes it fused (x64
// with FMA3, arm64). An engine may compute it unfused, but it chooses once for the whole execution (the
// relaxed-simd proposal's determinism rule), so optim-more.ts in this folder builds fused kernels only
// after a probe (fusedMaddProbe) saw it fused.
import { encodeModule, FunctionBuilder, ValType, type Local } from './encoder.js';

type I32 = Local<ValType.i32>;

/** One width's float32 operations on locals of `type` (a v128 of four float32, or one f32). */
export interface Lanes {
  readonly type: ValType.v128 | ValType.f32;
  /** Elements an iteration takes. */
  readonly lanes: number;
  /** The float32 (or four) at the address on the stack. */
  load(): void;
  /** Float32 number k at the address on the stack, in every lane. */
  loadScalar(k: number): void;
  /** Stores the value on top at the address below it. */
  store(): void;
  add(): void;
  sub(): void;
  mul(): void;
  div(): void;
  sqrt(): void;
  neg(): void;
  /** As Math.max: NaN if either is NaN, +0 over −0. */
  max(): void;
  /** a·b + c rounded once to float32, onto the stack (a, b, c locals of this width). */
  fma(a: Local, b: Local, c: Local): void;
}

const I64_ONES = [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]; // i64x2 (1, 1)
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]; // lanes 2, 3 of an f32x4 moved to 0, 1
const JOIN = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]; // lanes 0, 1 of a, then lanes 0, 1 of b

/** How fma is computed: emulated in double, or relaxed_madd (only where a probe saw the engine fuse it). */
export type Fma = 'emulated' | 'fused';

/** Four float32 lanes; fma in two f64x2 halves, or one relaxed_madd. */
export function fourLanes(f: FunctionBuilder, how: Fma): Lanes {
  const v = (): Local<ValType.v128> => f.local(ValType.v128);
  const [P, C, S, BP, E, H0, H1] = how === 'emulated' ? [v(), v(), v(), v(), v(), v(), v()] : [];
  return {
    type: ValType.v128, lanes: 4,
    load: () => void f.v128Load(0), loadScalar: (k) => void f.v128Load32Splat(4 * k), store: () => void f.v128Store(0),
    add: () => void f.f32x4Add(), sub: () => void f.f32x4Sub(), mul: () => void f.f32x4Mul(), div: () => void f.f32x4Div(),
    sqrt: () => void f.f32x4Sqrt(), neg: () => void f.f32x4Neg(), max: () => void f.f32x4Max(),
    fma(a, b, c) {
      if (how === 'fused') return void f.get(a).get(b).get(c).f32x4RelaxedMadd();
      for (const half of [0, 1] as const) {
        const widen = (x: Local): void => {
          f.get(x);
          if (half === 1) f.get(x).i8x16Shuffle(HIGH_HALF);
          f.f64x2PromoteLowF32x4();
        };
        widen(a); widen(b); f.f64x2Mul().set(P!);
        widen(c); f.set(C!);
        // 2Sum: s = p + c rounded, e = (p + c) − s exactly.
        f.get(P!).get(C!).f64x2Add().set(S!);
        f.get(S!).get(P!).f64x2Sub().set(BP!);
        f.get(P!).get(S!).get(BP!).f64x2Sub().f64x2Sub().get(C!).get(BP!).f64x2Sub().f64x2Add().set(E!);
        // s rounded to odd, on its bits: + (±1 toward e: +1 where e and s have one sign) where e ≠ 0 and s is even.
        f.get(S!);
        f.get(E!).get(S!).v128Xor().i32Const(63).i64x2ShrS().v128Const(I64_ONES).v128Or();
        f.get(E!).v128Zero().f64x2Lt().get(E!).v128Zero().f64x2Gt().v128Or(); // e ≠ 0 (and not NaN: s infinite)
        f.get(S!).v128Const(I64_ONES).v128And().v128Zero().i64x2Eq().v128And();
        f.v128And().i64x2Add();
        f.f32x4DemoteF64x2Zero().set(half === 0 ? H0! : H1!);
      }
      f.get(H0!).get(H1!).i8x16Shuffle(JOIN);
    },
  };
}

/** One float32 lane; fma in scalar f64, the same steps as a half of fourLanes', or relaxed_madd on lane 0. */
export function oneLane(f: FunctionBuilder, how: Fma): Lanes {
  const d = (): Local<ValType.f64> => f.local(ValType.f64);
  const P = d(), C = d(), S = d(), BP = d(), E = d();
  return {
    type: ValType.f32, lanes: 1,
    load: () => void f.f32Load(0), loadScalar: (k) => void f.f32Load(4 * k), store: () => void f.f32Store(0),
    add: () => void f.f32Add(), sub: () => void f.f32Sub(), mul: () => void f.f32Mul(), div: () => void f.f32Div(),
    sqrt: () => void f.f32Sqrt(), neg: () => void f.f32Neg(), max: () => void f.f32Max(),
    fma(a, b, c) {
      if (how === 'fused') return void f.get(a).f32x4Splat().get(b).f32x4Splat().get(c).f32x4Splat().f32x4RelaxedMadd().f32x4ExtractLane(0);
      f.get(a).f64PromoteF32().get(b).f64PromoteF32().f64Mul().set(P);
      f.get(c).f64PromoteF32().set(C);
      f.get(P).get(C).f64Add().set(S);
      f.get(S).get(P).f64Sub().set(BP);
      f.get(P).get(S).get(BP).f64Sub().f64Sub().get(C).get(BP).f64Sub().f64Add().set(E);
      f.get(S).i64ReinterpretF64();
      f.get(E).i64ReinterpretF64().get(S).i64ReinterpretF64().i64Xor().i64Const(63).i64ShrS().i64Const(1).i64Or();
      f.i64Const(0);
      f.get(E).f64Const(0).f64Lt().get(E).f64Const(0).f64Gt().i32Or();
      f.get(S).i64ReinterpretF64().i64Const(1).i64And().i64Eqz().i32And();
      f.select().i64Add().f64ReinterpretI64().f32DemoteF64();
    },
  };
}

/**
 * The loop of an elementwise kernel over n elements: four at a time while four are left, then one at a
 * time. `kernel(W)` emits what goes before its loop (scalars into locals) and returns the body of one
 * iteration; after each, every pointer moves on by W.lanes floats.
 */
export function elementLoops(f: FunctionBuilder, how: Fma, n: I32, pointers: readonly I32[], kernel: (W: Lanes) => () => void): void {
  for (const W of [fourLanes(f, how), oneLane(f, how)]) {
    const body = kernel(W);
    f.block(() => f.loop(() => {
      f.get(n).i32Const(W.lanes).i32LtU().brIf(1);
      body();
      for (const p of pointers) f.addTo(p, 4 * W.lanes);
      f.get(n).i32Const(W.lanes).i32Sub().set(n);
      f.br(0);
    }));
  }
}

/** A new local of W's type holding what `emit` leaves on the stack. */
export function value(f: FunctionBuilder, W: Lanes, emit: () => void): Local {
  const l = f.local(W.type);
  emit();
  f.set(l);
  return l;
}

/**
 * A module whose probe(at) stores (1 + 2^-12)·(1 − 2^-12) − 1 by relaxed_madd at `at`: four lanes, then lane 0 of
 * the one-lane form, as the kernels compute it. Fused, each is −2^-24; unfused, the product rounds to 1 and each is 0.
 */
export function fusedMaddProbe(): Uint8Array<ArrayBuffer> {
  const f = new FunctionBuilder('probe', [ValType.i32]);
  const [at] = f.params as [I32];
  const four = fourLanes(f, 'fused'), one = oneLane(f, 'fused');
  const operands = (W: Lanes, splat: boolean): [Local, Local, Local] =>
    [1 + 2 ** -12, 1 - 2 ** -12, -1].map((x) => value(f, W, () => { f.f32Const(x); if (splat) f.f32x4Splat(); })) as [Local, Local, Local];
  f.get(at); four.fma(...operands(four, true)); four.store();
  f.get(at); one.fma(...operands(one, false)); f.f32Store(16);
  return encodeModule([f], { shared: false, pages: 1 });
}

/** Whether this engine's relaxed_madd is fused (false where it has no relaxed SIMD). */
export function maddIsFused(): boolean {
  const bytes = fusedMaddProbe();
  if (!WebAssembly.validate(bytes)) return false;
  const memory = new WebAssembly.Memory({ initial: 1 });
  (new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports['probe'] as (at: number) => void)(0);
  return new Float32Array(memory.buffer, 0, 5).every((x) => x === -(2 ** -24));
}

// Elementwise kernels in wasm, four lanes at a time. In JS the same loops branch on the sign of
// each value, which mispredicts half the time on activations: measured ~6 ns per element in JS
// against ~1 ns here, copies into and out of wasm memory included.
//   relu(p, q, vectors):               q = pmax(p, 0) = p < 0 ? 0 : p  (a NaN passes, as torch.relu)
//   reluBackward(pY, pD, pX, vectors): x = y > 0 ? d : 0               (as threshold_backward(dY, y, 0))
// over `vectors` × 4 floats, from one place to another or in place (q = p, pX = pD): the caller
// rounds up, leaves room and ignores the extra lanes.
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';

type I32 = Local<ValType.i32>;

export function relu(): FunctionBuilder {
  const f = new FunctionBuilder('relu', [ValType.i32, ValType.i32, ValType.i32]);
  const [p, q, vectors] = f.params as [I32, I32, I32];
  const end = f.local(ValType.i32);
  f.get(p).get(vectors).i32Const(16).i32Mul().i32Add().set(end);
  f.block(() => f.loop(() => {
    f.get(p).get(end).i32LtU().i32Eqz().brIf(1);
    f.get(q).get(p).v128Load(0).v128Zero().f32x4Pmax().v128Store(0);
    f.addTo(p, 16).addTo(q, 16).br(0);
  }));
  return f;
}

export function reluBackward(): FunctionBuilder {
  const f = new FunctionBuilder('reluBackward', [ValType.i32, ValType.i32, ValType.i32, ValType.i32]);
  const [pY, pD, pX, vectors] = f.params as [I32, I32, I32, I32];
  const end = f.local(ValType.i32);
  f.get(pD).get(vectors).i32Const(16).i32Mul().i32Add().set(end);
  f.block(() => f.loop(() => {
    f.get(pD).get(end).i32LtU().i32Eqz().brIf(1);
    f.get(pX).get(pD).v128Load(0).get(pY).v128Load(0).v128Zero().f32x4Gt().v128And().v128Store(0);
    f.addTo(pD, 16).addTo(pY, 16).addTo(pX, 16).br(0);
  }));
  return f;
}

/** The activations' own module (beside the gemm module, which must stay under the 4 KiB browsers compile
 *  synchronously on the main thread), over the gemm module's memory. */
export function activationModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([leaky(), leakyBackward(), clamp(), clampBackward()], memory);
}

// The piecewise-linear activations, branch-free, over `count` floats (whole vectors, then a scalar
// tail: nothing past count is written), each with exactly its rule's semantics in float32
// (compiler/ir/activations.ts; the generated module's JS loop computes the same bits, its constants
// rounded to float32 as PyTorch's scalar_t ones are):
//   leaky(p, q, count, s):              q = x > 0 ? x : x·s              (leaky_relu; a NaN passes)
//   leakyBackward(pX, pD, pO, count, s): o = x > 0 ? d : d·s
//   clamp(p, q, count, lo, hi):          q = x < lo ? lo : x > hi ? hi : x (relu6, hardtanh; a NaN passes)
//   clampBackward(pX, pD, pO, count, lo, hi): o = lo < x < hi ? d : 0
type F32 = Local<ValType.f32>;
type V128 = Local<ValType.v128>;

/** count floats: `vector` on whole vectors of `lanes` floats (4 by default), then `scalar` on the rest, one by
 *  one; the pointers advance 4·lanes bytes, then 4. */
export function floats(f: FunctionBuilder, count: I32, pointers: readonly I32[], vector: () => void, scalar: () => void, lanes: 2 | 4 = 4): void {
  floatSteps(f, count, pointers, [[lanes, vector], [1, scalar]]);
}

/** count floats in steps of decreasing powers of two, the last 1 (e.g. [[8, eight], [4, four], [1, one]]): each body
 *  on every whole step of its size the larger steps left (the first as often as it fits, the others at most
 *  once less than the step before over theirs); the pointers advance 4·size bytes after each. */
export function floatSteps(f: FunctionBuilder, count: I32, pointers: readonly I32[], steps: readonly (readonly [number, () => void])[]): void {
  const left = f.local(ValType.i32);
  steps.forEach(([size, body], i) => {
    f.get(count);
    if (size > 1) f.i32Const(Math.log2(size)).i32ShrU();
    if (i > 0) f.i32Const(steps[i - 1]![0] / size - 1).i32And();
    f.set(left);
    f.block(() => f.loop(() => {
      f.get(left).i32Eqz().brIf(1);
      body();
      for (const p of pointers) f.addTo(p, 4 * size);
      f.get(left).i32Const(1).i32Sub().set(left);
      f.br(0);
    }));
  });
}

function splat(f: FunctionBuilder, s: F32): V128 {
  const v = f.local(ValType.v128);
  f.get(s).f32x4Splat().set(v);
  return v;
}

export function leaky(): FunctionBuilder {
  const f = new FunctionBuilder('leaky', [ValType.i32, ValType.i32, ValType.i32, ValType.f32]);
  const [p, q, count] = f.params as [I32, I32, I32];
  const s = f.params[3] as F32;
  const sv = splat(f, s), x = f.local(ValType.v128), xs = f.local(ValType.f32);
  floats(f, count, [p, q], () => {
    f.get(p).v128Load(0).set(x);
    f.get(q).get(x).get(x).get(sv).f32x4Mul().get(x).v128Zero().f32x4Gt().v128Bitselect().v128Store(0);
  }, () => {
    f.get(p).f32Load(0).set(xs);
    f.get(q).get(xs).get(xs).get(s).f32Mul().get(xs).f32Zero().f32Gt().select().f32Store(0);
  });
  return f;
}

export function leakyBackward(): FunctionBuilder {
  const f = new FunctionBuilder('leakyBackward', [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.f32]);
  const [pX, pD, pO, count] = f.params as [I32, I32, I32, I32];
  const s = f.params[4] as F32;
  const sv = splat(f, s), d = f.local(ValType.v128), ds = f.local(ValType.f32);
  floats(f, count, [pX, pD, pO], () => {
    f.get(pD).v128Load(0).set(d);
    f.get(pO).get(d).get(d).get(sv).f32x4Mul().get(pX).v128Load(0).v128Zero().f32x4Gt().v128Bitselect().v128Store(0);
  }, () => {
    f.get(pD).f32Load(0).set(ds);
    f.get(pO).get(ds).get(ds).get(s).f32Mul().get(pX).f32Load(0).f32Zero().f32Gt().select().f32Store(0);
  });
  return f;
}

export function clamp(): FunctionBuilder {
  const f = new FunctionBuilder('clamp', [ValType.i32, ValType.i32, ValType.i32, ValType.f32, ValType.f32]);
  const [p, q, count] = f.params as [I32, I32, I32];
  const lo = f.params[3] as F32, hi = f.params[4] as F32;
  const lov = splat(f, lo), hiv = splat(f, hi), x = f.local(ValType.v128), xs = f.local(ValType.f32);
  floats(f, count, [p, q], () => {
    f.get(p).v128Load(0).set(x);
    f.get(q);
    f.get(hiv); // x > hi ? hi : (lo > x ? lo : x)
    f.get(lov).get(x).get(lov).get(x).f32x4Gt().v128Bitselect();
    f.get(x).get(hiv).f32x4Gt().v128Bitselect().v128Store(0);
  }, () => {
    f.get(p).f32Load(0).set(xs);
    f.get(q);
    f.get(hi);
    f.get(lo).get(xs).get(lo).get(xs).f32Gt().select();
    f.get(xs).get(hi).f32Gt().select().f32Store(0);
  });
  return f;
}

export function clampBackward(): FunctionBuilder {
  const f = new FunctionBuilder('clampBackward', [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.f32, ValType.f32]);
  const [pX, pD, pO, count] = f.params as [I32, I32, I32, I32];
  const lo = f.params[4] as F32, hi = f.params[5] as F32;
  const lov = splat(f, lo), hiv = splat(f, hi), x = f.local(ValType.v128), xs = f.local(ValType.f32);
  floats(f, count, [pX, pD, pO], () => {
    f.get(pX).v128Load(0).set(x);
    f.get(pO).get(pD).v128Load(0);
    f.get(x).get(lov).f32x4Gt().get(hiv).get(x).f32x4Gt().v128And().v128And().v128Store(0);
  }, () => {
    f.get(pX).f32Load(0).set(xs);
    f.get(pO).get(pD).f32Load(0).f32Zero();
    f.get(xs).get(lo).f32Gt().get(hi).get(xs).f32Gt().i32And().select().f32Store(0);
  });
  return f;
}

/** name(p, q, o, count): o = p ∘ q over count floats (whole vectors, then one at a time) in float32. */
function binary(name: string, vector: (f: FunctionBuilder) => void, scalar: (f: FunctionBuilder) => void): FunctionBuilder {
  const f = new FunctionBuilder(name, [ValType.i32, ValType.i32, ValType.i32, ValType.i32]);
  const [p, q, o, count] = f.params as [I32, I32, I32, I32];
  floats(f, count, [p, q, o], () => {
    f.get(o).get(p).v128Load(0).get(q).v128Load(0);
    vector(f);
    f.v128Store(0);
  }, () => {
    f.get(o).get(p).f32Load(0).get(q).f32Load(0);
    scalar(f);
    f.f32Store(0);
  });
  return f;
}

/** add(p, q, o, count): o = p + q, an add layer's two inputs. The generated JS loop sums the two in float64 and
 *  rounds once, which is the float32 sum exactly (double rounding is innocuous for one + of two floats): the same bits. */
export const add = (): FunctionBuilder => binary('add', (f) => f.f32x4Add(), (f) => f.f32Add());

/** mul(p, q, o, count): o = p·q (dropout's backward, dY·mask: the loop's float64 product rounded once). */
export const mul = (): FunctionBuilder => binary('mul', (f) => f.f32x4Mul(), (f) => f.f32Mul());

/**
 * dropout's forward once its mask is drawn (mask: 0 or the scale, rounded to float32), the scale m a float64 as
 * the generated loop has it: y = f32(x·m) with m = mask ≠ 0 ? scale : 0, in float64 lanes.
 *   dropElements(p, q, mask, count, scale): an element a mask entry (dropout)
 *   dropPlanes(p, q, mask, planes, size, scale): a plane of `size` floats a mask entry (dropout2d)
 *   scalePlanes(p, q, mask, planes, size): q = p·mask[plane] in float32 (dropout2d's backward)
 */
export function dropElements(): FunctionBuilder {
  const f = new FunctionBuilder('dropElements', [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.f64]);
  const [p, q, mask, count] = f.params as [I32, I32, I32, I32];
  const scale = f.params[4] as Local<ValType.f64>;
  const sv = f.local(ValType.v128), zero = f.local(ValType.v128);
  f.get(scale).f64x2Splat().set(sv);
  floats(f, count, [p, q, mask], () => {
    f.get(q);
    f.get(p).v128Load64Zero(0).f64x2PromoteLowF32x4();
    // m: the scale where the mask is not 0 (its two lanes' compare, widened to 64 bits), else +0
    f.get(sv).get(zero).get(mask).v128Load64Zero(0).get(zero).f32x4Ne().i64x2ExtendLowI32x4S().v128Bitselect();
    f.f64x2Mul().f32x4DemoteF64x2Zero().v128Store64Lane(0, 0);
  }, () => {
    f.get(q).get(p).f32Load(0).f64PromoteF32();
    f.get(scale).f64Const(0).get(mask).f32Load(0).f32Zero().f32Ne().select();
    f.f64Mul().f32DemoteF64().f32Store(0);
  }, 2);
  return f;
}

export function dropPlanes(): FunctionBuilder {
  const f = new FunctionBuilder('dropPlanes', [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.f64]);
  const [p, q, mask, planes, size] = f.params as [I32, I32, I32, I32, I32];
  const scale = f.params[5] as Local<ValType.f64>;
  const left = f.local(ValType.i32), m = f.local(ValType.f64), mv = f.local(ValType.v128);
  f.get(planes).set(left);
  f.block(() => f.loop(() => {
    f.get(left).i32Eqz().brIf(1);
    f.get(scale).f64Const(0).get(mask).f32Load(0).f32Zero().f32Ne().select().tee(m).f64x2Splat().set(mv);
    floats(f, size, [p, q], () => {
      f.get(q).get(p).v128Load64Zero(0).f64x2PromoteLowF32x4().get(mv).f64x2Mul().f32x4DemoteF64x2Zero().v128Store64Lane(0, 0);
    }, () => {
      f.get(q).get(p).f32Load(0).f64PromoteF32().get(m).f64Mul().f32DemoteF64().f32Store(0);
    }, 2);
    f.addTo(mask, 4);
    f.get(left).i32Const(1).i32Sub().set(left);
    f.br(0);
  }));
  return f;
}

export function scalePlanes(): FunctionBuilder {
  const f = new FunctionBuilder('scalePlanes', [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32]);
  const [p, q, mask, planes, size] = f.params as [I32, I32, I32, I32, I32];
  const left = f.local(ValType.i32), m = f.local(ValType.f32), mv = f.local(ValType.v128);
  f.get(planes).set(left);
  f.block(() => f.loop(() => {
    f.get(left).i32Eqz().brIf(1);
    f.get(mask).f32Load(0).tee(m).f32x4Splat().set(mv);
    floats(f, size, [p, q], () => {
      f.get(q).get(p).v128Load(0).get(mv).f32x4Mul().v128Store(0);
    }, () => {
      f.get(q).get(p).f32Load(0).get(m).f32Mul().f32Store(0);
    });
    f.addTo(mask, 4);
    f.get(left).i32Const(1).i32Sub().set(left);
    f.br(0);
  }));
  return f;
}

/** add's, mul's and dropout's module, over the gemm module's memory (side.ts). */
export function arithmeticModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([add(), mul(), dropElements(), dropPlanes(), scalePlanes()], memory);
}

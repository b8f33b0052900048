// The loss's softmax over the classes of a sample's logits (wasm/softmax.ts: the shared softmax of a
// segmentation loss, compiler/5-codegen/losses/softmax.ts), two pixels at a time in float64 lanes:
//   softmaxPlanes(pZ, pP, pM, pS, pE, C, inner), byte addresses: z [C, inner] float32 at pZ, for each pixel i
//     mx = max_c z[c][i] (as `if (z > mx) mx = z` from −∞: a NaN never wins, the first of equal values stays),
//     e[c] = exp(z[c][i] − mx) (fdlibm's exp, exact-kernel.ts: Math.exp's bits), sum = Σ_c e[c] in class order,
//     prob[c][i] = e[c] / sum rounded to float32 at pP; mx and sum to the float64 arrays at pM and pS, e at pE
//     (float64 [C, inner], scratch).
// The same float64 operations in the same order as the generated loop, so its bits. An odd inner's last pixel
// runs in both lanes' pass: its second lane reads the float after the sample's logits (the caller leaves memory
// there) and writes only scratch past pM, pS and pE's pixels, which the caller leaves room for; its prob is stored
// from lane 0 alone.
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { constants, exp } from './exact-kernel.js';

type I32 = Local<ValType.i32>;

export function softmaxModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([softmaxPlanes()], memory);
}

function softmaxPlanes(): FunctionBuilder {
  const f = new FunctionBuilder('softmaxPlanes', Array<ValType>(7).fill(ValType.i32));
  const [pZ, pP, pM, pS, pE, C, inner] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  const k = constants(f, 1, (g, [x], kk) => { kk(-Infinity); kk(0); exp(g, x!, kk); });
  const i = f.local(ValType.i32), c = f.local(ValType.i32), z = f.local(ValType.i32), e = f.local(ValType.i32), p = f.local(ValType.i32);
  const zRow = f.local(ValType.i32), eRow = f.local(ValType.i32);
  const v = f.local(ValType.v128), m = f.local(ValType.v128), s = f.local(ValType.v128), t = f.local(ValType.v128);
  f.get(inner).i32Const(4).i32Mul().set(zRow);
  f.get(inner).i32Const(8).i32Mul().set(eRow);
  /** for c < C: body(), z and e (and p) a row on */
  const classes = (body: () => void, withP: boolean): void => {
    f.get(C).set(c);
    f.loop(() => {
      body();
      f.addTo(z, zRow).addTo(e, eRow);
      if (withP) f.addTo(p, zRow);
      f.get(c).i32Const(1).i32Sub().tee(c).brIf(0);
    });
  };
  const start = (): void => {
    f.get(pZ).get(i).i32Const(4).i32Mul().i32Add().set(z);
    f.get(pE).get(i).i32Const(8).i32Mul().i32Add().set(e);
    f.get(pP).get(i).i32Const(4).i32Mul().i32Add().set(p);
  };
  f.i32Const(0).set(i);
  f.loop(() => {
    // mx
    start();
    f.get(k(-Infinity)).set(m);
    classes(() => {
      f.get(z).v128Load64Zero(0).f64x2PromoteLowF32x4().set(v);
      f.get(v).get(m).get(v).get(m).f64x2Gt().v128Bitselect().set(m);
    }, false);
    // e and sum
    start();
    f.get(k(0)).set(s);
    classes(() => {
      f.get(z).v128Load64Zero(0).f64x2PromoteLowF32x4().get(m).f64x2Sub().set(t);
      exp(f, t, k);
      f.set(t);
      f.get(e).get(t).v128Store(0);
      f.get(s).get(t).f64x2Add().set(s);
    }, false);
    f.get(pM).get(i).i32Const(8).i32Mul().i32Add().get(m).v128Store(0);
    f.get(pS).get(i).i32Const(8).i32Mul().i32Add().get(s).v128Store(0);
    // prob = e / sum, rounded once; the last pixel of an odd row from lane 0 alone
    start();
    classes(() => {
      f.get(e).v128Load(0).get(s).f64x2Div().f32x4DemoteF64x2Zero().set(t);
      f.get(inner).get(i).i32Sub().i32Const(1).i32Sub().i32Eqz().ifElse(
        () => { f.get(p).get(t).v128Store32Lane(0, 0); },
        () => { f.get(p).get(t).v128Store64Lane(0, 0); },
      );
    }, true);
    f.addTo(i, 2);
    f.get(i).get(inner).i32LtS().brIf(0);
  });
  return f;
}

// maxpool2d forward without padding, in wasm: maxpool(src, dst, arg, planes, h, w, ho, wo, kh, kw,
// sh, sw), byte addresses for src (the [planes, h, w] input), dst (the [planes, ho, wo] output) and
// arg (i32: each output's argmax, an index in its input plane, as the generated code keeps it).
// PyTorch's rule (aten/src/ATen/native/cpu/MaxPoolKernel.cpp): the window's first element starts
// the maximum, then each later one replaces it when `v > max || isnan(v)` (a NaN wins, and of
// several NaNs the last). Written with select, not a branch: on activations half of the compares
// go either way, and the mispredicted branches were the cost of the JS loop.
import { FunctionBuilder, ValType, type Local } from './encoder.js';

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

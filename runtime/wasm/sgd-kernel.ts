// SGD's update (optim.ts sgdUpdate, torch.optim.SGD's rule) in wasm over float32 parameters, in float64
// lanes two at a time, so the bits are exactly the JavaScript's: the same float64 operations in the same
// order, each stored value rounded once to float32, the buffer re-read after its store as the JavaScript
// re-reads it.
//   sgd(pP, pG, pBuf, n, hyper, first, nesterov), byte addresses; hyper: float64 [lr, momentum,
//   1 − dampening, weight decay]; pBuf −1: no momentum buffer.
//     d = g + wd·p
//     no buffer:  p = p − lr·d
//     else:       buf = first ? d : buf·momentum + (1 − dampening)·d;  b = buf as stored
//                 p = p − lr·(nesterov ? d + momentum·b : b)
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { floats } from './elementwise-kernel.js';

type I32 = Local<ValType.i32>;

export function sgdModule(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([sgd()], memory);
}

/** float64 arithmetic on two lanes (f64x2, over two float32s) or one (f64, over one float32). */
interface Lanes {
  readonly type: ValType.v128 | ValType.f64;
  /** the float32(s) at the address on the stack, widened */
  load(): void;
  /** rounds the value on the stack to float32 and stores it at the address below it */
  store(): void;
  mul(): void;
  add(): void;
  sub(): void;
}

function lanes(f: FunctionBuilder, vector: boolean): Lanes {
  return vector
    ? {
        type: ValType.v128,
        load: () => { f.v128Load64Zero(0).f64x2PromoteLowF32x4(); },
        store: () => { f.f32x4DemoteF64x2Zero().v128Store64Lane(0, 0); },
        mul: () => { f.f64x2Mul(); },
        add: () => { f.f64x2Add(); },
        sub: () => { f.f64x2Sub(); },
      }
    : {
        type: ValType.f64,
        load: () => { f.f32Load(0).f64PromoteF32(); },
        store: () => { f.f32DemoteF64().f32Store(0); },
        mul: () => { f.f64Mul(); },
        add: () => { f.f64Add(); },
        sub: () => { f.f64Sub(); },
      };
}

function sgd(): FunctionBuilder {
  const f = new FunctionBuilder('sgd', Array<ValType>(7).fill(ValType.i32));
  const [pP, pG, pB, n, hyper, first, nesterov] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  // The four scalars, as float64 locals and splatted into f64x2 locals.
  const scalar = [0, 1, 2, 3].map((k) => {
    const s = f.local(ValType.f64), v = f.local(ValType.v128);
    f.get(hyper).f64Load(8 * k).set(s);
    f.get(s).f64x2Splat().set(v);
    return { s, v };
  });
  const body = (vector: boolean, withBuffer: boolean) => (): void => {
    const L = lanes(f, vector);
    const [LR, MOM, KEEP, WD] = scalar.map((x) => (vector ? x.v : x.s)) as [Local, Local, Local, Local];
    const p = f.local(L.type), d = f.local(L.type), b = f.local(L.type);
    f.get(pP); L.load(); f.set(p);
    f.get(pG); L.load(); f.get(WD).get(p); L.mul(); L.add(); f.set(d);
    if (withBuffer) {
      f.get(pB);
      f.get(first).ifElse(() => { f.get(d).set(b); }, () => {
        f.get(pB); L.load(); f.get(MOM); L.mul(); f.get(KEEP).get(d); L.mul(); L.add(); f.set(b);
      });
      f.get(b); L.store();
      f.get(pB); L.load(); f.set(b);
      f.get(nesterov).ifElse(() => { f.get(d).get(MOM).get(b); L.mul(); L.add(); f.set(b); });
    } else f.get(d).set(b);
    f.get(pP).get(p).get(LR).get(b); L.mul(); L.sub(); L.store();
  };
  f.get(pB).i32Const(-1).i32Ne().ifElse(
    () => floats(f, n, [pP, pG, pB], body(true, true), body(false, true), 2),
    () => floats(f, n, [pP, pG], body(true, false), body(false, false), 2),
  );
  return f;
}

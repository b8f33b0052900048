// Arrays that live in the wasm memory, so the kernels use them where they are instead of copying
// them in for every call: the generated model allocates its parameters and their gradients here
// (`rt.allocFloats(Float32Array, n)`). A linear layer's forward at batch 1 then reads its weights
// in place (copying 4.7 MB of fc1 weights in was ~0.3 ms of a 1.8 ms forward); training saves the
// copies of every weight and weight gradient in and out of each product.
//
// Only where the memory is shared (Node; a cross-origin-isolated page): a shared memory's arrays
// stay valid when it grows, an unshared one's are detached. Elsewhere, for Float64Array, with the
// JS gemm (CNNC_NO_WASM=1), and past the budget, these are ordinary arrays and the kernels copy.
//
// Never freed: nothing can tell when the last view of a block is gone (a parameter view kept after
// its model is dropped would alias the next model's weights if the block were reused). The budget
// bounds what a process can lose to that: 2 GiB, all models together; a process that creates
// models past it, or whose memory cannot grow that far (a browser may refuse), gets ordinary arrays
// for the rest, with the same results, slower. (256 MiB was too little for one model: mobilenet_v2
// at 3x64x64, batch 32, trains in 439 MiB, and past the budget its relu6 and batchnorm fell back to
// copies and JS loops; 1 GiB too little for vgg11_bn's 132M parameters, their gradients and SGD's
// momentum, whose update then ran a JavaScript loop over ordinary arrays: 1,186 of a 2,656 ms step.)
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { ensureFloats, wasmSgemm } from './sgemm.js';
import { roundUp } from './gemm-part.js';

/** At most this many floats in wasm memory, all allocations together. */
export const RESIDENT_BUDGET_FLOATS = 512 * 1024 * 1024;

/** A zeroed array of `count` elements: in wasm memory where it pays and is safe (see above), else `new ctor(count)`. */
export function allocFloats<A extends FloatArray>(ctor: { new (count: number): A }, count: number): A {
  const at = (ctor as unknown) === Float32Array ? reserve(count) : null;
  return at === null ? new ctor(count) : (new Float32Array(at.buffer, at.byteOffset, count) as unknown as A);
}

/** A zeroed Int32Array (maxpool's argmax arena), in wasm memory under the same rules as allocFloats. */
export function allocInt32(count: number): Int32Array {
  const at = reserve(count);
  return at === null ? new Int32Array(count) : new Int32Array(at.buffer, at.byteOffset, count);
}

/** `count` zeroed 4-byte words of wasm memory, on a cache line of their own; null where they do not go there. */
function reserve(count: number): { buffer: ArrayBufferLike; byteOffset: number } | null {
  if (gemmBackend() !== 'wasm') return null;
  const w = wasmSgemm();
  if (w === null || !w.shared || w.resident + count > RESIDENT_BUDGET_FLOATS) return null;
  const pos = roundUp(w.heapTop, 16); // a cache line apart from the previous block
  let f32: Float32Array;
  try {
    f32 = ensureFloats(w, pos + count);
  } catch (e) {
    if (e instanceof RangeError) return null; // the memory could not grow: an ordinary array instead
    throw e;
  }
  w.heapTop = pos + count;
  w.resident += count;
  f32.fill(0, pos, pos + count); // the place was work space before
  const buffer = w.memory.buffer;
  w.buffers.add(buffer);
  return { buffer, byteOffset: 4 * pos };
}

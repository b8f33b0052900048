// Profiling (`cnnc profile`): the timer slots a model generated with `profile: true` fills, the medians
// over timed steps, and the machine's WebAssembly SIMD multiply-add peak the rows are measured against.
// Browser-safe: performance.now() and WebAssembly only.
//
// A profiled model (compiler/5-codegen, GenerateOptions.profile) has a public `profileTimes`
// Float64Array: milliseconds added up since it was last zeroed, one slot per layer and direction (the
// layout below, written once here and read by the emitter and the command), and one each for the loss
// and the optimizer step. Generated code without the option has no such field and no timer calls.
import { encodeModule, FunctionBuilder, ValType, type Local } from './wasm/encoder.js';
import { maddIsFused } from './wasm/optim-lanes.js';
import { kernelMadd } from './wasm/sgemm-kernel.js';

/** Slot of node i's forward (its kernel call in runForward). */
export const forwardSlot = (i: number): number => 2 * i;
/** Slot of node i's backward (its kernel call and its readers' gradient sums in runBackward). */
export const backwardSlot = (i: number): number => 2 * i + 1;
/** Slot of the loss (value and gradient, in computeGradients), for a model of `nodes` nodes. */
export const lossSlot = (nodes: number): number => 2 * nodes;
/** Slot of the optimizer step (in trainStep). */
export const optimizerSlot = (nodes: number): number => 2 * nodes + 1;
/** How many slots a model of `nodes` nodes has. */
export const profileSlots = (nodes: number): number => 2 * nodes + 2;

/** A model generated with profiling on. */
export interface ProfiledModel {
  readonly profileTimes: Float64Array;
}

export function isProfiled(m: object): m is ProfiledModel {
  return (m as { profileTimes?: unknown }).profileTimes instanceof Float64Array;
}

/** One timed step: what every slot added (ms) and the step's wall time around the whole call (ms). */
export interface StepTimes {
  readonly slots: Float64Array;
  readonly totalMs: number;
}

/** Runs `step` `steps` times, each timed whole and by the model's slots (zeroed before each). */
export function timeSteps(model: ProfiledModel, steps: number, step: () => void): StepTimes[] {
  const out: StepTimes[] = [];
  for (let s = 0; s < steps; s++) {
    model.profileTimes.fill(0);
    const t = performance.now();
    step();
    const totalMs = performance.now() - t;
    out.push({ slots: model.profileTimes.slice(), totalMs });
  }
  return out;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Per slot, the median over the steps; and the median of what the slots did not cover (checks, zeroing
 *  the gradients, the timer calls themselves), which is never negative in any one step. */
export function medians(steps: readonly StepTimes[]): { slots: number[]; otherMs: number; stepMs: { median: number; min: number; max: number } } {
  const width = steps[0]?.slots.length ?? 0;
  const slots = Array.from({ length: width }, (_, k) => median(steps.map((s) => s.slots[k]!)));
  const other = steps.map((s) => Math.max(0, s.totalMs - s.slots.reduce((a, b) => a + b, 0)));
  const totals = steps.map((s) => s.totalMs);
  return { slots, otherMs: median(other), stepMs: { median: median(totals), min: Math.min(...totals), max: Math.max(...totals) } };
}

/** The peak: float32 multiply-adds a second on one thread, in the best of several runs. */
export interface FmaPeak {
  /** GFLOP/s on one thread (a multiply-add is 2 flops). */
  readonly gflops: number;
  /** relaxed_madd (fused where the engine fuses it), or f32x4.mul then f32x4.add. */
  readonly op: 'relaxed_madd (fused)' | 'relaxed_madd (unfused)' | 'f32x4.mul + f32x4.add';
}

const CHAINS = 10; // independent accumulators: more than an FMA unit's latency × its ports (4 × 2 on x64)
const UNROLL = 4; // multiply-adds per chain per loop trip, so the loop's own instructions are few

/**
 * peak(trips, at): CHAINS independent f32x4 chains acc = acc·b + c, UNROLL × trips deep, their sum
 * stored at `at` (so no engine can drop them). b < 1 keeps every value normal and bounded.
 */
export function fmaPeakModule(relaxed: boolean): Uint8Array<ArrayBuffer> {
  const f = new FunctionBuilder('peak', [ValType.i32, ValType.i32]);
  const [trips, at] = f.params as [Local<ValType.i32>, Local<ValType.i32>];
  const b = f.local(ValType.v128), c = f.local(ValType.v128);
  const acc = Array.from({ length: CHAINS }, () => f.local(ValType.v128));
  f.f32Const(1 - 2 ** -10).f32x4Splat().set(b);
  f.f32Const(2 ** -10).f32x4Splat().set(c);
  acc.forEach((a, k) => f.f32Const(k / CHAINS).f32x4Splat().set(a));
  f.block(() => {
    f.get(trips).i32Eqz().brIf(0);
    f.loop(() => {
      for (let u = 0; u < UNROLL; u++) {
        for (const a of acc) {
          if (relaxed) f.get(a).get(b).get(c).f32x4RelaxedMadd().set(a);
          else f.get(a).get(b).f32x4Mul().get(c).f32x4Add().set(a);
        }
      }
      f.get(trips).i32Const(1).i32Sub().tee(trips).brIf(0);
    });
  });
  f.get(at).get(acc[0]!);
  for (const a of acc.slice(1)) f.get(a).f32x4Add();
  f.v128Store(0);
  return encodeModule([f], { shared: false, pages: 1 });
}

/** Flops of one peak(trips) call. */
export const peakFlops = (trips: number): number => trips * UNROLL * CHAINS * 4 * 2;

/**
 * Measures the one-thread peak: relaxed_madd where the kernels use it (sgemm-kernel.ts's kernelMadd), else mul + add (2 flops
 * either way). The first calls are discarded while V8 tiers the function up; the best of `runs` calls
 * of ~`ms` each is kept.
 */
export function measureFmaPeak(o: { runs?: number; ms?: number } = {}): FmaPeak {
  const relaxed = kernelMadd() === 'relaxed';
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(fmaPeakModule(relaxed)), { env: { memory } });
  const peak = instance.exports['peak'] as (trips: number, at: number) => void;
  // Size the call: double the trips until one call takes ~ms/4, then scale to ms. Twice: the first
  // pass warms the function up (V8's baseline tier is several times slower than its optimized one).
  let trips = 1024;
  for (let pass = 0; pass < 2; pass++) {
    for (;;) {
      const t = performance.now();
      peak(trips, 0);
      const dt = performance.now() - t;
      if (dt > (o.ms ?? 10) / 4 || trips > 2 ** 28) {
        trips = Math.max(1, Math.round((trips * (o.ms ?? 10)) / Math.max(dt, 1e-3)));
        break;
      }
      trips *= 2;
    }
  }
  let best = 0;
  for (let r = 0; r < (o.runs ?? 16); r++) {
    const t = performance.now();
    peak(trips, 0);
    const dt = performance.now() - t;
    if (dt > 0) best = Math.max(best, peakFlops(trips) / (dt * 1e6));
  }
  const op = !relaxed ? 'f32x4.mul + f32x4.add' : maddIsFused() ? 'relaxed_madd (fused)' : 'relaxed_madd (unfused)';
  return { gflops: best, op };
}

/** Synthetic inputs, uniform in [-1, 1), from a small seeded generator (mulberry32). */
export function syntheticInputs<A extends Float32Array | Float64Array>(into: A, seed: number): A {
  const next = mulberry32(seed);
  for (let i = 0; i < into.length; i++) into[i] = 2 * next() - 1;
  return into;
}

/** Synthetic labels: class indices below `classes` (softmax losses), or 0/1 targets (binary losses). */
export function syntheticLabels(length: number, targets: 'softmax' | 'binary', classes: number, seed: number): Int32Array {
  const next = mulberry32(seed);
  const y = new Int32Array(length);
  const k = targets === 'binary' ? 2 : classes;
  for (let i = 0; i < length; i++) y[i] = Math.min(k - 1, Math.floor(next() * k));
  return y;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

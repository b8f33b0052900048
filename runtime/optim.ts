// Optimizers with torch.optim's exact update rules (PyTorch 1.13, the single-tensor path:
// foreach=False, maximize=False, amsgrad=False, differentiable=False, capturable=False).
// Each step reads `grad` and updates `data` in place; slot buffers are allocated once in the
// constructor, so step() allocates nothing.
//
// Arithmetic is float64 per element; values are rounded when stored into the (Float32Array)
// tensors, where PyTorch also rounds each intermediate tensor: results agree to ~1 ulp. Adam(W) on
// a parameter that lives in wasm memory (a generated float32 model's) runs on a wasm kernel in
// float32, with torch's order of operations (wasm/adam.ts).
import { adamInWasm, adamPrepare, inWasmMemory } from './wasm/adam.js';
import { allocFloats } from './wasm/resident.js';
import type { FloatArray } from './model.js';

export interface OptParam {
  /** PyTorch state_dict name; slots are named `<name>.exp_avg`, `<name>.momentum_buffer`, … */
  readonly name: string;
  readonly data: FloatArray;
  readonly grad: FloatArray;
}

export interface OptimizerState {
  /** Steps taken (Adam's t; for SGD, 0 means the momentum buffers are not yet initialised). */
  readonly step: number;
  readonly slots: ReadonlyArray<{ readonly name: string; readonly data: FloatArray }>;
}

export interface SgdOptions {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
}

export interface AdamOptions {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
}

interface Slot {
  readonly name: string;
  readonly data: FloatArray;
}

// Allocation-free steps: each step() loops over the parameters and hands each one to an update
// function of its own (sgdUpdate, adamUpdate) that holds all the arithmetic. step() runs once per
// training step, so V8 leaves it unoptimized (or optimizes it on-stack, inside its first call's
// loops, before the code after them ran and with no feedback for it: that code then deopts on
// every later call, as measured on Node 20). Unoptimized code boxes every double it computes or
// loads (~16 B each), so step() only moves references and small integers. Where Adam runs on its
// wasm kernels (a generated float32 model's), no float reaches JS at all: the hyperparameters,
// the learning rate included, live in wasm memory (`hyper`) and the kernel derives step t's
// scalars there, so a step allocates nothing from the first one on.

/** What every optimizer shares: the parameters, the step count and the named slots. */
abstract class Optimizer {
  protected readonly params: readonly OptParam[];
  protected readonly slots: Slot[] = [];
  protected stepCount = 0;
  /**
   * Float64 hyperparameters where a kernel can read them: [lr, β1, β2, eps, weight decay,
   * decoupled] (Adam's layout; SGD uses lr only). In wasm memory where parameters can live there
   * (`hyperBlock` is its Float32Array view, for the kernel's address), else ordinary memory.
   */
  protected readonly hyperBlock: Float32Array;
  protected readonly hyper: Float64Array;

  protected constructor(params: readonly OptParam[], lr: number) {
    checkNonNegative('lr', lr);
    this.hyperBlock = allocFloats(Float32Array, 12);
    this.hyper = new Float64Array(this.hyperBlock.buffer, this.hyperBlock.byteOffset, 6);
    const names = new Set<string>();
    for (const p of params) {
      if (names.has(p.name)) throw new RangeError(`optimizer: parameter "${p.name}" given twice`);
      names.add(p.name);
      if (p.data.length !== p.grad.length) throw new RangeError(`optimizer: parameter "${p.name}" has ${p.data.length} values but its grad ${p.grad.length}`);
    }
    this.params = params;
    this.lr = lr;
  }

  /** The learning rate; mutable (schedules, `cnnc train --lr`). */
  get lr(): number {
    return this.hyper[0]!;
  }

  set lr(lr: number) {
    this.hyper[0] = lr;
  }

  /** One buffer per parameter, zeroed, same dtype as the parameter. */
  protected addSlots(suffix: string): FloatArray[] {
    return this.params.map((p) => {
      // Beside their parameter: in wasm memory when it is there (the Adam kernel then runs in place).
      const data = p.data instanceof Float64Array ? new Float64Array(p.data.length) : inWasmMemory(p.data) ? allocFloats(Float32Array, p.data.length) : new Float32Array(p.data.length);
      this.slots.push({ name: `${p.name}.${suffix}`, data });
      return data;
    });
  }

  abstract step(): void;

  /** A copy of the step count and every slot (in a stable order: slot kind, then parameter). */
  getState(): OptimizerState {
    return { step: this.stepCount, slots: this.slots.map((s) => ({ name: s.name, data: s.data.slice() })) };
  }

  /** Restores what getState returned; checks every slot first, so a mismatch changes nothing. */
  setState(s: OptimizerState): void {
    if (!(Number.isSafeInteger(s.step) && s.step >= 0)) throw new RangeError(`optimizer state: step must be a count, got ${s.step}`);
    const given = new Map<string, FloatArray>();
    for (const slot of s.slots) {
      if (given.has(slot.name)) throw new RangeError(`optimizer state: slot "${slot.name}" given twice`);
      given.set(slot.name, slot.data);
    }
    for (const slot of this.slots) {
      const d = given.get(slot.name);
      if (d === undefined) throw new RangeError(`optimizer state: missing slot "${slot.name}"`);
      if (d.length !== slot.data.length) throw new RangeError(`optimizer state: slot "${slot.name}" has ${d.length} values, expected ${slot.data.length}`);
      given.delete(slot.name);
    }
    const extra = [...given.keys()];
    if (extra.length > 0) throw new RangeError(`optimizer state: unexpected slot "${extra[0]}"`);
    for (const slot of this.slots) slot.data.set(s.slots.find((x) => x.name === slot.name)!.data);
    this.stepCount = s.step;
  }
}

/**
 * torch.optim.SGD (https://pytorch.org/docs/1.13/generated/torch.optim.SGD.html), _single_tensor_sgd:
 *   d_p = g + wd·p
 *   buf = d_p (first step) | buf·momentum + (1 − dampening)·d_p
 *   d_p = d_p + momentum·buf (nesterov) | buf
 *   p  -= lr·d_p
 */
export class Sgd extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private readonly buffers: FloatArray[];

  constructor(params: readonly OptParam[], o: SgdOptions) {
    super(params, o.lr);
    checkNonNegative('momentum', o.momentum);
    checkNonNegative('weight_decay', o.weightDecay);
    checkFinite('dampening', o.dampening);
    // torch: "Nesterov momentum requires a momentum and zero dampening".
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new RangeError('SGD: nesterov momentum requires a momentum and zero dampening');
    this.momentum = o.momentum;
    this.dampening = o.dampening;
    this.nesterov = o.nesterov;
    this.weightDecay = o.weightDecay;
    // Without momentum PyTorch keeps no buffer, and neither do we (no slot in checkpoints).
    this.buffers = o.momentum !== 0 ? this.addSlots('momentum_buffer') : [];
  }

  step(): void {
    const first = this.stepCount === 0;
    this.stepCount++;
    for (let i = 0; i < this.params.length; i++) {
      const { data: p, grad: g } = this.params[i]!;
      sgdUpdate(this, this.lr, first, p, g, this.momentum === 0 ? null : this.buffers[i]!);
    }
  }
}

/** One parameter's SGD update (see the note on allocation-free steps above). */
function sgdUpdate(o: SgdHyper, lr: number, first: boolean, p: FloatArray, g: FloatArray, buf: FloatArray | null): void {
  const { momentum, weightDecay, nesterov } = o;
  const n = p.length;
  if (buf === null) {
    for (let j = 0; j < n; j++) p[j] = p[j]! - lr * (g[j]! + weightDecay * p[j]!);
    return;
  }
  const keep = 1 - o.dampening;
  for (let j = 0; j < n; j++) {
    const d = g[j]! + weightDecay * p[j]!;
    // Stored first, then re-read: the update uses the buffer as rounded to its dtype, as torch does.
    buf[j] = first ? d : buf[j]! * momentum + keep * d;
    const b = buf[j]!;
    p[j] = p[j]! - lr * (nesterov ? d + momentum * b : b);
  }
}

interface SgdHyper { readonly momentum: number; readonly dampening: number; readonly nesterov: boolean; readonly weightDecay: number }

/**
 * Adam and AdamW share torch's moment updates and bias corrections (_single_tensor_adam[w]):
 *   m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²
 *   step_size = lr / (1 − β1^t);  denom = √v / √(1 − β2^t) + eps;  p -= step_size · m / denom
 * They differ only in weight decay: Adam adds wd·p to g (L2), AdamW first scales p by 1 − lr·wd.
 */
abstract class AdamBase extends Optimizer {
  private readonly expAvg: FloatArray[];
  private readonly expAvgSq: FloatArray[];

  protected constructor(what: string, params: readonly OptParam[], o: AdamOptions, decoupled: boolean) {
    super(params, o.lr);
    const [beta1, beta2] = o.betas;
    if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`${what}: invalid beta parameter at index 0: ${beta1}`);
    if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`${what}: invalid beta parameter at index 1: ${beta2}`);
    checkNonNegative('eps', o.eps);
    checkNonNegative('weight_decay', o.weightDecay);
    // Kept only in `hyper` (after lr), where the wasm kernel reads them; the getters below read them back.
    this.hyper.set([beta1, beta2, o.eps, o.weightDecay, decoupled ? 1 : 0], 1);
    this.expAvg = this.addSlots('exp_avg');
    this.expAvgSq = this.addSlots('exp_avg_sq');
  }

  get beta1(): number {
    return this.hyper[1]!;
  }

  get beta2(): number {
    return this.hyper[2]!;
  }

  get eps(): number {
    return this.hyper[3]!;
  }

  get weightDecay(): number {
    return this.hyper[4]!;
  }

  /** AdamW (weight decay applied to the parameter), not Adam (added to the gradient). */
  get decoupled(): boolean {
    return this.hyper[5] !== 0;
  }

  step(): void {
    const t = ++this.stepCount;
    const kernels = adamPrepare(this.hyperBlock, t);
    for (let i = 0; i < this.params.length; i++) {
      const { data: p, grad: g } = this.params[i]!;
      const m = this.expAvg[i]!, v = this.expAvgSq[i]!;
      if (!(kernels && adamInWasm(p, g, m, v))) adamUpdate(this, this.lr, t, p, g, m, v);
    }
  }
}

interface AdamHyper { readonly beta1: number; readonly beta2: number; readonly eps: number; readonly weightDecay: number; readonly decoupled: boolean }

/** Adam's scalars at step t (torch's _single_tensor_adam): the step size lr / (1 − β1^t) and √(1 − β2^t).
 *  This JavaScript update and the gpu.js target's host step both use them; the wasm kernel derives the same
 *  two in wasm (runtime/wasm/adam-kernel.ts), so that no float crosses from JS on the fast path. */
export function adamStepSize(lr: number, beta1: number, t: number): number {
  return lr / (1 - beta1 ** t);
}
export function adamBiasCorrection2Sqrt(beta2: number, t: number): number {
  return Math.sqrt(1 - beta2 ** t);
}

/** One parameter's Adam(W) update at step t (see the note on allocation-free steps above). */
function adamUpdate(o: AdamHyper, lr: number, t: number, p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray): void {
  const { beta1, beta2, eps } = o;
  const stepSize = adamStepSize(lr, beta1, t);
  const biasCorrection2Sqrt = adamBiasCorrection2Sqrt(beta2, t);
  // Adam: grad += wd·p. AdamW: p *= 1 − lr·wd (before the moments; the update reads the decayed p).
  const l2 = o.decoupled ? 0 : o.weightDecay;
  const decay = o.decoupled ? 1 - lr * o.weightDecay : 1;
  const n = p.length;
  for (let j = 0; j < n; j++) {
    const pj = p[j]! * decay;
    const gj = g[j]! + l2 * p[j]!;
    m[j] = m[j]! * beta1 + (1 - beta1) * gj;
    v[j] = v[j]! * beta2 + (1 - beta2) * gj * gj;
    const denom = Math.sqrt(v[j]!) / biasCorrection2Sqrt + eps;
    p[j] = pj - stepSize * (m[j]! / denom);
  }
}

/** torch.optim.Adam (https://pytorch.org/docs/1.13/generated/torch.optim.Adam.html): weight decay as L2 on the gradient. */
export class Adam extends AdamBase {
  constructor(params: readonly OptParam[], o: AdamOptions) {
    super('Adam', params, o, false);
  }
}

/** torch.optim.AdamW (https://pytorch.org/docs/1.13/generated/torch.optim.AdamW.html): decoupled weight decay. */
export class AdamW extends AdamBase {
  constructor(params: readonly OptParam[], o: AdamOptions) {
    super('AdamW', params, o, true);
  }
}

function checkFinite(what: string, x: number): void {
  if (!Number.isFinite(x)) throw new RangeError(`optimizer: ${what} must be finite, got ${x}`);
}

function checkNonNegative(what: string, x: number): void {
  if (!(Number.isFinite(x) && x >= 0)) throw new RangeError(`optimizer: invalid ${what} value: ${x}`);
}

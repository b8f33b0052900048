// Optimizers with torch.optim's exact update rules (PyTorch 1.13, the single-tensor path:
// foreach=False, maximize=False, differentiable=False, capturable=False). RMSprop, Adagrad, Adadelta and amsgrad
// take the exact arithmetic of optim-more.ts (bit for bit as torch on the CPU, float64 and float32); on a float32
// parameter that lives in wasm memory, the same arithmetic runs on wasm kernels (wasm/optim-more.ts), same bits.
// Each step reads `grad` and updates `data` in place; slot buffers are allocated once in the
// constructor, so step() allocates nothing.
//
// Sgd and Adam(W) without amsgrad: arithmetic is float64 per element; values are rounded when stored into the (Float32Array)
// tensors, where PyTorch also rounds each intermediate tensor: results agree to ~1 ulp. SGD on a parameter that
// lives in wasm memory runs the same float64 arithmetic on a wasm kernel (wasm/sgd.ts), same bits. Adam(W) on
// a parameter that lives in wasm memory (a generated float32 model's) runs on a wasm kernel in
// float32, with torch's order of operations (wasm/adam.ts).
import { adamInWasm, adamPrepare, inWasmMemory } from './wasm/adam.js';
import { adadeltaInWasm, adagradInWasm, amsgradInWasm, rmspropInWasm } from './wasm/optim-more.js';
import { sgdInWasm } from './wasm/sgd.js';
import { allocFloats } from './wasm/resident.js';
import type { FloatArray } from './model.js';
import { applyGradClip, checkGradClip, type GradClip } from './clip-grad.js';
import {
  adadeltaUpdate32, adadeltaUpdate64, adagradUpdate32, adagradUpdate64, amsgradUpdate32, amsgradUpdate64, powCorrect, rmspropUpdate32, rmspropUpdate64,
  type AdadeltaScalars, type AmsgradScalars, type RmspropScalars,
} from './optim-more.js';

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

/** What every optimizer's options may add: gradient clipping before each step. */
export interface StepOptions {
  readonly clip?: GradClip;
}

export interface SgdOptions extends StepOptions {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  /** Keep momentum buffers even at momentum 0: a schedule that cycles the momentum (one_cycle_lr) sets it later,
   *  as torch's SGD then keeps momentum_buffer. Default: buffers only where momentum > 0. */
  readonly momentumBuffers?: boolean;
}

export interface AdamOptions extends StepOptions {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** torch's amsgrad: normalise by the running maximum of exp_avg_sq (slot `max_exp_avg_sq`). Default false.
   *  With amsgrad, every dtype takes optim-more.ts's update, bit for bit as torch (in wasm where the parameter lives
   *  there: wasm/optim-more.ts, the same bits). */
  readonly amsgrad?: boolean;
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
  /** The float32 scalars of a step for the wasm kernels of RMSprop, Adagrad, Adadelta and amsgrad
   *  (wasm/optim-more.ts), in wasm memory where it can be; written once a step, read by every parameter's call. */
  protected readonly kernelScalars: Float32Array;
  /** Gradient clipping applied at the start of every step (torch.nn.utils' clip_grad_norm_ / clip_grad_value_
   *  between backward() and step()); null: none. */
  readonly clip: GradClip | null;
  private readonly grads: readonly FloatArray[];

  protected constructor(params: readonly OptParam[], lr: number, clip: GradClip | undefined) {
    checkNonNegative('lr', lr);
    if (clip !== undefined) checkGradClip(clip);
    this.clip = clip ?? null;
    this.grads = params.map((p) => p.grad);
    this.hyperBlock = allocFloats(Float32Array, 12);
    this.hyper = new Float64Array(this.hyperBlock.buffer, this.hyperBlock.byteOffset, 6);
    this.kernelScalars = allocFloats(Float32Array, 9);
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

  /** One optimizer step over the parameters' current gradients (clipped first where the optimizer clips). */
  step(): void {
    if (this.clip !== null) applyGradClip(this.clip, this.grads);
    this.update();
  }

  /** The update rule itself. */
  protected abstract update(): void;

  /**
   * Sets the momentum as torch's schedulers set param_group['momentum'] (or Adam's betas[0]): one_cycle_lr's
   * cycle_momentum. Optimizers without a momentum refuse (torch: "optimizer must support momentum").
   */
  setMomentum(momentum: number): void {
    throw new RangeError(`optimizer: ${this.constructor.name} has no momentum to set (to ${momentum})`);
  }

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
  /** Mutable through setMomentum (one_cycle_lr's cycle_momentum); kept in `hyper`, where the wasm kernel reads it. */
  get momentum(): number {
    return this.hyper[1]!;
  }

  set momentum(momentum: number) {
    this.hyper[1] = momentum;
  }

  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private readonly buffers: FloatArray[];

  constructor(params: readonly OptParam[], o: SgdOptions) {
    super(params, o.lr, o.clip);
    checkNonNegative('momentum', o.momentum);
    checkNonNegative('weight_decay', o.weightDecay);
    checkFinite('dampening', o.dampening);
    // torch: "Nesterov momentum requires a momentum and zero dampening".
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new RangeError('SGD: nesterov momentum requires a momentum and zero dampening');
    this.momentum = o.momentum;
    this.dampening = o.dampening;
    this.nesterov = o.nesterov;
    this.weightDecay = o.weightDecay;
    // The wasm kernel's other scalars (wasm/sgd.ts), set once, never in a step (a float computed there would be
    // a heap number before V8 optimizes it): hyper is [lr, momentum, 1 − dampening, weight decay].
    this.hyper.set([1 - o.dampening, o.weightDecay], 2);
    // Without momentum PyTorch keeps no buffer, and neither do we (no slot in checkpoints).
    this.buffers = o.momentum !== 0 || o.momentumBuffers === true ? this.addSlots('momentum_buffer') : [];
  }

  override setMomentum(momentum: number): void {
    checkNonNegative('momentum', momentum);
    if (momentum !== 0 && this.buffers.length === 0 && this.params.length > 0) throw new RangeError('SGD: built without momentum buffers (momentum 0); construct it with momentumBuffers: true to set a momentum later');
    if (this.nesterov && momentum <= 0) throw new RangeError('SGD: nesterov momentum requires a momentum and zero dampening');
    this.momentum = momentum;
  }

  protected update(): void {
    const first = this.stepCount === 0;
    this.stepCount++;
    for (let i = 0; i < this.params.length; i++) {
      const { data: p, grad: g } = this.params[i]!;
      const buf = this.momentum === 0 ? null : this.buffers[i]!;
      if (!sgdInWasm(this.hyperBlock, p, g, buf, first, this.nesterov)) sgdUpdate(this, this.lr, first, p, g, buf);
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
  /** amsgrad's running maxima (torch's max_exp_avg_sq); null without amsgrad. */
  private readonly maxExpAvgSq: FloatArray[] | null;
  private readonly amsgradScalars: AmsgradScalars = { beta1: 0, oneMinusBeta1: 0, beta2: 0, oneMinusBeta2: 0, eps: 0, l2: 0, decay: 1, negStepSize: 0, bc2Sqrt: 1 };

  protected constructor(what: string, params: readonly OptParam[], o: AdamOptions, decoupled: boolean) {
    super(params, o.lr, o.clip);
    const [beta1, beta2] = o.betas;
    if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`${what}: invalid beta parameter at index 0: ${beta1}`);
    if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`${what}: invalid beta parameter at index 1: ${beta2}`);
    checkNonNegative('eps', o.eps);
    checkNonNegative('weight_decay', o.weightDecay);
    // Kept only in `hyper` (after lr), where the wasm kernel reads them; the getters below read them back.
    this.hyper.set([beta1, beta2, o.eps, o.weightDecay, decoupled ? 1 : 0], 1);
    this.expAvg = this.addSlots('exp_avg');
    this.expAvgSq = this.addSlots('exp_avg_sq');
    this.maxExpAvgSq = o.amsgrad === true ? this.addSlots('max_exp_avg_sq') : null;
  }

  /** β1, as torch's schedulers cycle betas[0] (one_cycle_lr). */
  override setMomentum(momentum: number): void {
    if (!(momentum >= 0 && momentum < 1)) throw new RangeError(`Adam: invalid beta parameter at index 0: ${momentum}`);
    this.hyper[1] = momentum;
  }

  /** torch's amsgrad (the max_exp_avg_sq slots). */
  get amsgrad(): boolean {
    return this.maxExpAvgSq !== null;
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

  protected update(): void {
    if (this.maxExpAvgSq !== null) {
      this.amsgradStep(this.maxExpAvgSq);
      return;
    }
    const t = ++this.stepCount;
    const kernels = adamPrepare(this.hyperBlock, t);
    for (let i = 0; i < this.params.length; i++) {
      const { data: p, grad: g } = this.params[i]!;
      const m = this.expAvg[i]!, v = this.expAvgSq[i]!;
      if (!(kernels && adamInWasm(p, g, m, v))) adamUpdate(this, this.lr, t, p, g, m, v);
    }
  }

  /** _single_tensor_adam[w] with amsgrad: torch's Python scalars (β^t as pow, correctly rounded), then each
   *  parameter's update in its dtype (optim-more.ts). */
  private amsgradStep(vmax: FloatArray[]): void {
    const t = ++this.stepCount;
    const lr = this.lr, beta1 = this.beta1, beta2 = this.beta2, wd = this.weightDecay;
    const stepSize = lr / (1 - powCorrect(beta1, t));
    const bc2Sqrt = Math.sqrt(1 - powCorrect(beta2, t));
    const s64 = this.amsgradScalars;
    const ks = this.kernelScalars;
    ks[0] = beta1; ks[1] = 1 - beta1; ks[2] = beta2; ks[3] = 1 - beta2; ks[4] = this.eps;
    ks[5] = this.decoupled ? 0 : wd; ks[6] = this.decoupled ? 1 - lr * wd : 1; ks[7] = -stepSize; ks[8] = bc2Sqrt;
    for (let i = 0; i < this.params.length; i++) {
      const { data: p, grad: g } = this.params[i]!;
      const m = this.expAvg[i]!, v = this.expAvgSq[i]!, mx = vmax[i]!;
      if (amsgradInWasm(ks, p, g, m, v, mx)) continue;
      const r = p instanceof Float64Array ? asIs : Math.fround;
      s64.beta1 = r(beta1); s64.oneMinusBeta1 = r(1 - beta1); s64.beta2 = r(beta2); s64.oneMinusBeta2 = r(1 - beta2);
      s64.eps = r(this.eps); s64.l2 = this.decoupled ? 0 : r(wd); s64.decay = this.decoupled ? r(1 - lr * wd) : 1;
      s64.negStepSize = r(-stepSize); s64.bc2Sqrt = r(bc2Sqrt);
      if (p instanceof Float64Array) amsgradUpdate64(s64, p, g as Float64Array, m as Float64Array, v as Float64Array, mx as Float64Array);
      else amsgradUpdate32(s64, p, g as Float32Array, m as Float32Array, v as Float32Array, mx as Float32Array);
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

/** torch.optim.RMSprop's arguments (torch's defaults: RMSPROP_DEFAULTS). */
export interface RmspropOptions extends StepOptions {
  readonly lr: number;
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;
  /** As SGD's: keep momentum buffers at momentum 0, for a schedule that sets the momentum later. */
  readonly momentumBuffers?: boolean;
}
export const RMSPROP_DEFAULTS: RmspropOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false };

/** torch.optim.Adagrad's arguments (torch's defaults: ADAGRAD_DEFAULTS). */
export interface AdagradOptions extends StepOptions {
  readonly lr: number;
  readonly lrDecay: number;
  readonly weightDecay: number;
  readonly initialAccumulatorValue: number;
  readonly eps: number;
}
export const ADAGRAD_DEFAULTS: AdagradOptions = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 };

/** torch.optim.Adadelta's arguments (torch's defaults: ADADELTA_DEFAULTS). */
export interface AdadeltaOptions extends StepOptions {
  readonly lr: number;
  readonly rho: number;
  readonly eps: number;
  readonly weightDecay: number;
}
export const ADADELTA_DEFAULTS: AdadeltaOptions = { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0 };

/** Python's float scalars as torch turns them into a float64 tensor's dtype (unchanged) or a float32's (rounded). */
function asIs(x: number): number {
  return x;
}

/**
 * torch.optim.RMSprop (https://pytorch.org/docs/1.13/generated/torch.optim.RMSprop.html), _single_tensor_rmsprop:
 *   g = g + wd·p;  square_avg = α·square_avg + (1 − α)·g²
 *   avg = √(square_avg − grad_avg²) + eps, grad_avg = α·grad_avg + (1 − α)·g (centered) | √square_avg + eps
 *   buf = momentum·buf + g / avg;  p -= lr·buf (momentum > 0) | p -= lr·g / avg
 * Slots: square_avg, then momentum_buffer (momentum > 0), then grad_avg (centered), as torch keeps them.
 * Bit for bit as torch in float64 and float32 (optim-more.ts).
 */
export class RMSprop extends Optimizer {
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Mutable through setMomentum (one_cycle_lr's cycle_momentum). */
  momentum: number;
  readonly centered: boolean;
  private readonly squareAvg: FloatArray[];
  private readonly momentumBuffer: FloatArray[] | null;
  private readonly gradAvg: FloatArray[] | null;
  private readonly scalars: RmspropScalars = { alpha: 0, oneMinusAlpha: 0, eps: 0, weightDecay: 0, momentum: 0, negLr: 0 };

  constructor(params: readonly OptParam[], o: RmspropOptions) {
    super(params, o.lr, o.clip);
    checkNonNegative('eps', o.eps);
    checkNonNegative('momentum', o.momentum);
    checkNonNegative('weight_decay', o.weightDecay);
    checkNonNegative('alpha', o.alpha);
    this.alpha = o.alpha;
    this.eps = o.eps;
    this.weightDecay = o.weightDecay;
    this.momentum = o.momentum;
    this.centered = o.centered;
    this.squareAvg = this.addSlots('square_avg');
    this.momentumBuffer = o.momentum > 0 || o.momentumBuffers === true ? this.addSlots('momentum_buffer') : null;
    this.gradAvg = o.centered ? this.addSlots('grad_avg') : null;
  }

  override setMomentum(momentum: number): void {
    checkNonNegative('momentum', momentum);
    if (momentum > 0 && this.momentumBuffer === null) throw new RangeError('RMSprop: built without momentum buffers (momentum 0); construct it with momentumBuffers: true to set a momentum later');
    this.momentum = momentum;
  }

  protected update(): void {
    this.stepCount++;
    const s = this.scalars;
    const ks = this.kernelScalars;
    ks[0] = this.alpha; ks[1] = 1 - this.alpha; ks[2] = this.eps; ks[3] = this.weightDecay; ks[4] = this.momentum; ks[5] = -this.lr;
    for (let i = 0; i < this.params.length; i++) {
      const { data: p, grad: g } = this.params[i]!;
      // torch: the buffer is used where momentum > 0 (a buffer kept for a schedule waits at momentum 0).
      const sq = this.squareAvg[i]!, ga = this.gradAvg?.[i] ?? null, buf = this.momentum > 0 ? this.momentumBuffer?.[i] ?? null : null;
      if (rmspropInWasm(ks, p, g, sq, ga, buf)) continue;
      const r = p instanceof Float64Array ? asIs : Math.fround;
      s.alpha = r(this.alpha); s.oneMinusAlpha = r(1 - this.alpha); s.eps = r(this.eps);
      s.weightDecay = r(this.weightDecay); s.momentum = r(this.momentum); s.negLr = r(-this.lr);
      if (p instanceof Float64Array) rmspropUpdate64(s, p, g as Float64Array, sq as Float64Array, ga as Float64Array | null, buf as Float64Array | null);
      else rmspropUpdate32(s, p, g as Float32Array, sq as Float32Array, ga as Float32Array | null, buf as Float32Array | null);
    }
  }
}

/**
 * torch.optim.Adagrad (https://pytorch.org/docs/1.13/generated/torch.optim.Adagrad.html), _single_tensor_adagrad
 * (dense gradients): clr = lr / (1 + (t − 1)·lr_decay);  g = g + wd·p;  sum += g²;  p -= clr·g / (√sum + eps).
 * Slot: sum (initial_accumulator_value at the start, as torch's full_like). Bit for bit as torch in float64 and float32.
 */
export class Adagrad extends Optimizer {
  readonly lrDecay: number;
  readonly weightDecay: number;
  readonly initialAccumulatorValue: number;
  readonly eps: number;
  private readonly sums: FloatArray[];

  constructor(params: readonly OptParam[], o: AdagradOptions) {
    super(params, o.lr, o.clip);
    checkNonNegative('lr_decay', o.lrDecay);
    checkNonNegative('weight_decay', o.weightDecay);
    checkNonNegative('initial_accumulator_value', o.initialAccumulatorValue);
    checkNonNegative('eps', o.eps);
    this.lrDecay = o.lrDecay;
    this.weightDecay = o.weightDecay;
    this.initialAccumulatorValue = o.initialAccumulatorValue;
    this.eps = o.eps;
    this.sums = this.addSlots('sum');
    for (const s of this.sums) s.fill(o.initialAccumulatorValue);
  }

  protected update(): void {
    const t = ++this.stepCount;
    const clr = this.lr / (1 + (t - 1) * this.lrDecay);
    const ks = this.kernelScalars;
    ks[0] = this.weightDecay; ks[1] = this.eps; ks[2] = -clr;
    for (let i = 0; i < this.params.length; i++) {
      const { data: p, grad: g } = this.params[i]!;
      const sum = this.sums[i]!;
      if (adagradInWasm(ks, p, g, sum)) continue;
      if (p instanceof Float64Array) adagradUpdate64(this.weightDecay, this.eps, -clr, p, g as Float64Array, sum as Float64Array);
      else adagradUpdate32(Math.fround(this.weightDecay), Math.fround(this.eps), Math.fround(-clr), p, g as Float32Array, sum as Float32Array);
    }
  }
}

/**
 * torch.optim.Adadelta (https://pytorch.org/docs/1.13/generated/torch.optim.Adadelta.html), _single_tensor_adadelta:
 *   g = g + wd·p;  square_avg = ρ·square_avg + (1 − ρ)·g²;  std = √(square_avg + eps)
 *   delta = √(acc_delta + eps) / std · g;  acc_delta = ρ·acc_delta + (1 − ρ)·delta²;  p -= lr·delta
 * Slots: square_avg, acc_delta. Bit for bit as torch in float64 and float32.
 */
export class Adadelta extends Optimizer {
  readonly rho: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly squareAvg: FloatArray[];
  private readonly accDelta: FloatArray[];
  private readonly scalars: AdadeltaScalars = { rho: 0, oneMinusRho: 0, eps: 0, weightDecay: 0, negLr: 0 };

  constructor(params: readonly OptParam[], o: AdadeltaOptions) {
    super(params, o.lr, o.clip);
    if (!(o.rho >= 0 && o.rho <= 1)) throw new RangeError(`optimizer: invalid rho value: ${o.rho} (must be in [0, 1])`);
    checkNonNegative('eps', o.eps);
    checkNonNegative('weight_decay', o.weightDecay);
    this.rho = o.rho;
    this.eps = o.eps;
    this.weightDecay = o.weightDecay;
    this.squareAvg = this.addSlots('square_avg');
    this.accDelta = this.addSlots('acc_delta');
  }

  protected update(): void {
    this.stepCount++;
    const s = this.scalars;
    const ks = this.kernelScalars;
    ks[0] = this.rho; ks[1] = 1 - this.rho; ks[2] = this.eps; ks[3] = this.weightDecay; ks[4] = -this.lr;
    for (let i = 0; i < this.params.length; i++) {
      const { data: p, grad: g } = this.params[i]!;
      const sq = this.squareAvg[i]!, acc = this.accDelta[i]!;
      if (adadeltaInWasm(ks, p, g, sq, acc)) continue;
      const r = p instanceof Float64Array ? asIs : Math.fround;
      s.rho = r(this.rho); s.oneMinusRho = r(1 - this.rho); s.eps = r(this.eps); s.weightDecay = r(this.weightDecay); s.negLr = r(-this.lr);
      if (p instanceof Float64Array) adadeltaUpdate64(s, p, g as Float64Array, sq as Float64Array, acc as Float64Array);
      else adadeltaUpdate32(s, p, g as Float32Array, sq as Float32Array, acc as Float32Array);
    }
  }
}

function checkFinite(what: string, x: number): void {
  if (!Number.isFinite(x)) throw new RangeError(`optimizer: ${what} must be finite, got ${x}`);
}

function checkNonNegative(what: string, x: number): void {
  if (!(Number.isFinite(x) && x >= 0)) throw new RangeError(`optimizer: invalid ${what} value: ${x}`);
}

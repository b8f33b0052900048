// The base class of every gpu.js generated model: the CompiledModel contract (runtime/model.ts) over
// device-resident state. The generated subclass supplies the kernels and their order (forwardSteps,
// gradientSteps, optimizerSteps); this class holds what is the same for every model:
//
// - Where the truth lives. During training the weights (one flat vector P of the trainable tensors,
//   at literal offsets), the batchnorm running statistics, the optimizer's moments and the gradient
//   vector G live on the device. The host keeps a mirror, read back only where the API returns data
//   (forward's output, the loss, parameters(), saveWeights(), getTrainingState(), findNonFinite()).
// - Live views, as far as a device allows. parameters() reads the device back and returns views of
//   the mirror; writes to them (a checkpoint restore does this) are uploaded before the next step.
//   Writes made after a later step are not seen: call parameters() again.
// - CPU code, on purpose: the labels' check and per-row class weights, Σ w[y], the final sum of the
//   per-row losses (the API returns it anyway), dropout masks (the model's Rng, so both targets draw
//   the same stream), num_batches_tracked (a count), and the optimizer's per-step scalars.
// - Two contracts. Sync methods (CompiledModel) run on gpu.js 2's synchronous backends; the *Async
//   methods run everywhere, webgpu included, since each step is a generator of device calls.
import type { InitRule } from '../contracts.js';
import type { CompiledModel, ParameterView, TrainingState } from '../model.js';
import { classNamesAfterLoad, predictOutput, specClassNames, type ModelMetadata, type Prediction } from '../app.js';
import { Rng } from '../rng.js';
import { initParameter } from '../init.js';
import { applyGradClip, type GradClip } from '../clip-grad.js';
import { encodeSafetensors, loadNamedTensors } from '../safetensors.js';
import { firstNonFinite } from '../util.js';
import { openGpu, type Backend, type GpuLike } from './backend.js';
import { Device, type BackendInfo, type DeviceTensor, type KernelSpec } from './device.js';
import { runAsync, runSync, type Steps } from './steps.js';

export interface GpujsOptions {
  /** Weight init seed (default: the spec's train.seed). */
  readonly seed?: number;
  /** gpu.js mode; default 'gpu' (gpu.js's own choice — ask backendInfo() what it chose). */
  readonly backend?: Backend;
  /** A GPU instance to use instead of opening one (a page that loads gpu.js from a <script>). */
  readonly gpu?: GpuLike;
  /** gpu.js asyncMode for every kernel (webgpu is always asynchronous). */
  readonly async?: boolean;
}

export interface TensorSlot {
  /** PyTorch state_dict name. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly trainable: boolean;
  readonly init: InitRule;
  /** Offset in P (trainable tensors); -1 for buffers. */
  readonly offset: number;
  /** num_batches_tracked: a count kept on the host, never on the device. */
  readonly hostOnly: boolean;
  /** As ParameterView's: written as int64 by saveWeights (num_batches_tracked, as PyTorch keeps it). */
  readonly dtype?: 'I64';
}

export interface ModelLayout {
  readonly name: string;
  /** What model.metadata returns (runtime/app.ts). */
  readonly metadata: ModelMetadata;
  readonly specHash: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly tensors: readonly TensorSlot[];
  /** Length of P (and G): all trainable elements. */
  readonly paramSize: number;
  readonly loss: LossLayout;
  readonly lr: number;
  /** Optimizer slot kinds, in torch's state order: ['exp_avg', 'exp_avg_sq'], ['momentum_buffer'] or []. */
  readonly slots: readonly string[];
  /** Each slot kind's starting value (Adagrad's sum starts at initial_accumulator_value); 0 where absent. */
  readonly slotInit?: readonly number[];
  /** Gradient clipping before each optimizer step (torch.nn.utils), done on the host: the gradients are read
   *  back, clipped per parameter tensor as the TypeScript target clips them (runtime/clip-grad.ts), and
   *  uploaded again — one round trip a step. */
  readonly clip?: GradClip;
}

/** What the host does for the loss: check the labels and give each term its divisor. */
export interface LossLayout {
  /** 'softmax': a class index per row (sample or pixel); 'binary': a 0/1 target per output element. */
  readonly targets: 'softmax' | 'binary';
  /** Classes (dim 1 of the output) and labels per sample. */
  readonly classes: number;
  readonly labelsPerSample: number;
  /** A label equal to this counts in no sum (its row gets t = −1), or null. */
  readonly ignoreIndex: number | null;
  /** Per term: loss = Σ_k scale·Σ rows_k / total_k, total 'weighted' = Σ w[y] over the rows that count
   *  (w = 1 without class weights), 'count' = every label, 'one' = 1 (the TypeScript target's 5-codegen/losses/common.ts). */
  readonly terms: ReadonlyArray<{ readonly scale: number; readonly total: 'weighted' | 'count' | 'one'; readonly weight: readonly number[] | null }>;
}

/** Labels prepared on the host: class index (−1: ignored) or 0/1 target per row, as floats, and each term's divisor. */
export interface Labels {
  readonly t: Float32Array;
  readonly totals: readonly number[];
}

interface Record_ {
  readonly layer: string;
  readonly tensor: string;
  /** A device tensor, or null for a parameter's gradient (a slice of G). */
  readonly t: DeviceTensor | null;
  readonly length: number;
  readonly slot: TensorSlot | null;
}

export abstract class GpujsModel implements CompiledModel<Float32Array> {
  readonly name: string;
  readonly specHash: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly metadata: ModelMetadata;
  private names: readonly string[] | null;
  protected readonly device: Device;
  protected readonly rng: Rng;
  /** Device state: P, G, the running statistics by tensor name, the optimizer slots (each [paramSize]). */
  protected P: DeviceTensor = null;
  protected G: DeviceTensor = null;
  protected readonly buffers = new Map<string, DeviceTensor>();
  protected slots: DeviceTensor[] = [];
  protected stepCount = 0;
  protected lr: number;
  private mode = false;
  private readonly hostP: Float32Array;
  private readonly hostG: Float32Array;
  private readonly hostBuffers = new Map<string, Float32Array>();
  private readonly hostSlots: Float32Array[];
  private readonly views: ParameterView<Float32Array>[];
  /** Host wrote (or may write) the mirror: upload before the next device call. */
  private hostDirty = true;
  /** The device moved on since the last read-back. */
  private deviceAhead = false;
  private records: Record_[] = [];
  private readonly inSize: number;

  protected constructor(protected readonly layout: ModelLayout, seed: number, options: GpujsOptions = {}) {
    this.name = layout.name;
    this.specHash = layout.specHash;
    this.inputShape = layout.inputShape;
    this.outputShape = layout.outputShape;
    this.metadata = layout.metadata;
    this.names = specClassNames(layout.metadata);
    this.inSize = layout.inputShape.reduce((a, b) => a * b, 1);
    const backend = options.backend ?? 'gpu';
    this.device = new Device(options.gpu ?? openGpu(backend), backend, options.async === true || backend === 'webgpu');
    this.lr = layout.lr;
    this.rng = new Rng(seed);
    this.hostP = new Float32Array(layout.paramSize);
    this.hostG = new Float32Array(layout.paramSize);
    this.hostSlots = layout.slots.map((_, i) => new Float32Array(layout.paramSize).fill(layout.slotInit?.[i] ?? 0));
    this.views = layout.tensors.map((s) => {
      const data = s.trainable ? this.hostP.subarray(s.offset, s.offset + s.size) : new Float32Array(s.size);
      if (!s.trainable) this.hostBuffers.set(s.name, data);
      // PyTorch reset_parameters() rules, drawn in parameter order: the TypeScript target's stream.
      initParameter(this.rng, data, s.init);
      const grad = s.trainable ? this.hostG.subarray(s.offset, s.offset + s.size) : new Float32Array(s.size);
      return { name: s.name, shape: s.shape, data, grad, trainable: s.trainable, ...(s.dtype === undefined ? {} : { dtype: s.dtype }) };
    });
  }

  // --- generated by cnnc, per model -------------------------------------------------------------
  /** Forward in the current mode; returns the output tensor. */
  protected abstract forwardSteps(x: Float32Array, n: number): Steps<DeviceTensor>;
  /** Forward, the per-row losses and the backward; sets G (setGradients); returns each loss term's rows. */
  protected abstract gradientSteps(x: Float32Array, labels: Labels, n: number): Steps<DeviceTensor[]>;
  /** One optimizer step on the device (replaces P and the slots). */
  protected abstract optimizerSteps(): Steps<void>;

  // --- CompiledModel ----------------------------------------------------------------------------
  get training(): boolean {
    return this.mode;
  }
  train(): void {
    this.mode = true;
  }
  eval(): void {
    this.mode = false;
  }

  forward(x: Float32Array, n: number): Float32Array {
    return runSync(this.forwardRun(x, n));
  }
  computeGradients(x: Float32Array, y: Int32Array, n: number): number {
    return runSync(this.gradientRun(x, y, n, false));
  }
  trainStep(x: Float32Array, y: Int32Array, n: number): number {
    return runSync(this.gradientRun(x, y, n, true));
  }
  forwardAsync(x: Float32Array, n: number): Promise<Float32Array> {
    return runAsync(this.forwardRun(x, n));
  }
  computeGradientsAsync(x: Float32Array, y: Int32Array, n: number): Promise<number> {
    return runAsync(this.gradientRun(x, y, n, false));
  }
  trainStepAsync(x: Float32Array, y: Int32Array, n: number): Promise<number> {
    return runAsync(this.gradientRun(x, y, n, true));
  }
  /** Reads the device state back (needed before the sync accessors on an asynchronous backend). */
  downloadAsync(): Promise<void> {
    return runAsync(this.download());
  }

  parameters(): ParameterView<Float32Array>[] {
    this.syncHost();
    this.hostDirty = true; // the views are live: what the caller writes is uploaded before the next step
    return this.views.slice();
  }
  saveWeights(): Uint8Array {
    this.syncHost();
    return encodeSafetensors(this.views);
  }
  loadWeights(bytes: Uint8Array): void {
    this.syncHost();
    loadNamedTensors(bytes, this.views.map((v) => ({ name: v.name, shape: v.shape, data: v.data })), 'weights');
    this.hostDirty = true;
    this.names = classNamesAfterLoad(this.metadata, bytes);
  }
  get classNames(): readonly string[] | null {
    return this.names;
  }
  predict(x: Float32Array, n: number): Prediction[] {
    return predictOutput(this.forward(x, n), n, this.metadata, this.names);
  }
  getTrainingState(): TrainingState<Float32Array> {
    this.syncHost();
    return { step: this.stepCount, slots: this.slotViews().map((s) => ({ name: s.name, data: s.data.slice() })), rng: this.rng.getState() };
  }
  setTrainingState(state: TrainingState<Float32Array>): void {
    this.syncHost();
    if (!(Number.isSafeInteger(state.step) && state.step >= 0)) throw new RangeError(`optimizer state: step must be a count, got ${state.step}`);
    const given = new Map<string, Float32Array>();
    for (const s of state.slots) {
      if (given.has(s.name)) throw new RangeError(`optimizer state: slot "${s.name}" given twice`);
      given.set(s.name, s.data);
    }
    const mine = this.slotViews();
    for (const s of mine) {
      const d = given.get(s.name);
      if (d === undefined) throw new RangeError(`optimizer state: missing slot "${s.name}"`);
      if (d.length !== s.data.length) throw new RangeError(`optimizer state: slot "${s.name}" has ${d.length} values, expected ${s.data.length}`);
      given.delete(s.name);
    }
    const extra = [...given.keys()];
    if (extra.length > 0) throw new RangeError(`optimizer state: unexpected slot "${extra[0]}"`);
    const rng = this.rng.getState();
    this.rng.setState(state.rng); // checks the words first: a bad state throws before anything changed
    try {
      for (const s of mine) s.data.set(state.slots.find((x) => x.name === s.name)!.data);
    } catch (e) {
      this.rng.setState(rng);
      throw e;
    }
    this.stepCount = state.step;
    this.hostDirty = true;
  }
  setLearningRate(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError('learning rate must be a number ≥ 0, got ' + lr);
    this.lr = lr;
  }
  findNonFinite(): { readonly layer: string; readonly tensor: string } | null {
    this.syncHost();
    for (const r of this.records) {
      const a = r.slot !== null ? this.hostG.subarray(r.slot.offset, r.slot.offset + r.slot.size) : runSync(this.readSteps(r.t));
      if (firstNonFinite(a, r.length) >= 0) return { layer: r.layer, tensor: r.tensor };
    }
    return null;
  }

  /** Which gpu.js mode and kernel classes really ran (gpu.js falls back silently: ask, do not assume). */
  backendInfo(): BackendInfo {
    return this.device.info();
  }
  /** Destroys the kernels and the GPU context; the model is unusable afterwards. */
  dispose(): void {
    this.device.destroy();
  }

  // --- for the generated subclass -----------------------------------------------------------------
  /** Runs one kernel for batch size n (a yielded step). */
  protected run(spec: KernelSpec, n: number, ...args: unknown[]): unknown {
    return this.device.run(spec, n, ...args);
  }
  /** The device tensor of a buffer (running statistics). */
  protected buffer(name: string): DeviceTensor {
    return this.buffers.get(name);
  }
  protected setBuffer(name: string, t: DeviceTensor): void {
    const old = this.buffers.get(name);
    this.buffers.set(name, this.device.keep(t));
    if (old !== t) this.device.release(old);
    this.deviceAhead = true;
  }
  /** A dropout mask drawn on the host, in the TypeScript target's order and formula (so one seed
   *  gives both targets the same masks): each of `count` entries is `scale` with probability `keep`, else 0. */
  protected dropoutMask(count: number, keep: number, scale: number): Float32Array {
    const m = new Float32Array(count);
    for (let i = 0; i < count; i++) m[i] = this.rng.nextFloat() < keep ? scale : 0;
    return m;
  }
  /** num_batches_tracked += 1 (a host count). */
  protected countBatch(name: string): void {
    const b = this.hostBuffers.get(name);
    if (b !== undefined) b[0] = (b[0] ?? 0) + 1;
  }
  /** The gradients read back, clipped as torch.nn.utils clips a model's parameters (tensor by tensor), uploaded. */
  private *clipGradients(clip: GradClip): Steps<void> {
    if (this.G === null) return;
    const g = Float32Array.from((yield this.device.read(this.G)) as Float32Array);
    applyGradClip(clip, this.layout.tensors.filter((s) => s.trainable).map((s) => g.subarray(s.offset, s.offset + s.size)));
    this.setGradients(yield this.device.upload(g));
  }

  protected setGradients(t: DeviceTensor): void {
    if (this.G !== null) this.device.release(this.G);
    this.G = this.device.keep(t);
    this.deviceAhead = true;
  }
  protected setParams(t: DeviceTensor): void {
    this.device.release(this.P);
    this.P = this.device.keep(t);
  }
  protected setSlot(i: number, t: DeviceTensor): void {
    this.device.release(this.slots[i]);
    this.slots[i] = this.device.keep(t);
  }
  /** Remembers a tensor of this step for findNonFinite (forward outputs in order, then gradients backward). */
  protected record(layer: string, tensor: string, t: DeviceTensor, length: number): void {
    this.records.push({ layer, tensor, t, length, slot: null });
  }
  /** Remembers that a layer's parameter gradients come next in findNonFinite's order. */
  protected recordParamGrads(layer: string, names: readonly string[]): void {
    for (const name of names) {
      const slot = this.layout.tensors.find((s) => s.name === name);
      if (slot !== undefined) this.records.push({ layer, tensor: `${name}.grad`, t: null, length: slot.size, slot });
    }
  }

  // --- internals ---------------------------------------------------------------------------------
  private *forwardRun(x: Float32Array, n: number): Steps<Float32Array> {
    const xs = this.checkInput(x, n);
    yield* this.prepare();
    const out = yield* this.forwardSteps(xs, n);
    const host = (yield this.device.read(out)) as Float32Array;
    return host;
  }

  private *gradientRun(x: Float32Array, y: Int32Array, n: number, step: boolean): Steps<number> {
    const xs = this.checkInput(x, n);
    const labels = this.labels(y, n);
    yield* this.prepare();
    const rows = yield* this.gradientSteps(xs, labels, n);
    let loss = 0;
    for (let k = 0; k < rows.length; k++) {
      const perRow = (yield this.device.read(rows[k])) as Float32Array;
      let sum = 0;
      for (let i = 0; i < perRow.length; i++) sum += perRow[i]!;
      loss += (this.layout.loss.terms[k]!.scale * sum) / labels.totals[k]!;
    }
    if (step) {
      if (this.layout.clip !== undefined) yield* this.clipGradients(this.layout.clip);
      yield* this.optimizerSteps();
      this.stepCount++;
    }
    this.deviceAhead = true;
    return loss;
  }

  /** Uploads what the host changed, then frees the previous step's intermediates. */
  private *prepare(): Steps<void> {
    this.device.releaseTransient();
    this.records = [];
    if (!this.hostDirty) return;
    this.setParams(yield this.device.upload(this.hostP));
    for (const [name, data] of this.hostBuffers) {
      const slot = this.layout.tensors.find((s) => s.name === name);
      if (slot?.hostOnly === true) continue;
      this.setBuffer(name, yield this.device.upload(data));
    }
    for (let i = 0; i < this.hostSlots.length; i++) this.setSlot(i, yield this.device.upload(this.hostSlots[i]!));
    this.hostDirty = false;
    this.deviceAhead = false;
  }

  private *download(): Steps<void> {
    if (!this.deviceAhead || this.hostDirty) return;
    this.hostP.set((yield this.device.read(this.P)) as Float32Array);
    if (this.G !== null) this.hostG.set((yield this.device.read(this.G)) as Float32Array);
    for (const [name, data] of this.hostBuffers) {
      const t = this.buffers.get(name);
      if (t !== undefined) data.set((yield this.device.read(t)) as Float32Array);
    }
    for (let i = 0; i < this.hostSlots.length; i++) this.hostSlots[i]!.set((yield this.device.read(this.slots[i])) as Float32Array);
    this.deviceAhead = false;
  }

  private *readSteps(t: DeviceTensor): Steps<Float32Array> {
    return (yield this.device.read(t)) as Float32Array;
  }

  private syncHost(): void {
    runSync(this.download());
  }

  private slotViews(): { name: string; data: Float32Array }[] {
    const out: { name: string; data: Float32Array }[] = [];
    this.layout.slots.forEach((kind, i) => {
      for (const s of this.layout.tensors) {
        if (s.trainable) out.push({ name: `${s.name}.${kind}`, data: this.hostSlots[i]!.subarray(s.offset, s.offset + s.size) });
      }
    });
    return out;
  }

  private checkInput(x: Float32Array, n: number): Float32Array {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('batch size must be a positive integer, got ' + n);
    const need = n * this.inSize;
    if (x.length < need) throw new RangeError(`input: expected ${need} values [n, ${this.inputShape.join(', ')}], got ${x.length}`);
    // Exactly n samples: a kernel is compiled for its arguments' sizes.
    return x.length === need ? x : x.subarray(0, need);
  }

  /** Host: checks each label (the TypeScript target's messages), gives every row its class or target
   *  as a float (−1 for ignore_index), and computes each loss term's divisor. */
  private labels(y: Int32Array, n: number): Labels {
    const { targets, classes, labelsPerSample, ignoreIndex, terms } = this.layout.loss;
    const rows = n * labelsPerSample;
    if (y.length < rows) throw new RangeError('labels: expected ' + rows + ' values, got ' + y.length);
    const t = new Float32Array(rows);
    const weighted = terms.map(() => 0);
    for (let i = 0; i < rows; i++) {
      const c = y[i]!;
      if (targets === 'binary') {
        if (c !== 0 && c !== 1) throw new RangeError(`target ${c} at index ${i} is not 0 or 1`);
        t[i] = c;
        continue;
      }
      if (c === ignoreIndex) {
        t[i] = -1;
        continue;
      }
      if (!(c >= 0 && c < classes)) throw new RangeError(`label ${c} at index ${i} is not a class in [0, ${classes})${ignoreIndex === null ? '' : ` nor ignore_index ${ignoreIndex}`}`);
      t[i] = c;
      terms.forEach((term, k) => (weighted[k] = weighted[k]! + (term.weight === null ? 1 : term.weight[c]!)));
    }
    const totals = terms.map((term, k) => (term.total === 'weighted' ? weighted[k]! : term.total === 'count' ? rows : 1));
    return { t, totals };
  }
}

// The device: gpu.js kernels compiled once per (kernel, batch size) and cached, the tensors they
// return, and an honest account of what ran. Every kernel is created with
//   output [length] (1-D: the generated index math lays out NCHW), precision 'single',
//   pipeline: true + immutable: true (results stay on the device — textures on GL, plain arrays on
//   cpu/webasm, which have no device memory — and a call never overwrites an earlier result),
// so a step chains layers without reading back; results are deleted when the step that made them
// is over (GL textures are not garbage collected).
import type { Backend, GpuLike, KernelLike } from './backend.js';

/** A kernel of a generated module: name, parameter names, and its output length and body for a batch size. */
export interface KernelSpec {
  readonly name: string;
  readonly params: readonly string[];
  /** Output elements for batch size n (constant for parameter-sized kernels). */
  readonly length: (n: number) => number;
  /** The function body with every shape — n included — written as a literal. */
  readonly body: (n: number) => string;
}

export function kernel(name: string, params: readonly string[], length: (n: number) => number, body: (n: number) => string): KernelSpec {
  return { name, params, length, body };
}

/** A tensor on the device: a gpu.js Texture (GL), a Float32Array (cpu, webasm), or a webgpu buffer. */
export type DeviceTensor = unknown;

/** What really ran, not what was asked for. */
export interface BackendInfo {
  /** The backend the app asked for. */
  readonly requested: Backend;
  /** gpu.js's GPU mode after its own choice (`gpu` resolves to one of the others). */
  readonly mode: string;
  /** Kernel classes that actually ran, with how many compiled kernels each (e.g. { WebAssemblyKernel: 31 }). */
  readonly kernelClasses: Readonly<Record<string, number>>;
  /** The modes of those classes (`webasm`, `cpu`, `webgl2`, ...), deduplicated. */
  readonly modes: readonly string[];
  /** Kernels gpu.js moved to another backend, with its reason. */
  readonly fallbacks: ReadonlyArray<{ readonly kernel: string; readonly reason: string }>;
  /** True when every kernel ran in the requested mode (for `gpu`: in the mode gpu.js chose). */
  readonly honest: boolean;
}

const IDENTITY = kernel('upload', ['a'], (n) => n, () => 'return a[this.thread.x];');

export class Device {
  private readonly kernels = new Map<string, KernelLike>();
  private readonly transient = new Set<DeviceTensor>();

  constructor(readonly gpu: GpuLike, readonly requested: Backend, private readonly asyncMode = false) {}

  /** Runs `spec` for batch size n; the result is transient (released by releaseTransient) until kept. */
  run(spec: KernelSpec, n: number, ...args: unknown[]): unknown {
    const r = this.compiled(spec, n)(...args);
    if (isThenable(r)) return Promise.resolve(r).then((t) => this.track(t));
    return this.track(r);
  }

  /** A host array as a device tensor (one identity kernel per length). */
  upload(data: Float32Array): unknown {
    return this.run(IDENTITY, data.length, data);
  }

  /** Device → host. A Float32Array (cpu, webasm) is already host memory; a texture is read back. */
  read(t: DeviceTensor): Float32Array | Promise<Float32Array> {
    if (t instanceof Float32Array) return t;
    const r = (t as { toArray(): unknown }).toArray();
    if (isThenable(r)) return Promise.resolve(r).then(flat);
    return flat(r);
  }

  /** Takes t out of the step's transient set: it lives until `release(t)`. */
  keep<T>(t: T): T {
    this.transient.delete(t);
    return t;
  }

  release(t: DeviceTensor): void {
    this.transient.delete(t);
    dispose(t);
  }

  /** Deletes every result not kept (called at the start of each step: the last step's stay readable). */
  releaseTransient(): void {
    for (const t of this.transient) dispose(t);
    this.transient.clear();
  }

  info(): BackendInfo {
    const kernelClasses: Record<string, number> = {};
    const modes = new Set<string>();
    const fallbacks: { kernel: string; reason: string }[] = [];
    for (const [key, k] of this.kernels) {
      const ctor = k.kernel.constructor;
      kernelClasses[ctor.name] = (kernelClasses[ctor.name] ?? 0) + 1;
      const mode = kernelMode(ctor);
      if (mode !== undefined) modes.add(mode);
      const reason = k.kernel.fallbackReason;
      if (reason !== undefined && reason !== null) fallbacks.push({ kernel: key, reason });
    }
    const expected = this.gpu.mode;
    // Auto mode ('gpu', when gpu.js left it unresolved): honest if every kernel ran in the one mode it chose.
    const honest = fallbacks.length === 0 && [...modes].every((m) => m === expected || (expected === 'gpu' && modes.size === 1));
    return { requested: this.requested, mode: expected, kernelClasses, modes: [...modes].sort(), fallbacks, honest };
  }

  /** Destroys every kernel and the GPU (textures with them). */
  destroy(): void {
    this.releaseTransient();
    for (const k of this.kernels.values()) k.destroy();
    this.kernels.clear();
    this.gpu.destroy();
  }

  private compiled(spec: KernelSpec, n: number): KernelLike {
    const key = `${spec.name}@${n}`;
    let k = this.kernels.get(key);
    if (k === undefined) {
      const source = `function (${spec.params.join(', ')}) {\n${spec.body(n)}\n}`;
      k = this.gpu.createKernel(source, {
        output: [spec.length(n)],
        pipeline: true,
        immutable: true,
        precision: 'single',
        tactic: 'precision',
        asyncMode: this.asyncMode,
      });
      this.kernels.set(key, k);
    }
    return k;
  }

  private track(t: unknown): unknown {
    if (t !== null && typeof t === 'object') this.transient.add(t);
    return t;
  }
}

/**
 * The mode a kernel class runs in. gpu.js's GL kernels (WebGLKernel, WebGL2Kernel, HeadlessGLKernel)
 * all inherit `static mode = 'gpu'` from GLKernel, so for them the class says which one ran.
 */
const GL_MODES: Readonly<Record<string, string>> = { WebGL2Kernel: 'webgl2', WebGLKernel: 'webgl', HeadlessGLKernel: 'headlessgl' };

function kernelMode(ctor: { readonly name: string; readonly mode?: string }): string | undefined {
  return GL_MODES[ctor.name] ?? ctor.mode;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

function dispose(t: DeviceTensor): void {
  if (t instanceof Float32Array) return; // host memory: the garbage collector's
  const d = (t as { delete?: () => void } | null)?.delete;
  if (typeof d === 'function') d.call(t);
}

function flat(a: unknown): Float32Array {
  if (a instanceof Float32Array) return a;
  throw new Error(`cnnc internal error: a 1-D kernel result read back as ${Object.prototype.toString.call(a)}`);
}

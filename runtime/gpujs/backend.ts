// Backend selection for the gpu.js target. gpu.js picks a backend by `mode` and, where one is not
// supported, either throws (an explicit mode) or falls back silently (auto mode, and per kernel at
// run time: webasm hands what it cannot compile to the cpu kernel). So we ask for exactly what the
// user named and later report what really ran (Device.info()), never what was requested.
import { GPU } from 'gpu.js';

import { BACKENDS, BackendError, type Backend } from './backends.js';

export { BACKENDS, BackendError, type Backend } from './backends.js';

/** The part of gpu.js's GPU instance the runtime uses (structural, so a GPU from a <script> tag fits). */
export interface GpuLike {
  readonly mode: string;
  createKernel(source: string, settings: Record<string, unknown>): KernelLike;
  destroy(): void;
}

/** A gpu.js kernel run shortcut: callable, and `.kernel` is the kernel instance that really runs. */
export interface KernelLike {
  (...args: unknown[]): unknown;
  readonly kernel: { readonly constructor: { readonly name: string; readonly mode?: string }; readonly fallbackReason?: string | null };
  destroy(removeCanvasReferences?: boolean): void;
}

/** A GPU for `backend`; refuses (BackendError, no stack trace needed) a mode this platform lacks. */
export function openGpu(backend: Backend, ctor: new (settings: { mode: string }) => GpuLike = GPU as unknown as new (s: { mode: string }) => GpuLike): GpuLike {
  if (!BACKENDS.includes(backend)) throw new BackendError(`unknown gpu.js backend "${String(backend)}": expected one of ${BACKENDS.join(', ')}`);
  try {
    return new ctor({ mode: backend });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new BackendError(`gpu.js backend "${backend}" is not available here (${why}); ${hint(backend)}`);
  }
}

function hint(backend: Backend): string {
  switch (backend) {
    case 'headlessgl': return "it needs the optional npm package 'gl' built (X11 dev packages) and a display (xvfb-run)";
    case 'webgl2':
    case 'webgl': return 'it needs a browser with WebGL';
    case 'webgpu': return 'it needs a browser with WebGPU (navigator.gpu)';
    case 'gpu':
    case 'webasm':
    case 'cpu': return "try backend 'cpu'";
    default: return '';
  }
}

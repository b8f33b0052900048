// The gpu.js backends' names and the error for one that is missing, without gpu.js itself: the CLI
// checks `--target gpujs --backend MODE` with these, and loads gpu.js (an optional peer dependency,
// docs/gpujs.md) only when a gpu.js model really runs (backend.ts).

/** `gpu` is gpu.js's automatic choice (headlessgl → webgl2 → webgl → webasm); the rest are explicit. */
export type Backend = 'gpu' | 'webgl2' | 'webgl' | 'webgpu' | 'headlessgl' | 'webasm' | 'cpu';

export const BACKENDS: readonly Backend[] = ['gpu', 'webgl2', 'webgl', 'webgpu', 'headlessgl', 'webasm', 'cpu'];

export class BackendError extends Error {
  override readonly name = 'BackendError';
}

// Kernel calls as steps of a generator, so one generated training step serves both contracts:
// gpu.js 2 calls return values (cpu, webasm, webgl, webgl2, headlessgl), its webgpu mode (and gpu.js 3,
// everywhere) returns Promises. Generated code writes `const y = yield this.run(k, n, x)`; runSync
// feeds each value straight back, runAsync awaits it first. Neither reorders anything.

/** A generated sequence of device calls returning R. */
export type Steps<R> = Generator<unknown, R, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- each yield resumes with the awaited kernel result

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';

/** Runs the steps synchronously; a Promise from the backend means it is asynchronous-only. */
export function runSync<R>(steps: Steps<R>): R {
  let r = steps.next();
  while (r.done !== true) {
    if (isThenable(r.value)) {
      steps.return(undefined as R);
      throw new Error('this gpu.js backend is asynchronous (webgpu): use forwardAsync / computeGradientsAsync / trainStepAsync');
    }
    r = steps.next(r.value);
  }
  return r.value;
}

/** Runs the steps, awaiting every device call (works on every backend). */
export async function runAsync<R>(steps: Steps<R>): Promise<R> {
  let r = steps.next();
  while (r.done !== true) r = steps.next(await r.value);
  return r.value;
}

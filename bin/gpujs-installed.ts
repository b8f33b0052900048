// gpu.js is an optional peer dependency of cnnc (package.json peerDependenciesMeta): `npm install cnnc`
// leaves it out, with its 84 MB webgpu and the native gl build, and `--target gpujs` asks for it.
import { createRequire } from 'node:module';

export const GPUJS_MISSING = '--target gpujs needs the npm package gpu.js, which cnnc does not install itself: npm install gpu.js';

/**
 * null when gpu.js resolves from cnnc's own files (where dist/runtime/gpujs imports it from, in the same
 * node_modules chain), else the one line to print. `resolve` is Node's, replaceable for a test.
 */
export function gpujsMissing(resolve: (id: string) => string = createRequire(import.meta.url).resolve): string | null {
  try {
    resolve('gpu.js');
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return GPUJS_MISSING;
    throw e;
  }
}

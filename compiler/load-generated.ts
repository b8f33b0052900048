// Loads a generated module in-process (the CLI's train / eval / predict, tests, the bench): transpile the
// TypeScript to JavaScript, point its one `cnnc/runtime` (or `@cnnc/runtime`) import at this package's runtime entry, write it
// to workDir atomically and import it. The file name carries the code's hash (`<Name>.<hash>.model.mjs`),
// so a changed module is never served from a module cache (Node's, or vitest's, which ignores queries).
// The compiler's, not the runtime's: transpiling loads TypeScript (5-codegen/emit-js.ts), which an app
// that runs an already built module must not pay for (cnnc/runtime/node loads no compiler).
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../runtime/node/atomic.js';
import { pathToFileURL } from 'node:url';
import type { CompiledModel, FloatArray } from '../runtime/model.js';
import { transpileToJs } from './5-codegen/emit-js.js';

export interface GeneratedModule<A extends FloatArray = Float32Array> {
  createModel(options?: { seed?: number }): CompiledModel<A>;
}

const RUNTIME_IMPORT = /from\s+['"](?:cnnc|@cnnc)\/runtime['"]/g;

/** The runtime's entry of this package: dist/runtime/index.js when built, runtime/index.ts under vitest. */
function runtimeUrl(): string {
  const self = import.meta.url;
  return new URL(self.endsWith('.ts') ? '../runtime/index.ts' : '../runtime/index.js', self).href;
}

export async function loadModule<A extends FloatArray = Float32Array>(code: string, workDir: string): Promise<GeneratedModule<A>> {
  const js = transpileToJs(code);
  const imports = js.match(RUNTIME_IMPORT) ?? [];
  if (imports.length !== 1) throw new Error(`not a cnnc generated module: expected one import of cnnc/runtime (or @cnnc/runtime), found ${imports.length}`);
  const linked = js.replace(RUNTIME_IMPORT, `from ${JSON.stringify(runtimeUrl())}`);
  const name = /export class ([A-Za-z_][A-Za-z0-9_]*)/.exec(code)?.[1] ?? 'model';
  const hash = createHash('sha256').update(linked).digest('hex').slice(0, 16);
  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, `${name}.${hash}.model.mjs`);
  writeFileAtomic(file, linked);
  const mod = (await import(pathToFileURL(file).href)) as Partial<GeneratedModule<A>>;
  if (typeof mod.createModel !== 'function') throw new Error(`${file}: the module exports no createModel`);
  return mod as GeneratedModule<A>;
}

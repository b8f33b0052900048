// A real cnnc model for the fuzz suites: test/train/fixtures/tiny.yaml compiled in-process as
// `cnnc train`, `eval` and `predict` compile it, its weights saved by the model itself.
import type { CompiledModel } from '../../runtime/model.js';
import { compileSpec, type LoadedSpec } from '../../bin/commands/compile-model.js';

export const TINY_SPEC = 'test/train/fixtures/tiny.yaml';

let loaded: Promise<LoadedSpec> | undefined;

/** The compiled tiny spec (once per test file). */
export function tinySpec(): Promise<LoadedSpec> {
  loaded ??= compileSpec(TINY_SPEC, { stdout: process.stdout, stderr: process.stderr }).then((l) => {
    if (l === null) throw new Error(`${TINY_SPEC} does not compile`);
    return l;
  });
  return loaded;
}

/** A fresh model; its weights (seeded) as the model writes them. */
export async function tinyModel(seed = 0): Promise<{ model: CompiledModel; weights: Uint8Array }> {
  const model = (await tinySpec()).createModel({ seed });
  return { model, weights: model.saveWeights() };
}

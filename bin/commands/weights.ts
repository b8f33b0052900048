// Reading a weights file for `cnnc eval` / `predict`: a missing or corrupt file is a user's mistake.
import { readFileSync } from 'node:fs';
import { classNamesOf } from '../../runtime/class-names.js';
import type { CompiledModel } from '../../runtime/model.js';
import { UsageError } from './compile-model.js';

/** Loads the file into the model; returns the class names it carries (cnnc train writes them), or null. */
export function loadWeightsFile(model: CompiledModel, file: string): string[] | null {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    model.loadWeights(bytes);
    return classNamesOf(bytes);
  } catch (e) {
    // loadWeights only throws about the file (it names the tensor or byte offset): a user's mistake.
    if (e instanceof Error) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

// Reading a weights file for `cnnc eval` / `predict`: a missing or corrupt file is a user's mistake.
// From a pipe or a device (`--weights <(curl …)`), reading stops where no weights file for the model
// can still be going: /dev/zero never ends.
import { classNamesOf } from '../../runtime/class-names.js';
import type { CompiledModel } from '../../runtime/model.js';
import { MAX_HEADER_BYTES } from '../../runtime/safetensors.js';
import { mebibytes, readBounded } from '../../runtime/node/read-bounded.js';
import { UsageError } from './compile-model.js';

/** Loads the file into the model; returns the class names it carries (cnnc train writes them), or null. */
export function loadWeightsFile(model: CompiledModel, file: string): string[] | null {
  let bytes: Uint8Array;
  // The longest file that can hold this model: the 8-byte length, the largest header, every parameter.
  const max = 8 + MAX_HEADER_BYTES + model.parameters().reduce((n, p) => n + p.data.byteLength, 0);
  try {
    const read = readBounded(file, max);
    if (!read.ok) throw new UsageError(`cannot read ${file}: it is not a regular file and goes on past ${mebibytes(max)}, more than any weights file of ${model.name} (byte ${max})`);
    bytes = read.bytes;
  } catch (e) {
    if (e instanceof UsageError) throw e;
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

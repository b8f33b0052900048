// Class names travel with a model's weights: `cnnc train` writes them into the weights file's safetensors
// `__metadata__` (key "classes", a JSON array of strings in index order), and `cnnc predict` and `eval` read
// them back to print names instead of indices. Browser-safe.
import { decodeSafetensors, withMetadata } from './safetensors.js';

export const CLASSES_METADATA_KEY = 'classes';

/** The weights file with the class names in its metadata (unchanged without names). */
export function weightsWithClassNames(weights: Uint8Array, names: readonly string[] | undefined): Uint8Array {
  return names === undefined ? weights : withMetadata(weights, { [CLASSES_METADATA_KEY]: JSON.stringify(names) });
}

/** The class names a weights file carries, or null where it has none (or they are not a list of strings). */
export function classNamesOf(weights: Uint8Array): string[] | null {
  const raw = decodeSafetensors(weights).metadata[CLASSES_METADATA_KEY];
  if (raw === undefined) return null;
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

/** A class name as it may be printed on a terminal: control characters escaped as \uXXXX (a folder's name,
 *  or a weights file's metadata, is the user's: it must not move the cursor or clear the screen). */
export function printableName(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

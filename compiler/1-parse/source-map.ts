import type { Span } from '../ir/types.js';

/** A path into the parsed document: `['layers', 3, 'kernel_size']`. */
export type DocPath = readonly (string | number)[];

/** Maps document paths back to YAML source positions. */
export interface SourceMap {
  readonly file: string;
  readonly source: string;
  /** Span of the value at `path`; when the path does not exist, the nearest existing ancestor's. */
  value(path: DocPath): Span;
  /** Span of the key at `path` (for an array item, the item); falls back like `value`. */
  key(path: DocPath): Span;
}

// A SourceMap over the `yaml` package's AST: document paths back to source spans.
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { Span } from '../ir/types.js';
import type { DocPath, SourceMap } from './source-map.js';

type Range = readonly [number, number];

export class YamlSourceMap implements SourceMap {
  /** Offsets where each line starts. Computed here, not by yaml's LineCounter, which misses the
   *  newlines inside some malformed flow collections (found by the fuzz test). */
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly file: string,
    readonly source: string,
    private readonly doc: Document.Parsed | null,
  ) {
    for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  value(path: DocPath): Span {
    const found = this.walk(path);
    return this.span(found.value ?? this.rootRange());
  }

  key(path: DocPath): Span {
    const found = this.walk(path);
    return this.span(found.key ?? found.value ?? this.rootRange());
  }

  /** A span from 0-based offsets; trailing blanks (block collections end after a newline) are trimmed. */
  span(range: readonly number[]): Span {
    const start = range[0] ?? 0;
    const rawEnd = range[1] ?? start;
    let end = Math.max(start, Math.min(rawEnd, this.source.length));
    // Unless the span is only blanks (a tab used as indentation): then it stays as it is.
    if (/\S/.test(this.source.slice(start, end))) while (end > start && /\s/.test(this.source[end - 1] ?? '')) end--;
    const a = this.linePos(start);
    const b = this.linePos(end);
    return { file: this.file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: start, end };
  }

  /** 1-based line and column of a 0-based offset (binary search over line starts). */
  linePos(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }

  /** Follows `path` as far as it exists; `key` is the last found key (or the item, for an array index). */
  private walk(path: DocPath): { value: Range | null; key: Range | null } {
    let node: unknown = this.doc?.contents ?? null;
    let value = rangeOf(node);
    let key: Range | null = null;
    for (const seg of path) {
      node = this.deref(node);
      let next: unknown = undefined;
      let nextKey: Range | null = null;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair !== undefined) {
          nextKey = rangeOf(pair.key);
          // `kernel_size:` with nothing after it: the value is null and has no range; point at the key.
          next = pair.value ?? null;
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
        nextKey = rangeOf(next);
      }
      if (next === undefined) break;
      node = next;
      key = nextKey;
      value = rangeOf(next) ?? nextKey;
    }
    return { value, key };
  }

  private deref(node: unknown): unknown {
    // An alias stands for its anchor's node; follow a bounded number of hops (the parser rejects cycles).
    for (let i = 0; i < 16 && isAlias(node) && this.doc !== null; i++) node = node.resolve(this.doc);
    return node;
  }

  private rootRange(): Range {
    const r = rangeOf(this.doc?.contents ?? null);
    if (r !== null) return r;
    // No document: the first non-blank, non-comment character, or the start of the file.
    const m = /^(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*/.exec(this.source);
    const at = Math.min(m?.[0].length ?? 0, this.source.length);
    return [at, at];
  }
}

function rangeOf(node: unknown): Range | null {
  const r = (node as Node | null | undefined)?.range;
  return r === undefined || r === null ? null : [r[0], r[1]];
}

// Phase 1: YAML text to a plain JS document and a source map. The reader is deliberately
// narrow: YAML 1.2 core schema, no tags, unique keys, bounded aliases, nesting and size, so a
// spec is plain data and a hostile file costs nothing (see https://en.wikipedia.org/wiki/Billion_laughs_attack).
import { isCollection, isNode, isPair, isScalar, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import type { Code } from '../diagnostics/codes.js';
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import type { SourceMap } from './source-map.js';
import { YamlSourceMap } from './yaml-source-map.js';

/** Larger than any real spec by three orders of magnitude. */
export const MAX_SOURCE_BYTES = 1 << 20;
/** The deepest real spec nests 4 levels (layers → layer → kernel_size → pair). */
export const MAX_DEPTH = 64;
/** Aliases expanded while building the document; a billion-laughs file needs millions. */
export const MAX_ALIAS_COUNT = 100;

const EMPTY_HINT = 'start from specs/mnist.yaml';

export interface ParseResult {
  /** The document as plain JS; null exactly when `diagnostics` holds an error. */
  readonly doc: unknown | null;
  readonly map: SourceMap;
  readonly diagnostics: Diagnostic[];
}

export function parse(source: string, file: string): ParseResult {
  if (source.length > MAX_SOURCE_BYTES) {
    const map = new YamlSourceMap(file, source, null);
    const msg = `the spec is ${source.length} characters long; cnnc reads at most ${MAX_SOURCE_BYTES}`;
    return { doc: null, map, diagnostics: [diagnostic('E0106', msg, map.span([0, 0]), source)] };
  }

  const doc = parseDocument(source, {
    keepSourceTokens: true,
    uniqueKeys: true,
    prettyErrors: false,
    schema: 'core',
    strict: true,
    version: '1.2',
  });
  const map = new YamlSourceMap(file, source, doc);
  const report = (code: Code, message: string, range: readonly number[], hint?: string) =>
    diagnostic(code, message, map.span(range), source, hint);

  const diagnostics = [...doc.errors, ...doc.warnings].map((e) => fromYamlError(e, doc, report));
  diagnostics.push(...checkTree(doc, report));
  if (diagnostics.length === 0 && doc.contents === null) {
    diagnostics.push(report('E0108', 'the spec is empty', [0, 0], EMPTY_HINT));
  }
  if (diagnostics.length > 0) return { doc: null, map, diagnostics: sortByPosition(diagnostics) };

  try {
    const js: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    // `---` alone, or `~`: nothing to check. Keeps the contract: doc is null only with an error.
    if (js === null || js === undefined) return { doc: null, map, diagnostics: [report('E0108', 'the spec is empty', [0, 0], EMPTY_HINT)] };
    return { doc: js, map, diagnostics };
  } catch (e) {
    // yaml throws a ReferenceError when expanding aliases would exceed maxAliasCount.
    if (!(e instanceof ReferenceError)) throw e;
    const at = firstAlias(doc) ?? [0, 0];
    const msg = `aliases expand too much: more than ${MAX_ALIAS_COUNT} copies (an "alias bomb")`;
    return { doc: null, map, diagnostics: [report('E0104', msg, at, 'write the values out; a spec needs few aliases')] };
  }
}

type Report = (code: Code, message: string, range: readonly number[], hint?: string) => Diagnostic;

function fromYamlError(e: YAMLError, doc: Document.Parsed, report: Report): Diagnostic {
  const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  switch (e.code) {
    case 'TAB_AS_INDENT':
      return report('E0102', 'tabs are not allowed as indentation in YAML', e.pos, 'indent with spaces');
    case 'DUPLICATE_KEY':
      return report('E0103', 'this key appears twice in the same mapping', keyAt(doc, e.pos[0]) ?? e.pos, 'remove one of the two');
    case 'TAG_RESOLVE_FAILED':
      return report('E0107', `YAML tags are not allowed in a spec (found ${shortTag(message.replace(/^Unresolved tag: /, ''))})`, e.pos, 'remove the tag; write the value plainly');
    case 'MULTIPLE_DOCS':
      return report('E0109', 'a spec file holds one YAML document; found a second one here', e.pos, 'remove the `---` line and what follows, or split the file');
    default:
      return report('E0101', lowerFirst(message), e.pos);
  }
}

const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** Walks the AST without recursion: refuses explicit tags and nesting deeper than MAX_DEPTH. */
function checkTree(doc: Document.Parsed, report: Report): Diagnostic[] {
  const out: Diagnostic[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  let tooDeep = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!isNode(node)) continue;
    const range = node.range ?? [0, 0];
    // Unresolvable tags (`!!js/function`) already came as TAG_RESOLVE_FAILED; core tags such as
    // `!!str 3` resolve but still change what a plain value means, which a spec has no use for.
    if (node.tag !== undefined && CORE_TAGS.has(node.tag)) {
      out.push(report('E0107', `YAML tags are not allowed in a spec (found ${shortTag(node.tag)})`, range, 'remove the tag; write the value plainly'));
    }
    if (depth > MAX_DEPTH) {
      if (tooDeep++ === 0) out.push(report('E0105', `nesting deeper than ${MAX_DEPTH} levels`, range, 'a spec nests a few levels; this looks generated by mistake'));
      continue;
    }
    if (isCollection(node)) {
      for (const item of node.items) {
        if (isPair(item)) {
          stack.push({ node: item.value, depth: depth + 1 });
          if (!isScalar(item.key) && item.key !== null) {
            out.push(report('E0101', 'keys must be plain words, not collections', rangeOf(item.key) ?? range));
          }
        } else stack.push({ node: item, depth: depth + 1 });
      }
    }
  }
  return dedupe(out);
}

/** The alias that comes first in the source. */
function firstAlias(doc: Document.Parsed): readonly number[] | null {
  let first: readonly number[] | null = null;
  visit(doc, {
    Alias(_, node) {
      if (node.range && (first === null || node.range[0] < first[0]!)) first = node.range;
    },
  });
  return first;
}

/** yaml points at the first character of a duplicate key; underline the whole key. */
function keyAt(doc: Document.Parsed, offset: number): readonly number[] | null {
  let found: readonly number[] | null = null;
  visit(doc, {
    Pair(_, pair) {
      const r = isNode(pair.key) ? pair.key.range : undefined;
      if (r && r[0] === offset) found = r;
    },
  });
  return found;
}

function rangeOf(node: unknown): readonly [number, number] | null {
  return isNode(node) && node.range ? [node.range[0], node.range[1]] : null;
}

function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}

/** One diagnostic per position and code: the depth check fires once per over-deep subtree already. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.code}:${d.line}:${d.col}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function sortByPosition(ds: Diagnostic[]): Diagnostic[] {
  return dedupe(ds).sort((a, b) => a.line - b.line || a.col - b.col);
}

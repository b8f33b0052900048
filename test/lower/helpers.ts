// Lowering straight from YAML text, so tests assert real line:col positions. Only the yaml
// package and the SourceMap over it are used, plus the one thing 2-validate does to the data
// (bare-word layers become `{ kind }`), so these tests exercise 3-lower and 4-passes alone.
import { parseDocument } from 'yaml';
import { YamlSourceMap } from '../../compiler/1-parse/yaml-source-map.js';
import { lower } from '../../compiler/3-lower/lower.js';
import { lint } from '../../compiler/4-passes/lint.js';
import type { Diagnostic } from '../../compiler/diagnostics/types.js';
import type { ModelIR, Node } from '../../compiler/ir/types.js';
import type { Spec } from '../../compiler/spec/types.js';

export const FILE = 'model.yaml';

export function lowerYaml(source: string): { ir: ModelIR | null; diagnostics: Diagnostic[]; warnings: Diagnostic[] } {
  const doc = parseDocument(source);
  if (doc.errors.length) throw new Error(`test YAML does not parse: ${doc.errors[0]!.message}`);
  const map = new YamlSourceMap(FILE, source, doc);
  const js = doc.toJS() as { layers: unknown[] };
  const spec = { ...js, layers: js.layers.map((l) => (typeof l === 'string' ? { kind: l } : l)) } as unknown as Spec;
  const { ir, diagnostics } = lower(spec, map, 'test-hash');
  return { ir, diagnostics, warnings: ir ? lint(ir, map) : [] };
}

/** A spec whose layers (one YAML list item per string) start on line 5. */
export function spec(layers: readonly string[], o: { input?: string; loss?: string; optimizer?: string; tail?: string } = {}): string {
  return [
    'cnnc: 1',
    'name: T',
    `input: { shape: ${o.input ?? '[1, 28, 28]'} }`,
    'layers:',
    ...layers.map((l) => `  - ${l}`),
    `loss: ${o.loss ?? '{ kind: cross_entropy }'}`,
    `optimizer: ${o.optimizer ?? '{ kind: adam }'}`,
    ...(o.tail ? [o.tail] : []),
    '',
  ].join('\n');
}

/** Lowers and expects success. */
export function ok(source: string): ModelIR {
  const { ir, diagnostics } = lowerYaml(source);
  if (!ir) throw new Error(`expected no errors, got:\n${diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`).join('\n')}`);
  return ir;
}

/** The output shapes of a model's nodes, in order. */
export function shapes(ir: ModelIR): number[][] {
  return ir.nodes.map((n) => [...n.outShape]);
}

export function node<K extends Node['kind']>(ir: ModelIR, name: string, kind: K): Extract<Node, { kind: K }> {
  const n = ir.nodes.find((x) => x.name === name);
  if (!n || n.kind !== kind) throw new Error(`no ${kind} node named ${name}`);
  return n as Extract<Node, { kind: K }>;
}

/** `line:col code message` for each diagnostic: one string per problem, easy to compare whole. */
export function brief(ds: readonly Diagnostic[]): string[] {
  return ds.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`);
}

/** `line:col` of `part` inside the first occurrence of `context` in the source (1-based), so a test
 *  says *what* it points at, e.g. pos(src, 'kernel_size: 5', '5'). */
export function pos(source: string, context: string, part = context, nth = 0): string {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = source.indexOf(context, at + 1);
  if (at < 0) throw new Error(`test bug: ${context} not in source`);
  const offset = at + context.indexOf(part);
  const before = source.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

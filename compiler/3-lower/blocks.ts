// Phase 3, first step: blocks and containers → the flat list of layers the rest of 3-lower takes (docs/blocks.md).
//
// A `sequential` names its children by position, as torch.nn.Sequential (`features.0`); a block instance
// (`{ block: BasicBlock, name: layer1, repeat: 2, args }`) is its definition's layers with `$arg` values
// replaced, named under the instance (`layer1.0.conv1`), `repeat` making `name.0` … `name.N-1` as
// torchvision's `_make_layer` does. The dotted name is the PyTorch module path (parameters are named
// after it: `layer1.0.conv1.weight`); the layer's identifier in generated code is that path with `_` for
// `.` (`layer1_0_conv1`), and a clash between two is error E0301 in 3-lower/names.ts like any other.
// An item with `when: false` is left out, and what reads it reads its first input instead.
//
// Each item taken from a block definition is checked against the schema after its arguments are put in
// (the schema lets a definition hold `$arg` anywhere), its errors positioned in the definition and
// naming the instance. Every flat layer keeps where it was written (its doc path) for later phases' spans.
import type { DocPath, SourceMap } from '../1-parse/source-map.js';
import type { Code } from '../diagnostics/codes.js';
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import type { Container } from '../ir/types.js';
import type { BlockArgSpec, BlockArgType, BlockSpec, BlockValue, LayerSpec, Spec } from '../spec/types.js';
import { explain } from '../2-validate/explain.js';
import { closest } from '../2-validate/suggest.js';
import { checkLayerItem } from '../2-validate/validate.js';
import { layerNames } from './names.js';

/** Where a flat layer was written, and what it is part of. */
export interface LayerPlace {
  /** Its item in the document: `['layers', 3]`, `['blocks', 'BasicBlock', 'layers', 0]`, `['layers', 4, 'layers', 2]`. */
  readonly path: DocPath;
  /** The PyTorch module path (`layer1.0.conv1`), for a layer inside a container; else absent (its name is its path). */
  readonly module?: string;
  /** The innermost block instance it belongs to, for messages: `layer2.0, BasicBlock(planes 128, stride 2), line 31`. */
  readonly within?: string;
}

/** The places of a spec without containers: each layer at `['layers', i]`. */
export function topLevelPlaces(count: number): LayerPlace[] {
  return Array.from({ length: count }, (_, i) => ({ path: ['layers', i] }));
}

/** The most layers an expansion may make (counted before expanding). */
export const MAX_EXPANDED_LAYERS = 10_000;

type Ref = number | string; // a flat layer's index, or a name 3-lower resolves (a top-level layer, `input`)
type Obj = Record<string, unknown>;

interface Flat {
  readonly layer: Obj;
  readonly inputs: readonly Ref[] | undefined; // undefined: the previous flat layer (3-lower's default)
  readonly place: LayerPlace;
}

interface Scope {
  /** `layer1.0.` — empty at the top level. */
  readonly prefix: string;
  readonly input: Ref;
  readonly top: boolean;
  readonly sequential: boolean;
  readonly locals: Map<string, Ref>;
  readonly counts: Map<string, number>;
  index: number;
  prev: Ref;
  readonly within: string | undefined;
}

const ARG = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;

export interface ExpandResult {
  readonly layers: LayerSpec[];
  readonly places: LayerPlace[];
  /** The containers, in the order they open. */
  readonly containers: Container[];
  readonly diagnostics: Diagnostic[];
}

/** Whether `doc` needs expanding: a block instance, a sequential, or a `when` at the top level. */
export function hasContainers(doc: Spec): boolean {
  return doc.layers.some((l) => typeof l === 'object' && ('block' in l || l.kind === 'sequential' || 'when' in l));
}

export function expandLayers(doc: Spec, map: SourceMap): ExpandResult {
  if (!hasContainers(doc) && doc.blocks === undefined) {
    return { layers: doc.layers as LayerSpec[], places: topLevelPlaces(doc.layers.length), containers: [], diagnostics: [] };
  }
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const report = (code: Code, message: string, path: DocPath, hint?: string, key = false): void => {
    const d = diagnostic(code, message, key ? map.key(path) : map.value(path), map.source, hint);
    push(d);
  };
  const push = (d: Diagnostic): void => {
    const id = `${d.line}:${d.col}:${d.code}:${d.message}`;
    if (!seen.has(id)) (seen.add(id), diagnostics.push(d));
  };
  const blocks = doc.blocks ?? {};
  const blockNames = Object.keys(blocks);

  // Before expanding: every `$arg` is an argument of its block, no block uses itself, and the whole expands to a bounded size.
  for (const b of blockNames) checkArgRefs(blocks[b]!, ['blocks', b], b, report);
  const total = countLayers(doc.layers, ['layers'], blocks, [], new Map(), report);
  if (total > MAX_EXPANDED_LAYERS) {
    report('E0409', `the layers expand to ${total.toLocaleString('en-US')} layers (limit ${MAX_EXPANDED_LAYERS.toLocaleString('en-US')})`, ['layers'],
      'use fewer or smaller `repeat`s');
  }
  if (diagnostics.length > 0) return { layers: [], places: [], containers: [], diagnostics };

  const flat: Flat[] = [];
  const containers: Container[] = [];
  const topCounts = new Map<string, number>();
  const top: Scope = { prefix: '', input: 'input', top: true, sequential: false, locals: new Map(), counts: topCounts, index: 0, prev: 'input', within: undefined };

  const resolve = (s: Scope, name: string, path: DocPath): Ref => {
    if (name === 'input') return s.input;
    const r = s.locals.get(name);
    if (r !== undefined) return r;
    if (s.top) return name; // a plain top-level layer: 3-lower resolves (and checks) it
    const near = closest(name, [...s.locals.keys()]);
    report('E0304', `${s.prefix.slice(0, -1)}: no earlier layer here is named \`${name}\``, path,
      near !== undefined ? `did you mean \`${near}\`?` : `inside ${s.sequential ? 'a sequential' : 'a block'}, a layer reads \`input\` or an earlier layer of its own: ${[...s.locals.keys()].map((k) => `\`${k}\``).join(', ') || 'none yet'}`);
    return s.prev;
  };

  /** E0301 where `own` is already a name of scope `s`. */
  const checkUnique = (s: Scope, own: string | undefined, path: DocPath): void => {
    if (own === undefined || !s.locals.has(own)) return;
    report('E0301', `duplicate name \`${own}\`${s.top ? '' : ` in ${s.prefix.slice(0, -1)}`}: an earlier item already uses it`, [...path, 'name'],
      `names must be unique${s.top ? '' : ' within a block or sequential'}: parameters are named after them`);
  };

  /** The local name of the next child of `s` (its own, checked unique where `path` is given), else its position (sequential) or `<kind>_<k>`. */
  const childName = (s: Scope, own: string | undefined, kind: string, path?: DocPath): string => {
    if (path !== undefined) checkUnique(s, own, path);
    if (s.sequential) {
      const i = s.index++;
      return own ?? String(i);
    }
    const k = (s.counts.get(kind) ?? 0) + 1;
    s.counts.set(kind, k);
    return own ?? `${kind}_${k}`;
  };

  const walk = (s: Scope, raw: unknown, path: DocPath): void => {
    const item: Obj = typeof raw === 'string' ? { kind: raw } : (raw as Obj);
    const inputs = item['inputs'] as readonly string[] | undefined;
    const own = item['name'] as string | undefined;
    const readFrom = (): Ref => (inputs !== undefined ? resolve(s, inputs[0]!, [...path, 'inputs', 0]) : s.prev);
    if (item['when'] === false) {
      const out = readFrom();
      if (own !== undefined) s.locals.set(own, out);
      s.prev = out;
      return;
    }
    if (typeof item['block'] === 'string') return instance(s, item, path, readFrom());
    if (item['kind'] === 'sequential') {
      const local = childName(s, own, 'sequential', path);
      containers.push({ module: s.prefix + local, kind: 'sequential' });
      const inner = scope(s, local, readFrom(), true, s.within);
      (item['layers'] as unknown[]).forEach((c, j) => walk(inner, c, [...path, 'layers', j]));
      finish(s, own ?? local, inner.prev);
      return;
    }
    const { when: _when, name: _name, inputs: _inputs, ...layer } = item;
    if (s.top) {
      // A top-level layer keeps its name and its inputs (3-lower names and checks them); only a name of a container is resolved here.
      const refs = inputs?.map((n) => resolve(s, n, path));
      const readsPrev = refs === undefined && s.prev !== (flat.length === 0 ? 'input' : flat.length - 1);
      checkUnique(s, own, path);
      flat.push({ layer: own !== undefined ? { ...layer, name: own } : layer, inputs: readsPrev ? [s.prev] : refs, place: { path } });
      s.prev = flat.length - 1;
      if (own !== undefined) s.locals.set(own, own);
      return;
    }
    const local = childName(s, own, String(item['kind']), path);
    const module = s.prefix + local;
    flat.push({
      layer: { ...layer, name: module.replace(/\./g, '_') },
      inputs: inputs !== undefined ? inputs.map((n, j) => resolve(s, n, [...path, 'inputs', j])) : [s.prev],
      place: { path, module, ...(s.within !== undefined ? { within: s.within } : {}) },
    });
    finish(s, local, flat.length - 1);
  };

  const scope = (parent: Scope, local: string, input: Ref, sequential: boolean, within: string | undefined): Scope =>
    ({ prefix: `${parent.prefix}${local}.`, input, top: false, sequential, locals: new Map(), counts: new Map(), index: 0, prev: input, within });

  const finish = (s: Scope, local: string, out: Ref): void => {
    s.locals.set(local, out);
    s.prev = out;
  };

  const instance = (s: Scope, item: Obj, path: DocPath, input: Ref): void => {
    const name = item['block'] as string;
    const def = blocks[name]!;
    const own = item['name'] as string | undefined;
    const args = instanceArgs(def, name, item, path, report);
    const repeat = item['repeat'] as number | undefined;
    const one = (inScope: Scope, local: string, values: Record<string, BlockValue>, from: Ref): Ref => {
      const module = inScope.prefix + local;
      containers.push({ module, kind: name });
      const within = `${module}, ${name}(${Object.entries(values).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}), line ${map.value(path).line}`;
      const inner = scope(inScope, local, from, def.sequential === true, within);
      def.layers.forEach((rawItem, j) => {
        const at: DocPath = ['blocks', name, 'layers', j];
        const item2 = substitute(rawItem, values);
        const errors = checkLayerItem({ layers: [item2] });
        if (errors.length > 0) {
          for (const d of explain(errors, { layers: [item2] }, viewMap(map, at))) push({ ...d, message: `${d.message} (in ${within})` });
          const own = (item2 as Obj | null)?.['name'];
          if (typeof own === 'string') inner.locals.set(own, inner.prev); // read as what it reads: no echo of this error
          return;
        }
        walk(inner, item2, at);
      });
      return inner.prev;
    };
    if (args === null) return;
    if (repeat === undefined) {
      const local = childName(s, own, name, path);
      finish(s, own ?? local, one(s, local, args.first, input));
      return;
    }
    if (own !== undefined) {
      const local = childName(s, own, name, path);
      containers.push({ module: s.prefix + local, kind: `${name} ×${repeat}` });
      const rows = scope(s, local, input, true, s.within);
      for (let i = 0; i < repeat; i++) finish(rows, String(rows.index++), one(rows, String(i), i === 0 ? args.first : args.rest, rows.prev));
      finish(s, own, rows.prev);
      return;
    }
    let from = input;
    for (let i = 0; i < repeat; i++) {
      const local = childName(s, undefined, name);
      from = one(s, local, i === 0 ? args.first : args.rest, from);
      finish(s, local, from);
    }
  };

  doc.layers.forEach((l, i) => walk(top, l, ['layers', i]));
  if (diagnostics.length > 0) return { layers: [], places: [], containers: [], diagnostics };

  // Indices → names, with 3-lower's naming rule over the flat list.
  const layers = flat.map((f) => f.layer as unknown as LayerSpec);
  const names = layerNames(layers);
  const nameOf = (r: Ref): string => (typeof r === 'number' ? names[r]!.name : r);
  const out = flat.map((f, i): LayerSpec => {
    if (f.inputs === undefined) return layers[i]!;
    const refs = f.inputs.map(nameOf);
    // The default (the previous layer) stays unwritten, as the user would write it.
    const isDefault = refs.length === 1 && refs[0] === (i === 0 ? 'input' : names[i - 1]!.name) && !('inputs' in (f.layer as Obj));
    return (isDefault ? layers[i] : { ...layers[i]!, inputs: refs }) as LayerSpec;
  });
  return { layers: out, places: flat.map((f) => f.place), containers, diagnostics };
}

/** A map that reads `['layers', 0, …]` of a checked item as `base` + `…` of the document. */
function viewMap(map: SourceMap, base: DocPath): SourceMap {
  const tr = (p: DocPath): DocPath => (p[0] === 'layers' && p[1] === 0 ? [...base, ...p.slice(2)] : base);
  return { file: map.file, source: map.source, value: (p) => map.value(tr(p)), key: (p) => map.key(tr(p)) };
}

/** `raw` with every `$arg` string replaced by its value. */
function substitute(raw: unknown, values: Readonly<Record<string, BlockValue>>): unknown {
  if (typeof raw === 'string') {
    const m = ARG.exec(raw);
    return m !== null && m[1]! in values ? values[m[1]!] : raw;
  }
  if (Array.isArray(raw)) return raw.map((x) => substitute(x, values));
  if (raw !== null && typeof raw === 'object') return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, substitute(v, values)]));
  return raw;
}

const argType = (a: BlockArgSpec): BlockArgType => (typeof a === 'string' ? a : a.type);

function fits(type: BlockArgType, v: unknown): boolean {
  switch (type) {
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    case 'string': return typeof v === 'string';
    case 'list': return Array.isArray(v);
  }
}

const A_TYPE: Record<BlockArgType, string> = { integer: 'an integer', number: 'a number', boolean: 'true or false', string: 'a string', list: 'a list' };

type Reporter = (code: Code, message: string, path: DocPath, hint?: string, key?: boolean) => void;

/** The instance's arguments (defaults filled in) for its first and later repeats, or null after reporting a problem. */
function instanceArgs(def: BlockSpec, name: string, item: Obj, path: DocPath, report: Reporter): { first: Record<string, BlockValue>; rest: Record<string, BlockValue> } | null {
  const declared = def.args ?? {};
  const known = Object.keys(declared);
  let ok = true;
  const given = (key: 'args' | 'first'): Record<string, BlockValue> => {
    const values = (item[key] ?? {}) as Record<string, BlockValue>;
    for (const [k, v] of Object.entries(values)) {
      const a = declared[k];
      if (a === undefined) {
        const near = closest(k, known);
        report('E0201', `${name} has no argument \`${k}\``, [...path, key, k], near !== undefined ? `did you mean \`${near}\`?` : `its arguments: ${known.map((x) => `\`${x}\``).join(', ') || 'none'}`, true);
        ok = false;
      } else if (!fits(argType(a), v)) {
        report('E0203', `argument \`${k}\` of ${name} must be ${A_TYPE[argType(a)]}, got ${JSON.stringify(v)}`, [...path, key, k]);
        ok = false;
      }
    }
    return values;
  };
  const args = given('args');
  const first = given('first');
  if (item['first'] !== undefined && item['repeat'] === undefined) {
    report('E0210', '`first` sets the arguments of the first of repeated instances, but this instance has no `repeat`', [...path, 'first'], undefined, true);
    ok = false;
  }
  const rest: Record<string, BlockValue> = {};
  for (const k of known) {
    const a = declared[k]!;
    const v = args[k] ?? (typeof a === 'object' ? a.default : undefined);
    if (v !== undefined) rest[k] = v;
    else if (first[k] === undefined || item['repeat'] !== 1) {
      report('E0204', `${name} needs the argument \`${k}\` (${A_TYPE[argType(a)]})`, [...path, 'block'], `add \`args: { ${k}: … }\``);
      ok = false;
    }
  }
  return ok ? { first: { ...rest, ...first }, rest } : null;
}

/** Every `$x` in a definition names one of its arguments. */
function checkArgRefs(def: BlockSpec, at: DocPath, name: string, report: Reporter): void {
  const known = Object.keys(def.args ?? {});
  const visit = (v: unknown, path: DocPath): void => {
    if (typeof v === 'string') {
      const m = ARG.exec(v);
      if (m !== null && !known.includes(m[1]!)) {
        const near = closest(m[1]!, known);
        report('E0309', `\`${v}\` is not an argument of ${name}`, path,
          near !== undefined ? `did you mean \`$${near}\`?` : `declare it under \`blocks.${name}.args\`${known.length > 0 ? ` (now: ${known.join(', ')})` : ''}`);
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, [...path, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, [...path, k]);
  };
  def.layers.forEach((l, i) => visit(l, [...at, 'layers', i]));
}

/** How many layers `items` expand to; reports unknown blocks and blocks that use themselves. */
function countLayers(items: readonly unknown[], at: DocPath, blocks: Readonly<Record<string, BlockSpec>>, stack: readonly string[],
  memo: Map<string, number>, report: Reporter): number {
  let n = 0;
  items.forEach((raw, i) => {
    const path = [...at, i];
    if (raw === null || typeof raw !== 'object') return void (n += 1);
    const item = raw as Obj;
    if (item['when'] === false) return;
    if (typeof item['block'] === 'string') {
      const b = item['block'];
      const def = blocks[b];
      if (def === undefined) {
        const near = closest(b, Object.keys(blocks));
        report('E0307', `no block is named \`${b}\``, [...path, 'block'],
          near !== undefined ? `did you mean \`${near}\`?` : Object.keys(blocks).length > 0 ? `blocks: ${Object.keys(blocks).map((x) => `\`${x}\``).join(', ')}` : 'define it under `blocks:`');
        return;
      }
      if (stack.includes(b)) {
        report('E0308', `${b} uses itself: ${[...stack.slice(stack.indexOf(b)), b].join(' → ')}`, [...path, 'block'], 'a block cannot contain itself, directly or through another block');
        return;
      }
      let each = memo.get(b);
      if (each === undefined) {
        each = countLayers(def.layers, ['blocks', b, 'layers'], blocks, [...stack, b], memo, report);
        memo.set(b, each);
      }
      n += each * (typeof item['repeat'] === 'number' ? item['repeat'] : 1);
      return;
    }
    if (Array.isArray(item['layers'])) return void (n += countLayers(item['layers'], [...path, 'layers'], blocks, stack, memo, report));
    n += 1;
  });
  return Math.min(n, Number.MAX_SAFE_INTEGER);
}

// ajv's raw errors → one clear diagnostic per real problem. The schema picks a layer's definition
// with `if kind = X then $ref X`, so ajv reports only the chosen kind's errors; what is left here is
// dropping the `if` bookkeeping errors, one error per value, and words a user understands.
import type { ErrorObject } from 'ajv';
import type { DocPath, SourceMap } from '../1-parse/source-map.js';
import type { Code } from '../diagnostics/codes.js';
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic, Span } from '../diagnostics/types.js';
import { closest } from './suggest.js';
import schema from '../spec/cnnc.schema.json' with { type: 'json' };

type SchemaNode = Record<string, unknown>;

/** Layer kinds that have required parameters, so cannot be bare words. */
const NEEDS_PARAMS: Record<string, string> = {
  conv2d: '{ kind: conv2d, out_channels: 32, kernel_size: 3 }',
  maxpool2d: '{ kind: maxpool2d, kernel_size: 2 }',
  avgpool2d: '{ kind: avgpool2d, kernel_size: 2 }',
  linear: '{ kind: linear, out_features: 10 }',
};

/** Keras initializer names a port brings along, as the torch.nn.init rule that draws alike. Keras's normals are
 *  truncated at 2σ (with the variance kept), torch's are not. */
const KERAS_INIT: Record<string, string> = {
  glorot_uniform: '`xavier_uniform`',
  glorot_normal: '`xavier_normal` (the same variance; Keras truncates at 2σ)',
  he_uniform: '`{ kind: kaiming_uniform, nonlinearity: relu }`',
  he_normal: '`{ kind: kaiming_normal, nonlinearity: relu }` (the same variance; Keras truncates at 2σ)',
  lecun_uniform: '`{ kind: kaiming_uniform, nonlinearity: linear }`',
  lecun_normal: '`{ kind: kaiming_normal, nonlinearity: linear }` (the same variance; Keras truncates at 2σ)',
};

export function explain(errors: readonly ErrorObject[], doc: unknown, map: SourceMap): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const typos = misspeltRequired(errors);
  for (const e of errors) {
    if (e.keyword === 'if') continue; // "must match then schema": the branch's own errors say why
    // `kernal_size: 3` gives "unknown key" and "missing kernel_size": one problem, said once.
    if (e.keyword === 'required' && typos.has(`${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`)) continue;
    const path = toPath(e.instancePath, doc);
    // A union type fails once per level (`[string, object]`, then the else-branch's `object`): keep one.
    const key = e.keyword === 'type' ? `type:${e.instancePath}` : `${e.schemaPath}:${e.instancePath}:${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const d = one(e, path, map);
    if (d !== null) out.push(d);
  }
  return out.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** `instancePath/key` of required keys that an unknown key in the same object is a typo of. */
function misspeltRequired(errors: readonly ErrorObject[]): Set<string> {
  const out = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const allowed = Object.keys(((e.parentSchema as SchemaNode | undefined)?.['properties'] ?? {}) as SchemaNode);
    const near = closest(String((e.params as { additionalProperty: string }).additionalProperty), allowed);
    if (near !== undefined) out.add(`${e.instancePath}/${near}`);
  }
  return out;
}

function one(e: ErrorObject, path: DocPath, map: SourceMap): Diagnostic | null {
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  const make = (code: Code, message: string, span: Span, hint?: string) => diagnostic(code, message, span, map.source, hint);
  const at = map.value(path);
  const field = describe(path);
  switch (e.keyword) {
    case 'additionalProperties': {
      const k = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((parent['properties'] ?? {}) as SchemaNode);
      const others = path.length === 1 && path[0] === 'optimizer' ? kindsWithKey('optimizer', k) : [];
      const kind = (e.data as Record<string, unknown>)['kind'];
      if (others.length > 0 && typeof kind === 'string') {
        return make('E0201', `\`${k}\` is an option of ${others.length === 1 ? others[0] : `${others.slice(0, -1).join(', ')} and ${others[others.length - 1]}`}, not ${kind}`, map.key([...path, k]),
          others.length === 1 ? `write \`kind: ${others[0]}\` to use it, or remove \`${k}\`` : `remove \`${k}\`, or write \`kind:\` one of ${others.map((o) => `\`${o}\``).join(', ')}`);
      }
      const near = closest(k, allowed);
      const hint = near !== undefined ? `did you mean \`${near}\`?`
        : k === 'weight' && path[0] === 'loss' ? `this loss has no class weights; to weigh the term in a sum of losses, write \`scale:\``
        : `allowed here: ${allowed.map((a) => `\`${a}\``).join(', ')}`;
      return make('E0201', `unknown key \`${k}\` ${where(path, e.data)}`, map.key([...path, k]), hint);
    }
    case 'required': {
      const k = String((e.params as { missingProperty: string }).missingProperty);
      const example = ((parent['properties'] as SchemaNode | undefined)?.[k] as SchemaNode | undefined)?.['examples'];
      const hint = Array.isArray(example) ? `add \`${k}: ${flow(example[0])}\`` : hintForMissing(k, parent);
      const span = path.length === 0 ? map.value([]) : map.key(path);
      return make('E0204', `${owner(path, e.data)} is missing \`${k}\``, span, hint);
    }
    case 'enum':
      return enumError(e, path, map, make);
    case 'const':
      if (path.length === 1 && path[0] === 'cnnc') {
        return make('E0206', `\`cnnc: ${flow(e.data)}\` is not a spec format version this cnnc reads (it reads 1)`, at, 'write `cnnc: 1`');
      }
      return make('E0207', `${field} must be ${flow((e.params as { allowedValue: unknown }).allowedValue)}, got ${shown(e.data)}`, at);
    case 'type': {
      const got = typeof e.data === 'string' ? `the string ${JSON.stringify(e.data)}` : shown(e.data);
      return make('E0203', `${field} must be ${expected(parent, path)}, got ${got}`, at, lossWeightHint(e.data, path) ?? typeHint(e.data, parent));
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return make('E0205', `${field} must be ${range(parent)}, got ${shownInRange(e.data)}`, at);
    case 'pattern': {
      // A number or one word (clip_grad_norm's norm_type: a p, or `inf`); every other pattern is the identifier's.
      const word = /^\^(\w+)\$$/.exec(String(parent['pattern']))?.[1];
      if (word !== undefined) return make('E0207', `${field} must be a number or \`${word}\`, got ${shown(e.data)}`, at);
      return make('E0208', `${shown(e.data)} is not an identifier`, at, 'a name starts with a letter or `_`, then letters, digits or `_`');
    }
    case 'maxLength':
      return make('E0208', `${field} is ${String(e.data).length} characters long; at most ${String(parent['maxLength'])}`, at);
    case 'minLength':
      return make('E0207', `${field} must not be empty`, at);
    case 'minItems':
    case 'maxItems':
      if (([] as unknown[]).concat(parent['type']).includes('integer')) {
        return make('E0209', `${field} must be ${expected(parent, path)}, got ${shown(e.data)}`, at);
      }
      return make('E0209', `${field} must have ${count(parent)}, got ${(e.data as unknown[]).length}`, at,
        path[path.length - 1] === 'inputs' ? 'only add and concat read several layers (two or more); any other layer reads one' : undefined);
    default:
      return make('E0207', `${field} ${e.message ?? 'is not valid'}`, at);
  }
}

function enumError(e: ErrorObject, path: DocPath, map: SourceMap, make: (c: Code, m: string, s: Span, h?: string) => Diagnostic): Diagnostic {
  const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
  const value = e.data;
  const near = typeof value === 'string' ? closest(value, allowed) : undefined;
  const list = allowed.map((a) => `\`${a}\``).join(', ');
  const hint = near !== undefined ? `did you mean \`${near}\`?` : `one of ${list}`;
  const at = map.value(path);
  const last = path[path.length - 1];
  // `- conv2d`: a bare word for a layer that needs parameters.
  const layerItem = path.length === 2 && path[0] === 'layers';
  if (layerItem && typeof value === 'string' && value in NEEDS_PARAMS) {
    return make('E0204', `a ${value} layer needs parameters, so it cannot be a bare word`, at, `write it as \`- ${NEEDS_PARAMS[value]}\``);
  }
  if (layerItem) return make('E0202', `unknown layer kind ${shown(value)}`, at, hint);
  if (path.length === 3 && path[0] === 'data' && (path[1] === 'transforms' || path[1] === 'train_transforms')) {
    return make('E0202', `unknown transform ${shown(value)}`, at, hint);
  }
  // `init: { weight: <rule> }`: a bare word or a mapping's kind (`constant` alone lacks its val).
  if (path[0] === 'layers' && path[2] === 'init' && (path.length === 4 || (path.length === 5 && last === 'kind'))) {
    if (value === 'constant') return make('E0204', 'the init rule constant needs `val`, so it cannot be a bare word', at, 'write it as `{ kind: constant, val: 0.1 }`');
    const keras = typeof value === 'string' ? KERAS_INIT[value] : undefined;
    return make('E0202', `unknown init rule ${shown(value)}`, at, keras !== undefined ? `Keras's ${String(value)} is torch's ${keras}` : hint);
  }
  if (last === 'kind') return make('E0202', `unknown ${ownerWord(path)} kind ${shown(value)}`, at, hint);
  if (last === 'source') return make('E0202', `unknown data source ${shown(value)}`, at, hint);
  // conv2d's padding takes a string only from its `then` branch; say the whole of what it takes.
  const what = e.schemaPath.endsWith('/padding/then/enum') ? `an integer, a pair [h, w], ${expectedWords(allowed)}` : expectedWords(allowed);
  return make('E0207', `${describe(path)} must be ${what}, got ${shown(value)}`, at, near !== undefined ? hint : undefined);
}

/** The kinds of `family` (`optimizer`) whose definition (`$defs/<family>_<kind>`) takes `key`, in the schema's order. */
function kindsWithKey(family: string, key: string): string[] {
  const defs = schema.$defs as Record<string, SchemaNode>;
  const kinds = (((defs[family]?.['properties'] as SchemaNode | undefined)?.['kind'] as SchemaNode | undefined)?.['enum'] ?? []) as string[];
  return kinds.filter((k) => key in ((defs[`${family}_${k}`]?.['properties'] ?? {}) as SchemaNode));
}

/** JSON pointer → document path; array indices become numbers. */
function toPath(pointer: string, doc: unknown): DocPath {
  const out: (string | number)[] = [];
  let node = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const isIndex = Array.isArray(node) && /^\d+$/.test(seg);
    out.push(isIndex ? Number(seg) : seg);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
  }
  return out;
}

/** `kernel_size`, `betas[1]`, `layers[3]`, `the spec`. */
function describe(path: DocPath): string {
  let i = path.length;
  while (i > 0 && typeof path[i - 1] === 'number') i--;
  if (i === 0 && path.length === 0) return 'the spec';
  const base = i > 0 ? String(path[i - 1]) : '';
  return `\`${base}${path.slice(i).map((n) => `[${String(n)}]`).join('')}\``;
}

/** "in a conv2d layer", "in the loss", "at the top level". */
function where(path: DocPath, data: unknown): string {
  if (path.length === 0) return 'at the top level of the spec';
  return `in ${owner(path, data)}`;
}

function owner(path: DocPath, data: unknown): string {
  const kind = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)['kind'] : undefined;
  if (path.length === 0) return 'the spec';
  if (path[0] === 'layers' && path.length === 2) return typeof kind === 'string' ? `this ${kind} layer` : 'this layer';
  const top = String(path[0]);
  return typeof kind === 'string' ? `the ${kind} ${top}` : `\`${path.map(String).join('.')}\``;
}

function ownerWord(path: DocPath): string {
  return path[0] === 'layers' ? 'layer' : String(path[0]);
}

function hintForMissing(k: string, parent: SchemaNode): string | undefined {
  const prop = (parent['properties'] as SchemaNode | undefined)?.[k] as SchemaNode | undefined;
  const allowed = prop?.['enum'];
  return Array.isArray(allowed) ? `add \`${k}:\` one of ${allowed.map((a) => `\`${String(a)}\``).join(', ')}` : undefined;
}

/** What a schema node accepts, in words: "an integer or a pair [h, w]". */
function expected(s: SchemaNode, path: DocPath): string {
  const types = ([] as string[]).concat((s['type'] as string | string[] | undefined) ?? []);
  if (types.includes('string') && types.includes('object') && path[0] === 'layers') {
    return 'a layer kind (`- relu`) or a mapping with `kind`';
  }
  const words = types.map((t) => {
    switch (t) {
      case 'integer': return 'an integer';
      case 'number': return 'a number';
      case 'boolean': return 'true or false';
      case 'object': return 'a mapping';
      case 'array': return s['minItems'] === 2 && s['maxItems'] === 2 ? 'a pair [h, w]' : 'a list';
      case 'string': {
        const values = (s['then'] as SchemaNode | undefined)?.['enum'];
        return Array.isArray(values) ? values.map((v) => `\`${String(v)}\``).join(' or ') : 'a string';
      }
      default: return t;
    }
  });
  return expectedWords(words, false);
}

function expectedWords(words: readonly string[], quote = true): string {
  const w = quote ? words.map((x) => `\`${x}\``) : [...words];
  return w.length <= 1 ? (w[0] ?? 'valid') : `${w.slice(0, -1).join(', ')} or ${w[w.length - 1]}`;
}

/** `weight: 0.5` in a loss: PyTorch's `weight` is per-class; a term's coefficient in a sum is `scale`. */
function lossWeightHint(data: unknown, path: DocPath): string | undefined {
  if (path[0] !== 'loss' || path[path.length - 1] !== 'weight' || typeof data !== 'number') return undefined;
  return `\`weight\` is PyTorch's per-class weights (one number per class); to weigh this term in a sum of losses, write \`scale: ${data}\``;
}

function typeHint(data: unknown, s: SchemaNode): string | undefined {
  const types = ([] as string[]).concat((s['type'] as string | string[] | undefined) ?? []);
  const numeric = types.includes('integer') || types.includes('number');
  if (typeof data === 'string' && numeric && data.trim() !== '' && Number.isFinite(Number(data))) {
    return `remove the quotes: ${data} in quotes is a string`;
  }
  if (typeof data === 'number' && types.includes('integer') && Number.isFinite(data)) return 'write a whole number';
  return undefined;
}

/** "≥ 1", "in [0, 1)", "> 0". */
function range(s: SchemaNode): string {
  const lo = s['minimum'] ?? s['exclusiveMinimum'];
  const hi = s['maximum'] ?? s['exclusiveMaximum'];
  if (lo !== undefined && hi !== undefined) {
    return `in ${s['minimum'] !== undefined ? '[' : '('}${String(lo)}, ${String(hi)}${s['maximum'] !== undefined ? ']' : ')'}`;
  }
  if (lo !== undefined) return `${s['minimum'] !== undefined ? '≥' : '>'} ${String(lo)}`;
  return `${s['maximum'] !== undefined ? '≤' : '<'} ${String(hi)}`;
}

function count(s: SchemaNode): string {
  const min = s['minItems'] as number | undefined;
  const max = s['maxItems'] as number | undefined;
  const items = (n: number) => `${n} item${n === 1 ? '' : 's'}`;
  if (min !== undefined && min === max) return `exactly ${items(min)}`;
  if (min !== undefined && max !== undefined) return `between ${min} and ${max} items`;
  return min !== undefined ? `at least ${items(min)}` : `at most ${items(max ?? 0)}`;
}

/** A value as the user would write it in YAML flow style. */
function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${flow(x)}`).join(', ')} }`;
  return typeof v === 'string' ? v : String(v);
}

/** A value in a message: its kind and, for scalars, itself. */
/** As `shown`, but an integer past 2^53 (read rounded: 9007199254740993 is held as …992) is given
 *  approximately, so the message does not quote a number the user never wrote. */
function shownInRange(v: unknown): string {
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) return `about ${v.toPrecision(4)}`;
  return shown(v);
}

function shown(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (null)';
  if (typeof v === 'string') return `\`${v}\``;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN (.nan)' : Number.isFinite(v) ? String(v) : `${v > 0 ? '' : '-'}infinity`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  return 'a mapping';
}

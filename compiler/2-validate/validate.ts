// Phase 2: the parsed document against the JSON Schema (compiler/spec/cnnc.schema.json), then the
// few rules a schema cannot say plainly. Every problem is reported at once, positioned at the key or value.
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { SourceMap } from '../1-parse/source-map.js';
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import type { LayerItemSpec, LayerSpec, Spec } from '../spec/types.js';
import { explain } from './explain.js';
// Imported, not read from disk, so that tsc copies the schema next to the compiled validator.
import schema from '../spec/cnnc.schema.json' with { type: 'json' };

let compiled: { spec: ValidateFunction; item: ValidateFunction } | undefined;

/** The schema, compiled once: strict mode, every error, no `$data`. */
export function schemaValidator(): ValidateFunction {
  return validators().spec;
}

function validators(): { spec: ValidateFunction; item: ValidateFunction } {
  if (compiled === undefined) {
    // allowUnionTypes: `kernel_size` is `type: [integer, array]`, which reads better than a oneOf and
    // gives one error instead of one per branch. verbose: errors carry their schema, for hints.
    const ajv = new Ajv2020.default({ strict: true, allErrors: true, verbose: true, allowUnionTypes: true });
    const spec = ajv.compile(schema);
    const item = ajv.compile({ type: 'object', properties: { layers: { type: 'array', items: { $ref: `${schema.$id}#/$defs/layer_item` } } } });
    compiled = { spec, item };
  }
  return compiled;
}

/** ajv's errors for `{ layers: [item] }` against the schema's `layer_item`: a block's item once its `$arg`s are put in (3-lower/blocks.ts). */
export function checkLayerItem(wrapped: { layers: [unknown] }): readonly ErrorObject[] {
  const check = validators().item;
  return check(wrapped) ? [] : check.errors ?? [];
}

export interface ValidateResult {
  /** The spec with bare-word layers expanded; null exactly when `diagnostics` holds an error. */
  readonly spec: Spec | null;
  readonly diagnostics: Diagnostic[];
}

export function validate(doc: unknown, map: SourceMap): ValidateResult {
  const check = schemaValidator();
  const diagnostics = check(doc) ? crossFieldRules(doc as Spec, map) : explain(check.errors ?? [], doc, map);
  if (diagnostics.some((d) => d.severity === 'error')) return { spec: null, diagnostics };
  const spec = doc as Spec;
  const layers = spec.layers.map((l): LayerItemSpec => (typeof l === 'string' ? ({ kind: l } as LayerSpec) : l));
  return { spec: { ...spec, layers }, diagnostics };
}

/** Rules between fields that a JSON Schema could only say with an unreadable error. */
function crossFieldRules(spec: Spec, map: SourceMap): Diagnostic[] {
  const out: Diagnostic[] = [];
  const opt = spec.optimizer;
  // torch.optim.SGD: "Nesterov momentum requires a momentum and zero dampening".
  if (opt.kind === 'sgd' && opt.nesterov === true && ((opt.momentum ?? 0) <= 0 || (opt.dampening ?? 0) !== 0)) {
    out.push(
      diagnostic('E0210', 'nesterov momentum needs momentum > 0 and dampening 0, as in PyTorch', map.key(['optimizer', 'nesterov']), map.source,
        'set `momentum: 0.9` (and no dampening), or remove `nesterov`'),
    );
  }
  return out;
}

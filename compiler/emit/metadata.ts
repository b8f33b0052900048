// A module's metadata (runtime/app.ts ModelMetadata: what `model.metadata` returns), from the plan, and its text
// as both targets write it into the module: one object literal, every string quoted.
import type { ModelMetadata } from '../../runtime/app.js';
import { specClasses } from '../4-passes/output.js';
import type { PlannedModel } from '../ir/plan.js';
import { VERSION } from '../version.js';
import { str } from './identifiers.js';
import { lit } from './kit.js';

export function modelMetadata(planned: PlannedModel, dtype: ModelMetadata['dtype'], target: ModelMetadata['target']): ModelMetadata {
  const { ir } = planned;
  const out = ir.nodes.find((n) => n.name === ir.output);
  if (out === undefined) throw new Error(`cnnc internal error: output ${ir.output} is not a node`);
  return {
    name: ir.name,
    specHash: ir.specHash,
    inputShape: ir.input.shape,
    outputShape: out.outShape,
    output: planned.output,
    classes: specClasses(ir),
    transforms: ir.data.transforms.eval,
    parameters: ir.totals.params,
    dtype,
    cnncVersion: VERSION,
    target,
  };
}

/** The metadata as a TypeScript object literal, on one line. */
export function metadataLiteral(m: ModelMetadata): string {
  const shape = (s: readonly number[]) => `[${s.map(lit).join(', ')}]`;
  const fields = [
    `name: ${str(m.name)}`,
    `specHash: ${str(m.specHash)}`,
    `inputShape: ${shape(m.inputShape)}`,
    `outputShape: ${shape(m.outputShape)}`,
    `output: ${str(m.output)}`,
    `classes: ${m.classes === null ? 'null' : `[${m.classes.map(str).join(', ')}]`}`,
    `transforms: ${JSON.stringify(m.transforms).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}`, // plain data: JSON is a TypeScript literal
    `parameters: ${lit(m.parameters)}`,
    `dtype: ${str(m.dtype)}`,
    `cnncVersion: ${str(m.cnncVersion)}`,
    `target: ${str(m.target)}`,
  ];
  return `{ ${fields.join(', ')} }`;
}

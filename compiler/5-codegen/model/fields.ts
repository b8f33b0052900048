// The model class's fields and arenas: metadata, the parameter and gradient arrays with a view per
// tensor at a literal offset, the scratch views, and the n-scaled activation arenas with their
// grow methods (capacity only grows, so a steady training step allocates nothing).
import { Scope, type OptionalKind, type PropertyDeclarationStructure } from 'ts-morph';
import { str } from '../../emit/identifiers.js';
import { lit } from '../../emit/kit.js';
import { paramField, type ModelParts } from './parts.js';
import { optimizerClass } from './constructor.js';
import { metadataLiteral, modelMetadata } from '../../emit/metadata.js';

export function emitFields(m: ModelParts): OptionalKind<PropertyDeclarationStructure>[] {
  const { ir, memory: plan } = m.planned;
  const F = m.F;
  const props: OptionalKind<PropertyDeclarationStructure>[] = [];
  const prop = (name: string, type: string | undefined, init: string | undefined, o: { readonly?: boolean; scope?: Scope; docs?: string } = {}): void => {
    props.push({
      name,
      ...(type === undefined ? {} : { type }),
      ...(init === undefined ? {} : { initializer: init }),
      isReadonly: o.readonly ?? true,
      scope: o.scope ?? Scope.Private,
      ...(o.docs === undefined ? {} : { docs: [o.docs] }),
    });
  };
  const out = m.out;

  prop('name', undefined, str(ir.name), { scope: Scope.Public });
  prop('specHash', undefined, str(ir.specHash), { scope: Scope.Public });
  prop('inputShape', 'readonly number[]', `[${ir.input.shape.map(lit).join(', ')}]`, { scope: Scope.Public });
  prop('outputShape', 'readonly number[]', `[${out.outShape.map(lit).join(', ')}]`, { scope: Scope.Public });
  prop('metadata', 'rt.ModelMetadata', metadataLiteral(modelMetadata(m.planned, m.dtype, 'ts')), { scope: Scope.Public });
  prop('names', 'readonly string[] | null', 'rt.specClassNames(this.metadata)', { readonly: false, docs: "The class names predict gives (the classNames getter): the spec's, then those of the last weights loaded." });
  prop('mode', undefined, 'false', { readonly: false, docs: 'Training mode (dropout active, batchnorm on batch statistics). A new model is in eval mode.' });
  // rt.allocFloats: in the runtime's wasm memory where that is shared (runtime/wasm/resident.ts), so the kernels read the weights in place.
  prop('params', undefined, `rt.allocFloats(${F}, ${plan.paramSize})`, { docs: `All parameters and buffers, ${plan.params.length} tensors at literal offsets (in wasm memory where the runtime can: no copy per product).` });
  prop('grads', undefined, `rt.allocFloats(${F}, ${plan.paramSize})`, { docs: 'Their gradients, same layout; zeroed once per computeGradients, accumulated by the backward kernels.' });
  for (const p of plan.params) {
    const f = paramField(p.role);
    prop(`${p.node}_${f.data}`, undefined, `this.params.subarray(${p.offset}, ${p.offset + p.size})`, { docs: `${p.name} [${p.shape.join(', ')}]` });
    prop(`${p.node}_${f.grad}`, undefined, `this.grads.subarray(${p.offset}, ${p.offset + p.size})`);
  }
  prop('scratch', undefined, `new ${F}(${plan.scratchSize})`, { docs: 'Work space independent of the batch size (im2col columns, batch statistics).' });
  for (const b of plan.buffers.filter((x) => x.arena === 'scratch')) {
    prop(b.field, undefined, `this.scratch.subarray(${b.offset}, ${b.offset + b.size})`);
  }
  prop('rng', 'rt.Rng', undefined, { docs: 'Initializes the weights, then draws the dropout masks: a seed reproduces a run.' });
  prop('optimizer', `rt.${optimizerClass(ir.optimizer)}`, undefined);
  prop('views', `rt.ParameterView<${F}>[]`, undefined);
  prop('valuesCapacity', undefined, '0', { readonly: false, docs: 'Batch size the forward arenas hold; grown, never shrunk.' });
  prop('gradsCapacity', undefined, '0', { readonly: false });
  prop('lastN', undefined, '0', { readonly: false, docs: 'Batch size of the last forward (for findNonFinite).' });
  if (m.planned.nodes.some((np) => np.evalFold !== null)) prop('folded', undefined, 'false', { readonly: false, docs: 'Whether the last forward ran with the batchnorms folded into their convs (runInference).' });
  prop('outView', `${F}`, `new ${F}(0)`, { readonly: false });
  for (const b of plan.buffers.filter((x) => x.arena !== 'scratch')) {
    const t = b.arena === 'indices' ? 'Int32Array' : F;
    prop(b.field, t, `new ${t}(0)`, { readonly: false, docs: `[n, ${b.size}] in the ${b.arena} arena at capacity × ${b.offset}` });
  }

  return props;
}

/** The body of growValues (arena 'values', with the indices) or growGrads. */
export function growBody(m: ModelParts, arena: 'values' | 'grads', cap: string): string {
  const plan = m.planned.memory;
  const F = m.F;
  const lines: string[] = [`if (n <= this.${cap}) return;`, `this.${cap} = n;`];
  const arenas = arena === 'values' ? (['values', 'indices'] as const) : (['grads'] as const);
  for (const a of arenas) {
    const per = plan.perSample[a];
    if (per === 0) continue;
    // Float arenas in the runtime's wasm memory where it can (rt.allocFloats): the kernels then read and write them in place.
    lines.push(a === 'indices' ? `const ${a} = rt.allocInt32(n * ${per});` : `const ${a} = rt.allocFloats(${F}, n * ${per});`);
    for (const b of plan.buffers.filter((x) => x.arena === a)) {
      lines.push(`this.${b.field} = ${a}.subarray(${b.offset === 0 ? '0' : `n * ${b.offset}`}, n * ${b.offset + b.size});`);
    }
  }
  return lines.join('\n');
}

// The model class, in four parts: its fields and arenas (fields.ts), its constructor (constructor.ts),
// the CompiledModel methods (methods.ts, runtime/model.ts) and the forward/backward call sequences
// they run (calls.ts).
import type { ClassDeclarationStructure, OptionalKind } from 'ts-morph';
import type { PlannedModel } from '../../ir/plan.js';
import type { Dtype, LayerKernels } from '../kernel.js';
import type { LossCode } from '../losses/index.js';
import { emitConstructor } from './constructor.js';
import { emitFields } from './fields.js';
import { emitMethods } from './methods.js';
import { profileField } from './profile.js';
import { arrayType, type ModelParts } from './parts.js';

export { arrayType, paramField } from './parts.js';

export interface ModelClassInput {
  readonly planned: PlannedModel;
  readonly dtype: Dtype;
  readonly className: string;
  readonly kernels: ReadonlyMap<string, LayerKernels | null>;
  readonly loss: LossCode;
  readonly profile?: boolean;
}

export function emitModelClass(input: ModelClassInput): OptionalKind<ClassDeclarationStructure> {
  const { ir, memory } = input.planned;
  const out = ir.nodes.find((n) => n.name === ir.output);
  if (out === undefined || memory.output === null) throw new Error('cnnc internal error: the output must be computed by a layer');
  const m: ModelParts = { ...input, F: arrayType(input.dtype), out, profile: input.profile === true };
  return {
    name: m.className,
    isExported: true,
    implements: [`rt.CompiledModel<${m.F}>`],
    docs: [`${ir.name}, generated from its spec. Create it with createModel(); a new model is in eval mode.`],
    properties: [...emitFields(m), ...profileField(m)],
    getAccessors: [
      { name: 'training', returnType: 'boolean', statements: 'return this.mode;' },
      { name: 'classNames', returnType: 'readonly string[] | null', statements: 'return this.names;' },
    ],
    ctors: [emitConstructor(m)],
    methods: emitMethods(m),
  };
}

// The constructor: the weights drawn as PyTorch's reset_parameters() draws them, in parameter order
// from the seed's Rng, then the named views (state_dict order) and the optimizer over the trainable ones.
import type { OptionalKind, ConstructorDeclarationStructure } from 'ts-morph';
import { assertNever, type InitRule, type OptimizerIR } from '../../ir/types.js';
import { str } from '../../emit/identifiers.js';
import { lit } from '../../emit/kit.js';
import { paramField, type ModelParts } from './parts.js';

export function emitConstructor(m: ModelParts): OptionalKind<ConstructorDeclarationStructure> {
  const { ir, memory: plan } = m.planned;
  const opt = optimizer(ir.optimizer);
  const views = plan.params.map((p) => {
    const f = paramField(p.role);
    return `{ name: ${str(p.name)}, shape: [${p.shape.map(lit).join(', ')}], data: this.${p.node}_${f.data}, grad: this.${p.node}_${f.grad}, trainable: ${p.trainable} },`;
  });
  const inits = plan.params.map((p) => `rt.initParameter(this.rng, this.${p.node}_${paramField(p.role).data}, ${initText(p.init)});`);
  const trainable = plan.params.filter((p) => p.trainable).map((p) => {
    const f = paramField(p.role);
    return `{ name: ${str(p.name)}, data: this.${p.node}_${f.data}, grad: this.${p.node}_${f.grad} },`;
  });
  return {
    parameters: [{ name: 'seed', type: 'number' }],
    statements: [
      'this.rng = new rt.Rng(seed);',
      '// PyTorch reset_parameters() rules, drawn in parameter order',
      ...inits,
      'this.views = [',
      ...views.map((v) => `  ${v}`),
      '];',
      `this.optimizer = new rt.${opt.cls}([`,
      ...trainable.map((v) => `  ${v}`),
      `], ${opt.options});`,
    ].join('\n'),
  };
}

/** The runtime class of the spec's optimizer (runtime/optim.ts). */
export function optimizerClass(o: OptimizerIR): string {
  return optimizer(o).cls;
}

function optimizer(o: OptimizerIR): { cls: string; options: string } {
  switch (o.kind) {
    case 'sgd':
      return { cls: 'Sgd', options: `{ lr: ${lit(o.lr)}, momentum: ${lit(o.momentum)}, dampening: ${lit(o.dampening)}, nesterov: ${o.nesterov}, weightDecay: ${lit(o.weightDecay)} }` };
    case 'adam':
    case 'adamw':
      return { cls: o.kind === 'adam' ? 'Adam' : 'AdamW', options: `{ lr: ${lit(o.lr)}, betas: [${lit(o.betas[0])}, ${lit(o.betas[1])}], eps: ${lit(o.eps)}, weightDecay: ${lit(o.weightDecay)} }` };
    default:
      return assertNever(o, 'optimizer kind');
  }
}

function initText(r: InitRule): string {
  switch (r.kind) {
    case 'kaiming_uniform': return `{ kind: 'kaiming_uniform', fanIn: ${lit(r.fanIn)} }`;
    case 'uniform': return `{ kind: 'uniform', bound: ${lit(r.bound)} }`;
    case 'ones': return `{ kind: 'ones' }`;
    case 'zeros': return `{ kind: 'zeros' }`;
    default: return assertNever(r, 'init rule');
  }
}

// The constructor: the weights drawn as PyTorch's reset_parameters() draws them (or by the spec's `init:`
// rule, its torch.nn.init call in a comment), in parameter order
// from the seed's Rng, then the named views (state_dict order) and the optimizer over the trainable ones.
import type { OptionalKind, ConstructorDeclarationStructure } from 'ts-morph';
import { assertNever, savedDtype, type OptimizerIR } from '../../ir/types.js';
import { initComment, initText } from '../../emit/init-text.js';
import { clipText } from '../../emit/clip-text.js';
import { str } from '../../emit/identifiers.js';
import { lit } from '../../emit/kit.js';
import { paramField, type ModelParts } from './parts.js';

export function emitConstructor(m: ModelParts): OptionalKind<ConstructorDeclarationStructure> {
  const { ir, memory: plan } = m.planned;
  const opt = optimizer(ir.optimizer);
  const recipe = recipeOptions(ir);
  const options = recipe.length === 0 ? opt.options : opt.options.replace(/ \}$/, `, ${recipe.join(', ')} }`);
  const views = plan.params.map((p) => {
    const f = paramField(p.role);
    const dtype = savedDtype(p.role);
    return `{ name: ${str(p.name)}, shape: [${p.shape.map(lit).join(', ')}], data: this.${p.node}_${f.data}, grad: this.${p.node}_${f.grad}, trainable: ${p.trainable}${dtype === null ? '' : `, dtype: ${str(dtype)}`} },`;
  });
  const inits = plan.params.map((p) => `rt.initParameter(this.rng, this.${p.node}_${paramField(p.role).data}, ${initText(p.init)});${initComment(p)}`);
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
      `], ${options});`,
    ].join('\n'),
  };
}

/** What the recipe adds to any optimizer's options: the gradient clip, and momentum buffers kept for a schedule
 *  that cycles the momentum of an optimizer built without one (torch's SGD then keeps momentum_buffer). */
function recipeOptions(ir: ModelParts['planned']['ir']): string[] {
  const out: string[] = [];
  const c = ir.train.clip;
  if (c !== null) out.push(`clip: ${clipText(c)}`);
  if (ir.scheduler?.cyclesMomentum === true && (ir.optimizer.kind === 'sgd' || ir.optimizer.kind === 'rmsprop')) out.push('momentumBuffers: true');
  return out;
}


/** The runtime class of the spec's optimizer (runtime/optim.ts). */
export function optimizerClass(o: OptimizerIR): string {
  return optimizer(o).cls;
}

/** The class and its options object, as `key: value` entries (runtime/optim.ts's option names); an option
 *  that applies to every kind is one more entry pushed here. */
function optimizer(o: OptimizerIR): { cls: string; options: string } {
  const { cls, entries } = optimizerEntries(o);
  return { cls, options: `{ ${entries.join(', ')} }` };
}

function optimizerEntries(o: OptimizerIR): { cls: string; entries: string[] } {
  switch (o.kind) {
    case 'sgd':
      return { cls: 'Sgd', entries: [`lr: ${lit(o.lr)}`, `momentum: ${lit(o.momentum)}`, `dampening: ${lit(o.dampening)}`, `nesterov: ${o.nesterov}`, `weightDecay: ${lit(o.weightDecay)}`] };
    case 'adam':
    case 'adamw': {
      const entries = [`lr: ${lit(o.lr)}`, `betas: [${lit(o.betas[0])}, ${lit(o.betas[1])}]`, `eps: ${lit(o.eps)}`, `weightDecay: ${lit(o.weightDecay)}`];
      // The runtime's default (false) is left unsaid, so a spec without amsgrad generates the code it always did.
      if (o.amsgrad) entries.push('amsgrad: true');
      return { cls: o.kind === 'adam' ? 'Adam' : 'AdamW', entries };
    }
    case 'rmsprop':
      return { cls: 'RMSprop', entries: [`lr: ${lit(o.lr)}`, `alpha: ${lit(o.alpha)}`, `eps: ${lit(o.eps)}`, `weightDecay: ${lit(o.weightDecay)}`, `momentum: ${lit(o.momentum)}`, `centered: ${o.centered}`] };
    case 'adagrad':
      return { cls: 'Adagrad', entries: [`lr: ${lit(o.lr)}`, `lrDecay: ${lit(o.lrDecay)}`, `weightDecay: ${lit(o.weightDecay)}`, `initialAccumulatorValue: ${lit(o.initialAccumulatorValue)}`, `eps: ${lit(o.eps)}`] };
    case 'adadelta':
      return { cls: 'Adadelta', entries: [`lr: ${lit(o.lr)}`, `rho: ${lit(o.rho)}`, `eps: ${lit(o.eps)}`, `weightDecay: ${lit(o.weightDecay)}`] };
    default:
      return assertNever(o, 'optimizer kind');
  }
}

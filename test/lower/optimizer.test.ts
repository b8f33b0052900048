// The optimizers after sgd/adam/adamw (issue 16): what a spec leaves out is torch.optim 1.13's default,
// the same number in three places that must agree: 3-lower's literals, the runtime's *_DEFAULTS (which
// the optimizer classes were tested against torch with) and the schema's `default`s (what editors show).
// And the optimizer state that trainingBytes counts is exactly the slots the runtime allocates.
import { describe, expect, it } from 'vitest';
import { optimizerSlots } from '../../compiler/3-lower/totals.js';
import schema from '../../compiler/spec/cnnc.schema.json' with { type: 'json' };
import { Adadelta, Adagrad, Adam, AdamW, ADADELTA_DEFAULTS, ADAGRAD_DEFAULTS, RMSprop, RMSPROP_DEFAULTS, Sgd } from '../../runtime/optim.js';
import { assertNever, type OptimizerIR } from '../../compiler/ir/types.js';
import { ok, spec } from './helpers.js';

const head = ['flatten', '{ kind: linear, out_features: 10 }'];
function lowered(optimizer: string): Omit<OptimizerIR, 'span'> {
  const { span: _s, ...opt } = ok(spec(head, { optimizer })).optimizer;
  return opt;
}
type Json = Record<string, { default?: unknown }>;
const schemaDefaults = (kind: string) =>
  Object.fromEntries(Object.entries((schema.$defs as unknown as Record<string, { properties: Json }>)[`optimizer_${kind}`]!.properties)
    .filter(([, p]) => p.default !== undefined).map(([k, p]) => [k, p.default]));

describe('optimizer defaults (torch.optim 1.13)', () => {
  it('rmsprop: lr 0.01, alpha 0.99, eps 1e-8, weight_decay 0, momentum 0, centered false — the runtime\'s and the schema\'s', () => {
    const o = lowered('{ kind: rmsprop }');
    expect(o).toEqual({ kind: 'rmsprop', lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
    expect(o).toEqual({ kind: 'rmsprop', ...RMSPROP_DEFAULTS });
    expect(schemaDefaults('rmsprop')).toEqual({ lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false });
  });

  it('adagrad: lr 0.01, lr_decay 0, weight_decay 0, initial_accumulator_value 0, eps 1e-10 — the runtime\'s and the schema\'s', () => {
    const o = lowered('{ kind: adagrad }');
    expect(o).toEqual({ kind: 'adagrad', lr: 0.01, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 });
    expect(o).toEqual({ kind: 'adagrad', ...ADAGRAD_DEFAULTS });
    expect(schemaDefaults('adagrad')).toEqual({ lr: 0.01, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10 });
  });

  it('adadelta: lr 1.0, rho 0.9, eps 1e-6, weight_decay 0 — the runtime\'s and the schema\'s', () => {
    const o = lowered('{ kind: adadelta }');
    expect(o).toEqual({ kind: 'adadelta', lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 });
    expect(o).toEqual({ kind: 'adadelta', ...ADADELTA_DEFAULTS });
    expect(schemaDefaults('adadelta')).toEqual({ lr: 1, rho: 0.9, eps: 1e-6, weight_decay: 0 });
  });

  it('amsgrad: false unless written, on adam and adamw', () => {
    expect(lowered('{ kind: adam }')).toMatchObject({ amsgrad: false });
    expect(lowered('{ kind: adamw, amsgrad: true }')).toMatchObject({ kind: 'adamw', amsgrad: true, weightDecay: 0.01 });
    expect([schemaDefaults('adam')['amsgrad'], schemaDefaults('adamw')['amsgrad']]).toEqual([false, false]);
  });

  it('every option as written, snake_case to the runtime\'s camelCase', () => {
    expect(lowered('{ kind: rmsprop, lr: 0.1, alpha: 0.5, eps: 0.001, weight_decay: 0.2, momentum: 0.3, centered: true }'))
      .toEqual({ kind: 'rmsprop', lr: 0.1, alpha: 0.5, eps: 0.001, weightDecay: 0.2, momentum: 0.3, centered: true });
    expect(lowered('{ kind: adagrad, lr: 0.1, lr_decay: 0.5, weight_decay: 0.2, initial_accumulator_value: 0.3, eps: 0.001 }'))
      .toEqual({ kind: 'adagrad', lr: 0.1, lrDecay: 0.5, weightDecay: 0.2, initialAccumulatorValue: 0.3, eps: 0.001 });
    expect(lowered('{ kind: adadelta, lr: 0.5, rho: 1, eps: 0.001, weight_decay: 0.2 }')).toEqual({ kind: 'adadelta', lr: 0.5, rho: 1, eps: 0.001, weightDecay: 0.2 });
  });
});

describe('optimizer state in trainingBytes', () => {
  // The runtime's own slots for one parameter of 1 element: as many as optimizerSlots says.
  const runtimeSlots = (o: OptimizerIR): number => {
    const p = [{ name: 'w', data: new Float32Array(1), grad: new Float32Array(1) }];
    const make = () => {
      switch (o.kind) {
        case 'sgd': return new Sgd(p, o);
        case 'adam': return new Adam(p, o);
        case 'adamw': return new AdamW(p, o);
        case 'rmsprop': return new RMSprop(p, o);
        case 'adagrad': return new Adagrad(p, o);
        case 'adadelta': return new Adadelta(p, o);
        default: return assertNever(o, 'optimizer kind');
      }
    };
    return make().getState().slots.length;
  };
  it.each([
    ['{ kind: sgd, lr: 0.1 }', 0], ['{ kind: sgd, lr: 0.1, momentum: 0.9 }', 1],
    ['{ kind: adam }', 2], ['{ kind: adam, amsgrad: true }', 3], ['{ kind: adamw, amsgrad: true }', 3],
    ['{ kind: rmsprop }', 1], ['{ kind: rmsprop, momentum: 0.9 }', 2], ['{ kind: rmsprop, centered: true }', 2], ['{ kind: rmsprop, momentum: 0.9, centered: true }', 3],
    ['{ kind: adagrad }', 1], ['{ kind: adadelta }', 2],
  ] as const)('%s: %i slot(s) per parameter, as the runtime allocates', (optimizer, n) => {
    const ir = ok(spec(head, { optimizer }));
    expect(optimizerSlots(ir.optimizer)).toBe(n);
    expect(runtimeSlots(ir.optimizer)).toBe(n);
    // trainingBytes grows by 4 bytes per parameter per slot, against the same spec under plain sgd.
    const sgd = ok(spec(head, { optimizer: '{ kind: sgd, lr: 0.1 }' }));
    expect(ir.totals.trainingBytes - sgd.totals.trainingBytes).toBe(4 * n * ir.totals.params);
  });
});

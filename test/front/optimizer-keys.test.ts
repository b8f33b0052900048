// An optimizer key that belongs to another kind says which kind takes it, positioned at the key; a typo
// gets "did you mean"; torch.optim 1.13's ValueErrors (alpha < 0, rho outside [0, 1], ...) are schema
// ranges, positioned at the value. Each case: the message, line:col, the underlined text and the hint.
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { underlined } from './frame.js';

const head = 'cnnc: 1\nname: L\ninput: { shape: [1, 4, 4] }\nlayers: [flatten, { kind: linear, out_features: 2 }, log_softmax]\nloss: { kind: nll }\n';

const cases: ReadonlyArray<readonly [string, string, string, string, string | undefined]> = [
  // [optimizer (line 6), message, line:col, underlined, hint]
  ['{ kind: adam, rho: 0.9 }', '`rho` is an option of adadelta, not adam', '6:26', 'rho', 'write `kind: adadelta` to use it, or remove `rho`'],
  ['{ kind: rmsprop, betas: [0.9, 0.99] }', '`betas` is an option of adam and adamw, not rmsprop', '6:29', 'betas', 'remove `betas`, or write `kind:` one of `adam`, `adamw`'],
  ['{ kind: adam, momentum: 0.9 }', '`momentum` is an option of sgd and rmsprop, not adam', '6:26', 'momentum', 'remove `momentum`, or write `kind:` one of `sgd`, `rmsprop`'],
  ['{ kind: sgd, lr: 0.1, amsgrad: true }', '`amsgrad` is an option of adam and adamw, not sgd', '6:34', 'amsgrad', 'remove `amsgrad`, or write `kind:` one of `adam`, `adamw`'],
  ['{ kind: adagrad, centered: true }', '`centered` is an option of rmsprop, not adagrad', '6:29', 'centered', 'write `kind: rmsprop` to use it, or remove `centered`'],
  ['{ kind: rmsprop, centred: true }', 'unknown key `centred` in the rmsprop optimizer', '6:29', 'centred', 'did you mean `centered`?'],
  ['{ kind: rmsprp }', 'unknown optimizer kind `rmsprp`', '6:20', 'rmsprp', 'did you mean `rmsprop`?'],
  ['{ kind: rmsprop, alpha: -0.1 }', '`alpha` must be ≥ 0, got -0.1', '6:36', '-0.1', undefined],
  ['{ kind: rmsprop, momentum: -1 }', '`momentum` must be ≥ 0, got -1', '6:39', '-1', undefined],
  ['{ kind: adadelta, rho: 1.5 }', '`rho` must be in [0, 1], got 1.5', '6:35', '1.5', undefined],
  ['{ kind: adagrad, lr_decay: -1 }', '`lr_decay` must be ≥ 0, got -1', '6:39', '-1', undefined],
  ['{ kind: adagrad, initial_accumulator_value: -1 }', '`initial_accumulator_value` must be ≥ 0, got -1', '6:56', '-1', undefined],
  ['{ kind: adadelta, eps: 0 }', '`eps` must be > 0, got 0', '6:35', '0', undefined],
  ['{ kind: adam, amsgrad: 1 }', '`amsgrad` must be true or false, got 1', '6:35', '1', undefined],
];

describe('optimizer options of the wrong kind, typos and torch\'s ranges', () => {
  it.each(cases)('%s', (optimizer, message, at, under, hint) => {
    const { ir, diagnostics } = checkSource(`${head}optimizer: ${optimizer}\n`, 'spec.yaml');
    expect(ir).toBeNull();
    expect(diagnostics.map((d) => `${d.message} at ${d.line}:${d.col}`)).toEqual([`${message} at ${at}`]);
    const d = diagnostics[0]!;
    expect([d.file, d.severity]).toEqual(['spec.yaml', 'error']);
    expect(underlined(d.frame)).toBe(under);
    expect(d.hint).toBe(hint);
  });

  it('accepts every option of every kind at torch\'s bounds', () => {
    for (const o of [
      '{ kind: rmsprop, lr: 0.1, alpha: 0, eps: 1e-3, weight_decay: 0, momentum: 0, centered: true }',
      '{ kind: adagrad, lr: 0.1, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-3 }',
      '{ kind: adadelta, lr: 0.1, rho: 1, eps: 1e-3, weight_decay: 0 }',
      '{ kind: adadelta, rho: 0 }',
      '{ kind: adamw, amsgrad: false }',
    ]) expect(checkSource(`${head}optimizer: ${o}\n`, 'spec.yaml').diagnostics, o).toEqual([]);
  });
});

// cnnc diff on the optimizers of issue 16: every key of every kind is in the optimizer section (null where a
// kind lacks it), so a kind change lists what the new kind sets and what the old one had, except keys that,
// at their default, say nothing (amsgrad false, centered false, lr_decay 0, ...); a kind change after a kind
// other than sgd says what the new kind does, not adam's note.
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { diffSettings, sections } from '../../compiler/diff/settings.js';
import type { ModelIR } from '../../compiler/ir/types.js';

const spec = (optimizer: string): ModelIR => {
  const r = checkSource(`cnnc: 1\nname: N\ninput: { shape: [1, 8, 8] }\nlayers: [flatten, { kind: linear, name: fc, out_features: 2 }]\nloss: { kind: cross_entropy }\noptimizer: ${optimizer}\n`, 'n.yaml');
  if (r.ir === null) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.ir;
};
// The optimizer's own keys (the section may also say what a changed optimizer state means for a checkpoint).
const OWN = new Set(Object.keys(sections(spec('{ kind: adam }')).optimizer));
const changes = (a: string, b: string) => diffSettings(spec(a), spec(b)).filter((s) => s.section === 'optimizer' && OWN.has(s.key)).map((s) => [s.key, s.old, s.new, s.note]);

describe('cnnc diff: optimizer settings', () => {
  it('the section has the same keys for every kind, null where the kind lacks one', () => {
    const kinds = ['{ kind: sgd, lr: 0.1 }', '{ kind: adam }', '{ kind: adamw }', '{ kind: rmsprop }', '{ kind: adagrad }', '{ kind: adadelta }'];
    const keys = kinds.map((k) => Object.keys(sections(spec(k)).optimizer).sort());
    for (const k of keys) expect(k).toEqual(keys[0]);
    expect(sections(spec('{ kind: adadelta }')).optimizer).toMatchObject({ kind: 'adadelta', lr: 1, rho: 0.9, eps: 1e-6, weight_decay: 0, alpha: null, betas: null, amsgrad: null });
  });

  it('adam → rmsprop: what rmsprop does, its alpha; betas, amsgrad and centered at their defaults say nothing', () => {
    expect(changes('{ kind: adam }', '{ kind: rmsprop }')).toEqual([
      ['kind', 'adam', 'rmsprop', 'rmsprop divides each step by the root of a running average of the squared gradient, without bias correction'],
      ['lr', 0.001, 0.01, 'lr ×10: each step moves the weights further'],
      ['alpha', null, 0.99, null],
    ]);
  });

  it('amsgrad, centered and lr_decay turned on say what they do', () => {
    expect(changes('{ kind: adam }', '{ kind: adam, amsgrad: true }').map((c) => [c[0], c[3]])).toEqual([
      ['amsgrad', 'amsgrad: each step divides by the largest running average of the squared gradient so far, so steps never grow back'],
    ]);
    expect(changes('{ kind: rmsprop }', '{ kind: rmsprop, centered: true }').map((c) => c[0])).toEqual(['centered']);
    expect(changes('{ kind: adagrad }', '{ kind: adagrad, lr_decay: 0.1 }')).toEqual([['lr_decay', 0, 0.1, 'adagrad\'s step t now uses lr / (1 + (t − 1)·lr_decay)']]);
  });

  it('sgd → adadelta keeps sgd\'s note; adam ↔ adamw keeps the weight decay notes', () => {
    expect(changes('{ kind: sgd, lr: 0.1 }', '{ kind: adadelta }')[0]).toEqual(['kind', 'sgd', 'adadelta', "adadelta scales each parameter's step by its gradient history: an lr tuned for sgd is usually far too large"]);
    expect(changes('{ kind: adamw }', '{ kind: adam }')[0]![3]).toBe('adam adds weight decay to the gradient (L2) instead of decaying the weights directly as adamw does');
    expect(changes('{ kind: adagrad }', '{ kind: adam }')[0]![3]).toBe('adam steps along a running average of the gradient, divided by the root of a running average of its square, both bias-corrected');
  });
});

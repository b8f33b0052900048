// cnnc diff on the losses of issue 8: every changed loss key is listed, with a plain-words note where the
// numbers do not say what it means; a sum's later terms appear as `terms[i].<key>`.
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { diffSettings } from '../../compiler/diff/settings.js';
import type { ModelIR } from '../../compiler/ir/types.js';

const spec = (layers: string, loss: string): ModelIR => {
  const r = checkSource(`cnnc: 1\nname: N\ninput: { shape: [1, 8, 8] }\nlayers: ${layers}\nloss: ${loss}\noptimizer: { kind: adam }\n`, 'n.yaml');
  if (r.ir === null) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.ir;
};
const flat1 = '[flatten, { kind: linear, name: fc, out_features: 1 }]';
const map3 = '[{ kind: conv2d, name: c, out_channels: 3, kernel_size: 3, padding: 1 }]';
const changes = (a: ModelIR, b: ModelIR) => diffSettings(a, b).filter((s) => s.section === 'loss').map((s) => [s.key, s.old, s.new, s.note]);

describe('cnnc diff: loss settings', () => {
  it('bce → bce_with_logits: the model must output logits now', () => {
    const a = spec('[flatten, { kind: linear, name: fc, out_features: 1 }, sigmoid]', '{ kind: bce }');
    const b = spec(flat1, '{ kind: bce_with_logits, pos_weight: 3 }');
    expect(changes(a, b)).toEqual([
      ['kind', 'bce', 'bce_with_logits', 'bce_with_logits applies sigmoid itself: the model must output logits, with 0/1 targets per output'],
      ['pos_weight', null, [3], 'positive targets are weighted: above 1 favours recall, below 1 precision'],
    ]);
  });

  it('a dice term added to cross_entropy, reduction and ignore_index changed', () => {
    const a = spec(map3, '{ kind: cross_entropy }');
    const b = spec(map3, '[{ kind: cross_entropy, ignore_index: 255, reduction: sum }, { kind: dice, from_logits: true, ignore_index: 255, scale: 0.5 }]');
    const c = changes(a, b);
    // The new term: its kind and the keys that say something (not at a loss's default, not missing from dice).
    expect(c.map((x) => x[0])).toEqual(['ignore_index', 'reduction', 'terms[1].kind', 'terms[1].ignore_index', 'terms[1].smooth',
      'terms[1].from_logits', 'terms[1].scale']);
    expect(c.find((x) => x[0] === 'ignore_index')![3]).toBe('labels equal to 255 are skipped now (they were -100)');
    expect(c.find((x) => x[0] === 'reduction')![3]).toContain('summed over the batch');
    expect(c.find((x) => x[0] === 'terms[1].kind')).toEqual(['terms[1].kind', null, 'dice', 'a loss term added: the loss is now a sum of 2 terms']);
  });

  it('focal γ and a term\'s scale', () => {
    const a = spec(map3, '[{ kind: focal, gamma: 2 }, { kind: dice, from_logits: true, scale: 0.5 }]');
    const b = spec(map3, '[{ kind: focal, gamma: 3 }, { kind: dice, from_logits: true, scale: 1 }]');
    expect(changes(a, b)).toEqual([
      ['gamma', 2, 3, 'focusing γ 2 → 3: easy samples count even less'],
      ['terms[1].scale', 0.5, 1, 'this term weighs ×2 in the sum of losses'],
    ]);
  });
});

describe('cnnc diff: train settings', () => {
  const withTrain = (train: string): ModelIR => {
    const r = checkSource(`cnnc: 1\nname: N\ninput: { shape: [1, 8, 8] }\nlayers: ${flat1}\nloss: { kind: bce_with_logits }\noptimizer: { kind: adam }\ntrain: ${train}\n`, 'n.yaml');
    if (r.ir === null) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    return r.ir;
  };
  const train = (a: ModelIR, b: ModelIR) => diffSettings(a, b).filter((s) => s.section === 'train').map((s) => [s.key, s.old, s.new, s.note]);

  it('shuffle off and an evaluation batch size are noted; eval_batch_size following batch_size is not said twice', () => {
    expect(train(withTrain('{ batch_size: 32 }'), withTrain('{ batch_size: 32, shuffle: false, eval_batch_size: 1000 }'))).toEqual([
      ['eval_batch_size', null, 1000, 'evaluation only: its speed and memory change, not its numbers'],
      ['shuffle', true, false, "every epoch in the data's own order (DataLoader(shuffle=False)): batches no longer mix the data"],
    ]);
    expect(train(withTrain('{ batch_size: 32 }'), withTrain('{ batch_size: 64 }')).map((c) => c[0])).toEqual(['batch_size']);
  });
});

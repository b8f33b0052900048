// `cnnc diff` of an init change: the layer is `changed` with `init.weight` old → new as the resolved torch.nn.init
// call, a note that the shapes (so the checkpoint) are unaffected, and a full checkpoint verdict; a default
// spelled out (batchnorm's `bias: zeros`) is no change at all.
import { describe, expect, it } from 'vitest';
import { diffSources, formatDiffMarkdown, formatDiffText } from '../../compiler/diff/index.js';

const spec = (conv: string, bn = '') => `cnnc: 1
name: Net
input: { shape: [1, 8, 8] }
layers:
  - { kind: conv2d, name: conv1, out_channels: 4, kernel_size: 3, bias: false${conv} }
  - { kind: batchnorm2d, name: bn1${bn} }
  - flatten
  - { kind: linear, name: fc, out_features: 3 }
loss: { kind: cross_entropy }
optimizer: { kind: adam }
`;
const diff = (a: string, b: string) => {
  const r = diffSources({ source: a, file: 'old.yaml' }, { source: b, file: 'new.yaml' });
  if (!r.ok) throw new Error('a side is invalid');
  return r.diff;
};

describe('cnnc diff: init', () => {
  it('an init change is a recipe change of the layer; the checkpoint still loads in full', () => {
    const d = diff(spec(''), spec(', init: { weight: { kind: kaiming_normal, mode: fan_out, nonlinearity: relu } }'));
    const conv = d.layers.find((l) => l.new?.name === 'conv1')!;
    expect(conv.status).toBe('changed');
    expect(conv.attrs.map((a) => [a.attr, a.old, a.new])).toEqual([['init.weight', 'reset_parameters() default', "kaiming_normal_(a=0, mode='fan_out', nonlinearity='relu')"]]);
    expect(d.checkpoint.verdict.kind).toBe('full');
    const text = formatDiffText(d, { color: false });
    expect(text).toContain("      init.weight  reset_parameters() default → kaiming_normal_(a=0, mode='fan_out', nonlinearity='relu')\n");
    expect(text).toContain('init only: the shapes are unchanged, so the old weights load as they are and only a fresh model draws by the new rule (cnnc train --resume still refuses: the spec hash changed)');
    expect(text).toContain('Checkpoint: full');
    expect(formatDiffMarkdown(d)).toContain('init.weight reset_parameters() default → kaiming_normal_');
  });

  it("a default spelled out is no change; zero gamma is", () => {
    expect(diff(spec(''), spec('', ', init: { bias: zeros, weight: ones }')).identical).toBe(true);
    const d = diff(spec(''), spec('', ', init: { weight: zeros }'));
    expect(d.layers.find((l) => l.new?.name === 'bn1')!.attrs.map((a) => `${a.attr}: ${String(a.old)} → ${String(a.new)}`)).toEqual(['init.weight: reset_parameters() default → zeros_()']);
  });
});

// cnnc diff on block models: layers align by their module path, and an edit of a block's definition is said once,
// with every instance it changes (the instances' layers fold into it), in text and markdown alike.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffSources, formatDiffMarkdown, formatDiffText } from '../../compiler/diff/index.js';

const SPEC = 'specs/zoo/resnet18.yaml';
const source = readFileSync(SPEC, 'utf8');
const k5 = source.replace('kernel_size: 3, stride: $stride, padding: 1', 'kernel_size: 5, stride: $stride, padding: 2');

describe('an edit of BasicBlock.conv1 in specs/zoo/resnet18.yaml', () => {
  const r = diffSources({ source, file: SPEC }, { source: k5, file: 'new.yaml' });
  if (!r.ok) throw new Error('both sides check');
  const d = r.diff;

  it('is one BlockEdit naming the eight instances, standing for their eight changed layers', () => {
    expect(k5).not.toBe(source);
    expect(d.blocks).toHaveLength(1);
    const b = d.blocks![0]!;
    expect([b.block, b.layer, b.kind]).toEqual(['BasicBlock', 'conv1', 'conv2d']);
    expect(b.attrs.map((a) => `${a.attr} ${JSON.stringify(a.old)} → ${JSON.stringify(a.new)}`)).toEqual([expect.stringMatching(/^kernel_size .*3.* → .*5/), expect.stringMatching(/^padding .*1.* → .*2/)]);
    expect(b.instances).toEqual(['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1']);
    expect(b.rows.map((i) => d.layers[i]!.new!.name)).toEqual(b.instances.map((x) => `${x}.conv1`));
    expect(d.layers.filter((l) => l.status !== 'unchanged')).toHaveLength(8);
  });

  it('prints the edit once in text and in markdown, and no layer row of its own for those eight', () => {
    const text = formatDiffText(d, { color: false });
    expect(text.match(/BasicBlock\.conv1/g)).toHaveLength(1);
    expect(text).toContain("~ BasicBlock.conv1 (conv2d), in the block's definition: 8 instances — layer1.0, layer1.1, layer2.0, layer2.1, layer3.0, layer3.1, layer4.0, layer4.1");
    expect(text).not.toMatch(/~ layer\d\.\d\.conv1 /);
    expect(text).toContain('= 57 unchanged: layer1.0.bn1,');
    const md = formatDiffMarkdown(d);
    expect(md.match(/`BasicBlock\.conv1` in 8 instances/g)).toHaveLength(1);
  });

  it('still lists each tensor the edit keeps from loading, by its PyTorch name', () => {
    const reshaped = d.checkpoint.tensors.filter((t) => t.status === 'reshaped').map((t) => t.name);
    expect(reshaped).toEqual(['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1'].map((x) => `${x}.conv1.weight`));
  });
});

// `allow: [W06xx]` on a layer: a lint the spec keeps on purpose (a faithful torchvision port keeps each
// conv bias before its batchnorm, W0608, to keep the state_dict) is not reported for that layer, and still is
// for the others; the schema's list of allowed codes is exactly the warnings of diagnostics/codes.ts.
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { CODES } from '../../compiler/diagnostics/codes.js';
import schema from '../../compiler/spec/cnnc.schema.json' with { type: 'json' };

const spec = (c1: string, c2 = '') => `cnnc: 1
name: A
input: { shape: [1, 8, 8] }
layers:
  - { kind: conv2d, name: c1, out_channels: 4, kernel_size: 3${c1} }
  - { kind: batchnorm2d, name: bn1 }
  - { kind: conv2d, name: c2, out_channels: 4, kernel_size: 3${c2} }
  - { kind: batchnorm2d, name: bn2 }
  - flatten
  - { kind: linear, out_features: 3 }
loss: { kind: cross_entropy }
optimizer: { kind: adam }
`;
const warnings = (src: string) => checkSource(src, 'a.yaml').diagnostics.map((d) => `${d.line} ${d.code}`);

describe('allow: lints a layer keeps on purpose', () => {
  it('W0608 allowed on c1 is not reported for c1, and still is for c2', () => {
    expect(warnings(spec(''))).toEqual(['5 W0608', '7 W0608']);
    expect(warnings(spec(', allow: [W0608]'))).toEqual(['7 W0608']);
    expect(warnings(spec(', allow: [W0608]', ', allow: [W0608]'))).toEqual([]);
  });

  it('another code allowed silences nothing; an unknown code is a schema error naming the allowed ones', () => {
    expect(warnings(spec(', allow: [W0605]'))).toEqual(['5 W0608', '7 W0608']);
    const bad = checkSource(spec(', allow: [W0699]'), 'a.yaml').diagnostics;
    expect(bad.map((d) => d.code)).toEqual(['E0207']);
    expect(bad[0]!.message).toMatch(/`allow\[0\]` must be `W0601`, .* got `W0699`/);
  });

  it('the schema lists exactly the warning codes', () => {
    const listed = (schema.$defs as Record<string, { items?: { enum?: string[] } }>)['allow']!.items!.enum!;
    expect([...listed].sort()).toEqual(Object.entries(CODES).filter(([, c]) => c.severity === 'warning').map(([k]) => k).sort());
  });
});

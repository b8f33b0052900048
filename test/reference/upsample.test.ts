// upsample against F.interpolate (PyTorch 1.13, float32), value by value: every source pixel holds its
// own value (arange^1.5), so a wrong nearest index or bilinear weight shows. Sizes with non-integer
// ratios, shrinking, fractional scale factors (whose source scale is 1/scale_factor, not in/out).
// Fixture: test/fixtures/reference/make_upsample.py.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOrThrow, importGenerated, specYaml } from '../codegen/helpers.js';

interface Case {
  readonly h: number;
  readonly w: number;
  readonly mode: 'nearest' | 'bilinear';
  readonly size?: number[];
  readonly scale_factor?: number | number[];
  readonly out: number[];
  readonly y: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/reference/upsample.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };

describe(`upsample vs F.interpolate (PyTorch ${fixture.torch})`, () => {
  it.each(fixture.cases.map((c) => [`${c.mode} ${c.h}×${c.w} → ${c.out.join('×')} (${c.size ? `size [${c.size.join(', ')}]` : `scale_factor ${JSON.stringify(c.scale_factor)}`})`, c] as const))('%s', async (_title, c) => {
    const how = c.size ? `size: [${c.size.join(', ')}]` : `scale_factor: ${JSON.stringify(c.scale_factor)}`;
    const code = generateOrThrow(specYaml({ input: [1, c.h, c.w], layers: [`{ kind: upsample, ${how}, mode: ${c.mode} }`, 'flatten'] }), 'float32');
    const model = (await importGenerated<Float32Array>(code)).createModel();
    const x = Float32Array.from({ length: c.h * c.w }, (_, i) => Math.fround(i ** 1.5));
    const y = model.forward(x, 1);
    expect([...model.outputShape]).toEqual([c.out[0]! * c.out[1]!]);
    let maxRel = 0;
    c.y.forEach((ref, i) => (maxRel = Math.max(maxRel, Math.abs(y[i]! - ref) / Math.max(Math.abs(ref), 1))));
    console.log(`upsample ${c.mode} ${c.h}×${c.w} → ${c.out.join('×')}: max rel difference ${maxRel.toExponential(2)}`);
    expect(maxRel).toBeLessThan(1e-6);
  });
});

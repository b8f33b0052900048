// specs/resnet-mini.yaml (residual blocks with batchnorm, add, global_avgpool2d) compiles, and a short
// training run on a few hundred Fashion-MNIST images lowers its loss. The full run is in the README.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { build } from '../../compiler/index.js';
import { loadIdxDirectory } from '../../runtime/node/data/idx-files.js';
import { subset } from '../../runtime/node/data/load.js';
import { importGenerated } from '../codegen/helpers.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

describe('specs/resnet-mini.yaml', () => {
  it('is a graph: two adds, one with a projected shortcut', () => {
    const r = build(readFileSync('specs/resnet-mini.yaml', 'utf8'), 'specs/resnet-mini.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.ir!.nodes.filter((n) => n.kind === 'add').map((n) => n.inputs)).toEqual([['b1_bn2', 'stem_relu'], ['b2_bn2', 'b2_down_bn']]);
    expect(r.ir!.nodes.find((n) => n.name === 'b2_down')!.inputs).toEqual(['b1_out']);
    // b1_out feeds b2_conv1 and b2_down: its gradient is the sum of both (see the generated backward).
    expect(r.code).toContain('// b1_out is read by b2_conv1, b2_down: its gradient is the sum of theirs');
  });

  it.skipIf(!existsSync(FASHION))('trains: the loss on 192 Fashion-MNIST images falls within 3 passes', async () => {
    const r = build(readFileSync('specs/resnet-mini.yaml', 'utf8'), 'specs/resnet-mini.yaml');
    const model = (await importGenerated<Float32Array>(r.code!)).createModel({ seed: 1 });
    const data = subset(loadIdxDirectory(FASHION, 10).train, 192);
    const size = 28 * 28;
    const batch = 32;
    const losses: number[] = [];
    model.train();
    for (let pass = 0; pass < 3; pass++) {
      for (let s = 0; s < data.n; s += batch) {
        const x = data.images.subarray(s * size, (s + batch) * size);
        const y = data.labels.subarray(s, s + batch);
        losses.push(model.trainStep(x, y, batch));
      }
    }
    const first = losses.slice(0, 6).reduce((a, b) => a + b) / 6;
    const last = losses.slice(-6).reduce((a, b) => a + b) / 6;
    console.log(`resnet-mini, 18 steps of 32 images: mean loss ${first.toFixed(3)} (first pass) → ${last.toFixed(3)} (third pass)`);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(last).toBeLessThan(0.85 * first);
  }, 120_000);
});

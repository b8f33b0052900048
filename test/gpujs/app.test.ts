// The app API on the gpu.js target (runtime/gpujs/model.ts GpujsModel): the same metadata as the TypeScript target's
// module of the spec but for `target`, predict giving its classes and probabilities, and class names taken from the
// weights loaded, as test/runtime/app.test.ts checks for the TypeScript target.
import { describe, expect, it } from 'vitest';
import { weightsWithClassNames } from '../../runtime/class-names.js';
import { bothTargets, inputs } from './helpers.js';

const SPEC = `cnnc: 1
name: Tiny
input: { shape: [1, 6, 6] }
layers:
  - { kind: conv2d, name: c1, out_channels: 2, kernel_size: 3 }
  - relu
  - flatten
  - { kind: linear, name: fc, out_features: 3 }
  - log_softmax
loss: { kind: nll }
optimizer: { kind: adam }
train: { batch_size: 4, epochs: 1, seed: 0 }
data: { source: folder, path: imgs, classes: [a, b, c] }
`;

describe('the app API on gpu.js', () => {
  it("has the TypeScript target's metadata but for target, predicts its classes, and takes the weights' class names", async () => {
    const { ts, gj } = await bothTargets(SPEC);
    const a = ts.createModel({ seed: 5 });
    const b = gj.createModel({ seed: 5, backend: 'cpu' });
    try {
      expect(b.metadata).toEqual({ ...a.metadata, target: 'gpujs' });
      expect(b.classNames).toEqual(['a', 'b', 'c']);
      const { x } = inputs(3, 36, 1, 3);
      const pa = a.predict(x, 3);
      const pb = b.predict(x, 3);
      pb.forEach((p, s) => {
        expect([p.class, p.name]).toEqual([pa[s]!.class, pa[s]!.name]);
        p.probabilities.forEach((v, c) => expect(v).toBeCloseTo(pa[s]!.probabilities[c]!, 4));
      });
      b.loadWeights(weightsWithClassNames(a.saveWeights(), ['x', 'y', 'z']));
      expect(b.classNames).toEqual(['x', 'y', 'z']);
      expect(b.predict(x, 1)[0]!.name).toBe(['x', 'y', 'z'][pa[0]!.class]);
    } finally {
      b.dispose();
    }
  });
});

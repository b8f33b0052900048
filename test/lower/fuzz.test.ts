// Random chains of layers with schema-valid attributes through the whole recipe: lowering never
// throws, every diagnostic points inside the file, and every IR it returns is consistent.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { product } from '../../compiler/3-lower/format.js';

const int = (max: number) => fc.integer({ min: 1, max });
const intOrPair = (max: number) => fc.oneof(int(max).map(String), fc.tuple(int(max), int(max)).map(([a, b]) => `[${a}, ${b}]`));
const conv = fc.record({
  out: int(8), k: intOrPair(5), s: fc.oneof(fc.constant('1'), intOrPair(3)), d: fc.oneof(fc.constant('1'), intOrPair(3)),
  p: fc.oneof(intOrPair(3), fc.constant('same'), fc.constant('valid')), g: fc.constantFrom(1, 1, 1, 2, 4),
}).map((c) => `{ kind: conv2d, out_channels: ${c.out}, kernel_size: ${c.k}, stride: ${c.s}, padding: ${c.p}, dilation: ${c.d}, groups: ${c.g} }`);
const pool = fc.record({ kind: fc.constantFrom('maxpool2d', 'avgpool2d'), k: intOrPair(4), s: intOrPair(3), p: fc.integer({ min: 0, max: 2 }) })
  .map((p) => `{ kind: ${p.kind}, kernel_size: ${p.k}, stride: ${p.s}, padding: ${p.p} }`);
const anyShape = fc.constantFrom('relu', 'sigmoid', 'tanh', 'leaky_relu', 'dropout', '{ kind: relu, name: a }');
const image = fc.oneof(conv, pool, anyShape, fc.constantFrom('dropout2d', 'batchnorm2d'));
const flat = fc.oneof(int(20).map((n) => `{ kind: linear, out_features: ${n} }`), anyShape,
  fc.constantFrom('softmax', 'log_softmax', '{ kind: linear, in_features: 12, out_features: 3 }'));
/** Mostly the usual order (2d layers, flatten, flat layers); sometimes any order at all. */
const chain = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.array(image, { maxLength: 5 }), fc.array(flat, { minLength: 1, maxLength: 4 })).map(([a, b]) => [...a, 'flatten', ...b]) },
  { weight: 1, arbitrary: fc.array(fc.oneof(image, flat, fc.constant('flatten')), { minLength: 1, maxLength: 8 }) },
);

it('lowering random chains never throws, and what it returns is consistent', () => {
  fc.assert(
    fc.property(chain, int(6), fc.integer({ min: 4, max: 20 }), fc.constantFrom('cross_entropy', 'nll'),
      (layers, c, hw, loss) => {
        const src = `cnnc: 1\nname: F\ninput: { shape: [${c}, ${hw}, ${hw}] }\nlayers:\n${layers.map((l) => `  - ${l}\n`).join('')}` +
          `loss: { kind: ${loss} }\noptimizer: { kind: adam }\n`;
        const lines = src.split('\n');
        const { ir, diagnostics } = checkSource(src, 'f.yaml');
        for (const d of diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.col).toBeLessThanOrEqual(lines[d.line - 1]!.length + 1);
          expect(d.code).toMatch(/^(E0[2-5]|W06)\d\d$/);
        }
        expect(ir === null).toBe(diagnostics.some((d) => d.severity === 'error'));
        if (!ir) return;
        let prev: readonly number[] = ir.input.shape;
        for (const n of ir.nodes) {
          expect(n.inShapes[0]).toEqual(prev);
          expect(n.outShape.every((s) => Number.isInteger(s) && s >= 1)).toBe(true);
          expect(n.outSize).toBe(product(n.outShape));
          prev = n.outShape;
        }
        expect([1, 3], 'cross_entropy and nll read [classes] or per-pixel [classes, H, W]').toContain(prev.length);
      }),
    { numRuns: 300, seed: 42 },
  );
});

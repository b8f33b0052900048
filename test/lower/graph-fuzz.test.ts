// Random graphs through the whole recipe and the code generator: each layer reads the previous one or
// names random `inputs` (earlier layers, `input`, sometimes itself, a later or an unknown name). Nothing throws,
// every diagnostic is a graph or shape code inside the file, every IR is consistent (each node reads
// only earlier nodes, its inShapes are their outShapes), and every IR compiles to code.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { checkSource, generate } from '../../compiler/index.js';

// add and concat are listed twice, and most kinds keep [2, 6, 6], so that joins often fit.
const kinds = fc.constantFrom(
  'relu',
  'tanh',
  'batchnorm2d',
  'conv2d, out_channels: 2, kernel_size: 3, padding: 1',
  'conv2d, out_channels: 2, kernel_size: 1',
  'conv2d, out_channels: 3, kernel_size: 1',
  'maxpool2d, kernel_size: 2',
  'upsample, scale_factor: 2',
  'upsample, size: [6, 6], mode: bilinear',
  'conv_transpose2d, out_channels: 2, kernel_size: 2, stride: 2',
  'global_avgpool2d',
  'add',
  'add',
  'concat',
  'concat',
);
// A reference: mostly `back` layers back from this one (1: the previous; past the first: `input`);
// sometimes a name that does not exist, or one that comes later.
const ref = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 4 }).map((back) => ({ back })) },
  { weight: 1, arbitrary: fc.constantFrom({ back: -1 }, { back: 0 }, { back: 99 }) },
);
const layer = fc.record({ kind: kinds, refs: fc.array(ref, { minLength: 1, maxLength: 3 }), explicit: fc.integer({ min: 0, max: 3 }) });

it('random graphs: checked without throwing; every IR is consistent and compiles', () => {
  let compiled = 0;
  let joins = 0;
  fc.assert(
    fc.property(fc.array(layer, { minLength: 1, maxLength: 7 }), (layers) => {
      const name = (i: number, back: number): string => (back === 99 ? 'nope' : i - back < 0 ? 'input' : `l${i - back}`);
      const items = layers.map((l, i) => {
        const join = l.kind === 'add' || l.kind === 'concat';
        const refs = join && l.refs.length < 2 ? [...l.refs, { back: 1 }] : l.refs;
        const names = (join ? refs : refs.slice(0, 1)).map((r) => name(i, r.back));
        const inputs = join || l.explicit === 0 ? `, inputs: [${names.join(', ')}]` : '';
        return `  - { kind: ${l.kind}, name: l${i}${inputs} }`;
      });
      const src = `cnnc: 1\nname: G\ninput: { shape: [2, 6, 6] }\nlayers:\n${items.join('\n')}\n  - flatten\n  - { kind: linear, out_features: 3 }\nloss: { kind: cross_entropy }\noptimizer: { kind: adam }\n`;
      const lines = src.split('\n');
      const { ir, diagnostics } = checkSource(src, 'g.yaml');
      for (const d of diagnostics) {
        expect(d.code, d.message).toMatch(/^(E020[49]|E021\d|E03\d\d|E04\d\d|W06\d\d)$/);
        expect(d.col).toBeLessThanOrEqual(lines[d.line - 1]!.length + 1);
      }
      expect(ir === null).toBe(diagnostics.some((d) => d.severity === 'error'));
      if (!ir) return;
      const out = new Map<string, readonly number[]>([['input', ir.input.shape]]);
      for (const n of ir.nodes) {
        expect(n.inShapes).toEqual(n.inputs.map((i) => out.get(i)));
        out.set(n.name, n.outShape);
      }
      expect(() => generate(ir, { dtype: 'float64' })).not.toThrow();
      compiled++;
      if (ir.nodes.some((n) => n.inputs.length > 1)) joins++;
    }),
    { numRuns: 150, seed: 8 },
  );
  console.log(`random graphs: ${compiled} of 150 compiled, ${joins} of them with add or concat`);
  expect(joins, 'enough valid graphs with joins for the test to mean something').toBeGreaterThanOrEqual(10);
}, 120_000);

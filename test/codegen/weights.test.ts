// Weights files: safetensors with PyTorch names, a round trip, and corrupt files refused with an
// error naming the tensor or byte offset, the model left exactly as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CompiledModel } from '../../runtime/model.js';
import { generateOrThrow, importGenerated, specYaml } from './helpers.js';

let create: (seed: number) => CompiledModel<Float32Array>;
beforeAll(async () => {
  const code = generateOrThrow(
    specYaml({
      name: 'W',
      input: [1, 5, 5],
      layers: [
        '{ kind: conv2d, name: conv1, out_channels: 2, kernel_size: 3 }',
        '{ kind: batchnorm2d, name: bn1 }',
        'flatten',
        '{ kind: linear, name: fc1, out_features: 3 }',
      ],
    }),
  );
  const mod = await importGenerated<Float32Array>(code);
  create = (seed) => mod.createModel({ seed });
});

interface Parsed {
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  data: Uint8Array;
}

function parse(bytes: Uint8Array): Parsed {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))), data: bytes.slice(8 + len) };
}

function encode(headerJson: string, data: Uint8Array, lieLength?: number): Uint8Array {
  const h = new TextEncoder().encode(headerJson);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lieLength ?? h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const tensor = (p: Parsed, name: string): { dtype: string; shape: number[]; data_offsets: [number, number] } =>
  p.header[name] as { dtype: string; shape: number[]; data_offsets: [number, number] };

describe('weights', () => {
  it('round trip: PyTorch names and shapes, every value restored', () => {
    const a = create(1);
    const bytes = a.saveWeights();
    const p = parse(bytes);
    expect(Object.keys(p.header).filter((k) => k !== '__metadata__')).toEqual([
      'conv1.weight', 'conv1.bias', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked', 'fc1.weight', 'fc1.bias',
    ]);
    expect(tensor(p, 'conv1.weight')).toMatchObject({ dtype: 'F32', shape: [2, 1, 3, 3] });
    expect(tensor(p, 'fc1.weight').shape).toEqual([3, 18]);
    const b = create(2);
    expect(b.saveWeights()).not.toEqual(bytes);
    b.loadWeights(bytes);
    expect(b.saveWeights()).toEqual(bytes);
    expect(b.parameters().map((v) => Array.from(v.data))).toEqual(a.parameters().map((v) => Array.from(v.data)));
  });

  const corrupt: [string, (good: Uint8Array) => Uint8Array, RegExp][] = [
    ['wrong shape', (g) => { const p = parse(g); tensor(p, 'fc1.weight').shape = [18, 3]; return encode(JSON.stringify(p.header), p.data); }, /fc1\.weight/],
    ['missing tensor', (g) => { const p = parse(g); const t = tensor(p, 'fc1.bias'); delete p.header['fc1.bias']; return encode(JSON.stringify(p.header), p.data.slice(0, t.data_offsets[0])); }, /fc1\.bias/],
    ['unexpected tensor', (g) => { const p = parse(g); const end = p.data.length; p.header['fc2.weight'] = { dtype: 'F32', shape: [1], data_offsets: [end, end + 4] }; const d = new Uint8Array(end + 4); d.set(p.data); return encode(JSON.stringify(p.header), d); }, /fc2\.weight/],
    ['wrong dtype', (g) => { const p = parse(g); tensor(p, 'conv1.bias').dtype = 'I32'; return encode(JSON.stringify(p.header), p.data); }, /conv1\.bias/],
    ['truncated data', (g) => g.slice(0, g.length - 4), /./],
    ['lying header length', (g) => { const p = parse(g); return encode(JSON.stringify(p.header), p.data, 1 << 20); }, /./],
    ['overlapping offsets', (g) => { const p = parse(g); const a = tensor(p, 'conv1.bias'); const w = tensor(p, 'conv1.weight'); a.data_offsets = [w.data_offsets[0], w.data_offsets[0] + 8]; return encode(JSON.stringify(p.header), p.data); }, /./],
    ['trailing bytes', (g) => { const out = new Uint8Array(g.length + 8); out.set(g); return out; }, /./],
    ['bad JSON', (g) => { const p = parse(g); return encode(JSON.stringify(p.header).slice(0, -2), p.data); }, /./],
    ['offsets out of bounds', (g) => { const p = parse(g); const t = tensor(p, 'fc1.bias'); t.data_offsets = [t.data_offsets[0] + 64, t.data_offsets[1] + 64]; return encode(JSON.stringify(p.header), p.data); }, /./],
    ['shorter than the length prefix', () => new Uint8Array([1, 0, 0]), /./],
    ['empty file', () => new Uint8Array(0), /./],
    ['header is not an object', (g) => encode('[1, 2, 3]', parse(g).data), /./],
    ['F64 data for an F32 model', (g) => { const p = parse(g); for (const [k, v] of Object.entries(p.header)) if (k !== '__metadata__') (v as { dtype: string }).dtype = 'F64'; return encode(JSON.stringify(p.header), p.data); }, /./],
  ];

  for (const [what, make, names] of corrupt) {
    it(`refuses a file with ${what}, leaving the model unchanged`, () => {
      const m = create(3);
      const good = create(4).saveWeights();
      const before = m.saveWeights();
      const bad = make(good);
      expect(() => m.loadWeights(bad)).toThrow(names);
      expect(m.saveWeights()).toEqual(before);
    });
  }
});

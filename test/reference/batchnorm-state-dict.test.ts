// A batchnorm model's state_dict as PyTorch holds it — num_batches_tracked an int64 — written to safetensors
// with each tensor's own dtype (as safetensors.torch.save_file does: I64 for num_batches_tracked), loads into
// the cnnc model of the same spec: every value equal, num_batches_tracked the count of training batches, and
// the eval-mode outputs PyTorch's. An integer that is not exact in the model's floats is refused, naming it.
// Skips where Debian's PyTorch is absent (CI installs it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, readTensor } from '../../runtime/safetensors.js';
import { generateOrThrow, importGenerated } from '../codegen/helpers.js';
import { PY, pythonOutput, torchMissing } from '../torch.js';

const SPEC = `cnnc: 1
name: BnNet
input: { shape: [2, 6, 6] }
layers:
  - { kind: conv2d, name: conv, out_channels: 3, kernel_size: 3 }
  - { kind: batchnorm2d, name: bn }
  - relu
  - flatten
  - { kind: linear, name: fc, out_features: 4 }
loss: { kind: cross_entropy }
optimizer: { kind: sgd, lr: 0.1 }
`;

// The module from tools/pytorch/spec_to_torch.py, three training steps (so num_batches_tracked is 3 and the
// running statistics moved), then its state_dict written with each tensor's dtype, and its eval outputs.
const SCRIPT = String.raw`
import json, struct, sys, torch, yaml
sys.path.insert(0, 'tools/pytorch')
from spec_to_torch import build_model, load_spec
spec = load_spec(sys.argv[1])
torch.manual_seed(0)
m = build_model(spec).double()
opt = torch.optim.SGD(m.parameters(), lr=0.1)
g = torch.Generator().manual_seed(1)
for _ in range(3):
    x = torch.randn(5, 2, 6, 6, generator=g, dtype=torch.float64)
    loss = torch.nn.functional.cross_entropy(m(x), torch.tensor([0, 1, 2, 3, 0]))
    opt.zero_grad(); loss.backward(); opt.step()
DT = {torch.float64: 'F64', torch.float32: 'F32', torch.int64: 'I64'}
header, data = {}, b''
for k, v in m.state_dict().items():
    b = struct.pack('<%d%s' % (v.numel(), {'F64': 'd', 'F32': 'f', 'I64': 'q'}[DT[v.dtype]]), *v.flatten().tolist())
    header[k] = {'dtype': DT[v.dtype], 'shape': list(v.shape), 'data_offsets': [len(data), len(data) + len(b)]}
    data += b
h = json.dumps(header).encode()
h += b' ' * (-len(h) % 8)
open(sys.argv[2], 'wb').write(struct.pack('<Q', len(h)) + h + data)
m.eval()
x = torch.linspace(-2, 2, 2 * 2 * 6 * 6, dtype=torch.float64).reshape(2, 2, 6, 6)
print(json.dumps(m(x).detach().flatten().tolist()))
`;

const dir = mkdtempSync(join(tmpdir(), 'cnnc-bn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(torchMissing() !== null)('a PyTorch batchnorm state_dict (num_batches_tracked int64) loads as it is', () => {
  const specFile = join(dir, 'bn.yaml');
  const weights = join(dir, 'torch.safetensors');
  writeFileSync(specFile, SPEC);
  const outputs = JSON.parse(execFileSync(PY, ['-c', SCRIPT, specFile, weights], { encoding: 'utf8' })) as number[];

  it('every tensor, num_batches_tracked = 3 from its I64, and the eval outputs equal PyTorch\'s', async () => {
    const bytes = new Uint8Array(readFileSync(weights));
    const file = decodeSafetensors(bytes);
    expect(file.tensors.get('bn.num_batches_tracked')?.dtype).toBe('I64');
    const mod = await importGenerated<Float64Array>(generateOrThrow(SPEC, 'float64'));
    const model = mod.createModel({ seed: 9 });
    model.loadWeights(bytes);
    const nbt = model.parameters().find((p) => p.name === 'bn.num_batches_tracked')!;
    expect(Array.from(nbt.data)).toEqual([3]);
    const mean = model.parameters().find((p) => p.name === 'bn.running_mean')!;
    expect(Array.from(mean.data)).toEqual(Array.from(readTensor(bytes, file.tensors.get('bn.running_mean')!)));
    model.eval();
    const x = Float64Array.from({ length: 2 * 2 * 6 * 6 }, (_, i) => -2 + (4 * i) / (2 * 2 * 6 * 6 - 1));
    const y = Array.from(model.forward(x, 2));
    y.forEach((v, i) => expect(Math.abs(v - outputs[i]!)).toBeLessThan(1e-12));
  });

  it('an integer not exact in float32 (2^24 + 1) is refused, naming the tensor, the index and the byte', async () => {
    const m32 = (await importGenerated<Float32Array>(generateOrThrow(SPEC, 'float32'))).createModel({ seed: 9 });
    expect(() => m32.loadWeights(i64File(2n ** 24n + 1n))).toThrow(/tensor "bn\.num_batches_tracked" \(I64\) holds 16777217 at index 0 \(byte \d+ of the file\), not exact in F32/);
    m32.loadWeights(i64File(2n ** 24n));
    expect(Array.from(m32.parameters().find((p) => p.name === 'bn.num_batches_tracked')!.data)).toEqual([2 ** 24]);

    /** The float32 model's own weights with num_batches_tracked as an I64 holding v. */
    function i64File(v: bigint): Uint8Array {
      const own = decodeSafetensors(m32.saveWeights());
      const w = m32.saveWeights();
      const header: Record<string, unknown> = {};
      const parts: Uint8Array[] = [];
      let offset = 0;
      for (const e of own.tensors.values()) {
        const data = e.name === 'bn.num_batches_tracked' ? new Uint8Array(new BigInt64Array([v]).buffer) : w.slice(e.begin, e.end);
        header[e.name] = { dtype: e.name === 'bn.num_batches_tracked' ? 'I64' : e.dtype, shape: e.shape, data_offsets: [offset, offset + data.length] };
        parts.push(data);
        offset += data.length;
      }
      let h = JSON.stringify(header);
      h += ' '.repeat((8 - (h.length % 8)) % 8);
      const hb = new TextEncoder().encode(h);
      const file = new Uint8Array(8 + hb.length + offset);
      new DataView(file.buffer).setBigUint64(0, BigInt(hb.length), true);
      file.set(hb, 8);
      let at2 = 8 + hb.length;
      for (const p of parts) {
        file.set(p, at2);
        at2 += p.length;
      }
      return file;
    }
  });
});

// The other way: cnnc's saveWeights writes num_batches_tracked as I64, as PyTorch's safetensors writer does, so
// a cnnc file holds each tensor in the dtype of torch's state_dict: it loads into the torch module with
// load_state_dict(strict=True) and reads back as the same state_dict, dtypes included. (load_state_dict itself
// would cast an F32 count into the int64 buffer; a state_dict compared or loaded as it is would not.)
const LOAD_SCRIPT = String.raw`
import json, sys, torch
sys.path.insert(0, '.')
from tools.pytorch import safetensors_io
from tools.pytorch.spec_to_torch import build_model, load_spec
_, tensors = safetensors_io.load(sys.argv[2])
sd = {k: torch.from_numpy(v.copy()) for k, v in tensors.items()}
m = build_model(load_spec(sys.argv[1]))
m.load_state_dict(sd, strict=True)
own = m.state_dict()
print(json.dumps({
  'dtypes': {k: [str(sd[k].dtype), str(v.dtype)] for k, v in own.items()},
  'equal': {k: bool(torch.equal(sd[k], v)) for k, v in own.items()},
  'nbt': own['bn.num_batches_tracked'].item(),
}))
`;

async function trainedFloat32() {
  const model = (await importGenerated<Float32Array>(generateOrThrow(SPEC, 'float32'))).createModel({ seed: 9 });
  model.train();
  const x = Float32Array.from({ length: 5 * 2 * 6 * 6 }, (_, i) => Math.sin(i));
  for (let s = 0; s < 3; s++) model.trainStep(x, Int32Array.of(0, 1, 2, 3, 0), 5);
  return model;
}

describe('cnnc writes num_batches_tracked as I64', () => {
  it('in the header, 8 bytes of little-endian int64; and its own file loads back, every value equal', async () => {
    const model = await trainedFloat32();
    const bytes = model.saveWeights();
    const file = decodeSafetensors(bytes);
    const nbt = file.tensors.get('bn.num_batches_tracked')!;
    expect([nbt.dtype, nbt.shape, nbt.end - nbt.begin]).toEqual(['I64', [], 8]);
    expect(new DataView(bytes.buffer, bytes.byteOffset + nbt.begin, 8).getBigInt64(0, true)).toBe(3n);
    expect([...file.tensors.values()].filter((e) => e.dtype !== 'F32').map((e) => e.name)).toEqual(['bn.num_batches_tracked']);
    const again = (await importGenerated<Float32Array>(generateOrThrow(SPEC, 'float32'))).createModel({ seed: 1 });
    again.loadWeights(bytes);
    for (const [p, q] of model.parameters().map((p, i) => [p, again.parameters()[i]!] as const)) {
      expect(Array.from(q.data), p.name).toEqual(Array.from(p.data));
    }
    expect(again.saveWeights()).toEqual(bytes);
  });

  it.skipIf(torchMissing() !== null)("loads into PyTorch's module with load_state_dict(strict=True), each dtype torch's own", async () => {
    const model = await trainedFloat32();
    const specFile = join(dir, 'bn-save.yaml');
    const weights = join(dir, 'cnnc.safetensors');
    writeFileSync(specFile, SPEC);
    writeFileSync(weights, model.saveWeights());
    const r = JSON.parse(await pythonOutput(['-c', LOAD_SCRIPT, specFile, weights])) as {
      dtypes: Record<string, [string, string]>; equal: Record<string, boolean>; nbt: number;
    };
    expect(r.dtypes['bn.num_batches_tracked']).toEqual(['torch.int64', 'torch.int64']);
    for (const [name, [file, torchs]] of Object.entries(r.dtypes)) expect(file, `${name}: the file's dtype is torch's`).toBe(torchs);
    expect(Object.entries(r.equal).filter(([, eq]) => !eq).map(([k]) => k)).toEqual([]);
    expect(Object.keys(r.dtypes)).toEqual(model.parameters().map((p) => p.name));
    expect(r.nbt).toBe(3);
  });
});

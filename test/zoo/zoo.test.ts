// specs/zoo/ against torchvision 0.14 (Debian's python3-torchvision: random init, no downloads). Each spec is
// torchvision's model exactly: its parameter count at 3×224×224; torchvision's state_dict, saved with torch's
// dtypes (num_batches_tracked I64), loads strictly with its own keys, in order; then, on a smaller input (the
// models end in adaptive or global pooling, so the weights do not depend on the size), the eval-mode output
// equals torchvision's, and one training-mode step (dropout at p = 0 on both sides) gives torchvision's
// output, loss and every parameter's gradient. Float64 on both sides, so the tolerance says exactly
// how far the arithmetic is from torch's. Skips where torchvision is absent (CI installs it).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { decodeSafetensors, readTensor } from '../../runtime/safetensors.js';
import { generateOrThrow, importGenerated } from '../codegen/helpers.js';
import { pythonOutput, torchvisionMissing } from '../torch.js';
import { yieldToWorker } from '../worker.js';

const missing = torchvisionMissing();
if (missing !== null) console.warn(`SKIP test/zoo: ${missing}`);

interface ZooCase {
  readonly spec: string;
  readonly torchvision: string;
  /** torchvision's parameter count (the figure). */
  readonly params: number;
  /** The smaller input the outputs and gradients are compared at. */
  readonly at: readonly [number, number];
}

const ZOO: readonly ZooCase[] = [
  { spec: 'specs/zoo/resnet18.yaml', torchvision: 'resnet18', params: 11_689_512, at: [64, 64] },
  { spec: 'specs/zoo/squeezenet1_1.yaml', torchvision: 'squeezenet1_1', params: 1_235_496, at: [64, 64] },
  { spec: 'specs/zoo/mobilenet_v2.yaml', torchvision: 'mobilenet_v2', params: 3_504_872, at: [64, 64] },
  { spec: 'specs/zoo/vgg11_bn.yaml', torchvision: 'vgg11_bn', params: 132_868_840, at: [32, 32] }, // 1×1 before its 7×7 adaptive pool
  { spec: 'specs/zoo/alexnet.yaml', torchvision: 'alexnet', params: 61_100_840, at: [64, 64] }, // 1×1 before its 6×6 adaptive pool
];

/** argv: NAME CNNC_FILE TORCH_FILE. Loads cnnc's file into torchvision's model (strict), compares it with torch's own file. */
const LOAD_BACK = String.raw`
import sys, torch, torchvision
sys.path.insert(0, 'tools/pytorch')
from safetensors_io import load
name, ours, theirs = sys.argv[1:4]
m = getattr(torchvision.models, name)().double()
_, tensors = load(ours)
m.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
_, ref = load(theirs)
assert list(tensors) == list(ref), 'keys'
for k, v in m.state_dict().items():
    assert v.dtype == torch.from_numpy(ref[k]).dtype and torch.equal(v, torch.from_numpy(ref[k])), k
print("strict load: every tensor equal, dtypes as torch's")
`;

const dir = mkdtempSync(join(tmpdir(), 'cnnc-zoo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** max |a − b| / max(1, max |b|): relative to the tensor's scale, so a zero in b does not blow it up. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0, scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}

describe.skipIf(missing !== null).each(ZOO)('$spec is torchvision.models.$torchvision()', (z) => {
  const source = readFileSync(z.spec, 'utf8');
  // The smaller input; dropout at p = 0, as the reference sets torch's, so that a training step is deterministic.
  const small = source.replace(/input: \{ shape: \[3, 224, 224\] \}/, `input: { shape: [3, ${z.at[0]}, ${z.at[1]}] }`)
    .replace(/kind: dropout, p: [0-9.]+/g, 'kind: dropout, p: 0');
  const out = join(dir, z.torchvision);

  it('checks with no warnings, and has torchvision\'s parameter count at 3×224×224', () => {
    const { ir, diagnostics } = checkSource(source, z.spec);
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([]);
    expect(ir!.totals.params).toBe(z.params);
  });

  it(`loads torchvision's state_dict strictly, and matches it in eval mode and on a training step at 3×${z.at[0]}×${z.at[1]}`, async () => {
    mkdirSync(out, { recursive: true });
    const info = JSON.parse(await pythonOutput(['test/zoo/torchvision_ref.py', z.torchvision, '3', String(z.at[0]), String(z.at[1]), '2', 'float64', out])) as { params: number; keys: string[] };
    expect(info.params).toBe(z.params);
    expect(small).not.toBe(source);
    const mod = await importGenerated<Float64Array>(generateOrThrow(small, 'float64', z.spec));
    // vgg11_bn's 133M float64 parameters take seconds for each of init, load and save: the worker's event loop
    // gets a turn between them (test/worker.ts).
    const model = mod.createModel({ seed: 0 });
    expect(model.parameters().map((p) => p.name)).toEqual(info.keys);
    await yieldToWorker();
    model.loadWeights(new Uint8Array(readFileSync(join(out, 'weights.safetensors'))));
    await yieldToWorker();
    // The other way (before a training step moves the running statistics): what cnnc writes loads into
    // torchvision's model with load_state_dict(strict=True), every tensor equal, dtypes as torch's.
    const saved = join(out, 'cnnc.safetensors');
    writeFileSync(saved, model.saveWeights());
    const back = (await pythonOutput(['-c', LOAD_BACK, z.torchvision, saved, join(out, 'weights.safetensors')])).trim();
    expect(back).toBe('strict load: every tensor equal, dtypes as torch\'s');

    await yieldToWorker();
    const refBytes = new Uint8Array(readFileSync(join(out, 'reference.safetensors')));
    const ref = decodeSafetensors(refBytes);
    const t = (k: string) => readTensor(refBytes, ref.tensors.get(k)!);
    const x = Float64Array.from(t('input'));
    const n = 2;
    model.eval();
    expect(relError(model.forward(x, n), t('eval_output')), 'eval output').toBeLessThan(1e-12);

    model.train();
    await yieldToWorker();
    const y = Int32Array.from(t('labels'));
    const loss = model.computeGradients(x, y, n);
    expect(Math.abs(loss - t('loss')[0]!) / Math.abs(t('loss')[0]!), 'loss').toBeLessThan(1e-12);
    const bad = model.parameters().filter((p) => p.trainable).map((p) => [p.name, relError(p.grad, t(`grad/${p.name}`))] as const).filter(([, e]) => !(e < 1e-10));
    expect(bad, 'gradients off by more than 1e-10 of their scale').toEqual([]);
  }, 300_000);
});

// The exported module computes what cnnc computes: for every spec in specs/ and specs/zoo/ (at a small input, as
// test/zoo does; in float32 there, their weights being up to 133M parameters), cnnc's float64 module with random weights (batchnorm's affine and running statistics drawn too, so
// eval mode's use of them shows) writes its weights file; model.py's Model, in float64 and eval(), loads that file with
// load_weights (every tensor by name, strict) and runs the same input. Its output equals cnnc's eval output, and
// model.py's loss_fn on it equals cnnc's loss on the same labels, each to 1e-9 of its scale (float32: 1e-5). For the
// flat specs it also equals tools/pytorch/spec_to_torch.py's module and loss, the independent hand-kept translation. One Python process runs
// every case. Skips where torch is absent (CI installs it).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import type { CompiledModel } from '../../runtime/model.js';
import { evaluate } from '../../runtime/train/evaluate.js';
import { generateOrThrow, importGenerated, randomInputs } from '../codegen/helpers.js';
import { python, skipWithoutTorch } from '../torch.js';
import { yieldToWorker } from '../worker.js';
import { exportOrThrow, writeExport } from './helpers.js';

const skip = skipWithoutTorch('test/pytorch/parity');

/** Smaller inputs than 224×224 (the zoo's models end in adaptive or global pooling); alexnet's first layers need 63. */
const SMALL: Readonly<Record<string, number>> = { 'alexnet.yaml': 64 };
const SPECS = [
  ...readdirSync('specs').filter((f) => f.endsWith('.yaml')).map((f) => join('specs', f)),
  ...readdirSync('specs/zoo').filter((f) => f.endsWith('.yaml')).map((f) => join('specs/zoo', f)),
];

const DRIVER = String.raw`
import importlib.util, json, sys, torch
cases = json.load(open(sys.argv[1]))
out = {}
for c in cases:
    spec = importlib.util.spec_from_file_location('m_' + c['id'], c['dir'] + '/model.py')
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    dtype = torch.float64 if c['dtype'] == 'float64' else torch.float32
    net = m.Model().to(dtype).eval()
    m.load_weights(net, c['weights'])
    x = torch.frombuffer(bytearray(open(c['x'], 'rb').read()), dtype=dtype).reshape(c['n'], *m.INPUT_SHAPE)
    labels = torch.frombuffer(bytearray(open(c['y'], 'rb').read()), dtype=torch.int32).to(torch.int64).reshape(c['n'], *m.LABEL_SHAPE)
    with torch.no_grad():
        y = net(x)
        loss = float(m.loss_fn(y, labels))
    open(c['dir'] + '/out.bin', 'wb').write(y.contiguous().numpy().tobytes())
    out[c['id']] = {'loss': loss, 'shape': list(y.shape)}
    if c['reference']:
        # tools/pytorch/spec_to_torch.py, the hand-kept translation: the same state_dict keys in the same order, and
        # on the export's weights the same output and loss.
        sys.path.insert(0, c['repo'])
        from tools.pytorch.spec_to_torch import load_spec, build_model, build_loss
        s = load_spec(c['repo'] + '/' + c['spec'])
        ref = build_model(s).to(dtype).eval()
        ref.load_state_dict(net.state_dict(), strict=True)
        with torch.no_grad():
            r = ref(x)
            rl = build_loss(s)(r, labels)
        out[c['id']]['reference'] = {'keys': list(ref.state_dict()) == list(net.state_dict()), 'output': float((r - y).abs().max()),
                                     'loss': abs(float(rl.mean()) - loss)}
print(json.dumps(out))
`;

interface Case {
  readonly id: string;
  readonly spec: string;
  readonly dir: string;
  readonly out: Float64Array;
  readonly loss: number;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'float64';
}

const root = mkdtempSync(join(tmpdir(), 'cnnc-pytorch-parity-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cases: Case[] = [];
let results: Record<string, { loss: number; shape: number[]; reference?: { keys: boolean; output: number; loss: number } }> = {};

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0, scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}

describe.skipIf(skip)('the exported model.py computes what cnnc computes', () => {
  beforeAll(async () => {
    const jobs = [];
    for (const [k, spec] of SPECS.entries()) {
      const base = spec.split('/').pop()!;
      let source = readFileSync(spec, 'utf8');
      const side = SMALL[base] ?? 32;
      const zoo = spec.includes('/zoo/');
      const dtype = zoo ? 'float32' : 'float64';
      if (zoo) source = source.replace(/input: \{ shape: \[3, 224, 224\] \}/, `input: { shape: [3, ${side}, ${side}] }`);
      const id = `c${k}`;
      const dir = join(root, id);
      writeExport(dir, exportOrThrow(source, spec));
      const ir = checkSource(source, spec).ir!;
      const model = (await importGenerated<Float64Array>(generateOrThrow(source, dtype, spec))).createModel({ seed: 1 });
      await yieldToWorker(); // a zoo model's init takes seconds, its forward and save as many (test/worker.ts)
      // Batchnorm's scale, shift and running statistics away from their initial 1, 0, 0, 1.
      let s = 7 + k;
      const next = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
      const bn = new Set(ir.nodes.filter((n) => n.kind === 'batchnorm2d').flatMap((n) => n.params.map((p) => p.name)));
      for (const p of model.parameters()) {
        if (!bn.has(p.name)) continue;
        for (let i = 0; i < p.data.length; i++) {
          p.data[i] = p.name.endsWith('running_var') ? 0.5 + next() : p.name.endsWith('num_batches_tracked') ? 3 : p.name.endsWith('weight') ? 0.5 + next() : next() - 0.5;
        }
      }
      const n = 2;
      const size = ir.input.shape.reduce((a, b) => a * b, 1);
      const out = model.outputShape;
      const binary = ir.loss.targets === 'binary';
      const labelSize = ir.loss.labelShape.reduce((a, b) => a * b, 1);
      const { x, y } = randomInputs(n, size, binary ? 2 : out[0]!, labelSize, 99 + k);
      model.eval();
      const xs = dtype === 'float64' ? x : Float32Array.from(x);
      const cnncOut = Float64Array.from(model.forward(xs as Float64Array, n));
      const e = evaluate(model as unknown as CompiledModel, { images: xs as Float32Array, labels: y, n, shape: ir.input.shape, labelShape: ir.loss.labelShape }, ir.loss, n);
      await yieldToWorker();
      writeFileSync(join(dir, 'weights.safetensors'), model.saveWeights());
      writeFileSync(join(dir, 'x.bin'), new Uint8Array(xs.buffer));
      writeFileSync(join(dir, 'y.bin'), new Uint8Array(y.buffer));
      cases.push({ id, spec, dir, out: cncOrThrow(cnncOut), loss: e.loss, shape: out, dtype });
      jobs.push({ id, dir, weights: join(dir, 'weights.safetensors'), x: join(dir, 'x.bin'), y: join(dir, 'y.bin'), n, dtype, spec, reference: !zoo, repo: process.cwd() });
    }
    writeFileSync(join(root, 'cases.json'), JSON.stringify(jobs));
    const r = await python(['-c', DRIVER, join(root, 'cases.json')], root);
    if (r.code !== 0) throw new Error(`the Python driver failed:\n${r.err}`);
    results = JSON.parse(r.out) as typeof results;
  }, 600_000);

  for (const spec of SPECS) {
    const zoo = spec.includes('/zoo/');
    it(`${spec}: eval output and loss equal cnnc's (${zoo ? 'float32, 1e-5' : 'float64, 1e-9'} of their scale)`, () => {
      const c = cases.find((k) => k.spec === spec)!;
      const tol = c.dtype === 'float64' ? 1e-9 : 1e-5;
      const py = results[c.id]!;
      expect(py.shape).toEqual([2, ...c.shape]);
      const bytes = Uint8Array.from(readFileSync(join(c.dir, 'out.bin'))).buffer;
      const torchOut = c.dtype === 'float64' ? new Float64Array(bytes) : new Float32Array(bytes);
      const err = relError(torchOut, c.out);
      console.log(`${spec}: largest output difference ${err.toExponential(2)} of its scale`);
      expect(err, 'output').toBeLessThan(tol);
      expect(Math.abs(py.loss - c.loss) / Math.max(1, Math.abs(c.loss)), `loss ${py.loss} vs cnnc ${c.loss}`).toBeLessThan(tol);
    });
    if (!zoo) {
      it(`${spec}: model.py equals tools/pytorch/spec_to_torch.py's module (state_dict keys in order, output, loss)`, () => {
        const ref = results[cases.find((k) => k.spec === spec)!.id]!.reference!;
        expect(ref.keys).toBe(true);
        expect(ref.output).toBeLessThan(1e-12);
        expect(ref.loss).toBeLessThan(1e-12);
      });
    }
  }
});

function cncOrThrow(a: Float64Array): Float64Array {
  if (a.some((v) => !Number.isFinite(v))) throw new Error('cnnc output is not finite');
  return a;
}

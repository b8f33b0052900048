// specs/zoo/ exported to ONNX and run by onnxruntime-node: torchvision's five models on a smaller input (as
// test/zoo compares them with torchvision: they end in adaptive or global pooling, so the weights do not depend on
// the size; at these sizes alexnet's and vgg11_bn's adaptive pools read a 1×1 map into 6×6 and 7×7, the Gather
// form), one batch of 2, with the weights moved off their initial values. Through the compiler's API, the calls
// `cnnc export` makes (bin/commands/export-onnx.ts, tested through the CLI by parity.test.ts), so each model's
// TypeScript is generated once. Skips where onnxruntime-node (bench/peers) or python3-onnx is absent.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { build, planModel, renderOnnx, TS_TARGET, unsupportedByOnnx } from '../../compiler/index.js';
import { importGenerated } from '../codegen/helpers.js';
import { yieldToWorker } from '../worker.js';
import { checkOnnx, expectNames, expectOrtMatches, onnxMissing, ortMissing, perturbWeights } from './helpers.js';

const noOrt = ortMissing();
const noOnnx = onnxMissing();
if (noOrt !== null) console.warn(`SKIP test/onnx/zoo (onnxruntime): ${noOrt}`);
if (noOnnx !== null) console.warn(`SKIP test/onnx/zoo (checker): ${noOnnx}`);

// checked: Debian's checker on the model (it takes ~30 s to read vgg11_bn's 530 MB and alexnet's 240 MB, whose ops
// and attributes the other three and parity.test.ts's files already hold: Conv, BatchNormalization, MaxPool, Gather,
// Gemm).
const ZOO: readonly { readonly file: string; readonly at: number; readonly checked: boolean }[] = [
  { file: 'specs/zoo/resnet18.yaml', at: 64, checked: true },
  { file: 'specs/zoo/squeezenet1_1.yaml', at: 64, checked: true },
  { file: 'specs/zoo/mobilenet_v2.yaml', at: 64, checked: true },
  { file: 'specs/zoo/vgg11_bn.yaml', at: 32, checked: false },
  { file: 'specs/zoo/alexnet.yaml', at: 64, checked: false },
];

const dir = mkdtempSync(join(tmpdir(), 'cnnc-onnx-zoo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const exported: string[] = [];

describe.skipIf(noOrt !== null)('specs/zoo/ exported to ONNX', () => {
  it.each(ZOO)("$file at 3×$at×$at runs in onnxruntime with cnnc's eval-mode output (float32, within 1e-5 of its scale)", async (z) => {
    const file = z.file;
    const source = readFileSync(file, 'utf8').replace(/input: \{ shape: \[3, 224, 224\] \}/, `input: { shape: [3, ${z.at}, ${z.at}] }`);
    const { code, ir } = build(source, file, { dtype: 'float32' });
    expect(code).not.toBeNull();
    const model = (await importGenerated<Float32Array>(code!)).createModel({ seed: 3 });
    await yieldToWorker(); // vgg11_bn: seconds of init, of perturbing, of encoding, of decoding (test/worker.ts)
    perturbWeights(model);
    await yieldToWorker();
    const plan = planModel(ir!, TS_TARGET);
    expect(unsupportedByOnnx(plan, source)).toEqual([]);
    const params = new Map(model.parameters().map((p) => [p.name, p.data]));
    const out = join(dir, `${ir!.name}.onnx`);
    writeFileSync(out, await renderOnnx(plan, (name) => params.get(name)!));
    if (z.checked) exported.push(out);
    await yieldToWorker();
    expectNames(out, ir!, model);
    await expectOrtMatches(`${file} at ${z.at}×${z.at}`, out, model, [2]);
  }, 300_000);

  it.skipIf(noOnnx !== null)("passes Debian's onnx.checker.check_model(full_check=True): resnet18, squeezenet1_1, mobilenet_v2", async () => {
    expect(exported.length).toBe(ZOO.filter((z) => z.checked).length);
    expect(await checkOnnx(exported)).toEqual(exported.map(() => 'ok'));
  }, 120_000);
});

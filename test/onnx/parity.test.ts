// `cnnc export --to onnx` against onnxruntime-node: for every spec in specs/ (specs/zoo/ is zoo.test.ts) and the
// PyTorch reference's fixture specs that hold the other layer kinds, the file the CLI writes with --weights
// (weights moved off their initial values, batchnorm statistics too), run by onnxruntime, gives cnnc's eval-mode
// output within 1e-5 of its scale, at two batch sizes through the one dynamic batch dimension; and Debian's ONNX
// checker (check_model, full_check) accepts every file. The coverage table holds each layer kind to a case that
// contains it. Skips where onnxruntime-node (bench/peers) or python3-onnx is absent (CI installs both).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { activationCoverage, coverageProblems, type CoverageTable } from '../coverage.js';
import { cnnc } from '../cli.js';
import { generateOrThrow, importGenerated } from '../codegen/helpers.js';
import { checkOnnx, expectNames, expectOrtMatches, onnxMissing, ortMissing, trainedLikeWeights } from './helpers.js';

const noOrt = ortMissing();
const noOnnx = onnxMissing();
if (noOrt !== null) console.warn(`SKIP test/onnx/parity (onnxruntime): ${noOrt}`);
if (noOnnx !== null) console.warn(`SKIP test/onnx/parity (checker): ${noOnnx}`);

const FILE = 'parity.test.ts';
type File = typeof FILE;

interface Case {
  readonly title: string;
  readonly yaml: string;
  readonly batches: readonly number[];
}

const read = (f: string) => readFileSync(f, 'utf8');
const shipped = ['mnist', 'fashion', 'mnist-focal', 'mnist-pytorch-examples', 'mnist-warmup-cosine', 'conv-features', 'gan-discriminator', 'resnet-mini', 'segmentation'];
const fixtures = ['every-layer', 'ceil-pools', 'decoder-layers', 'activations', 'graph', 'softmax-map'];

// Adaptive pools ONNX can hold (adaptive.ts): equal windows (a pool), an output larger than its input
// (single-row windows: a Gather), one axis of each, and 1×1 (a Global pool).
const ADAPTIVE = `cnnc: 1
name: AdaptiveOnnx
input: { shape: [2, 12, 9] }
layers:
  - { kind: conv2d, name: c1, out_channels: 3, kernel_size: 3, padding: 1 }   # [3, 12, 9]
  - { kind: adaptive_maxpool2d, output_size: [4, 3] }                          # 3×3 windows: MaxPool
  - { kind: adaptive_avgpool2d, output_size: [2, 6] }                          # rows in pairs, columns gathered (3 → 6)
  - { kind: conv2d, name: c2, out_channels: 4, kernel_size: 1 }
  - { kind: adaptive_maxpool2d, output_size: [6, 5] }                          # rows gathered, columns in overlapping pairs (6 → 5)
  - { kind: adaptive_avgpool2d, output_size: [1, 1] }                          # GlobalAveragePool
  - { kind: conv2d, name: c3, out_channels: 4, kernel_size: 1 }
  - { kind: adaptive_maxpool2d, output_size: 1 }                               # GlobalMaxPool
  - flatten
  - { kind: linear, name: fc, out_features: 5 }
loss: { kind: cross_entropy }
optimizer: { kind: sgd, lr: 0.1 }
`;

// The Resize forms decoder-layers.yaml leaves out: bilinear by scale_factor without align_corners (Resize's scales,
// PyTorch's source scale 1/scale_factor), per axis and fractional, down as well as up.
const UPSAMPLE = `cnnc: 1
name: UpsampleOnnx
input: { shape: [2, 7, 9] }
layers:
  - { kind: conv2d, name: c1, out_channels: 3, kernel_size: 3, padding: 1 }   # [3, 7, 9]
  - { kind: upsample, scale_factor: 1.5, mode: bilinear }                      # [3, 10, 13]
  - { kind: upsample, scale_factor: [2, 0.75], mode: bilinear }                # [3, 20, 9]
  - { kind: conv2d, name: c2, out_channels: 2, kernel_size: 3 }
  - flatten
  - { kind: linear, name: fc, out_features: 3 }
loss: { kind: cross_entropy }
optimizer: { kind: sgd, lr: 0.1 }
`;

const CASES: readonly Case[] = [
  ...shipped.map((s) => ({ title: `specs/${s}.yaml`, yaml: read(`specs/${s}.yaml`), batches: [1, 3] })),
  ...fixtures.map((s) => ({ title: `test/fixtures/reference/specs/${s}.yaml`, yaml: read(`test/fixtures/reference/specs/${s}.yaml`), batches: [1, 3] })),
  { title: 'adaptive pools ONNX can hold', yaml: ADAPTIVE, batches: [1, 3] },
  { title: 'bilinear upsample by scale_factor', yaml: UPSAMPLE, batches: [1, 3] },
];

/** Which case checks each layer kind (a kind added to the IR does not type-check until it has an entry). */
const COVERAGE: CoverageTable<File> = {
  ...activationCoverage(`${FILE} › test/fixtures/reference/specs/activations.yaml`),
  conv2d: [`${FILE} › specs/mnist.yaml`],
  maxpool2d: [`${FILE} › specs/mnist.yaml`, `${FILE} › test/fixtures/reference/specs/ceil-pools.yaml`],
  avgpool2d: [`${FILE} › specs/conv-features.yaml`, `${FILE} › test/fixtures/reference/specs/ceil-pools.yaml`],
  batchnorm2d: [`${FILE} › specs/resnet-mini.yaml`, `${FILE} › test/fixtures/reference/specs/every-layer.yaml`],
  dropout: [`${FILE} › specs/mnist.yaml`],
  dropout2d: [`${FILE} › specs/mnist.yaml`],
  flatten: [`${FILE} › specs/mnist.yaml`],
  linear: [`${FILE} › specs/mnist.yaml`],
  softmax: [`${FILE} › test/fixtures/reference/specs/softmax-map.yaml`],
  log_softmax: [`${FILE} › specs/mnist.yaml`, `${FILE} › test/fixtures/reference/specs/softmax-map.yaml`],
  conv_transpose2d: [`${FILE} › specs/segmentation.yaml`, `${FILE} › test/fixtures/reference/specs/decoder-layers.yaml`],
  upsample: [`${FILE} › test/fixtures/reference/specs/decoder-layers.yaml`, `${FILE} › bilinear upsample by scale_factor`],
  global_avgpool2d: [`${FILE} › test/fixtures/reference/specs/graph.yaml`, `${FILE} › test/fixtures/reference/specs/decoder-layers.yaml`],
  adaptive_avgpool2d: [`${FILE} › adaptive pools ONNX can hold`],
  adaptive_maxpool2d: [`${FILE} › adaptive pools ONNX can hold`],
  add: [`${FILE} › specs/resnet-mini.yaml`, `${FILE} › test/fixtures/reference/specs/graph.yaml`],
  concat: [`${FILE} › specs/segmentation.yaml`, `${FILE} › test/fixtures/reference/specs/graph.yaml`],
};

const dir = mkdtempSync(join(tmpdir(), 'cnnc-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const exported: string[] = [];

describe('cnnc export --to onnx', () => {
  it('covers every layer kind with a case that contains it', () => {
    expect(coverageProblems(COVERAGE, FILE, CASES)).toEqual([]);
  });

  describe.skipIf(noOrt !== null).each(CASES)('$title', (c) => {
    it(`runs in onnxruntime with cnnc's eval-mode output (float32, within 1e-5 of its scale) at batch ${c.batches.join(' and ')}`, async () => {
      const at = mkdtempSync(join(dir, 'case-'));
      const spec = join(at, 'spec.yaml');
      writeFileSync(spec, c.yaml);
      const mod = await importGenerated<Float32Array>(generateOrThrow(c.yaml, 'float32', spec));
      const model = mod.createModel({ seed: 3 });
      const weights = trainedLikeWeights(model, at);
      const file = join(at, 'model.onnx');
      const r = await cnnc('export', spec, '--to', 'onnx', '-o', file, '--weights', weights);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      exported.push(file);

      expectNames(file, checkSource(c.yaml, spec).ir!, model);
      await expectOrtMatches(c.title, file, model, c.batches);
    }, 120_000);
  });

  it.skipIf(noOrt !== null || noOnnx !== null)("passes Debian's onnx.checker.check_model(full_check=True), every file", async () => {
    expect(exported.length).toBe(CASES.length);
    expect(await checkOnnx(exported)).toEqual(exported.map(() => 'ok'));
  }, 120_000);
});

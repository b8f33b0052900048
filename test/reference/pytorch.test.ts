// cnnc against an outside oracle: PyTorch 1.13. For each spec, the weights file PyTorch wrote loads into
// the cnnc module, and the forward output, the loss, every parameter gradient and one optimizer step match
// PyTorch's, tensor by tensor, with the largest difference printed. Fixtures (committed; no Python needed
// here) come from test/fixtures/reference/make_reference.py — its docstring says what each file holds.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { build } from '../../compiler/index.js';
import type { CompiledModel } from '../../runtime/model.js';
import { loadModule } from '../../compiler/load-generated.js';
import { activationCoverage, coverageProblems, type CoverageTable } from '../coverage.js';
import { compare, printTable, readFixture, tensor, withPrefix, type Fixture, type Row } from './compare.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'reference');
const WORK = join(ROOT, 'test', '.tmp', 'reference');

/** Every fixture make_reference.py writes: [name, modes]. Listed here so a missing file fails, not skips. */
const CASES: ReadonlyArray<readonly [string, ReadonlyArray<'eval' | 'train'>]> = [
  ['mnist', ['eval']], // the seed's model; dropout: eval only
  ['conv-features', ['eval']], // stride, padding, dilation, groups, batchnorm, label smoothing, sgd nesterov
  ['every-layer', ['eval', 'train']], // pools' padding, count_include_pad, softmax, weighted CE, adamw
  ['unnamed-nll', ['eval']], // generated names, `same` with dilation, weighted nll, sgd with dampening
  ['decoder-layers', ['eval']], // conv_transpose2d (output_padding, dilation, groups), upsample nearest/bilinear, global_avgpool2d
  ['graph', ['eval', 'train']], // residual add (a gradient summed over two readers), concat skip with the input
  // the losses of issue 8 (label maps are [n, H, W]; binary targets have the output's shape)
  ['loss-segment', ['eval']], // per-pixel cross_entropy (weights, smoothing, ignore_index 255) + 0.5·dice from logits
  ['loss-binary-map', ['eval']], // one-channel maps: bce_with_logits (pos_weight) + focal (sigmoid) + dice (sigmoid)
  ['loss-bce', ['eval']], // bce on sigmoid probabilities, multi-label, mean + 0.1·sum
  ['loss-focal', ['eval']], // softmax focal loss, γ 2, α 0.25, reduction sum
  ['loss-none', ['eval']], // weighted cross_entropy, reduction none (training: the plain mean), ignore_index -1
  ['loss-nll-map', ['eval']], // nll on label maps, weights, ignore_index 7, reduction sum
  ['loss-focal-map', ['eval']], // softmax focal per pixel, γ 0.5, α off, none, + 0.25·cross_entropy
  ['softmax-map', ['eval']], // softmax per pixel inside the network, log_softmax per pixel + nll (fused; weights, ignore_index 255)
  ['softmax-dice-map', ['eval']], // dice on per-pixel softmax probabilities, smooth 0.5
  ['activations', ['eval']], // every activation of compiler/ir/activations.ts, each after a conv
  ['ceil-pools', ['eval']], // ceil_mode maxpool2d and avgpool2d: windows past the (padded) input, a dropped last window
  ['adaptive-pools', ['eval']], // adaptive_maxpool2d and adaptive_avgpool2d: overlapping windows, outputs larger than inputs
];

/** Which fixtures compare each node kind with PyTorch (forward, loss, gradients, one step); checked below
 *  against the fixtures' specs, so a kind added to the IR does not type-check until it names one. */
const PYTORCH_COVERAGE: CoverageTable<'pytorch.test.ts'> = {
  ...activationCoverage('pytorch.test.ts › activations'), // test/fixtures/reference/specs/activations.yaml lists every one
  conv2d: ['pytorch.test.ts › mnist', 'pytorch.test.ts › conv-features', 'pytorch.test.ts › unnamed-nll'],
  maxpool2d: ['pytorch.test.ts › mnist', 'pytorch.test.ts › every-layer', 'pytorch.test.ts › ceil-pools'],
  avgpool2d: ['pytorch.test.ts › every-layer', 'pytorch.test.ts › unnamed-nll', 'pytorch.test.ts › ceil-pools'],
  adaptive_avgpool2d: ['pytorch.test.ts › adaptive-pools'],
  adaptive_maxpool2d: ['pytorch.test.ts › adaptive-pools'],
  batchnorm2d: ['pytorch.test.ts › conv-features', 'pytorch.test.ts › every-layer', 'pytorch.test.ts › graph'],
  // Eval mode only, where dropout is the identity: training masks come from cnnc's own Rng, which no
  // PyTorch generator reproduces (finite differences and the gpu.js parity check training dropout).
  dropout: ['pytorch.test.ts › mnist', 'pytorch.test.ts › conv-features'],
  dropout2d: ['pytorch.test.ts › mnist', 'pytorch.test.ts › conv-features'],
  flatten: ['pytorch.test.ts › mnist'], // an alias of its input (C-major, as torch.flatten(x, 1))
  linear: ['pytorch.test.ts › mnist', 'pytorch.test.ts › every-layer'],
  softmax: ['pytorch.test.ts › every-layer', 'pytorch.test.ts › softmax-map', 'pytorch.test.ts › softmax-dice-map'],
  log_softmax: ['pytorch.test.ts › mnist', 'pytorch.test.ts › unnamed-nll', 'pytorch.test.ts › softmax-map'],
  conv_transpose2d: ['pytorch.test.ts › decoder-layers', 'pytorch.test.ts › graph'],
  upsample: ['pytorch.test.ts › decoder-layers'], // and against F.interpolate value by value: upsample.test.ts
  global_avgpool2d: ['pytorch.test.ts › decoder-layers', 'pytorch.test.ts › graph'],
  add: ['pytorch.test.ts › graph'],
  concat: ['pytorch.test.ts › graph'],
};

const weightsOf = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, `${name}.weights.safetensors`)));

async function compile(name: string, specPath: string): Promise<() => CompiledModel> {
  const source = readFileSync(join(ROOT, specPath), 'utf8');
  const { code, diagnostics } = build(source, specPath, { dtype: 'float32' });
  expect(diagnostics.filter((d) => d.severity === 'error'), `${specPath} compiles`).toEqual([]);
  // A folder per spec: loadModule names its file after the class, and under vitest a second module
  // written to the same path can be served from the module cache.
  const mod = await loadModule(code!, join(WORK, name));
  return () => mod.createModel({ seed: 0 });
}

/** A model with PyTorch's weights, in `mode`. */
function fromPytorch(create: () => CompiledModel, name: string, mode: 'eval' | 'train'): CompiledModel {
  const model = create();
  model.loadWeights(weightsOf(name));
  if (mode === 'train') model.train();
  else model.eval();
  return model;
}

function batch(f: Fixture) {
  const x = tensor(f, 'input');
  const n = x.shape[0]!;
  const labels = Int32Array.from(tensor(f, 'labels').data);
  return { x: Float32Array.from(x.data), y: labels, n };
}

function expectAllWithinTolerance(title: string, rows: readonly Row[]): void {
  printTable(title, rows);
  expect(rows.filter((r) => !r.ok).map((r) => `${r.tensor}: max rel ${r.maxRel} ${r.note ?? ''}`)).toEqual([]);
}

describe('PYTORCH_COVERAGE', () => {
  it('names fixtures that run here, each with a node of its kind; a kind it says no fixture checks is in none of them', () => {
    // The spec each fixture was made from, as make_reference.py records it.
    const specOf = (name: string, mode: 'eval' | 'train') => readFixture(join(FIXTURES, `${name}.${mode}.safetensors`)).metadata['spec']!;
    const cases = CASES.map(([name, modes]) => ({ title: name, yaml: readFileSync(join(ROOT, specOf(name, modes[0]!)), 'utf8') }));
    expect(coverageProblems(PYTORCH_COVERAGE, 'pytorch.test.ts', cases)).toEqual([]);
  });
});

describe.each(CASES)('PyTorch reference: %s', (name, modes) => {
  const meta = readFixture(join(FIXTURES, `${name}.${modes[0]}.safetensors`)).metadata;
  const specPath = meta['spec']!;
  let compiled: Promise<() => CompiledModel> | undefined;
  const factory = () => (compiled ??= compile(name, specPath)); // compiled once, by whichever test runs first

  it(`compiles ${specPath}, and loads the weights file PyTorch wrote (state_dict names and layouts)`, async () => {
    const model = (await factory())();
    const file = readFixture(join(FIXTURES, `${name}.weights.safetensors`));
    model.loadWeights(weightsOf(name));
    // Exactly the state_dict's names and shapes, and the bytes PyTorch wrote.
    const params = model.parameters();
    expect(params.map((p) => [p.name, [...p.shape]])).toEqual([...file.tensors].map(([k, t]) => [k, [...t.shape]]));
    for (const p of params) expect(Array.from(p.data), p.name).toEqual(Array.from(file.tensors.get(p.name)!.data));
  });

  it.each(modes)('%s mode: output, loss and every parameter gradient match PyTorch', async (mode) => {
    const f = readFixture(join(FIXTURES, `${name}.${mode}.safetensors`));
    const { x, y, n } = batch(f);
    const model = fromPytorch(await factory(), name, mode);
    const output = Float32Array.from(model.forward(x, n)); // copy: a view into the arena
    const loss = model.computeGradients(x, y, n);

    const rows: Row[] = [compare('output', output, tensor(f, 'output')), compare('loss', [loss], tensor(f, 'loss'))];
    const grads = withPrefix(f, 'grad');
    grads.delete('input'); // the model contract exposes no input gradient; stored for a future dX check
    const trainable = model.parameters().filter((p) => p.trainable);
    expect(trainable.map((p) => p.name), 'trainable parameters').toEqual([...grads.keys()]);
    for (const p of trainable) rows.push(compare(`grad/${p.name}`, p.grad, grads.get(p.name)!));
    expectAllWithinTolerance(`${name} (${mode}): cnnc float32 vs PyTorch ${f.metadata['torch']}, n = ${n}`, rows);
  });

  it.each(modes)('%s mode: one trainStep gives PyTorch\'s weights after one optimizer step', async (mode) => {
    const f = readFixture(join(FIXTURES, `${name}.${mode}.safetensors`));
    const { x, y, n } = batch(f);
    const model = fromPytorch(await factory(), name, mode); // a fresh model: a fresh optimizer, as PyTorch's
    model.trainStep(x, y, n);
    const after = withPrefix(f, 'after_step');
    expect(after.size, 'fixture holds post-step tensors').toBeGreaterThan(0);
    const byName = new Map(model.parameters().map((p) => [p.name, p]));
    const rows = [...after].map(([k, t]) => {
      const p = byName.get(k);
      return p ? compare(`after_step/${k}`, p.data, t) : compare(`after_step/${k}`, [], t);
    });
    expectAllWithinTolerance(`${name} (${mode}): weights after one optimizer step`, rows);
  });
});

// The bench suite (`npm run bench -- --only suite`, bench/README.md "The suite"): every spec of specs/ (the mnist
// recipe variants as one), the zoo at a size that fits, and three extra models of bench/suite/, each measured as
// cnnc against PyTorch at 1 and 2 threads (training and inference, batch 32, the same synthetic inputs), and for
// inference against onnxruntime-node and onnxruntime-web running PyTorch's ONNX export of the same model (cnnc's own
// export where torch.onnx.export fails).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * The suite. `input` overrides a spec's input shape (the zoo's 3×224×224 would take minutes a step here);
 * `torchvision` names the PyTorch model of a zoo spec (spec_to_torch.py does not expand blocks and sequentials);
 * `inferBatches`: inference at more batch sizes (the seed model's 64, next to the onnxruntime peers).
 * specs/fashion.yaml is specs/mnist.yaml on other data; mnist-focal, mnist-warmup-cosine and
 * mnist-pytorch-examples are the same network with another loss head or optimizer: specs/mnist.yaml stands for all.
 */
export const SUITE = [
  { spec: 'specs/mnist.yaml', label: 'mnist (the seed; = fashion, mnist-*)', inferBatches: [64] },
  { spec: 'specs/conv-features.yaml' },
  { spec: 'specs/gan-discriminator.yaml' },
  { spec: 'specs/resnet-mini.yaml' },
  { spec: 'specs/segmentation.yaml' },
  { spec: 'bench/suite/lenet5.yaml', label: 'LeNet-5 (tanh, avgpool)' },
  { spec: 'bench/suite/vgg-bn.yaml', label: 'VGG-style 3×32×32 with batchnorm' },
  { spec: 'bench/suite/strided.yaml', label: 'strided convs, leaky_relu, batchnorm, global pool' },
  { spec: 'specs/zoo/resnet18.yaml', input: [3, 64, 64], torchvision: 'resnet18' },
  { spec: 'specs/zoo/mobilenet_v2.yaml', input: [3, 64, 64], torchvision: 'mobilenet_v2' },
  { spec: 'specs/zoo/squeezenet1_1.yaml', input: [3, 64, 64], torchvision: 'squeezenet1_1' },
  { spec: 'specs/zoo/alexnet.yaml', input: [3, 64, 64], torchvision: 'alexnet' },
  { spec: 'specs/zoo/vgg11_bn.yaml', input: [3, 32, 32], torchvision: 'vgg11_bn' },
];

export const SUITE_BATCH = 32;

/**
 * Runs the suite: per model, cnnc (1, 2 threads), PyTorch (1, 2), then onnxruntime-web (1) and -node (1, 2) on the
 * ONNX file the 1-thread PyTorch child exports, and cnnc with onnxruntime-web taking turns in one process (1 thread). `measure(name, argv, env)` is bench.mjs's child runner.
 * `models`: a subset of the labels' spec basenames (e.g. `mnist,lenet5`), or all.
 */
export async function runSuite({ work, seconds, python, torchMissing, measure, peers = true, models }) {
  const { checkSource } = await import('../dist/compiler/index.js');
  const peerNote = peers ? ensurePeers() : 'skipped (--no-peers)';
  const out = { batch: SUITE_BATCH, seconds, peers: peerNote ?? 'onnxruntime-node, onnxruntime-web (bench/peers)', models: [] };
  const dir = join(work, 'suite');
  mkdirSync(dir, { recursive: true });
  const wanted = models ? new Set(models.split(',')) : null;
  for (const entry of SUITE) {
    const id = basename(entry.spec, '.yaml');
    if (wanted && !wanted.has(id)) continue;
    const row = { id, label: entry.label ?? entry.spec, spec: entry.spec, batch: SUITE_BATCH };
    out.models.push(row);
    const prepared = prepare(entry, dir, checkSource);
    if (prepared.error) {
      row.error = prepared.error;
      continue;
    }
    Object.assign(row, prepared.about);
    const common = { spec: prepared.file, inputs: prepared.base, batch: String(SUITE_BATCH), seconds: String(seconds) };
    const inferBatches = entry.inferBatches?.join(',');
    for (const t of [1, 2]) {
      row[`cnnc_t${t}`] = await measure(`${id} cnnc_t${t}`, [process.execPath, 'bench/cnnc-child.mjs',
        ...flags({ ...common, threads: String(t), 'heap-windows': '0', 'infer-batches': inferBatches })]);
    }
    const onnx = join(dir, `${id}.onnx`);
    for (const t of [1, 2]) {
      if (torchMissing) {
        row[`pytorch_t${t}`] = { skipped: torchMissing };
        continue;
      }
      row[`pytorch_t${t}`] = await measure(`${id} pytorch_t${t}`, [python, 'bench/pytorch_suite.py',
        ...flags({ ...common, threads: String(t), 'infer-batches': inferBatches, torchvision: entry.torchvision, onnx: t === 1 && peerNote === undefined ? onnx : undefined })],
      { OPENBLAS_NUM_THREADS: '1' });
    }
    const exported = row.pytorch_t1?.onnx;
    const torchOnnx = torchMissing ? 'PyTorch did not run' : exported?.error ? `torch.onnx.export failed: ${String(exported.error).split(". ")[0]}` : exported ? undefined : 'PyTorch wrote no ONNX file';
    // Where torch.onnx.export cannot (torch 1.13 refuses conv-features' `padding: same`, for one), the peers run cnnc's
    // own export of the same spec (`cnnc export --to onnx`, which test/onnx holds to cnnc's outputs); the row says so.
    if (peerNote === undefined) row.onnx_source = torchOnnx === undefined ? 'torch.onnx.export' : cnncOnnx(prepared.file, onnx, torchOnnx);
    const ortSkip = peerNote ?? (torchOnnx !== undefined && !row.onnx_source.startsWith('cnnc export') ? row.onnx_source : undefined);
    const batches = [SUITE_BATCH, ...(entry.inferBatches ?? [])].join(',');
    for (const [key, runtime, t] of [['ort_web', 'web', 1], ['ort_node_t1', 'node', 1], ['ort_node_t2', 'node', 2]]) {
      row[key] = ortSkip ? { skipped: ortSkip } : await measure(`${id} ${key}`, [process.execPath, 'bench/ort-child.mjs',
        ...flags({ runtime, threads: String(t), model: onnx, inputs: prepared.base, batches, seconds: String(seconds) })]);
    }
    // cnnc and onnxruntime-web taking turns in one process (bench/paired-child.mjs): their ratio, which a slow spell
    // of the host moves less than the ratio of the two children's figures above.
    row.paired_web = ortSkip ? { skipped: ortSkip } : await measure(`${id} paired_web`, [process.execPath, 'bench/paired-child.mjs',
      ...flags({ spec: prepared.file, model: onnx, inputs: prepared.base, batch: String(SUITE_BATCH), seconds: String(seconds) })]);
  }
  return out;
}

/** `cnnc export SPEC --to onnx` (random init: speed does not depend on the weights) when PyTorch's export is missing; the source's words for the report. */
function cnncOnnx(spec, onnx, why) {
  const r = spawnSync(process.execPath, ['bin/cnnc.js', 'export', spec, '--to', 'onnx', '-o', onnx, '--force'], { encoding: 'utf8' });
  if (r.status === 0) return `cnnc export (${why})`;
  return `no ONNX file: ${why}; cnnc export failed too: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
}

/**
 * The spec as measured (its input shape overridden where the suite says) written under `dir`, checked, and the
 * synthetic inputs both systems read: 4 batches of the largest batch size, pixels uniform in [0, 1), labels of
 * the loss's label shape (a class index per sample or pixel, or 0/1 targets), from a fixed LCG.
 */
function prepare(entry, dir, checkSource) {
  const id = basename(entry.spec, '.yaml');
  let source = readFileSync(entry.spec, 'utf8');
  if (entry.input) {
    const re = /input: \{ shape: \[[\d, ]+\] \}/;
    if (!re.test(source)) return { error: `${entry.spec}: no \`input: { shape: [...] }\` line to resize` };
    source = source.replace(re, `input: { shape: [${entry.input.join(', ')}] }`);
  }
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, source);
  const { ir, diagnostics } = checkSource(source, file);
  if (ir === null) return { error: `does not check: ${diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}` };
  const inputShape = [...ir.input.shape];
  const outShape = ir.nodes.find((n) => n.name === ir.output).outShape;
  const labelShape = [...ir.loss.labelShape];
  const n = 4 * Math.max(SUITE_BATCH, ...(entry.inferBatches ?? []));
  const per = inputShape.reduce((a, b) => a * b, 1);
  const perLabel = labelShape.reduce((a, b) => a * b, 1);
  const classes = ir.loss.targets === 'binary' ? 2 : outShape[0];
  let s = 12345;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8; // 24 bits
  const images = Float32Array.from({ length: n * per }, () => next() / 2 ** 24);
  const labels = Int32Array.from({ length: n * perLabel }, () => next() % classes);
  const base = join(dir, id);
  writeFileSync(`${base}.f32`, new Uint8Array(images.buffer));
  writeFileSync(`${base}.i32`, new Uint8Array(labels.buffer));
  writeFileSync(`${base}.json`, JSON.stringify({ source: 'synthetic', n, input_shape: inputShape, label_shape: labelShape }));
  return { file, base, about: { input: inputShape, params: ir.totals.params, macs: ir.totals.macs, loss: ir.loss.terms.map((t) => t.kind).join(' + ') } };
}

/**
 * onnxruntime-node and -web from bench/peers/ (its own package.json and lockfile: ~360 MB that the project's
 * `npm ci` should not fetch), installed on first use with `npm ci --ignore-scripts` (onnxruntime-node's install
 * script downloads GPU parts; its CPU binary is in the package). Returns undefined when they are there, else why not.
 */
function ensurePeers() {
  const have = () => ['onnxruntime-node', 'onnxruntime-web'].every((p) => existsSync(`bench/peers/node_modules/${p}/package.json`));
  if (have()) return undefined;
  console.log('installing the suite\'s onnxruntime peers: npm ci --ignore-scripts --prefix bench/peers ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', 'bench/peers'], { encoding: 'utf8' });
  if (r.status === 0 && have()) return undefined;
  const why = (r.stderr || r.error?.message || '').trim().split('\n').filter(Boolean).pop() ?? `exit ${r.status}`;
  return `skipped: \`npm ci --ignore-scripts --prefix bench/peers\` failed (${why})`;
}

function flags(o) {
  return Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [`--${k}`, v]));
}

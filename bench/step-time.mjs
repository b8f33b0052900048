// Median time of a training step (or a forward) of a spec (default specs/mnist.yaml, batch 64), for
// comparing two checkouts side by side on one machine: the quick A/B behind the per-change figures in
// issue notes. Not the bench (bench.mjs): synthetic inputs, no peers, a few seconds.
//
//   node bench/step-time.mjs [--root DIR] [--spec FILE] [--batch N] [--threads T] [--mode train|infer] [--steps N] [--warmup N]
//
// --spec: relative to the root (the same file in both checkouts); its input shape is the model's, the
// labels are classes 0–9 (a classifier's: the suite's specs other than segmentation).
// --root: a checkout whose dist/ is built (default: this one), e.g. a `git worktree add /tmp/base REV`
// after `npm ci` there. Run the two roots alternately, twice each: the machine's noise is ±5%.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { childArgs } from './measure.mjs';

const args = childArgs();
const root = resolve(args.root ?? '.');
const threads = Number(args.threads ?? 1);
const mode = args.mode ?? 'train';
const steps = Number(args.steps ?? (mode === 'train' ? 60 : 150));
const warmup = Number(args.warmup ?? 20);
const spec = args.spec ?? 'specs/mnist.yaml';
const B = Number(args.batch ?? 64);
const from = (path) => import(pathToFileURL(join(root, path)).href);

const compiler = await from('dist/compiler/index.js');
const { build } = compiler;
// loadModule: cnnc's since it left runtime/node/ (compiler/load-generated.ts); older checkouts had it there.
const loadModule = compiler.loadModule ?? (await from('dist/runtime/node/load-generated.js')).loadModule;
if (threads > 1) await (await from('dist/runtime/node/threads.js')).initThreads(threads);
const specFile = join(root, spec);
const built = build(readFileSync(specFile, 'utf8'), specFile, { dtype: 'float32' });
if (built.code === null) throw new Error(`${spec} does not compile`);
const dir = mkdtempSync(join(tmpdir(), 'cnnc-step-'));
const net = (await loadModule(built.code, dir)).createModel({ seed: 1 });
rmSync(dir, { recursive: true, force: true });

const pixels = net.inputShape.reduce((a, b) => a * b, 1);
const x = Float32Array.from({ length: B * pixels }, (_, i) => ((i * 7919) % 255) / 255);
const y = Int32Array.from({ length: B }, (_, i) => i % 10);
const step = mode === 'infer' ? () => net.forward(x, B) : () => net.trainStep(x, y, B);
if (mode === 'infer') net.eval();
else net.train();
for (let i = 0; i < warmup; i++) step();
const ms = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  step();
  ms.push(performance.now() - t0);
}
ms.sort((a, b) => a - b);
const median = ms[ms.length >> 1];
console.log(`${root} · ${spec} · ${mode} · batch ${B} · ${threads} thread(s): median ${median.toFixed(1)} ms of ${steps} (min ${ms[0].toFixed(1)}), ${Math.round((B * 1000) / median)} img/s`);
process.exit(0);

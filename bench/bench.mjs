#!/usr/bin/env node
// `npm run bench`: cnnc's generated TypeScript for specs/mnist.yaml next to TensorFlow.js (cpu,
// wasm) and PyTorch, in one run on one machine. Each system runs in its own child process, so its
// peak RSS is its own; every child gets the same real MNIST digits. See bench/README.md.
//
//   npm run bench [-- --quick] [--out FILE] [--seconds S] [--skip-tfjs-cpu-train] [--only a,b]
//   npm run bench -- --only suite [--quick]   (the model suite, bench/suite.mjs)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { formatReport } from './report.mjs';
import { runSuite } from './suite.mjs';
import { RESULT_PREFIX, summarize } from './measure.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const USAGE = `usage: npm run bench -- [--quick] [--out FILE] [--seconds S] [--skip-tfjs-cpu-train] [--tfjs-cpu-train]
                        [--only cnnc,imports,loader,optim,gpujs,tfjs_cpu,tfjs_wasm,pytorch,suite] [--no-build] [--python PATH]
                        [--suite-seconds S] [--suite-models mnist,lenet5,...] [--no-peers]
       npm run bench -- --report FILE   (print the table of a saved --out FILE again)`;
const opts = parseArgs(process.argv.slice(2));
if (opts.report) {
  // Re-print the table of a saved run (e.g. after the report's format changed): measures nothing.
  const { machine, ...results } = JSON.parse(readFileSync(opts.report, 'utf8'));
  console.log(formatReport(results, machine));
  process.exit(0);
}
const seconds = opts.seconds ?? (opts.quick ? 3 : 20);
// tfjs `cpu` takes over a minute per training step: skipped by --quick unless asked for.
const tfjsCpuTrain = opts['tfjs-cpu-train'] || (!opts.quick && !opts['skip-tfjs-cpu-train']);
const only = new Set((opts.only ?? 'cnnc,imports,loader,optim,gpujs,tfjs_cpu,tfjs_wasm,pytorch').split(','));

if (!opts['no-build']) ensureBuilt();
const work = mkdtempSync(join(os.tmpdir(), 'cnnc-bench-'));
try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function main() {
  const inputs = await writeInputs(join(work, 'inputs'));
  const machine = describeMachine(inputs.description);
  machine.seconds = seconds;
  const results = {};
  const child = { seconds: String(seconds), inputs: inputs.base };

  if (only.has('cnnc')) {
    results.cnnc = await measure('cnnc', [process.execPath, '--expose-gc', '--max-semi-space-size=64', 'bench/cnnc-child.mjs', ...flags({ ...child, 'heap-windows': opts.quick ? '3' : '7', 'heap-steps': opts.quick ? '10' : '20', 'heap-warmup': opts.quick ? '200' : '1200' })]);
    Object.assign(results.cnnc, buildTime(opts.quick ? 1 : 5));
    // The same child with the gemm on 2 threads (initThreads(2)); cnnc_t1 names the 1-thread figures too.
    results.cnnc_t1 = results.cnnc;
    results.cnnc_t2 = await measure('cnnc_t2', [process.execPath, '--expose-gc', '--max-semi-space-size=64', 'bench/cnnc-child.mjs', ...flags({ ...child, threads: '2', 'heap-windows': opts.quick ? '3' : '7', 'heap-steps': opts.quick ? '10' : '20', 'heap-warmup': opts.quick ? '200' : '1200' })]);
  }
  if (only.has('imports')) {
    // What `import` of cnnc/runtime, cnnc/runtime/node and cnnc costs, each in fresh node processes.
    results.imports = await measure('imports', [process.execPath, 'bench/import-child.mjs', '--runs', opts.quick ? '3' : '7']);
  }
  if (only.has('loader') && existsSync('/usr/share/datasets/fashion-mnist')) {
    // Image folders (issue 15): decoding + transforms and augmentation, next to training, one thread.
    results.loader = await measure('loader', [process.execPath, 'bench/loader-child.mjs', '--images', opts.quick ? '500' : '2000']);
    // Peak RSS of an epoch on a folder held in memory against streamed from the cache, N and 4N images (bench/stream-child.mjs).
    if (results.loader.entries) results.loader.stream = await measure('loader_stream', [process.execPath, 'bench/stream-child.mjs', '--sweep', '--images', opts.quick ? '500' : '2500']);
  }
  if (only.has('optim')) {
    // One optimizer step on its own, 1.2M parameters: the wasm kernels against the JavaScript (bench/optim-child.mjs).
    results.optim = await measure('optim', [process.execPath, 'bench/optim-child.mjs', '--steps', opts.quick ? '5' : '15']);
  }
  if (only.has('gpujs')) {
    // cnnc's gpu.js target in the gpu.js modes Node has without a GPU (docs/gpujs.md); batch 16.
    for (const backend of ['webasm', 'cpu']) {
      results[`gpujs_${backend}`] = await measure(`gpujs_${backend}`, [process.execPath, 'bench/gpujs-child.mjs', ...flags({ ...child, backend })]);
    }
  }
  if (only.has('tfjs_wasm')) {
    results.tfjs_wasm = await measure('tfjs_wasm', [process.execPath, 'bench/tfjs-child.mjs', ...flags({ ...child, backend: 'wasm', train: 'try' })]);
  }
  if (only.has('tfjs_cpu')) {
    const train = tfjsCpuTrain ? { train: 'yes', 'train-steps': '2', 'train-warmup': '0', 'train-seconds': String(opts['tfjs-cpu-train-seconds'] ?? 150) } : { train: 'no' };
    results.tfjs_cpu = await measure('tfjs_cpu', [process.execPath, 'bench/tfjs-child.mjs', ...flags({ ...child, backend: 'cpu', ...train })]);
    if (!tfjsCpuTrain) results.tfjs_cpu.notes = [...(results.tfjs_cpu.notes ?? []), `training skipped (${opts.quick ? '--quick' : '--skip-tfjs-cpu-train'})`];
  }
  const python = opts.python ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  if (only.has('pytorch')) {
    const missing = torchMissing(python);
    for (const t of [1, 2]) {
      const key = `pytorch_t${t}`;
      if (missing) {
        results[key] = { skipped: missing };
        continue;
      }
      results[key] = await measure(key, [python, 'bench/pytorch_bench.py', ...flags({ ...child, threads: String(t) })], { OPENBLAS_NUM_THREADS: '1' });
    }
  }
  if (only.has('suite')) {
    // Every spec against PyTorch at 1 and 2 threads, and onnxruntime for inference (bench/suite.mjs); shorter boxes.
    const suiteSeconds = opts['suite-seconds'] ?? (opts.quick ? 2 : 8);
    results.suite = await runSuite({ work, seconds: suiteSeconds, python, torchMissing: torchMissing(python), measure, peers: !opts['no-peers'], models: opts['suite-models'] });
  }

  machine.load_after = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`\n${formatReport(results, machine)}`);
  if (opts.out) {
    writeFileSync(opts.out, `${JSON.stringify({ machine, ...results }, null, 2)}\n`);
    console.log(`\nwrote ${opts.out}`);
  }
}

/** Why PyTorch cannot run (`PYTHON -c 'import torch'` fails), or undefined. */
function torchMissing(python) {
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `\`${python} -c 'import torch'\` fails: ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`;
}

/** Runs one child to completion and returns its BENCH_RESULT object, or `{ error }`. */
function measure(name, [cmd, ...args], env = {}) {
  process.stdout.write(`measuring ${name} ...`);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', (e) => (err += e.message));
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      console.log(` ${((performance.now() - t0) / 1000).toFixed(0)} s${line ? '' : ' FAILED'}`);
      if (line) return resolve(JSON.parse(line.slice(RESULT_PREFIX.length)));
      const tail = (err || out).trim().split('\n').slice(-8).join('\n');
      console.error(tail);
      resolve({ error: `exit ${code}: ${tail}` });
    });
  });
}

/** Wall time of `cnnc build specs/mnist.yaml` as a whole process (node start-up included). */
function buildTime(runs) {
  const dir = join(work, 'build');
  mkdirSync(dir, { recursive: true });
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['bin/cnnc.js', 'build', 'specs/mnist.yaml', '-o', join(dir, 'mnist.model.ts')], { encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) return { build_error: (r.stderr || r.stdout).trim() };
    samples.push(ms);
  }
  const s = summarize(samples);
  return { build_s: s.median_ms / 1000, build_runs: runs, build_detail: s };
}

/**
 * The inputs every system gets: 1,024 real digits of the mnist10k training split (DESIGN.md),
 * picked with a stride of 7919 (prime to 8004) so every batch mixes digits; float32 and int32,
 * little-endian, in `<base>.f32` / `<base>.i32`.
 */
async function writeInputs(base) {
  const { loadMnist10k } = await import('../dist/runtime/node/data/mnist10k.js');
  const { train } = loadMnist10k();
  const n = 1024;
  const images = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = (i * 7919) % train.n;
    images.set(train.images.subarray(j * 784, (j + 1) * 784), i * 784);
    labels[i] = train.labels[j];
  }
  writeFileSync(`${base}.f32`, new Uint8Array(images.buffer));
  writeFileSync(`${base}.i32`, new Uint8Array(labels.buffer));
  return { base, description: `${n} real MNIST digits (mnist10k train split), cycled in batches` };
}

function describeMachine(inputs) {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(' '));
  const simd = ['avx512f', 'avx2', 'fma'].filter((f) => flags.has(f)).join(', ') || 'unknown SIMD';
  return {
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? os.cpus().length,
    simd,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    load_before: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    inputs,
  };
}

/** Rebuilds dist/ when a source is newer than it: a stale dist/ would bench old kernels. */
function ensureBuilt() {
  const built = 'dist/compiler/index.js';
  const newest = Math.max(...['compiler', 'runtime', 'bin'].flatMap((d) => tsFiles(d)).map((f) => statSync(f).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  console.log('dist/ is older than the sources: building (tsc -p tsconfig.json) ...');
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { encoding: 'utf8' });
  if (r.status !== 0) console.log(`tsc reported errors (dist/ is emitted anyway):\n${r.stdout.split('\n').slice(0, 5).join('\n')}`);
  if (!existsSync(built)) throw new Error('dist/ could not be built; run `npm run build` and read its errors');
}

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

function flags(o) {
  return Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [`--${k}`, v]));
}

function parseArgs(argv) {
  const o = {};
  const valued = new Set(['out', 'seconds', 'only', 'python', 'tfjs-cpu-train-seconds', 'report', 'suite-seconds', 'suite-models']);
  const bare = new Set(['quick', 'skip-tfjs-cpu-train', 'tfjs-cpu-train', 'no-build', 'help', 'no-peers']);
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (valued.has(key) && argv[i + 1] !== undefined) o[key] = argv[++i];
    else if (bare.has(key)) o[key] = true;
    else (console.error(`bench: unknown option ${argv[i]}\n${USAGE}`), process.exit(2));
  }
  if (o.help) (console.log(USAGE), process.exit(0));
  for (const key of ['seconds', 'suite-seconds']) {
    if (o[key] === undefined) continue;
    o[key] = Number(o[key]);
    if (!(o[key] > 0)) (console.error(`bench: --${key} wants a positive number\n${USAGE}`), process.exit(2));
  }
  return o;
}

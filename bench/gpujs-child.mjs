// One system per process: cnnc's gpu.js target (`cnnc build --target gpujs`) for a spec, in one gpu.js
// mode that runs in Node (webasm or cpu; no GPU here), from dist/. The same inputs and protocol as
// bench/cnnc-child.mjs, but batch 16 by default: the gather kernels are written for thousands of GPU
// threads, and on one CPU core a step of the seed's model at batch 64 takes over 10 s.
// Run by bench/bench.mjs as `node bench/gpujs-child.mjs --backend webasm|cpu ...`.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { childArgs, loadInputs, peakRssMb, report, timeBox } from './measure.mjs';

const args = childArgs();
const seconds = Number(args.seconds ?? 20);
const batch = Number(args.batch ?? 16);
const backend = args.backend ?? 'webasm';
const spec = args.spec ?? 'specs/mnist.yaml';

const { build } = await import('../dist/compiler/index.js');
const { transpileToJs } = await import('../dist/compiler/5-codegen/emit-js.js');
const built = build(readFileSync(spec, 'utf8'), spec, { target: 'gpujs' });
if (built.code === null) throw new Error(`${spec} does not compile:\n${built.diagnostics.map((d) => d.message).join('\n')}`);
// The module's one import, `cnnc/runtime/gpujs`, pointed at dist/.
const runtime = new URL('../dist/runtime/gpujs/index.js', import.meta.url).href;
const workDir = mkdtempSync(join(tmpdir(), 'cnnc-bench-gpujs-'));
const file = join(workDir, 'model.gpujs.mjs');
writeFileSync(file, transpileToJs(built.code).replace(/from\s+['"]cnnc\/runtime\/gpujs['"]/, `from ${JSON.stringify(runtime)}`));
const net = (await import(pathToFileURL(file).href)).createModel({ seed: 1, backend });
rmSync(workDir, { recursive: true, force: true });

const data = loadInputs(args.inputs);
const pixels = 28 * 28;
const batches = Math.floor(data.n / batch);
let k = 0;
function nextBatch(size) {
  const i = k++ % batches;
  return { x: data.images.subarray(i * size * pixels, (i + 1) * size * pixels), y: data.labels.subarray(i * size, (i + 1) * size) };
}

// Warm-up: one call each, which compiles that pass's kernels (about 3 s for the seed's model).
net.eval();
const infer = timeBox(() => net.forward(nextBatch(batch).x, batch), { warmup: 1, seconds, minSamples: 3 });
net.train();
const train = timeBox(() => {
  const { x, y } = nextBatch(batch);
  net.trainStep(x, y, batch);
}, { warmup: 1, seconds, minSamples: 3 });
const info = net.backendInfo();
net.dispose();

report({
  system: `gpujs_${backend}`,
  inputs: data.source,
  batch,
  train_img_s: (batch * 1000) / train.median_ms,
  infer_img_s: (batch * 1000) / infer.median_ms,
  peak_rss_mb: peakRssMb(),
  backend_info: info,
  notes: [`batch ${batch}; ran ${Object.entries(info.kernelClasses).map(([c, n]) => `${c} × ${n}`).join(', ')}${info.honest ? '' : ' (NOT honest: a fallback ran)'}`],
  detail: { train, infer },
});

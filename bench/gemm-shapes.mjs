// GFLOP/s of the float32 gemm (the wasm SIMD128 kernel, one thread) on the products of the seed's
// MNIST model at batch 64: conv2 forward and its two backward products, fc1's three. A measuring
// tool, not a test: run it, in separate processes, for each variant you compare, and take medians.
//
//   npm run build && node bench/gemm-shapes.mjs            # relaxed_madd where the engine has it
//   CNNC_NO_RELAXED_SIMD=1 node bench/gemm-shapes.mjs      # mul + add
//   node bench/gemm-shapes.mjs --dist /tmp/other-dist      # another build (e.g. another MR×NR)
//   node bench/gemm-shapes.mjs --json                      # one JSON line, for scripts
//
// Each figure: 2·M·N·K / the median of `--reps` timed calls (after 3 untimed ones), copies into
// and out of wasm memory included, as a training step pays them.
import v8 from 'node:v8';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const argv = process.argv.slice(2);
const opt = (name, fallback) => { const i = argv.indexOf(name); return i < 0 ? fallback : argv[i + 1]; };
const dist = pathToFileURL(resolve(opt('--dist', new URL('../dist', import.meta.url).pathname))).href;
const reps = Number(opt('--reps', 21));
const json = argv.includes('--json');

// Node 20 keeps relaxed SIMD behind a flag: the runtime sets it itself now (sgemm-kernel.ts); an older --dist did not.
if (process.env['CNNC_NO_RELAXED_SIMD'] !== '1') v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const rt = await import(`${dist}/runtime/index.js`);
const kernel = await import(`${dist}/runtime/wasm/sgemm-kernel.js`);

/** [name, gemm, M, N, K] */
const shapes = [
  ['conv2 fwd', 'gemmNN', 64, 576, 288],
  ['conv2 dW', 'gemmNT', 64, 288, 576],
  ['conv2 dX', 'gemmTN', 288, 576, 64],
  ['fc1 fwd', 'gemmNT', 64, 128, 9216],
  ['fc1 dW', 'gemmTN', 128, 9216, 64],
  ['fc1 dX', 'gemmNN', 64, 9216, 128],
];

function random(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 31 - 1; }
  return a;
}

const rows = shapes.map(([name, fn, M, N, K], i) => {
  const A = random(M * K, 1 + i), B = random(K * N, 100 + i), C = new Float32Array(M * N);
  const gemm = rt[fn];
  for (let w = 0; w < 3; w++) gemm(M, N, K, A, 0, B, 0, C, 0, false);
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    gemm(M, N, K, A, 0, B, 0, C, 0, false);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const median = ms[ms.length >> 1];
  return { name, fn, M, N, K, ms: median, gflops: (2 * M * N * K) / (median * 1e6) };
});

const head = { backend: rt.gemmBackend(), madd: kernel.kernelMadd(), tile: `${kernel.MR}x${kernel.NR}` };
if (json) {
  console.log(JSON.stringify({ ...head, rows }));
} else {
  console.log(`gemm backend ${head.backend}, kernel ${head.tile}, multiply-add ${head.madd}, median of ${reps}`);
  console.log('shape      gemm     M     N     K      ms  GFLOP/s');
  for (const r of rows) {
    console.log(`${r.name.padEnd(10)} ${r.fn} ${String(r.M).padStart(5)} ${String(r.N).padStart(5)} ${String(r.K).padStart(5)} ${r.ms.toFixed(3).padStart(7)} ${r.gflops.toFixed(1).padStart(8)}`);
  }
}

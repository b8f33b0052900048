// Threads from dist/, the package's layout (dist/runtime/worker.js beside dist/runtime/threads.js), as an
// app that installed the package runs them; threads.test.ts runs the same worker file from the sources.
// The script runs as `node --input-type=module -e '…'`: a worker inherits the parent's Node options, and
// from a file it refused --input-type, so initThreads failed there until spawnNodeWorker dropped it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, expect, test } from 'vitest';
import { requireFreshDist } from './dist.js';

const root = join(__dirname, '..', '..');
const wasm = process.env['CNNC_NO_WASM'] !== '1';

beforeAll(() => requireFreshDist(root));

test.runIf(wasm)('from dist/, under `node --input-type=module -e`: 2 worker threads from worker.js, a product with the bits of 1 thread, and the process exits', () => {
  const dist = (p: string): string => JSON.stringify(pathToFileURL(join(root, 'dist', p)).href);
  const script = [
    `import { initThreads } from ${dist('runtime/node/index.js')};`,
    `import { backendInfo, gemmNN, setThreads } from ${dist('runtime/index.js')};`,
    `import { pool } from ${dist('runtime/wasm/pool.js')};`,
    `import { CTRL } from ${dist('runtime/wasm/gemm-part.js')};`,
    `import { wasmSgemm } from ${dist('runtime/wasm/sgemm.js')};`,
    'await initThreads(2);',
    'pool.callerWorks = false; // the worker computes every chunk',
    'const M = 64, N = 576, K = 288;',
    'const A = new Float32Array(M * K).map((_, i) => Math.sin(i)), B = new Float32Array(K * N).map((_, i) => Math.cos(i));',
    'const bits = [1, 2].map((T) => { setThreads(T); const C = new Float32Array(M * N); gemmNN(M, N, K, A, 0, B, 0, C, 0, false); return Buffer.from(C.buffer).toString("hex"); });',
    'console.log(JSON.stringify({ info: backendInfo(), equal: bits[0] === bits[1], workerChunks: wasmSgemm().ctrl[CTRL.workerChunks] }));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout.trim()) as { info: { gemm: string; threads: number }; equal: boolean; workerChunks: number };
  expect(out.info).toMatchObject({ gemm: 'wasm', threads: 2 });
  expect(out.equal).toBe(true);
  expect(out.workerChunks).toBeGreaterThan(0);
});

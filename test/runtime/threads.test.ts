// Threads share out C's tiles, each computed exactly as one thread computes it: the results must be
// bitwise those of one thread (not merely close), for every gemm variant, odd sizes, both split
// directions, offsets and accumulate, with the workers computing every chunk; a few training steps
// of the seed's model, and `cnnc train --threads 2`, give the weights of 1 thread. Also the pool's
// life: opt-in, errors, and no worker left behind.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { run } from '../../bin/main.js';
import * as rt from 'cnnc/runtime';
import { Rng, batchedSamples, conv2dBackward, conv2dForward, getThreads, gemmNN, gemmNT, gemmTN, setThreads, startThreads, stopThreads, type Conv2dGeometry, type SpawnWorker } from 'cnnc/runtime';
import { initThreads } from 'cnnc/runtime/node';
import { workerExecArgv } from '../../runtime/node/threads.js';
import { CTRL } from '../../runtime/wasm/gemm-part.js';
import { pool, runParts } from '../../runtime/wasm/pool.js';
import { wasmSgemm } from '../../runtime/wasm/sgemm.js';
import { sgdInWasm } from '../../runtime/wasm/sgd.js';
import { adamInWasm, adamPrepare } from '../../runtime/wasm/adam.js';
import { adadeltaInWasm, adagradInWasm, amsgradInWasm, optimFma, rmspropInWasm, setOptimFma } from '../../runtime/wasm/optim-more.js';
import { maddIsFused, type Fma } from '../../runtime/wasm/optim-lanes.js';
import { kernelMadd } from '../../runtime/wasm/sgemm-kernel.js';
import { generateOrThrow, importGenerated, TMP } from '../codegen/helpers.js';

const wasm = process.env['CNNC_NO_WASM'] !== '1';
const root = fileURLToPath(new URL('../../', import.meta.url));
/** The optimizer kernels' fmas this engine runs (optim-wasm.test.ts): the emulation, and relaxed_madd where it fuses. */
const FMAS: Fma[] = wasm && kernelMadd() === 'relaxed' && maddIsFused() ? ['emulated', 'fused'] : ['emulated'];

function random(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

/** conv2d's forward and backward (dB too) of g over n samples on random operands (an Rng of `seed`, drawn x, W, B,
 *  dY, dW's start), as a function of the thread count: [y, dW, dX, dB]. */
function convPasses(g: Conv2dGeometry, n: number, seed: number): (T: number) => Float32Array[] {
  const rng = new Rng(seed), K = (g.cin / g.groups) * g.kh * g.kw;
  const x = random(rng, n * g.cin * g.h * g.w), W = random(rng, g.cout * K), B = random(rng, g.cout);
  const dY = random(rng, n * g.cout * g.ho * g.wo), dW0 = random(rng, W.length);
  return (T) => {
    setThreads(T);
    const y = new Float32Array(dY.length), dW = Float32Array.from(dW0), dX = new Float32Array(x.length), dB = Float32Array.from(B);
    conv2dForward(g, n, x, W, B, y);
    conv2dBackward(g, n, x, dY, W, dW, dX, dB);
    return [y, dW, dX, dB];
  };
}

/** `run` at 1 thread, then on 3 with the workers alone: they compute it (their chunk count grows), with the same bits
 *  in every array it returns (labels: the arrays' names, for the failure message). */
function sameBitsOnWorkers(name: string, run: () => ArrayBufferView[], labels: readonly string[] = []): ArrayBufferView[] {
  const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  setThreads(1);
  const one = run();
  onWorkersAlone(() => {
    const chunks = workerChunks();
    setThreads(3);
    const three = run();
    expect(workerChunks(), `${name}: the workers computed it`).toBeGreaterThan(chunks);
    three.forEach((a, i) => expect(bytes(a).equals(bytes(one[i]!)), `${name} ${labels[i] ?? `output ${i}`}`).toBe(true));
  });
  return one;
}

/** f() with no size threshold and the calling thread out of the work: what runs in parallel, the workers alone compute. */
function onWorkersAlone(f: () => void): void {
  const saved = pool.minMacs, savedFloats = pool.minFloats;
  pool.minMacs = 0;
  pool.minFloats = 0;
  pool.callerWorks = false;
  try {
    f();
  } finally {
    pool.minMacs = saved;
    pool.minFloats = savedFloats;
    pool.callerWorks = true;
  }
}

/** Jobs handed to the workers so far. */
const generation = (): number => Atomics.load(wasmSgemm()!.ctrl, CTRL.gen);
/** Chunks of C the workers computed so far. */
const workerChunks = (): number => Atomics.load(wasmSgemm()!.ctrl, CTRL.workerChunks);

describe.runIf(wasm)('with workers started', () => {
  let minMacs: number;
  beforeAll(async () => {
    await initThreads(3);
    minMacs = pool.minMacs;
  });
  afterAll(async () => {
    pool.minMacs = minMacs;
    pool.callerWorks = true;
    await stopThreads();
  });

  test('initThreads starts the workers and uses them all; setThreads chooses fewer', () => {
    expect(getThreads()).toBe(3);
    setThreads(1);
    expect(getThreads()).toBe(1);
    expect(() => setThreads(4)).toThrow(/only 3 thread\(s\) started; start them first \(Node: await initThreads\(4\)/);
    expect(() => setThreads(0)).toThrow(RangeError);
  });

  // Tiny to past several K slices; M ≤ N splits columns, M > N rows; tile counts below, at and above T.
  const sizes: [number, number, number][] = [
    [1, 1, 1], [5, 6, 7], [3, 17, 2], [7, 9, 5], [13, 17, 11], [9, 33, 300], [67, 9, 257], [2, 515, 5],
    [65, 33, 513], [31, 7, 600], [64, 576, 288], [288, 576, 64], [64, 288, 576],
    [1, 37, 300], [1, 515, 9], // gemmNT: a batch-1 linear layer's dot products (gemvRows), blocks of outputs a thread
  ];
  const variants = [['gemmNN', gemmNN], ['gemmNT', gemmNT], ['gemmTN', gemmTN]] as const;

  describe.each(variants)('%s', (_, gemm) => {
    test.each(sizes)('M=%i N=%i K=%i: 2 and 3 threads give the bits of 1, offsets and accumulate', (M, N, K) => onWorkersAlone(() => {
      const rng = new Rng(M * 7919 + N * 31 + K);
      const aOff = 3, bOff = 1, cOff = 5;
      const A = random(rng, aOff + M * K + 2), B = random(rng, bOff + K * N + 1);
      const C0 = random(rng, cOff + M * N + 3);
      for (const accumulate of [false, true]) {
        const results = [1, 2, 3].map((T) => {
          setThreads(T);
          const C = C0.slice();
          const jobs = generation(), chunks = workerChunks();
          gemm(M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
          // The parallel path really ran, on the workers, unless there was a single tile to share.
          if (T > 1 && Math.max(Math.ceil(M / 4), Math.ceil(N / 8)) > 1) {
            expect(generation()).toBe(jobs + 1);
            expect(workerChunks()).toBeGreaterThan(chunks);
          }
          return new Uint8Array(C.buffer);
        });
        expect(Buffer.from(results[1]!).equals(Buffer.from(results[0]!)), `T=2, accumulate=${accumulate}`).toBe(true);
        expect(Buffer.from(results[2]!).equals(Buffer.from(results[0]!)), `T=3, accumulate=${accumulate}`).toBe(true);
      }
    }));
  });

  test('a worker that traps is reported as an error, not a hang, and the pool goes on', () => {
    setThreads(2);
    const M = 64, N = 576, K = 288;
    const A = new Float32Array(M * K).fill(1), B = new Float32Array(K * N).fill(1), C = new Float32Array(M * N);
    gemmNN(M, N, K, A, 0, B, 0, C, 0, false); // leaves a valid job in the control block
    const w = wasmSgemm()!;
    w.ctrl[CTRL.pB] = 1 << 28; // B past the end of memory: the worker's packing traps
    w.ctrl[CTRL.next] = 0;
    pool.callerWorks = false;
    try {
      expect(() => runParts(w, w.ctrl)).toThrow(/gemm: a worker thread failed/);
    } finally {
      pool.callerWorks = true;
    }
    gemmNN(M, N, K, A, 0, B, 0, C, 0, false);
    expect(C[0]).toBe(K);
    expect(C[M * N - 1]).toBe(K);
  });

  test('every elementwise kernel (the activations, add, mul) over 300,001 floats (blocks of 16 floats, a tail of 1) computed by the workers alone gives the bits of one thread', () => {
    const count = 300_001, rng = new Rng(12);
    const x = rt.allocFloats(Float32Array, count), d = rt.allocFloats(Float32Array, count), out = rt.allocFloats(Float32Array, count);
    for (let i = 0; i < count; i++) { x[i] = rng.uniform(-8, 8); d[i] = rng.uniform(-1, 1); }
    x[5] = NaN; x[17] = -0; x[count - 1] = 3;
    const passes: [string, () => unknown][] = [
      ['relu', () => rt.relu(x, out, count)], ['reluBackward', () => rt.reluBackward(x, d, out, count)],
      ['leakyRelu', () => rt.leakyRelu(x, out, count, 0.2)], ['leakyReluBackward', () => rt.leakyReluBackward(x, d, out, count, 0.2)],
      ['clamp', () => rt.clamp(x, out, count, 0, 6)], ['clampBackward', () => rt.clampBackward(x, d, out, count, 0, 6)],
      ['tanh', () => rt.tanh(x, out, count)], ['tanhBackward', () => rt.tanhBackward(x, d, out, count)],
      ['sigmoid', () => rt.sigmoid(x, out, count)], ['sigmoidBackward', () => rt.sigmoidBackward(x, d, out, count)],
      ['silu', () => rt.silu(x, out, count)], ['siluBackward', () => rt.siluBackward(x, d, out, count)],
      ['hardswish', () => rt.hardswish(x, out, count)], ['hardswishBackward', () => rt.hardswishBackward(x, d, out, count)],
      ['hardsigmoid', () => rt.hardsigmoid(x, out, count)], ['hardsigmoidBackward', () => rt.hardsigmoidBackward(x, d, out, count)],
      ['addTwo', () => rt.addTwo(x, d, out, count)], ['mulTwo', () => rt.mulTwo(x, d, out, count)],
    ];
    for (const [name, pass] of passes) {
      sameBitsOnWorkers(name, () => {
        out.fill(7);
        pass();
        return [Float32Array.from(out)];
      });
    }
  });

  test('maxpool2d (2×2, 3×3 stride 2 padding 1, the scalar kernel) and avgpool2d, forward and backward, computed by the workers alone give the bits of one thread', () => {
    const n = 3, c = 5, rng = new Rng(14);
    const geometries: rt.Pool2dGeometry[] = [
      { c, h: 16, w: 16, ho: 8, wo: 8, kh: 2, kw: 2, sh: 2, sw: 2 },
      { c, h: 15, w: 15, ho: 8, wo: 8, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 },
      { c, h: 13, w: 13, ho: 3, wo: 3, kh: 5, kw: 5, sh: 4, sw: 4 },
    ];
    for (const g of geometries) {
      const x = rt.allocFloats(Float32Array, n * c * g.h * g.w), dY = rt.allocFloats(Float32Array, n * c * g.ho * g.wo);
      x.set(random(rng, x.length)); dY.set(random(rng, dY.length));
      const y = rt.allocFloats(Float32Array, dY.length), dX = rt.allocFloats(Float32Array, x.length), arg = rt.allocInt32(dY.length);
      const avg = g.ph === undefined && g.kh === 2;
      const run = (): Buffer[] => {
        y.fill(7); dX.fill(7); arg.fill(-1);
        const out: Buffer[] = [];
        if (rt.maxpool2dForward(g, n, x, y, arg)) {
          expect(rt.maxpool2dBackward(n * c, g.h * g.w, g.ho * g.wo, dY, arg, dX)).toBe(true);
          out.push(Buffer.from(Float32Array.from(y).buffer), Buffer.from(Int32Array.from(arg).buffer), Buffer.from(Float32Array.from(dX).buffer));
        }
        if (avg) {
          expect(rt.avgpool2dForward(g, n, x, y)).toBe(true);
          expect(rt.avgpool2dBackward(g, n, dY, dX)).toBe(true);
          out.push(Buffer.from(Float32Array.from(y).buffer), Buffer.from(Float32Array.from(dX).buffer));
        }
        return out;
      };
      const one = sameBitsOnWorkers(`${g.kh}×${g.kw}`, run);
      expect(one.length, `${g.kh}×${g.kw}: some kernel ran`).toBeGreaterThan(0);
    }
  });

  test('SGD (momentum, nesterov, none) and Adam updates of 300,001 parameters computed by the workers alone give the bits of one thread', () => {
    const count = 300_001, rng = new Rng(13);
    const p0 = random(rng, count), g = rt.allocFloats(Float32Array, count), b0 = random(rng, count), v0 = random(rng, count).map(Math.abs);
    g.set(random(rng, count));
    const p = rt.allocFloats(Float32Array, count), buf = rt.allocFloats(Float32Array, count), v = rt.allocFloats(Float32Array, count);
    const hyper = rt.allocFloats(Float32Array, 12), h = new Float64Array(hyper.buffer, hyper.byteOffset, 6);
    const passes: [string, () => boolean][] = [
      ['sgd momentum', () => { h.set([0.01, 0.9, 1, 5e-4]); return sgdInWasm(hyper, p, g, buf, false, false); }],
      ['sgd nesterov, first step', () => { h.set([0.01, 0.9, 1, 0]); return sgdInWasm(hyper, p, g, buf, true, true); }],
      ['sgd without momentum', () => { h.set([0.01, 0, 1, 5e-4]); return sgdInWasm(hyper, p, g, null, false, false); }],
      ['adam', () => { h.set([1e-3, 0.9, 0.999, 1e-8, 1e-2, 0]); return adamPrepare(hyper, 3) && adamInWasm(p, g, buf, v); }],
    ];
    for (const [name, pass] of passes) {
      sameBitsOnWorkers(name, () => {
        p.set(p0); buf.set(b0); v.set(v0);
        expect(pass(), name).toBe(true);
        return [Float32Array.from(p), Float32Array.from(buf), Float32Array.from(v)];
      }, ['p', 'buf or m', 'v']);
    }
  });

  // optim-kernel.ts's kernels at each fma this engine has: the workers were started above with optimFma()'s, and hold
  // both, so switching (setOptimFma) after the start still runs the caller's variant on every thread.
  test.each(FMAS)('RMSprop (plain, centered, momentum, both), Adagrad, Adadelta and amsgrad updates of 300,001 parameters (%s fma) computed by the workers alone give the bits of one thread', (how) => {
    const count = 300_001, rng = new Rng(17);
    const start = [random(rng, count), random(rng, count).map(Math.abs), random(rng, count), random(rng, count).map(Math.abs), random(rng, count).map(Math.abs)];
    const g = rt.allocFloats(Float32Array, count);
    g.set(random(rng, count));
    // p, then up to four slots (what each optimizer's are: the names below)
    const arrays = start.map(() => rt.allocFloats(Float32Array, count));
    const [p, s1, s2, s3, s4] = arrays as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const ks = rt.allocFloats(Float32Array, 9), f = Math.fround;
    const passes: [string, string[], () => boolean][] = [
      // [α, 1 − α, eps, weight decay, momentum, −lr]
      ['rmsprop', ['square_avg'], () => { ks.set([0.99, f(1 - 0.99), 1e-8, 1e-2, 0, -0.01]); return rmspropInWasm(ks, p, g, s1, null, null); }],
      ['rmsprop centered', ['square_avg', 'grad_avg'], () => { ks.set([0.9, f(1 - 0.9), 1e-8, 0, 0, -0.01]); return rmspropInWasm(ks, p, g, s1, s2, null); }],
      ['rmsprop momentum', ['square_avg', '', 'momentum_buffer'], () => { ks.set([0.99, f(1 - 0.99), 1e-8, 0, 0.9, -0.01]); return rmspropInWasm(ks, p, g, s1, null, s3); }],
      ['rmsprop centered momentum', ['square_avg', 'grad_avg', 'momentum_buffer'], () => { ks.set([0.99, f(1 - 0.99), 1e-8, 1e-2, 0.9, -0.01]); return rmspropInWasm(ks, p, g, s1, s2, s3); }],
      // [weight decay, eps, −clr]
      ['adagrad', ['sum'], () => { ks.set([1e-2, 1e-10, -0.01]); return adagradInWasm(ks, p, g, s1); }],
      // [ρ, 1 − ρ, eps, weight decay, −lr]
      ['adadelta', ['square_avg', '', 'acc_delta'], () => { ks.set([0.9, f(1 - 0.9), 1e-6, 1e-2, -1]); return adadeltaInWasm(ks, p, g, s1, s3); }],
      // [β1, 1 − β1, β2, 1 − β2, eps, l2, decay, −step_size, √(1 − β2^t)]: AdamW at step 3
      ['amsgrad', ['', 'm', 'v', 'vmax'], () => { ks.set([0.9, f(1 - 0.9), 0.999, f(1 - 0.999), 1e-8, 0, f(1 - 1e-3 * 1e-2), f(-1e-3 / (1 - 0.9 ** 3)), f(Math.sqrt(1 - 0.999 ** 3))]); return amsgradInWasm(ks, p, g, s2, s3, s4); }],
    ];
    const before = optimFma();
    setOptimFma(how);
    try {
      for (const [name, slots, pass] of passes) {
        sameBitsOnWorkers(name, () => {
          arrays.forEach((a, i) => a.set(start[i]!));
          expect(pass(), name).toBe(true);
          return arrays.map((a) => Float32Array.from(a));
        }, arrays.map((_, i) => ['p', ...slots][i] || `array ${i} (untouched)`));
      }
    } finally {
      setOptimFma(before);
    }
  });

  test('a product under the size threshold stays on the calling thread', () => {
    setThreads(2);
    const jobs = generation();
    gemmNN(8, 8, 8, new Float32Array(64), 0, new Float32Array(64), 0, new Float32Array(64), 0, false);
    expect(generation()).toBe(jobs);
    gemmNN(64, 576, 288, new Float32Array(64 * 288), 0, new Float32Array(288 * 576), 0, new Float32Array(64 * 576), 0, false);
    expect(generation()).toBe(jobs + 1);
  });

  test('conv2d with the samples taken together (groups 1, small P: one product for the batch, split among the threads; im2col and col2im a sample a unit) gives the bits of one thread', () => {
    const g: Conv2dGeometry = { cin: 4, h: 9, w: 8, cout: 6, ho: 5, wo: 4, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 1, top: 1, left: 1, groups: 1 };
    const n = 11;
    expect(batchedSamples(g, n)).toBe(n);
    const run = convPasses(g, n, 5);
    const one = run(1);
    onWorkersAlone(() => {
      const chunks = workerChunks(), jobs = generation();
      const three = run(3);
      expect(workerChunks()).toBeGreaterThan(chunks); // the workers computed the products
      // forward: the columns, the product, the copy out; backward: the columns with dY gathered, dW's product, dCol's, col2im
      expect(generation() - jobs).toBe(7);
      three.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(one[i]!.buffer)), ['y', 'dW', 'dX', 'dB'][i]).toBe(true));
    });
  });

  test('conv2d batch jobs (samples forward, blocks of samples backward) computed by the workers alone give the bits of one thread', () => {
    // 11 samples: 6 blocks of 2 backward, the last one short; groups 2 with 3 output channels each (not a whole tile of rows).
    const g: Conv2dGeometry = { cin: 4, h: 9, w: 8, cout: 6, ho: 5, wo: 4, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 1, top: 1, left: 1, groups: 2 };
    const n = 11, rng = new Rng(4);
    const x = random(rng, n * 4 * 9 * 8), W = random(rng, 6 * 2 * 9), B = random(rng, 6);
    const run = convPasses(g, n, 4);
    const one = run(1);
    onWorkersAlone(() => {
      const chunks = workerChunks(), jobs = generation();
      const three = run(3);
      expect(generation()).toBe(jobs + 2); // one job each way, not one per sample or product
      expect(workerChunks()).toBe(chunks); // the products inside a unit run on its thread alone
      three.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(one[i]!.buffer)), ['y', 'dW', 'dX', 'dB'][i]).toBe(true));
      // Batch 1 < 3 threads: the sample's products are split among the threads instead, with the same bits.
      setThreads(1);
      const y1 = new Float32Array(6 * 20);
      conv2dForward(g, 1, x, W, B, y1);
      setThreads(3);
      const split = workerChunks();
      const y3 = new Float32Array(6 * 20);
      conv2dForward(g, 1, x, W, B, y3);
      expect(workerChunks()).toBeGreaterThan(split);
      expect(Array.from(y3)).toEqual(Array.from(y1));
      // With a fused relu (its output written after the split products): relu(y), the same bits.
      const r3 = new Float32Array(6 * 20).fill(NaN);
      conv2dForward(g, 1, x, W, B, new Float32Array(6 * 20), r3);
      expect(Array.from(r3)).toEqual(Array.from(y1, (v) => (v < 0 ? 0 : v)));
    });
  });

  test('the seed\'s model: 3 training steps at 1 and 2 threads give the same weights, bit for bit', async () => {
    const spec = 'specs/mnist.yaml';
    const mod = await importGenerated<Float32Array>(generateOrThrow(readFileSync(`${root}${spec}`, 'utf8'), 'float32', spec));
    const rng = new Rng(5);
    const n = 8;
    const x = new Float32Array(n * 28 * 28).map(() => rng.nextFloat());
    const y = Int32Array.from({ length: n }, (_, i) => i % 10);
    const weights = [1, 2].map((T) => {
      setThreads(T);
      const jobs = generation();
      const net = mod.createModel({ seed: 1 });
      net.train();
      const losses = [0, 1, 2].map(() => net.trainStep(x, y, n));
      if (T > 1) expect(generation()).toBeGreaterThan(jobs);
      return { losses, bytes: Buffer.from(net.saveWeights()) };
    });
    expect(weights[1]!.losses).toEqual(weights[0]!.losses);
    expect(weights[1]!.bytes.equals(weights[0]!.bytes)).toBe(true);
  });
});

test.runIf(wasm)('cnnc train --threads 2 writes the weights of --threads 1, and stops its workers', async () => {
  const minMacs = pool.minMacs;
  pool.minMacs = 0; // the tiny spec's products are all under the threshold
  try {
    const weights = [];
    for (const threads of ['1', '2']) {
      const out = mkdtempSync(join(tmpdir(), 'cnnc-threads-'));
      const jobs = generation();
      const r = await cli('train', 'test/train/fixtures/tiny.yaml', '--out', out, '--limit', '200', '--max-steps', '4', '--threads', threads);
      expect(r.code, r.err).toBe(0);
      if (threads === '2') expect(generation()).toBeGreaterThan(jobs);
      expect(getThreads()).toBe(1);
      weights.push(readFileSync(join(out, 'model.safetensors')));
      rmSync(out, { recursive: true, force: true });
    }
    expect(weights[1]!.equals(weights[0]!)).toBe(true);
  } finally {
    pool.minMacs = minMacs;
  }
  for (const bad of ['0', '1.5', '257']) {
    const r = await cli('train', 'test/train/fixtures/tiny.yaml', '--threads', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: --threads expects (a positive integer|at most 256)/);
  }
});

/** The CLI in-process: exit code and what it printed. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((t) => ((out += String(t)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((t) => ((err += String(t)), true));
  try {
    return { code: await run(['node', 'cnnc', ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

test.runIf(wasm)('a worker that fails to start is an error, and leaves one thread', async () => {
  const failing: SpawnWorker = (onError) => {
    queueMicrotask(() => onError(new Error('no such worker')));
    return { postMessage: () => {}, terminate: () => {} };
  };
  await expect(startThreads(2, failing)).rejects.toThrow(/a worker did not start: Error: no such worker/);
  expect(getThreads()).toBe(1);
  expect(() => setThreads(2)).toThrow(/only 1 thread\(s\) started/);
});

test("a Node worker gets the parent's options less those about the parent's own script (--input-type, -e/-p and their code)", () => {
  // `node --input-type=module -e '…'` used to fail in initThreads: a worker from a file refuses --input-type.
  expect(workerExecArgv(['--input-type=module', '-e', 'code', '--stack-size=2000', '--eval', 'x', '--input-type', 'commonjs', '-p', 'y', '--print=z', '--max-old-space-size=100']))
    .toEqual(['--stack-size=2000', '--max-old-space-size=100']);
});

test.runIf(wasm)('started workers do not keep a process alive', () => {
  // A script that starts 2 threads, runs a parallel gemm and returns without stopThreads: it must exit by itself.
  const script = [
    "import { gemmNN, getThreads } from 'cnnc/runtime';",
    "import { initThreads } from 'cnnc/runtime/node';",
    'await initThreads(2);',
    'const C = new Float32Array(64 * 576);',
    'gemmNN(64, 576, 288, new Float32Array(64 * 288).fill(1), 0, new Float32Array(288 * 576).fill(1), 0, C, 0, false);',
    'console.log(`threads ${getThreads()} c ${C[0]}`);',
  ].join('\n');
  mkdirSync(TMP, { recursive: true });
  const file = join(TMP, 'threads-exit.ts');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['node_modules/vite-node/vite-node.mjs', '--config', 'vitest.config.ts', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.signal, r.stderr).toBeNull();
  expect(r.stdout).toContain('threads 2 c 288');
  expect(r.status).toBe(0);
});

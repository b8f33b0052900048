// Training streamed from the decoded-image cache (CNNC_STREAM=on) and on batches made ahead by worker threads
// (CNNC_LOADER_WORKERS) ends at the weights of the in-memory, in-loop run byte for byte, and `cnnc eval` reads
// a streamed test split to the same numbers. A run with loader workers stops on Ctrl-C (exit 130) and leaves
// no process or temporary folder behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cnnc } from '../cli.js';

const root = mkdtempSync(join(tmpdir(), 'cnnc-stream-train-'));
const children: ChildProcess[] = [];
afterAll(() => {
  children.forEach((c) => c.kill('SIGKILL'));
  rmSync(root, { recursive: true, force: true });
});

const SPEC = `cnnc: 1
name: Streamed
input: { shape: [3, 12, 12] }
layers:
  - { kind: conv2d, out_channels: 4, kernel_size: 3 }
  - relu
  - flatten
  - { kind: linear, out_features: 3 }
  - log_softmax
loss: { kind: nll }
optimizer: { kind: adam, lr: 0.01 }
train: { batch_size: 8, epochs: 2, seed: 4 }
data:
  source: folder
  path: imgs
  transforms: [ { kind: resize, size: [12, 12] }, { kind: normalize, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } ]
  train_transforms:
    - { kind: resize, size: [14, 14] }
    - { kind: random_crop, size: 12 }
    - random_horizontal_flip
    - { kind: normalize, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }
`;

/** 3 classes of seeded 16×16 RGB PNGs, each class a tint (so that there is something to learn). */
function makeFolder(dir: string, train: number, test: number): void {
  let s = 3;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 25);
  for (const [split, count] of [['train', train], ['test', test]] as const) {
    ['red', 'green', 'blue'].forEach((c, ci) => {
      mkdirSync(join(dir, split, c), { recursive: true });
      for (let i = 0; i < count; i++) {
        const data = Uint8Array.from({ length: 16 * 16 * 3 }, (_, j) => next() + (j % 3 === ci ? 120 : 0));
        writeFileSync(join(dir, split, c, `${i}.png`), encode({ width: 16, height: 16, data, channels: 3, depth: 8 }));
      }
    });
  }
}

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['CNNC_STREAM', 'CNNC_LOADER_WORKERS', 'CNNC_CACHE', 'CNNC_CACHE_DIR']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('training streamed and prefetched', () => {
  const spec = join(root, 'spec.yaml');
  writeFileSync(spec, SPEC);
  makeFolder(join(root, 'imgs'), 17, 5); // 51 train images: 7 batches, the last of 3

  it('gives the in-memory weights byte for byte, with the cache on or off, at 0 or 2 loader workers; eval reads the streamed test split to the same numbers', async () => {
    const run = async (name: string, env: Record<string, string>) => {
      for (const [k, v] of Object.entries(env)) process.env[k] = v;
      const out = join(root, name);
      const r = await cnnc('train', spec, '--out', out, '--threads', '1');
      expect(r.err).not.toMatch(/error/);
      expect(r.code).toBe(0);
      return new Uint8Array(readFileSync(join(out, 'model.safetensors')));
    };
    const held = await run('held', { CNNC_STREAM: 'off', CNNC_LOADER_WORKERS: '0' });
    expect(await run('held-prefetched', { CNNC_STREAM: 'off', CNNC_LOADER_WORKERS: '2' })).toEqual(held);
    expect(await run('streamed', { CNNC_STREAM: 'on', CNNC_LOADER_WORKERS: '0' })).toEqual(held);
    expect(await run('streamed-prefetched', { CNNC_STREAM: 'on', CNNC_LOADER_WORKERS: '2' })).toEqual(held);
    // from a cache entry written by the first run, then read by the second
    delete process.env['CNNC_CACHE'];
    process.env['CNNC_CACHE_DIR'] = join(root, 'cache');
    expect(await run('cached-1', { CNNC_STREAM: 'on', CNNC_LOADER_WORKERS: '1' })).toEqual(held);
    expect(readdirSync(join(root, 'cache')).length).toBeGreaterThan(0);
    expect(await run('cached-2', { CNNC_STREAM: 'on', CNNC_LOADER_WORKERS: '1' })).toEqual(held);

    const weights = join(root, 'held', 'model.safetensors');
    process.env['CNNC_STREAM'] = 'off';
    const inMemory = await cnnc('eval', spec, '--weights', weights, '--json');
    process.env['CNNC_STREAM'] = 'on';
    const streamed = await cnnc('eval', spec, '--weights', weights, '--json');
    expect(inMemory.code).toBe(0);
    expect(streamed.out).toBe(inMemory.out);
    expect(JSON.parse(inMemory.out).test_images).toBe(15);
  }, 120_000);

  it('Ctrl-C stops a streamed run with loader workers: exit 130, a checkpoint, its temporary folder removed', async () => {
    const tmp = mkdtempSync(join(root, 'tmp-'));
    const out = join(root, 'interrupted');
    const env = { ...process.env, CNNC_STREAM: 'on', CNNC_LOADER_WORKERS: '2', CNNC_CACHE: 'off', TMPDIR: tmp };
    const child = spawn(process.execPath, ['bin/cnnc.js', 'train', spec, '--out', out, '--epochs', '100000', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    children.push(child);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr!.resume();
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    for (const t0 = Date.now(); !/epoch 2\b/.test(stdout);) {
      if (Date.now() - t0 > 60_000) throw new Error(`no second epoch within a minute: ${stdout}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(readdirSync(tmp).some((f) => f.startsWith('cnnc-stream-'))).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
  }, 90_000);
});

// train.py, the export's torchrun script, on specs/mnist.yaml (the embedded digits, mnist10k), CPU and gloo:
// - one epoch in two processes (torchrun, DistributedDataParallel) reaches the one-process accuracy within 1 point
//   (the mean of two seeds);
// - `cnnc eval specs/mnist.yaml --weights` on its model.safetensors counts the very test digits PyTorch counted;
// - a run killed (SIGKILL) after a checkpoint resumes with --resume and ends with the same weights, byte for byte,
//   as a run never stopped; a checkpoint of another spec is refused, naming both hashes;
// - bad flags and data files get one line naming them, never a traceback.
// Skips where torch is absent (CI installs python3-torch).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cnnc } from '../cli.js';
import { PY, python, skipWithoutTorch } from '../torch.js';

const skip = skipWithoutTorch('test/pytorch/train');
const root = mkdtempSync(join(tmpdir(), 'cnnc-pytorch-train-'));
const dir = join(root, 'mnist');
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Eval { test_images: number; test_accuracy: number; test_loss: number; correct: number; positions: number; steps: number }

function train(args: readonly string[], torchrun = false): Promise<{ code: number; out: string; err: string }> {
  // torch 1.13's torchrun under Python 3.11 needs --redirects and --tee (README.md of the export says why).
  const argv = torchrun
    ? ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '--redirects', '1', '--tee', '1', '--log_dir', join(root, 'logs'), join(dir, 'train.py'), ...args]
    : [join(dir, 'train.py'), ...args];
  return python(argv, root);
}

const evalOf = (out: string): Eval => JSON.parse(readFileSync(join(root, out, 'eval.json'), 'utf8')) as Eval;

describe.skipIf(skip)('train.py (torchrun, DistributedDataParallel, gloo)', () => {
  beforeAll(async () => {
    const r = await cnnc('export', 'specs/mnist.yaml', '--to', 'pytorch', '-o', dir);
    expect(r.code).toBe(0);
  });

  it('one epoch on 2 processes reaches the 1-process test accuracy within 1 point (the mean of seeds 1 and 2), and cnnc eval agrees with PyTorch', async () => {
    // One epoch's test accuracy moves by about a point from seed to seed (seeds 1–4 in one process: 94.09, 94.04,
    // 94.24, 93.19% here), and another CPU rounds torch's kernels differently: so the comparison is of the mean of two
    // seeds, and one-sided, as "reaches" says (two processes may do better).
    const runs: Eval[][] = [];
    for (const seed of ['1', '2']) {
      const one = await train(['--epochs', '1', '--seed', seed, '--out', `one${seed}`]);
      expect(one.err.split('\n').filter((l) => /Traceback|Error/.test(l))).toEqual([]);
      expect(one.code).toBe(0);
      const two = await train(['--epochs', '1', '--seed', seed, '--out', `two${seed}`], true);
      expect(two.code, two.err).toBe(0);
      expect(two.out).toContain('2 processes on cpu (gloo), global batch 64 (32 per process), 126 steps per epoch');
      expect(two.out).toMatch(/epoch 1\/1 {2}loss \d\.\d{4} {2}test_loss/);
      runs.push([evalOf(`one${seed}`), evalOf(`two${seed}`)]);
    }
    const mean = (k: 0 | 1): number => runs.reduce((s, r) => s + r[k]!.test_accuracy, 0) / runs.length;
    const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
    console.log(`test accuracy (1 epoch, 1,996 digits), seeds 1 and 2: 1 process ${runs.map((r) => pct(r[0]!.test_accuracy)).join(', ')}; 2 processes ${runs.map((r) => pct(r[1]!.test_accuracy)).join(', ')}`);
    for (const [a] of runs) {
      expect(a!.test_images).toBe(1996);
      expect(a!.test_accuracy).toBeGreaterThan(0.9); // one epoch of Adam learns the digits: the run trained
    }
    expect(mean(1)).toBeGreaterThanOrEqual(mean(0) - 0.01);
    const b = runs[0]![1]!;
    // The weights come back: cnnc reads train.py's model.safetensors as it is, on the embedded test split.
    const e = await cnnc('eval', 'specs/mnist.yaml', '--weights', join(root, 'two1', 'model.safetensors'), '--json');
    expect(e.code, e.err).toBe(0);
    const c = JSON.parse(e.out) as { correct: number; test_images: number; test_loss: number };
    expect(c.test_images).toBe(1996);
    expect(c.correct).toBe(b.correct);
    expect(Math.abs(c.test_loss - b.test_loss)).toBeLessThan(1e-5);
  }, 800_000);

  it('a run killed after a checkpoint resumes and ends with the weights of a run never stopped, byte for byte', async () => {
    const args = ['--epochs', '2', '--limit', '640', '--checkpoint-every', '3'];
    const whole = await train([...args, '--out', 'whole']);
    expect(whole.code, whole.err).toBe(0);
    const child = spawn(PY, [join(dir, 'train.py'), ...args, '--out', 'killed'], { cwd: root, stdio: 'ignore' });
    const ended = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const cp = join(root, 'killed', 'checkpoint.pt');
    const deadline = Date.now() + 120_000;
    while (!existsSync(cp) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(child.exitCode, 'still running at the first checkpoint').toBe(null);
    child.kill('SIGKILL');
    await ended;
    expect(existsSync(join(root, 'killed', 'model.safetensors'))).toBe(false);
    const resumed = await train([...args, '--out', 'killed', '--resume']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toMatch(/resumed from .*checkpoint\.pt: epoch 1, step 3 of 10/);
    expect(readFileSync(join(root, 'killed', 'model.safetensors')).equals(readFileSync(join(root, 'whole', 'model.safetensors')))).toBe(true);
    expect(evalOf('killed')).toEqual(evalOf('whole'));
  }, 300_000);

  it('a checkpoint of another spec is refused, naming both spec hashes', async () => {
    const other = join(root, 'other.yaml');
    const otherDir = join(root, 'other');
    writeFileSync(other, readFileSync('specs/mnist.yaml', 'utf8').replace('lr: 0.001', 'lr: 0.002'));
    expect((await cnnc('export', other, '--to', 'pytorch', '-o', otherDir)).code).toBe(0);
    cpSync(join(root, 'whole'), join(root, 'foreign'), { recursive: true });
    const r = await python([join(otherDir, 'train.py'), '--epochs', '2', '--limit', '640', '--checkpoint-every', '3', '--out', 'foreign', '--resume'], root);
    expect(r.code).toBe(1);
    const hash = (m: string) => /SPEC_HASH = "([0-9a-f]{64})"/.exec(readFileSync(join(m, 'model.py'), 'utf8'))![1]!;
    expect(r.err).toBe(`train.py: error: foreign/checkpoint.pt belongs to a different spec: checkpoint spec hash ${hash(dir).slice(0, 16)}..., ` +
      `this export (other.yaml) has ${hash(otherDir).slice(0, 16)}...; train from scratch, or resume with the export of the spec it was trained from\n`);
  }, 120_000);

  it('bad flags and data: one line naming them, exit 2 (flags) or 1 (files), no traceback', async () => {
    const flag = await train(['--epochs', '0']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("train.py: error: argument --epochs: expected an integer >= 1, got 0");
    const none = await train(['--out', 'nothing-here', '--resume']);
    expect(none.code).toBe(1);
    expect(none.err).toBe('train.py: error: nothing-here/checkpoint.pt: no checkpoint to resume from (train without --resume first)\n');
    const missing = await train(['--data', join(root, 'no-such-folder'), '--max-steps', '1', '--out', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`train.py: error: ${join(root, 'no-such-folder')}: missing train-labels-idx1-ubyte (or train-labels-idx1-ubyte.gz)\n`);
  }, 120_000);
});

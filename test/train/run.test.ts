// cnnc train's machinery (bin/train/run.ts) with the hand-written model: run directory,
// resume bit for bit, the NaN guard, a foreign checkpoint. test/train/cli.test.ts repeats the
// essentials through the CLI with a generated model.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train, TrainError, type TrainOptions } from '../../bin/train/run.js';
import { readCheckpointInfo } from '../../runtime/train/checkpoint.js';
import { createSoftmaxRegression } from './fake-model.js';
import { capture, fakeIr } from './helpers.js';

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions & { io: ReturnType<typeof capture> } {
  const io = capture();
  return {
    specFile: 'fake.yaml',
    specSource: 'name: SoftmaxRegression\n',
    ir: fakeIr(),
    code: '// generated\n',
    cnncVersion: '0.0.0-test',
    createModel: (o) => createSoftmaxRegression({ seed: o.seed, lr: 0.05 }),
    out,
    limit: 300,
    stdout: io.stdout,
    stderr: io.stderr,
    io,
    ...extra,
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'cnnc-run-'));
const read = (dir: string, f: string) => new Uint8Array(readFileSync(join(dir, f)));

describe('train (run directory, checkpoints, resume)', () => {
  it('writes weights, checkpoint, metrics, report, spec and code; prints the final accuracy', async () => {
    const out = tmp();
    const o = options(out);
    expect(await train(o)).toBe(0);
    for (const f of ['model.safetensors', 'checkpoint.safetensors', 'metrics.jsonl', 'report.svg', 'spec.yaml', 'model.ts']) expect(existsSync(join(out, f))).toBe(true);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.map((m) => Object.keys(m))).toEqual([0, 1].map(() => ['epoch', 'loss', 'test_loss', 'test_accuracy', 'lr', 'images_per_s', 'seconds']));
    expect(o.io.out()).toMatch(/^epoch 2\/2  loss \d\.\d{4}  test loss \d\.\d{4}  test accuracy \d+\.\d\d%/m);
    expect(o.io.out()).toMatch(/^final test accuracy: \d+\.\d\d% \(300 test digits\)$/m);
    expect(o.io.err()).toMatch(/^epoch 1\/2  step 10\/10  loss/m); // plain progress lines when not a TTY
    const cp = readCheckpointInfo(read(out, 'checkpoint.safetensors'), 'cp');
    expect(cp.position).toMatchObject({ epoch: 2, stepInEpoch: 0, globalStep: 20 });
    expect(cp.settings).toEqual({ seed: 7, batchSize: 32, epochs: 2, lr: 0.05, data: 'mnist10k', limit: 300 });
    expect(readFileSync(join(out, 'report.svg'), 'utf8')).toMatch(/<svg[\s\S]*test accuracy[\s\S]*<\/svg>/);
  });

  it('an interrupted then resumed run ends with the same weights, bit for bit', async () => {
    const straight = tmp();
    expect(await train(options(straight))).toBe(0);
    for (const k of [3, 10, 13]) {
      // k = 10 stops exactly at an epoch boundary; 3 and 13 stop mid-epoch.
      const cut = tmp();
      const first = options(cut, { maxSteps: k });
      expect(await train(first)).toBe(0);
      expect(first.io.out()).toMatch(/stopped after --max-steps \d+ .* Resume with: --resume /);
      expect(readCheckpointInfo(read(cut, 'checkpoint.safetensors'), 'cp').position.globalStep).toBe(k);
      expect(await train(options(cut, { out: undefined, resume: cut }))).toBe(0);
      expect(read(cut, 'model.safetensors')).toEqual(read(straight, 'model.safetensors'));
      const a = readCheckpointInfo(read(cut, 'checkpoint.safetensors'), 'a');
      const b = readCheckpointInfo(read(straight, 'checkpoint.safetensors'), 'b');
      expect(a.metrics.map((m) => [m.loss, m.test_loss, m.test_accuracy])).toEqual(b.metrics.map((m) => [m.loss, m.test_loss, m.test_accuracy]));
    }
  });

  it('refuses a checkpoint from a different spec, naming both hashes', async () => {
    const out = tmp();
    expect(await train(options(out, { maxSteps: 2 }))).toBe(0);
    const other = options(out, { resume: out, ir: fakeIr({ specHash: 'a'.repeat(64) }) });
    await expect(train(other)).rejects.toThrow(new TrainError(
      `${join(out, 'checkpoint.safetensors')} belongs to a different spec: checkpoint spec hash ffffffffffffffff…, fake.yaml has aaaaaaaaaaaaaaaa…; ` +
        `train from scratch, or resume with the spec it was trained from (${join(out, 'spec.yaml')})`,
    ));
    await expect(train(options(out, { resume: out, batchSize: 16 }))).rejects.toThrow('--batch-size 16 differs from the checkpoint\'s 32');
  });

  it('stops on a non-finite loss with exit 3, the step and layer, and the last checkpoint intact', async () => {
    const out = tmp();
    expect(await train(options(out, { epochs: 1 }))).toBe(0);
    const before = read(out, 'checkpoint.safetensors');
    const o = options(out, { resume: out, epochs: 2, lr: 1e38 }); // softmax regression needs weights near float32's max to overflow
    expect(await train(o)).toBe(3);
    expect(o.io.err()).toMatch(/^error: loss became (NaN|Inf) at epoch 2, step \d+ \(first non-finite: fc output\)$/m);
    expect(read(out, 'checkpoint.safetensors')).toEqual(before);
    expect(readCheckpointInfo(before, 'cp').position.epoch).toBe(1);
  });

  it('stops after the current step when asked (Ctrl-C), with exit 130 and a checkpoint', async () => {
    const out = tmp();
    let polls = 0;
    const o = options(out, { stopRequested: () => ++polls > 4 });
    expect(await train(o)).toBe(130);
    expect(readCheckpointInfo(read(out, 'checkpoint.safetensors'), 'cp').position).toMatchObject({ epoch: 0, stepInEpoch: 4, globalStep: 4 });
  });
});

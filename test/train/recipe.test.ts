// A recipe trained from a spec with no code, through the CLI with a generated model: the learning rate every epoch
// equals PyTorch's (torch.optim.lr_scheduler 1.13 fixtures, test/fixtures/schedules/), a run resumed mid-schedule ends
// bit for bit where the uninterrupted one ends, and early stopping stops as Keras does and keeps the best weights.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readCheckpointInfo } from '../../runtime/train/checkpoint.js';
import { cnnc } from '../cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'cnnc-recipe-'));
const bytes = (dir: string, f: string) => new Uint8Array(readFileSync(join(dir, f)));
const metrics = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
const fixture = (kind: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/schedules/${kind}.json`, import.meta.url), 'utf8')) as { cases: { name: string; spec: object; base_lr: number; lr: number[] }[] };

/** A small generated CNN with the given optimizer, scheduler and train/data lines. */
function specFile(o: { optimizer: string; scheduler?: string; train: string; data?: string }): string {
  const dir = tmp();
  const file = join(dir, 'recipe.yaml');
  writeFileSync(file, [
    'cnnc: 1',
    'name: RecipeNet',
    'input: { shape: [1, 28, 28] }',
    'layers:',
    '  - { kind: conv2d, out_channels: 4, kernel_size: 5, stride: 2 }',
    '  - relu',
    '  - { kind: maxpool2d, kernel_size: 2 }',
    '  - { kind: dropout, p: 0.1 }',
    '  - flatten',
    '  - { kind: linear, out_features: 10 }',
    'loss: { kind: cross_entropy }',
    `optimizer: ${o.optimizer}`,
    ...(o.scheduler === undefined ? [] : [`scheduler: ${o.scheduler}`]),
    `train: ${o.train}`,
    `data: ${o.data ?? '{ source: mnist }'}`,
    '',
  ].join('\n'));
  return file;
}

afterEach(() => vi.restoreAllMocks());

describe('a learning-rate schedule from the spec', () => {
  it("sequential_lr (linear warm-up, then cosine): metrics.jsonl's lr each epoch is PyTorch's, exactly", async () => {
    const c = fixture('sequential_lr').cases.find((x) => x.name.startsWith('linear warm-up 5, then cosine'))!;
    const file = specFile({ optimizer: `{ kind: adam, lr: ${c.base_lr} }`, scheduler: JSON.stringify(c.spec), train: '{ batch_size: 32, epochs: 8, seed: 3 }' });
    const out = tmp();
    const r = await cnnc('train', file, '--out', out, '--limit', '64');
    expect(r.code).toBe(0);
    // The lr an epoch trains with: the schedule's after `epoch − 1` scheduler.step() calls.
    expect(metrics(out).map((m) => m.lr)).toEqual(c.lr.slice(0, 8));
    expect(r.out).toMatch(/^epoch 6\/8 .* lr 0\.001 /m);
  });

  it("one_cycle_lr steps every batch: each epoch's last step has PyTorch's lr at that step", async () => {
    const c = fixture('one_cycle_lr').cases.find((x) => x.name === 'max_lr 0.1, 100 steps, sgd')!;
    // 320 images in batches of 32: 10 steps an epoch, 10 epochs = the cycle's 100 steps (total_steps left to the run).
    const file = specFile({ optimizer: '{ kind: sgd, lr: 0.1, momentum: 0.9 }', scheduler: '{ kind: one_cycle_lr, max_lr: 0.1 }', train: '{ batch_size: 32, epochs: 10, seed: 3 }' });
    const out = tmp();
    expect((await cnnc('train', file, '--out', out, '--limit', '320')).code).toBe(0);
    expect(metrics(out).map((m) => m.lr)).toEqual([9, 19, 29, 39, 49, 59, 69, 79, 89, 99].map((k) => c.lr[k]));
    expect(readFileSync(join(out, 'model.ts'), 'utf8')).toMatch(/setMomentum\(momentum: number\): void/);
  });

  it('a one_cycle_lr shorter than the run (here made so by --epochs) is refused before the first step, naming the spec line', async () => {
    // As written, 251 steps are the spec's run (ceil(8004 / 32)): the compiler lets it through (test/lower/recipe.test.ts
    // has the compile-time check); two epochs are twice that.
    const file = specFile({ optimizer: '{ kind: sgd, lr: 0.1 }', scheduler: '{ kind: one_cycle_lr, max_lr: 0.1, total_steps: 251 }', train: '{ batch_size: 32, epochs: 1 }' });
    const r = await cnnc('train', file, '--out', tmp(), '--epochs', '2');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: ${file}:13:20: one_cycle_lr's cycle is 251 steps, but the run takes 502 (2 epochs × 251 steps)`);
  });

  it('resumed mid-schedule (one_cycle_lr cycling SGD\'s momentum, clip_grad_norm, dropout), a run ends at the same weights bytes', async () => {
    const file = specFile({
      optimizer: '{ kind: sgd, lr: 0.1 }', scheduler: '{ kind: one_cycle_lr, max_lr: 0.2 }',
      train: '{ batch_size: 32, epochs: 3, seed: 5, clip_grad_norm: { max_norm: 0.5 } }',
    });
    const straight = tmp();
    expect((await cnnc('train', file, '--out', straight, '--limit', '160')).code).toBe(0);
    for (const k of [7, 10]) { // mid-epoch, and at an epoch's end
      const cut = tmp();
      expect((await cnnc('train', file, '--out', cut, '--limit', '160', '--max-steps', String(k))).code).toBe(0);
      expect(readCheckpointInfo(bytes(cut, 'checkpoint.safetensors'), 'cp').position.schedule).toMatchObject({ kind: 'one_cycle_lr', step_count: k + 1 });
      expect((await cnnc('train', file, '--resume', cut, '--limit', '160')).code).toBe(0);
      expect(bytes(cut, 'model.safetensors')).toEqual(bytes(straight, 'model.safetensors'));
      expect(metrics(cut).map((m) => m.lr)).toEqual(metrics(straight).map((m) => m.lr));
    }
  });

  it('--lr on a resumed scheduled run is refused: the schedule continues from where it stands', async () => {
    const file = specFile({ optimizer: '{ kind: sgd, lr: 0.1 }', scheduler: '{ kind: step_lr, step_size: 1 }', train: '{ batch_size: 32, epochs: 2 }' });
    const cut = tmp();
    expect((await cnnc('train', file, '--out', cut, '--limit', '64', '--max-steps', '1')).code).toBe(0);
    const r = await cnnc('train', file, '--resume', cut, '--limit', '64', '--lr', '0.5');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--lr 0\.5 differs from the checkpoint's 0\.1: a resumed run continues its step_lr schedule/);
  });
});

describe('early stopping and the best checkpoint', () => {
  const recipe = {
    // A large lr that overshoots, so that val_loss stops improving within a few epochs.
    optimizer: '{ kind: sgd, lr: 0.9, momentum: 0.9 }',
    scheduler: '{ kind: reduce_lr_on_plateau, patience: 0, factor: 0.5 }',
    train: '{ batch_size: 32, epochs: 12, seed: 1, early_stopping: { monitor: val_loss, patience: 2 } }',
    data: '{ source: mnist, val_split: 0.2 }',
  };

  it("stops after `patience` epochs without improvement (Keras's rule), keeps the best epoch's weights as best.safetensors, and tests once", async () => {
    const file = specFile(recipe);
    const out = tmp();
    const r = await cnnc('train', file, '--out', out, '--limit', '400');
    expect(r.code).toBe(0);
    const m = metrics(out);
    const losses = m.map((x) => x.val_loss!);
    const best = losses.indexOf(Math.min(...losses));
    // Keras: wait += 1 each epoch, reset on improvement; stop once wait ≥ patience (2): two epochs after the best.
    expect(m.length).toBe(best + 1 + 2);
    expect(m.length).toBeLessThan(12);
    expect(m.filter((x) => x.test_accuracy !== undefined).map((x) => x.epoch)).toEqual([m.length]); // the test split once, at the end
    expect(r.out).toContain(`early stopping after epoch ${m.length}: val_loss best at epoch ${best + 1}`);
    // reduce_lr_on_plateau (patience 0) halved the lr after each epoch that did not improve on the best.
    for (let e = 1; e < m.length; e++) expect(m[e]!.lr).toBe(losses[e - 1]! < Math.min(...losses.slice(0, e - 1), Infinity) * (1 - 1e-4) ? m[e - 1]!.lr : m[e - 1]!.lr! * 0.5);
    // best.safetensors is the model as it was after the best epoch: a run stopped there by --epochs has the same bytes.
    const short = tmp();
    expect((await cnnc('train', file, '--out', short, '--limit', '400', '--epochs', String(best + 1))).code).toBe(0);
    expect(bytes(out, 'best.safetensors')).toEqual(bytes(short, 'model.safetensors'));
  });

  it('a run that is not stopped early still keeps and names its best epoch (no "early stopping after")', async () => {
    const file = specFile({ ...recipe, train: '{ batch_size: 32, epochs: 3, seed: 1, early_stopping: { monitor: val_accuracy, patience: 10 } }' });
    const out = tmp();
    const r = await cnnc('train', file, '--out', out, '--limit', '400', '--json');
    expect(r.code).toBe(0);
    const done = r.out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; early_stopping?: unknown }).find((e) => e.event === 'done')!;
    const accs = metrics(out).map((m) => m.val_accuracy!);
    expect(done.early_stopping).toEqual({ stopped_after: null, monitor: 'val_accuracy', best_epoch: accs.indexOf(Math.max(...accs)) + 1, best: Math.max(...accs), weights: join(out, 'best.safetensors') });
  });

  it('resumed in the middle, early stopping and the plateau schedule continue to the same epoch and weights', async () => {
    const file = specFile(recipe);
    const straight = tmp();
    expect((await cnnc('train', file, '--out', straight, '--limit', '400')).code).toBe(0);
    const cut = tmp();
    expect((await cnnc('train', file, '--out', cut, '--limit', '400', '--max-steps', '23')).code).toBe(0);
    expect((await cnnc('train', file, '--resume', cut, '--limit', '400')).code).toBe(0);
    expect(bytes(cut, 'model.safetensors')).toEqual(bytes(straight, 'model.safetensors'));
    expect(bytes(cut, 'best.safetensors')).toEqual(bytes(straight, 'best.safetensors'));
    expect(metrics(cut).map((m) => [m.epoch, m.lr, m.val_loss])).toEqual(metrics(straight).map((m) => [m.epoch, m.lr, m.val_loss]));
    // Resuming a run early stopping has ended trains nothing more.
    const again = await cnnc('train', file, '--resume', cut, '--limit', '400');
    expect(again.code).toBe(0);
    expect(metrics(cut)).toHaveLength(metrics(straight).length);
  });
});

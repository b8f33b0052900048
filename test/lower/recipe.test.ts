// The recipe around the optimizer (3-lower/recipe.ts): scheduler, gradient clipping and early stopping lowered with
// PyTorch's and Keras's defaults, and every error that needs more than one value, at the exact line:col.
import { describe, expect, it } from 'vitest';
import { brief, lowerYaml, ok, pos, spec } from './helpers.js';

const LAYERS = ['{ kind: conv2d, out_channels: 4, kernel_size: 3 }', 'relu', 'flatten', '{ kind: linear, out_features: 10 }'];
const withTail = (tail: string, o: { optimizer?: string } = {}) => spec(LAYERS, { tail, ...o });

function errors(source: string): string[] {
  const { ir, diagnostics } = lowerYaml(source);
  expect(ir).toBeNull();
  return brief(diagnostics);
}

describe('lowered recipe', () => {
  it('no scheduler, clip or early stopping: null (a constant lr, no clipping, every epoch runs)', () => {
    const ir = ok(withTail(''));
    expect([ir.scheduler, ir.train.clip, ir.train.earlyStopping]).toEqual([null, null, null]);
  });

  it('a scheduler keeps torch\'s arguments as written; interval epoch by default, step for one_cycle_lr', () => {
    expect(ok(withTail('scheduler: { kind: step_lr, step_size: 1, gamma: 0.7 }')).scheduler).toMatchObject({ spec: { kind: 'step_lr', step_size: 1, gamma: 0.7 }, interval: 'epoch', monitor: null });
    expect(ok(withTail('scheduler: { kind: cosine_annealing_lr, T_max: 100, interval: step }')).scheduler).toMatchObject({ spec: { kind: 'cosine_annealing_lr', T_max: 100 }, interval: 'step' });
    expect(ok(withTail('scheduler: { kind: one_cycle_lr, max_lr: 0.1 }')).scheduler).toMatchObject({ spec: { kind: 'one_cycle_lr', max_lr: 0.1 }, interval: 'step' });
  });

  it('reduce_lr_on_plateau watches val_loss by default', () => {
    const ir = ok(withTail('scheduler: { kind: reduce_lr_on_plateau }\ndata: { source: mnist, val_split: 0.1 }'));
    expect(ir.scheduler).toMatchObject({ monitor: 'val_loss' });
  });

  it('clip_grad_norm: norm_type 2 by default, inf as Infinity; clip_grad_value', () => {
    expect(ok(withTail('train: { clip_grad_norm: { max_norm: 1 } }')).train.clip).toMatchObject({ kind: 'norm', maxNorm: 1, normType: 2 });
    expect(ok(withTail('train: { clip_grad_norm: { max_norm: 5, norm_type: inf } }')).train.clip).toMatchObject({ kind: 'norm', maxNorm: 5, normType: Infinity });
    expect(ok(withTail('train: { clip_grad_value: { clip_value: 0.5 } }')).train.clip).toMatchObject({ kind: 'value', clipValue: 0.5 });
  });

  it("early_stopping: Keras's defaults (val_loss, patience 0, min_delta 0), mode auto → max for accuracy, min for a loss", () => {
    const tail = (es: string) => withTail(`train: { early_stopping: ${es} }\ndata: { source: mnist, val_split: 0.1 }`);
    expect(ok(tail('{}')).train.earlyStopping).toEqual({ monitor: 'val_loss', patience: 0, minDelta: 0, mode: 'min' });
    expect(ok(tail('{ monitor: val_accuracy, patience: 3, min_delta: 0.001 }')).train.earlyStopping).toEqual({ monitor: 'val_accuracy', patience: 3, minDelta: 0.001, mode: 'max' });
    expect(ok(tail('{ monitor: val_accuracy, mode: min }')).train.earlyStopping).toMatchObject({ mode: 'min' });
  });

  it('val_split on the embedded digits and IDX files (classification), null by default', () => {
    expect(ok(withTail('data: { source: mnist, val_split: 0.1 }')).data).toMatchObject({ source: 'mnist', valSplit: 0.1 });
    expect(ok(withTail('data: { source: idx, path: ../x }')).data).toMatchObject({ source: 'idx', valSplit: null });
  });
});

describe('recipe errors (E09xx), at the value at fault', () => {
  it('E0901 milestones that do not increase: points at the first out of order', () => {
    const src = withTail('scheduler: { kind: multistep_lr, milestones: [3, 6, 6, 9] }');
    expect(errors(src)).toEqual([`${pos(src, '6, 9', '6')} E0901 milestones must increase: 6 then 6`]);
    const seq = withTail('scheduler: { kind: sequential_lr, schedulers: [{ kind: linear_lr }, { kind: step_lr, step_size: 1 }], milestones: [5, 2] }');
    expect(errors(seq)).toEqual([`${pos(seq, '5, 2', '2')} E0901 milestones must increase: 5 then 2`]);
  });

  it('E0901 sequential_lr with a milestone count that does not fit its schedulers', () => {
    const src = withTail('scheduler: { kind: sequential_lr, schedulers: [{ kind: linear_lr }, { kind: exponential_lr, gamma: 0.9 }], milestones: [2, 4] }');
    expect(errors(src)).toEqual([`${pos(src, '[2, 4]')} E0901 sequential_lr switches between 2 schedulers at 1 milestone, but 2 are given`]);
  });

  it("E0901 an interval on one of sequential_lr's schedulers", () => {
    const src = withTail('scheduler: { kind: sequential_lr, schedulers: [{ kind: linear_lr, interval: step }, { kind: step_lr, step_size: 1 }], milestones: [2] }');
    expect(errors(src)).toEqual([`${pos(src, 'interval: step', 'interval')} E0901 sequential_lr's schedulers step when it does: an interval here has no meaning of its own`]);
  });

  it('E0902 a one_cycle_lr shorter than the run (the embedded digits: 8,004 images, ceil(8004 / 64) = 126 steps an epoch)', () => {
    const src = withTail('scheduler: { kind: one_cycle_lr, max_lr: 0.1, total_steps: 200 }\ntrain: { epochs: 2 }');
    expect(errors(src)).toEqual([`${pos(src, '200')} E0902 one_cycle_lr's cycle is 200 steps, but the run takes 252 (2 epochs × 126 batches of 64); PyTorch stops with "Tried to step 201 times"`]);
    const byEpochs = withTail('scheduler: { kind: one_cycle_lr, max_lr: 0.1, epochs: 1, steps_per_epoch: 126 }\ntrain: { epochs: 2 }');
    expect(errors(byEpochs)).toEqual([`${pos(byEpochs, 'epochs: 1', '1')} E0902 one_cycle_lr's cycle is 126 steps, but the run takes 252 (2 epochs × 126 batches of 64); PyTorch stops with "Tried to step 127 times"`]);
    ok(withTail('scheduler: { kind: one_cycle_lr, max_lr: 0.1, total_steps: 252 }\ntrain: { epochs: 2 }'));
  });

  it('E0903 early stopping on a metric the run does not compute: no validation split, or a mean IoU of a classifier', () => {
    const noVal = withTail('train: { early_stopping: { monitor: val_accuracy } }');
    expect(errors(noVal)).toEqual([`${pos(noVal, 'val_accuracy')} E0903 early_stopping monitors val_accuracy needs a validation split, and the data has none`]);
    const { diagnostics } = lowerYaml(noVal);
    expect(diagnostics[0]!.hint).toBe('add data.val_split (e.g. 0.1)');
    const implicit = withTail('train: { early_stopping: { patience: 2 } }');
    expect(errors(implicit)).toEqual([`${pos(implicit, '{ patience')} E0903 early_stopping monitors val_loss needs a validation split, and the data has none`]);
    const miou = withTail('train: { early_stopping: { monitor: test_miou } }');
    expect(errors(miou)).toEqual([`${pos(miou, 'test_miou')} E0903 early_stopping monitors test_miou is measured for per-pixel outputs only; this model's output is one prediction per image`]);
    const plateau = withTail('scheduler: { kind: reduce_lr_on_plateau, monitor: val_loss }');
    expect(errors(plateau)).toEqual([`${pos(plateau, 'val_loss')} E0903 reduce_lr_on_plateau monitors val_loss needs a validation split, and the data has none`]);
  });

  it('W0614 early stopping on the test set is allowed, with a warning', () => {
    const src = withTail('train: { early_stopping: { monitor: test_loss } }');
    const { ir, diagnostics } = lowerYaml(src);
    expect(ir).not.toBeNull();
    expect(brief(diagnostics)).toEqual([`${pos(src, 'test_loss')} W0614 early_stopping monitors test_loss: the test set then chooses the epoch, and its accuracy is no longer an unbiased estimate`]);
  });

  it('E0904 one_cycle_lr cycling the momentum of an optimizer that has none (adagrad, adadelta); cycle_momentum: false is fine', () => {
    const src = withTail('scheduler: { kind: one_cycle_lr, max_lr: 0.1 }', { optimizer: '{ kind: adadelta }' });
    expect(errors(src)).toEqual([`${pos(src, 'one_cycle_lr')} E0904 one_cycle_lr cycles the momentum by default, and adadelta has none (torch: "optimizer must support momentum with \`cycle_momentum\` option enabled")`]);
    const explicit = withTail('scheduler: { kind: one_cycle_lr, max_lr: 0.1, cycle_momentum: true }', { optimizer: '{ kind: adagrad }' });
    expect(errors(explicit)).toEqual([`${pos(explicit, 'true')} E0904 one_cycle_lr cycles the momentum by default, and adagrad has none (torch: "optimizer must support momentum with \`cycle_momentum\` option enabled")`]);
    expect(ok(withTail('scheduler: { kind: one_cycle_lr, max_lr: 0.1, cycle_momentum: false }', { optimizer: '{ kind: adagrad }' })).scheduler?.cyclesMomentum).toBe(false);
    expect(ok(withTail('scheduler: { kind: one_cycle_lr, max_lr: 0.1 }', { optimizer: '{ kind: rmsprop }' })).scheduler?.cyclesMomentum).toBe(true);
  });

  it('E0905 both clip_grad_norm and clip_grad_value', () => {
    const src = withTail('train: { clip_grad_norm: { max_norm: 1 }, clip_grad_value: { clip_value: 1 } }');
    expect(errors(src)).toEqual([`${pos(src, 'clip_grad_value')} E0905 clip_grad_norm and clip_grad_value both given: which runs first changes the result`]);
  });

  it('E0801 val_split on a task other than classification', () => {
    const src = withTail('data: { source: mnist, task: segmentation, val_split: 0.1 }');
    expect(errors(src)).toContain(`${pos(src, '0.1')} E0801 val_split holds out a stratified fraction of the classes, and task segmentation has other targets`);
  });
});

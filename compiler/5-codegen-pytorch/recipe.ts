// The spec's recipe as Python for model.py: the loss (loss_fn and correct), the optimizer and the
// learning-rate schedule, every argument resolved by the IR (PyTorch 1.13's defaults filled in by 3-lower),
// and the data description train.py reads. torch.optim and torch.optim.lr_scheduler have each kind under
// its own name; focal and dice, which PyTorch core lacks, are written out in torch ops.
import type { ScheduleKind, ScheduleSpec } from '../../runtime/train/schedule.js';
import type { PlannedModel } from '../ir/plan.js';
import { assertNever, type LossTermIR, type OptimizerIR } from '../ir/types.js';
import { pyBool, pyComment, pyNum, pyPair, pyStr, pyValue } from './python.js';

const SCHEDULERS: { readonly [K in ScheduleKind]: string } = {
  step_lr: 'StepLR',
  multistep_lr: 'MultiStepLR',
  exponential_lr: 'ExponentialLR',
  cosine_annealing_lr: 'CosineAnnealingLR',
  linear_lr: 'LinearLR',
  sequential_lr: 'SequentialLR',
  one_cycle_lr: 'OneCycleLR',
  reduce_lr_on_plateau: 'ReduceLROnPlateau',
};

function weightArg(w: readonly number[] | null): string {
  return w === null ? 'None' : `torch.tensor(${pyValue(w)}, dtype=output.dtype, device=output.device)`;
}

function termCall(t: LossTermIR): string {
  switch (t.kind) {
    case 'cross_entropy':
      return `F.cross_entropy(output, labels, weight=${weightArg(t.weight)}, ignore_index=${t.ignoreIndex}, reduction=${pyStr(t.reduction)}, label_smoothing=${pyNum(t.labelSmoothing)})`;
    case 'nll':
      return `F.nll_loss(output, labels, weight=${weightArg(t.weight)}, ignore_index=${t.ignoreIndex}, reduction=${pyStr(t.reduction)})`;
    case 'bce':
      return `F.binary_cross_entropy(output, labels.to(output.dtype), reduction=${pyStr(t.reduction)})`;
    case 'bce_with_logits':
      return `F.binary_cross_entropy_with_logits(output, labels.to(output.dtype), pos_weight=${weightArg(t.posWeight)}, reduction=${pyStr(t.reduction)})`;
    case 'focal':
      return `focal_loss(output, labels, gamma=${pyNum(t.gamma)}, alpha=${pyNum(t.alpha)}, reduction=${pyStr(t.reduction)}, binary=${pyBool(t.mode === 'binary')})`;
    case 'dice':
      return `dice_loss(output, labels, smooth=${pyNum(t.smooth)}, from_logits=${pyBool(t.fromLogits)}, ignore_index=${t.ignoreIndex}, binary=${pyBool(t.mode === 'binary')})`;
    default:
      return assertNever(t, 'loss kind');
  }
}

const FOCAL = `
def focal_loss(output, labels, gamma, alpha, reduction, binary):
    """Focal loss (Lin et al. 2017) in torch ops. One channel: torchvision 0.14's sigmoid_focal_loss (p_t, bce_with_logits,
    (1 - p_t)^gamma, alpha_t). Several: -alpha (1 - p_t)^gamma log p_t with p_t = softmax(output)[label] (alpha 1 when < 0)."""
    if binary:
        targets = labels.to(output.dtype)
        p = torch.sigmoid(output)
        ce = F.binary_cross_entropy_with_logits(output, targets, reduction='none')
        p_t = p * targets + (1 - p) * (1 - targets)
        loss = ce * (1 - p_t) ** gamma
        if alpha >= 0:
            loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    else:
        log_pt = F.log_softmax(output, dim=1).gather(1, labels.unsqueeze(1)).squeeze(1)
        loss = -(alpha if alpha >= 0 else 1.0) * (1 - log_pt.exp()) ** gamma * log_pt
    return loss.mean() if reduction == 'mean' else loss.sum() if reduction == 'sum' else loss
`;

const DICE = `
def dice_loss(output, labels, smooth, from_logits, ignore_index, binary):
    """Soft Dice: 1 - mean over classes of (2 sum p t + smooth) / (sum p + sum t + smooth), summed over the batch and every
    pixel. One channel: p = sigmoid(output) (or the output), t the 0/1 target. Several: p = softmax over dim 1 (or the
    output), t the one-hot label; pixels labelled ignore_index count in no sum."""
    if binary:
        p = torch.sigmoid(output) if from_logits else output
        t = labels.to(output.dtype)
        return 1 - (2 * (p * t).sum() + smooth) / (p.sum() + t.sum() + smooth)
    classes = output.shape[1]
    p = F.softmax(output, dim=1) if from_logits else output
    keep = (labels != ignore_index).unsqueeze(1).to(output.dtype)
    onehot = F.one_hot(torch.where(labels == ignore_index, torch.zeros_like(labels), labels), classes)
    t = onehot.movedim(-1, 1).to(output.dtype) * keep
    p = p * keep
    dims = [0] + list(range(2, output.dim()))
    dice = (2 * (p * t).sum(dims) + smooth) / (p.sum(dims) + t.sum(dims) + smooth)
    return 1 - dice.mean()
`;

/** loss_fn(output, labels) -> the scalar training back-propagates; correct(output, labels) -> (correct, positions). */
export function renderLoss(planned: PlannedModel): string {
  const { loss } = planned.ir;
  const kinds = new Set(loss.terms.map((t) => t.kind));
  const parts = loss.terms.map((t, i) => {
    const call = termCall(t);
    // reduction 'none' gives one loss per element; training back-propagates their mean, as cnnc's loop does.
    const reduced = t.kind !== 'dice' && t.reduction === 'none' ? `${call}.mean()` : call;
    // The comment without the fusion note: that says how cnnc's kernels compute the gradient, which autograd does here.
    const comment = planned.lossComments[i]!.replace(` — ${planned.lossFusion.note}`, '');
    return { comment, expr: t.scale === 1 ? reduced : `${pyNum(t.scale)} * ${reduced}` };
  });
  const binary = loss.targets === 'binary';
  const first = loss.terms[0]!;
  const threshold = first.kind === 'bce' || (first.kind === 'dice' && !first.fromLogits) ? '0.5' : '0.0';
  const lines = [
    ...(kinds.has('focal') ? [FOCAL] : []),
    ...(kinds.has('dice') ? [DICE] : []),
    '',
    'def loss_fn(output, labels):',
    `    """The spec's loss${parts.length > 1 ? ', a sum of terms' : ''}. labels: ${binary ? "0/1 targets of the output's shape" : `class indices, [N${loss.labelShape.length > 0 ? ', H, W' : ''}]`} (int64)."""`,
    ...parts.map((p) => `    # ${pyComment(p.comment)}`),
    `    return ${parts.map((p) => p.expr).join(' + ')}`,
    '',
    '',
    'def correct(output, labels):',
    binary
      ? `    """Binary accuracy's counts: an output element is 1 where it is above ${threshold} (${threshold === '0.5' ? 'a probability' : 'a logit'})."""`
      : `    """Accuracy's counts: the argmax over the channels${loss.labelShape.length > 0 ? ', per pixel' : ''}${loss.ignoreIndex === null ? '' : `; labels ${loss.ignoreIndex} are skipped`}."""`,
    ...(binary
      ? [`    predicted = (output > ${threshold}).to(labels.dtype)`, '    return int((predicted == labels).sum()), labels.numel()']
      : ['    predicted = output.argmax(dim=1)',
        ...(loss.ignoreIndex === null
          ? ['    return int((predicted == labels).sum()), labels.numel()']
          : [`    keep = labels != ${loss.ignoreIndex}`, '    return int(((predicted == labels) & keep).sum()), int(keep.sum())'])]),
  ];
  return lines.join('\n');
}

function optimizerCall(o: OptimizerIR): string {
  switch (o.kind) {
    case 'sgd':
      return `torch.optim.SGD(params, lr=${pyNum(o.lr)}, momentum=${pyNum(o.momentum)}, dampening=${pyNum(o.dampening)}, weight_decay=${pyNum(o.weightDecay)}, nesterov=${pyBool(o.nesterov)})`;
    case 'adam':
    case 'adamw':
      return `torch.optim.${o.kind === 'adam' ? 'Adam' : 'AdamW'}(params, lr=${pyNum(o.lr)}, betas=${pyPair(o.betas)}, eps=${pyNum(o.eps)}, weight_decay=${pyNum(o.weightDecay)}, amsgrad=${pyBool(o.amsgrad)})`;
    case 'rmsprop':
      return `torch.optim.RMSprop(params, lr=${pyNum(o.lr)}, alpha=${pyNum(o.alpha)}, eps=${pyNum(o.eps)}, weight_decay=${pyNum(o.weightDecay)}, momentum=${pyNum(o.momentum)}, centered=${pyBool(o.centered)})`;
    case 'adagrad':
      return `torch.optim.Adagrad(params, lr=${pyNum(o.lr)}, lr_decay=${pyNum(o.lrDecay)}, weight_decay=${pyNum(o.weightDecay)}, initial_accumulator_value=${pyNum(o.initialAccumulatorValue)}, eps=${pyNum(o.eps)})`;
    case 'adadelta':
      return `torch.optim.Adadelta(params, lr=${pyNum(o.lr)}, rho=${pyNum(o.rho)}, eps=${pyNum(o.eps)}, weight_decay=${pyNum(o.weightDecay)})`;
    default:
      return assertNever(o, 'optimizer kind');
  }
}

/** torch.optim.lr_scheduler.<Class>(optimizer, <the spec's arguments>); one_cycle_lr's length defaults to the run's. */
function schedulerCall(s: ScheduleSpec): string {
  const { kind, ...args } = s;
  const kw: string[] = [];
  if (s.kind === 'sequential_lr') kw.push(`schedulers=[${s.schedulers.map(schedulerCall).join(', ')}]`, `milestones=${pyValue(s.milestones)}`);
  else {
    for (const [k, v] of Object.entries(args)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`cnnc internal error: scheduler argument ${JSON.stringify(k)}`);
      kw.push(`${k}=${pyValue(v)}`);
    }
    if (s.kind === 'one_cycle_lr' && s.total_steps === undefined) {
      if (s.epochs === undefined) kw.push('total_steps=epochs * steps_per_epoch');
      else if (s.steps_per_epoch === undefined) kw.push('steps_per_epoch=steps_per_epoch');
    }
  }
  return `torch.optim.lr_scheduler.${SCHEDULERS[kind]}(optimizer${kw.map((a) => `, ${a}`).join('')})`;
}

export function renderRecipe(planned: PlannedModel): string {
  const { optimizer, scheduler, train } = planned.ir;
  const clip = train.clip;
  const es = train.earlyStopping;
  return [
    'def build_optimizer(params):',
    `    return ${optimizerCall(optimizer)}`,
    '',
    '',
    'def build_scheduler(optimizer, epochs, steps_per_epoch):',
    `    """The learning-rate schedule${scheduler === null ? ': none (a constant lr)' : `, stepped every ${scheduler.interval}${scheduler.monitor === null ? '' : ` on ${scheduler.monitor}`}`}."""`,
    `    return ${scheduler === null ? 'None' : schedulerCall(scheduler.spec)}`,
    '',
    '',
    `SCHEDULER_INTERVAL = ${scheduler === null ? 'None' : pyStr(scheduler.interval)}`,
    `SCHEDULER_MONITOR = ${scheduler?.monitor == null ? 'None' : pyStr(scheduler.monitor)}`,
    '# train: as the spec says, with cnnc\'s defaults filled in',
    `TRAIN = ${pyValue({
      batch_size: train.batchSize, epochs: train.epochs, seed: train.seed, eval_batch_size: train.evalBatchSize, shuffle: train.shuffle,
      clip: clip === null ? null : clip.kind === 'norm' ? { kind: 'norm', max_norm: clip.maxNorm, norm_type: clip.normType } : { kind: 'value', clip_value: clip.clipValue },
      early_stopping: es === null ? null : { monitor: es.monitor, patience: es.patience, min_delta: es.minDelta, mode: es.mode },
    })}`,
  ].join('\n');
}

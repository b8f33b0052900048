// Loss, optimizer, training and data: every changed setting, and what it means where the numbers
// do not say it. The notes follow torch.nn / torch.optim semantics (PyTorch 1.13 docs).
import { describeTransform } from '../../runtime/data/transforms/pipeline.js';
import { describeSchedule, type ScheduleSpec } from '../../runtime/train/schedule.js';
import { assertNever, type DataIR, type LossIR, type ModelIR, type Node, type OptimizerIR } from '../ir/types.js';
import { jsonEqual } from './attrs.js';
import { optimizerSlotNames } from '../3-lower/totals.js';
import type { Json, RecipeSection, SettingChange } from './types.js';

type Record_ = Readonly<Record<string, Json>>;

/** Each section flattened to the spec's keys; a key the other kind lacks is null ("does not apply"). */
export function sections(m: ModelIR): Readonly<Record<RecipeSection, Record_>> {
  const l = m.loss;
  const o = m.optimizer;
  return {
    loss: lossSection(l),
    optimizer: optimizerSection(o),
    scheduler: schedulerSection(m),
    train: {
      batch_size: m.train.batchSize, epochs: m.train.epochs, seed: m.train.seed,
      // eval_batch_size: null where it is batch_size's (the default), so a batch size change is not said twice.
      eval_batch_size: m.train.evalBatchSize === m.train.batchSize ? null : m.train.evalBatchSize, shuffle: m.train.shuffle,
      clip_grad_norm: m.train.clip?.kind === 'norm' ? `max_norm ${m.train.clip.maxNorm}, norm_type ${m.train.clip.normType === Infinity ? 'inf' : m.train.clip.normType}` : null,
      clip_grad_value: m.train.clip?.kind === 'value' ? m.train.clip.clipValue : null,
      early_stopping: earlyStoppingText(m.train.earlyStopping) },
    data: dataSection(m.data),
  };
}

/** Every key of every optimizer kind, in one order; null where this kind lacks it. */
function optimizerSection(o: OptimizerIR): Record_ {
  const none = { momentum: null, dampening: null, nesterov: null, betas: null, eps: null, amsgrad: null, alpha: null, centered: null, lr_decay: null, initial_accumulator_value: null, rho: null };
  switch (o.kind) {
    case 'sgd':
      return { kind: o.kind, lr: o.lr, ...none, momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, weight_decay: o.weightDecay };
    case 'adam':
    case 'adamw':
      return { kind: o.kind, lr: o.lr, ...none, betas: [...o.betas], eps: o.eps, amsgrad: o.amsgrad, weight_decay: o.weightDecay };
    case 'rmsprop':
      return { kind: o.kind, lr: o.lr, ...none, momentum: o.momentum, eps: o.eps, alpha: o.alpha, centered: o.centered, weight_decay: o.weightDecay };
    case 'adagrad':
      return { kind: o.kind, lr: o.lr, ...none, eps: o.eps, lr_decay: o.lrDecay, initial_accumulator_value: o.initialAccumulatorValue, weight_decay: o.weightDecay };
    case 'adadelta':
      return { kind: o.kind, lr: o.lr, ...none, eps: o.eps, rho: o.rho, weight_decay: o.weightDecay };
    default:
      return assertNever(o, 'optimizer kind');
  }
}

/** The schedule as written, flattened: `kind`, then each torch argument (sequential_lr's schedulers one line each),
 *  `interval` and `monitor` where they apply; a key the other kind lacks is null. */
function schedulerSection(m: ModelIR): Record_ {
  const s = m.scheduler;
  if (s === null) return { kind: null };
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(s.spec)) {
    // sequential_lr's schedulers, each as one line: linear_lr(start_factor 0.1, total_iters 2).
    out[k] = k === 'schedulers' && Array.isArray(v) ? v.map((c: ScheduleSpec) => describeSchedule(c)) : (v as Json);
  }
  out['interval'] = s.interval;
  if (s.monitor !== null) out['monitor'] = s.monitor;
  return out;
}

function earlyStoppingText(e: ModelIR['train']['earlyStopping']): string | null {
  return e === null ? null : `monitor ${e.monitor} (${e.mode}), patience ${e.patience}, min_delta ${e.minDelta}`;
}

/** The data flattened: where the images come from, their classes, and each pipeline as one line a
 *  transform (describeTransform), so that a changed augmentation reads as a change of the recipe. */
function dataSection(d: DataIR): Record_ {
  const own = d.source === 'folder' || d.source === 'csv' ? d : null;
  return {
    source: d.source,
    path: d.source === 'idx' || d.source === 'folder' ? d.path : null,
    train: d.source === 'csv' ? d.train : null,
    test: d.source === 'csv' ? d.test : null,
    val: d.source === 'csv' ? d.val : null,
    task: d.task,
    classes: own?.classes ? [...own.classes] : null,
    val_split: d.valSplit ?? null,
    // None written: null, which the summary leaves out (as the spec does).
    transforms: d.transforms.eval.length === 0 ? null : d.transforms.eval.map(describeTransform),
    train_transforms: d.transforms.train.length === 0 ? null : d.transforms.train.map(describeTransform),
  };
}

/** The loss's terms flattened: the first term's keys as written (`kind`, `weight`, ...), a later term's
 *  as `terms[i].kind`. A key a kind lacks is null, except where null and a value say the same thing. */
function lossSection(l: LossIR): Record_ {
  const out: Record<string, Json> = {};
  l.terms.forEach((t, i) => {
    const k = (key: string): string => (i === 0 ? key : `terms[${i}].${key}`);
    const has = <K extends string>(key: K): boolean => key in t;
    const get = (key: string): Json => (t as unknown as Record<string, Json>)[key] ?? null;
    out[k('kind')] = t.kind;
    // nll has no smoothing: 0 says exactly that, so cross_entropy (ε = 0) → nll shows no smoothing change.
    out[k('label_smoothing')] = t.kind === 'cross_entropy' ? t.labelSmoothing : 0;
    out[k('weight')] = has('weight') && get('weight') !== null ? [...(get('weight') as number[])] : null;
    out[k('ignore_index')] = has('ignoreIndex') ? get('ignoreIndex') : -100;
    out[k('reduction')] = has('reduction') ? get('reduction') : 'mean';
    out[k('pos_weight')] = t.kind === 'bce_with_logits' && t.posWeight !== null ? [...t.posWeight] : null;
    out[k('gamma')] = t.kind === 'focal' ? t.gamma : null;
    out[k('alpha')] = t.kind === 'focal' ? t.alpha : null;
    out[k('smooth')] = t.kind === 'dice' ? t.smooth : null;
    out[k('from_logits')] = t.kind === 'dice' ? t.fromLogits : null;
    out[k('scale')] = t.scale;
  });
  return out;
}

export const ORDER: readonly RecipeSection[] = ['loss', 'optimizer', 'scheduler', 'train', 'data'];

export function diffSettings(a: ModelIR, b: ModelIR): SettingChange[] {
  const sa = sections(a);
  const sb = sections(b);
  const out: SettingChange[] = [];
  for (const section of ORDER) {
    const ra = sa[section];
    const rb = sb[section];
    for (const key of Object.keys(rb)) {
      const o = ra[key] ?? null;
      const n = rb[key] ?? null;
      if (jsonEqual(o, n) || notApplicableDefault(section, key, o, n)) continue;
      out.push({ section, key, old: o, new: n, note: note(section, key, o, n, b) });
    }
    if (section === 'optimizer') {
      // What a checkpoint of the old run holds besides the weights: the optimizer's slots, named as torch's state.
      const slots = (m: ModelIR) => optimizerSlotNames(m.optimizer, m.scheduler?.cyclesMomentum === true);
      const [so, sn] = [slots(a), slots(b)];
      if (!jsonEqual(so, sn)) {
        out.push({ section, key: 'state', old: so.length === 0 ? 'none' : so.join(', '), new: sn.length === 0 ? 'none' : sn.join(', '),
          note: 'the optimizer keeps other state per parameter: a checkpoint of the old run does not carry its optimizer over (the weights still load)' });
      }
    }
  }
  return out;
}

/** What a setting is when not written: a key the other optimizer lacks, at this value, says nothing. */
const DEFAULTS: Readonly<Record<string, Json>> = {
  momentum: 0, dampening: 0, nesterov: false, betas: [0.9, 0.999], eps: 1e-8, amsgrad: false, centered: false, lr_decay: 0, initial_accumulator_value: 0,
};

/** The same for a loss term added or removed: its keys at their defaults say nothing beyond its `kind`. */
const TERM_DEFAULTS: Readonly<Record<string, Json>> = { label_smoothing: 0, ignore_index: -100, reduction: 'mean', scale: 1 };

function notApplicableDefault(section: RecipeSection, key: string, o: Json, n: Json): boolean {
  if (o !== null && n !== null) return false;
  if (section === 'loss') {
    const k = key.replace(/^terms\[\d+\]\./, '');
    return k !== key && k in TERM_DEFAULTS && jsonEqual(o ?? n, TERM_DEFAULTS[k]!);
  }
  if (section === 'scheduler') return false;
  if (section !== 'optimizer' || !(key in DEFAULTS)) return false;
  return jsonEqual(o ?? n, DEFAULTS[key]!);
}

function note(section: RecipeSection, key: string, o: Json, n: Json, b: ModelIR): string | null {
  switch (section) {
    case 'loss':
      return lossNote(key, o, n, b);
    case 'optimizer':
      return optimizerNote(key, o, n);
    case 'scheduler':
      return schedulerNote(key, o, n);
    case 'train':
      return trainNote(key, o, n);
    case 'data':
      return dataNote(key === 'val_split' && o === null ? 'val_split+' : key);
    default:
      return assertNever(section, 'recipe section');
  }
}

function dataNote(key: string): string {
  switch (key) {
    case 'transforms':
      return 'the images are preprocessed differently for testing and predict (and for training, unless train_transforms is given): old weights may not fit the new inputs';
    case 'train_transforms':
      return 'the training augmentation changed: the same seed now draws different batches';
    case 'classes':
      return 'the class order changed: output index i now means another class; old weights predict the wrong names';
    case 'val_split':
      return 'a different part of train is held out for validation: the model trains on other images';
    case 'val_split+':
      return 'part of train is now held out for validation every epoch: the model trains on fewer images';
    default:
      return 'the model trains on different data';
  }
}

function lastNode(m: ModelIR): Node | undefined {
  return m.nodes.find((x) => x.name === m.output) ?? m.nodes[m.nodes.length - 1];
}

function lossNote(termKey: string, o: Json, n: Json, b: ModelIR): string | null {
  const key = termKey.replace(/^terms\[\d+\]\./, '');
  const last = lastNode(b)?.kind ?? 'input';
  if (key === 'kind' && o === null) return `a loss term added: the loss is now a sum of ${b.loss.terms.length} terms`;
  if (key === 'kind' && n === null) return 'a loss term removed';
  const other = newLossNote(key, o, n, last);
  if (other !== null) return other;
  if (key === 'kind' && n === 'nll') {
    // torch.nn.NLLLoss expects log-probabilities; CrossEntropyLoss = LogSoftmax + NLLLoss.
    const now = last === 'log_softmax' ? 'it does' : `it is \`${last}\` now`;
    return `nll expects log-probabilities: the last layer must now be log_softmax (cross_entropy applied it itself); ${now}`;
  }
  if (key === 'kind' && n === 'cross_entropy') {
    const now = last === 'softmax' || last === 'log_softmax' ? `; it is \`${last}\` now` : '';
    return `cross_entropy applies log_softmax itself: the last layer must now output raw scores (logits)${now}`;
  }
  if (key === 'label_smoothing') {
    if (o === 0) return `label smoothing added: targets become (1 − ${n})·one-hot + ${n}/classes`;
    if (n === 0) return 'label smoothing removed: targets are one-hot again';
    return null;
  }
  if (key === 'weight') {
    if (o === null) return 'class weights added: the loss is a weighted mean, rare classes count more';
    if (n === null) return 'class weights removed: every class counts the same';
    return 'class weights changed';
  }
  return null;
}

/** The loss kinds and keys after cross_entropy and nll (bce, focal, dice; reductions, scale). */
function newLossNote(key: string, o: Json, n: Json, last: string): string | null {
  if (key === 'kind') {
    switch (n) {
      case 'bce': return `bce reads probabilities, 0/1 targets per output: the last layer must be sigmoid${last === 'sigmoid' ? '' : `; it is \`${last}\` now`}`;
      case 'bce_with_logits': return 'bce_with_logits applies sigmoid itself: the model must output logits, with 0/1 targets per output';
      case 'focal': return 'focal scales each sample\'s cross-entropy by (1 − p_t)^γ: well-classified samples count less, hard ones more';
      case 'dice': return 'dice measures the overlap of each class over the whole batch: a rare class weighs as much as a common one';
      default: return null;
    }
  }
  if (key === 'reduction') {
    if (n === 'sum') return 'the loss and every gradient are summed over the batch, not averaged: steps grow with the batch size';
    if (n === 'none') return 'one loss per element: training back-propagates their plain mean';
    if (n === 'mean') return 'the loss is averaged over the batch again';
  }
  if (key === 'ignore_index') return `labels equal to ${n} are skipped now (they were ${o === null ? 'not' : `${o}`})`;
  if (key === 'scale' && typeof o === 'number' && typeof n === 'number') return `this term weighs ${ratio(o, n)} in the sum of losses`;
  if (key === 'gamma') return `focusing γ ${o} → ${n}: ${typeof n === 'number' && typeof o === 'number' && n > o ? 'easy samples count even less' : 'easy samples count more'}`;
  if (key === 'alpha') return 'the balance between positive and negative targets changed';
  if (key === 'pos_weight') return n === null ? 'positive targets count as much as negative ones again' : 'positive targets are weighted: above 1 favours recall, below 1 precision';
  if (key === 'smooth') return 'dice smoothing changed: small classes score differently';
  if (key === 'from_logits') return n === true ? 'dice applies softmax (or sigmoid) to the output itself now: the model must output logits' : 'dice reads the output as probabilities now';
  return null;
}

function optimizerNote(key: string, o: Json, n: Json): string | null {
  if (key === 'kind') {
    if (n === 'sgd') return `sgd steps along the raw gradient, without ${o}'s per-parameter scaling: an lr tuned for ${o} is usually far too small`;
    if (o === 'sgd') return `${n} scales each parameter's step by its gradient history: an lr tuned for sgd is usually far too large`;
    if (n === 'adamw' && o === 'adam') return 'adamw decays the weights directly (p ← p − lr·wd·p) instead of adding wd·p to the gradient';
    if (n === 'adam' && o === 'adamw') return 'adam adds weight decay to the gradient (L2) instead of decaying the weights directly as adamw does';
    return kindNote(n);
  }
  if (key === 'amsgrad') return n === true ? 'amsgrad: each step divides by the largest running average of the squared gradient so far, so steps never grow back' : 'amsgrad removed: steps divide by the current running average of the squared gradient';
  if (key === 'centered') return n === true ? 'centered: steps divide by an estimate of the gradient\'s variance, not its raw second moment' : 'not centered: steps divide by the raw second moment of the gradient';
  if (key === 'lr_decay') return 'adagrad\'s step t now uses lr / (1 + (t − 1)·lr_decay)';
  if (key === 'lr' && typeof o === 'number' && typeof n === 'number') return `lr ${ratio(o, n)}: each step moves the weights ${n > o ? 'further' : 'less far'}`;
  if (key === 'momentum' && (o === 0 || o === null)) return 'momentum added: steps follow a running average of the gradients';
  if (key === 'momentum' && (n === 0 || n === null)) return 'momentum removed: each step follows the current gradient alone';
  if (key === 'nesterov' && n === true) return 'Nesterov momentum: the gradient is taken after the momentum step';
  if (key === 'weight_decay' && o === 0) return 'weight decay added: weights are pulled towards zero every step';
  if (key === 'weight_decay' && n === 0) return 'weight decay removed';
  return null;
}

/** What a new optimizer kind does differently (torch.optim 1.13 docs), after one that was not sgd. */
function kindNote(n: Json): string | null {
  switch (n) {
    case 'adam': return 'adam steps along a running average of the gradient, divided by the root of a running average of its square, both bias-corrected';
    case 'adamw': return 'adamw steps as adam does and decays the weights directly (p ← p − lr·wd·p)';
    case 'rmsprop': return 'rmsprop divides each step by the root of a running average of the squared gradient, without bias correction';
    case 'adagrad': return 'adagrad divides each step by the root of the sum of all squared gradients so far: steps only shrink as training goes on';
    case 'adadelta': return 'adadelta scales each step by the ratio of running averages of past steps and of gradients: its lr is a multiplier (default 1.0), not a step size';
    default: return null;
  }
}

function schedulerNote(key: string, o: Json, n: Json): string | null {
  if (key === 'kind') {
    if (o === null) return `the learning rate now follows ${n} (it was constant); a checkpoint of the old run has no schedule state: its lr would start the schedule over`;
    if (n === null) return 'the learning rate is constant now (the schedule is gone)';
    return `the learning rate follows ${n} instead of ${o}: a checkpoint's ${o} state does not carry over, the schedule starts over`;
  }
  if (key === 'interval') return n === 'step' ? 'the scheduler steps after every batch now, not every epoch: its periods count steps' : 'the scheduler steps once an epoch now: its periods count epochs';
  if (o === null || n === null) return null; // an argument of a kind added or removed: the kind's note says it
  if (key === 'monitor') return `the plateau is judged on ${n} instead of ${o}`;
  return 'the same schedule with other arguments: the lr of every later step changes';
}

function trainNote(key: string, o: Json, n: Json): string | null {
  if (key === 'clip_grad_norm') return n === null ? 'gradients are no longer clipped by norm' : `before every step the gradients are scaled down to a total norm of at most ${String(n).split(',')[0]!.replace('max_norm ', '')}`;
  if (key === 'clip_grad_value') return n === null ? 'gradients are no longer clamped' : `before every step each gradient element is clamped to ±${n}`;
  if (key === 'early_stopping') return n === null ? 'every epoch runs again (no early stopping, no best.safetensors)' : `the run may end before its last epoch when ${String(n).split(' ')[1]} stops improving; the best epoch's weights go to best.safetensors`;
  if (key === 'shuffle') return n === false ? 'every epoch in the data\'s own order (DataLoader(shuffle=False)): batches no longer mix the data' : 'a new seeded order every epoch';
  if (key === 'eval_batch_size') return 'evaluation only: its speed and memory change, not its numbers';
  if (typeof o !== 'number' || typeof n !== 'number') return null;
  if (key === 'batch_size') {
    // Losses are batch means: a bigger batch gives a less noisy gradient but fewer steps per epoch.
    return `${ratio(n, o)} the optimizer steps per epoch, each a mean over ${n} samples instead of ${o}; the linear scaling rule would scale lr ${ratio(o, n)} to keep pace`;
  }
  if (key === 'epochs') return `${ratio(o, n)} the optimizer steps in all`;
  if (key === 'seed') return 'different initial weights and data order: the old run will not be reproduced exactly';
  return null;
}

/** `×10`, `÷4`, `×1.5` */
export function ratio(o: number, n: number): string {
  if (o === 0 || n === 0) return `${o} → ${n}`;
  const r = n / o;
  return r >= 1 ? `×${+r.toPrecision(3)}` : `÷${+(1 / r).toPrecision(3)}`;
}

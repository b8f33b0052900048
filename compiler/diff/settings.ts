// Loss, optimizer, training and data: every changed setting, and what it means where the numbers
// do not say it. The notes follow torch.nn / torch.optim semantics (PyTorch 1.13 docs).
import { assertNever, type ModelIR, type Node } from '../ir/types.js';
import { jsonEqual } from './attrs.js';
import type { Json, RecipeSection, SettingChange } from './types.js';

type Record_ = Readonly<Record<string, Json>>;

/** Each section flattened to the spec's keys; a key the other kind lacks is null ("does not apply"). */
export function sections(m: ModelIR): Readonly<Record<RecipeSection, Record_>> {
  const l = m.loss;
  const o = m.optimizer;
  return {
    // nll has no smoothing: 0 says exactly that, so cross_entropy (ε = 0) → nll shows no smoothing change.
    loss: { kind: l.kind, label_smoothing: l.kind === 'cross_entropy' ? l.labelSmoothing : 0, weight: l.weight && [...l.weight] },
    optimizer:
      o.kind === 'sgd'
        ? { kind: o.kind, lr: o.lr, momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, betas: null, eps: null, weight_decay: o.weightDecay }
        : { kind: o.kind, lr: o.lr, momentum: null, dampening: null, nesterov: null, betas: [...o.betas], eps: o.eps, weight_decay: o.weightDecay },
    train: { batch_size: m.train.batchSize, epochs: m.train.epochs, seed: m.train.seed },
    data: { source: m.data.source, path: m.data.source === 'idx' ? m.data.path : null },
  };
}

export const ORDER: readonly RecipeSection[] = ['loss', 'optimizer', 'train', 'data'];

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
  }
  return out;
}

/** What a setting is when not written: a key the other optimizer lacks, at this value, says nothing. */
const DEFAULTS: Readonly<Record<string, Json>> = { momentum: 0, dampening: 0, nesterov: false, betas: [0.9, 0.999], eps: 1e-8 };

function notApplicableDefault(section: RecipeSection, key: string, o: Json, n: Json): boolean {
  if (section !== 'optimizer' || (o !== null && n !== null) || !(key in DEFAULTS)) return false;
  return jsonEqual(o ?? n, DEFAULTS[key]!);
}

function note(section: RecipeSection, key: string, o: Json, n: Json, b: ModelIR): string | null {
  switch (section) {
    case 'loss':
      return lossNote(key, o, n, b);
    case 'optimizer':
      return optimizerNote(key, o, n);
    case 'train':
      return trainNote(key, o, n);
    case 'data':
      return 'the model trains on different data';
    default:
      return assertNever(section, 'recipe section');
  }
}

function lastNode(m: ModelIR): Node | undefined {
  return m.nodes.find((x) => x.name === m.output) ?? m.nodes[m.nodes.length - 1];
}

function lossNote(key: string, o: Json, n: Json, b: ModelIR): string | null {
  const last = lastNode(b)?.kind ?? 'input';
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

function optimizerNote(key: string, o: Json, n: Json): string | null {
  if (key === 'kind') {
    if (n === 'sgd') return `sgd steps along the raw gradient, without ${o}'s per-parameter scaling: an lr tuned for ${o} is usually far too small`;
    if (o === 'sgd') return `${n} scales each parameter's step by its gradient history: an lr tuned for sgd is usually far too large`;
    if (n === 'adamw') return 'adamw decays the weights directly (p ← p − lr·wd·p) instead of adding wd·p to the gradient';
    return 'adam adds weight decay to the gradient (L2) instead of decaying the weights directly as adamw does';
  }
  if (key === 'lr' && typeof o === 'number' && typeof n === 'number') return `lr ${ratio(o, n)}: each step moves the weights ${n > o ? 'further' : 'less far'}`;
  if (key === 'momentum' && (o === 0 || o === null)) return 'momentum added: steps follow a running average of the gradients';
  if (key === 'momentum' && (n === 0 || n === null)) return 'momentum removed: each step follows the current gradient alone';
  if (key === 'nesterov' && n === true) return 'Nesterov momentum: the gradient is taken after the momentum step';
  if (key === 'weight_decay' && o === 0) return 'weight decay added: weights are pulled towards zero every step';
  if (key === 'weight_decay' && n === 0) return 'weight decay removed';
  return null;
}

function trainNote(key: string, o: Json, n: Json): string | null {
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

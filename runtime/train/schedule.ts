// Learning-rate schedules as torch.optim.lr_scheduler 1.13 computes them, for one parameter group, in float64.
// Browser-safe: no Node API. Each kind follows PyTorch's own code path, not a textbook formula: most schedulers
// use the *chainable* form of get_lr() (the new lr from the previous one, e.g. StepLR multiplies by gamma), which
// rounds differently from the closed form; the closed form (_get_closed_form_lr) is used only where PyTorch uses it,
// when SequentialLR calls step(0) on the next scheduler at a milestone. The state is plain JSON (getState/setState),
// so a checkpoint can store it and a resumed run continues bit for bit.
//
//   const s = createSchedule({ kind: 'step_lr', step_size: 1, gamma: 0.7 }, 1.0);
//   for (const epoch of epochs) { train(s.lr()); s.step(); }          // one_cycle_lr: s.step() after each batch
//   plateau.step(valLoss);                                            // reduce_lr_on_plateau takes the metric

export type ScheduleSpec =
  | { kind: 'step_lr'; step_size: number; gamma?: number }
  | { kind: 'multistep_lr'; milestones: number[]; gamma?: number }
  | { kind: 'exponential_lr'; gamma: number }
  | { kind: 'cosine_annealing_lr'; T_max: number; eta_min?: number }
  | { kind: 'linear_lr'; start_factor?: number; end_factor?: number; total_iters?: number }
  | { kind: 'sequential_lr'; schedulers: ScheduleSpec[]; milestones: number[] }
  | {
      kind: 'one_cycle_lr';
      max_lr: number;
      total_steps?: number;
      epochs?: number;
      steps_per_epoch?: number;
      pct_start?: number;
      anneal_strategy?: 'cos' | 'linear';
      div_factor?: number;
      final_div_factor?: number;
      three_phase?: boolean;
      cycle_momentum?: boolean;
      base_momentum?: number;
      max_momentum?: number;
    }
  | {
      kind: 'reduce_lr_on_plateau';
      mode?: 'min' | 'max';
      factor?: number;
      patience?: number;
      threshold?: number;
      threshold_mode?: 'rel' | 'abs';
      cooldown?: number;
      min_lr?: number;
      eps?: number;
    };

export type ScheduleKind = ScheduleSpec['kind'];

/** Everything that changes as a schedule steps; plain JSON (the plateau's ±infinite `best` is a string). */
export interface ScheduleState {
  kind: ScheduleKind;
  /** param_group['lr'] */
  lr: number;
  /** param_group['momentum'] (SGD) or betas[0] (Adam) as one_cycle_lr sets it; null when it does not */
  momentum: number | null;
  /** last_epoch of the scheduler (SequentialLR's own, ReduceLROnPlateau's) */
  last_epoch: number;
  /** _step_count of the scheduler (0 for sequential_lr and reduce_lr_on_plateau, which keep none) */
  step_count: number;
  /** sequential_lr: each child's last_epoch and _step_count; [] otherwise */
  schedulers: { last_epoch: number; step_count: number }[];
  /** reduce_lr_on_plateau's counters; null otherwise */
  plateau: { best: number | 'inf' | '-inf'; num_bad_epochs: number; cooldown_counter: number } | null;
}

export interface Schedule {
  readonly kind: ScheduleKind;
  /** true for one_cycle_lr, which PyTorch steps after every batch; the others step once an epoch */
  readonly perBatch: boolean;
  /** the current learning rate (get_last_lr()[0]) */
  lr(): number;
  /** one_cycle_lr with cycle_momentum: the momentum (SGD) or beta1 (Adam) to use now; otherwise null */
  momentum(): number | null;
  /** scheduler.step(); reduce_lr_on_plateau needs the metric: scheduler.step(metric) */
  step(metric?: number): void;
  getState(): ScheduleState;
  setState(state: ScheduleState): void;
}

/** The optimizer's param group as PyTorch's schedulers read and write it. */
interface Group {
  lr: number;
  initial_lr: number | null;
  momentum: number | null;
}

// ---- argument checks: RangeError naming the argument --------------------------------------------------------------

function bad(where: string, arg: string, rule: string, v: unknown): never {
  throw new RangeError(`${where}: ${arg} must be ${rule}, got ${JSON.stringify(v) ?? String(v)}`);
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
function num(where: string, arg: string, v: unknown, ok: (x: number) => boolean, rule: string): number {
  if (!isNum(v) || !ok(v)) bad(where, arg, rule, v);
  return v;
}
const positive = (w: string, a: string, v: unknown) => num(w, a, v, (x) => x > 0, 'a number > 0');
const nonNeg = (w: string, a: string, v: unknown) => num(w, a, v, (x) => x >= 0, 'a number ≥ 0');
const posInt = (w: string, a: string, v: unknown) => num(w, a, v, (x) => Number.isInteger(x) && x >= 1, 'an integer ≥ 1');
const nonNegInt = (w: string, a: string, v: unknown) => num(w, a, v, (x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0');
function increasing(where: string, v: unknown, min: number): number[] {
  const rule = `a list of increasing integers ≥ ${min}`;
  if (!Array.isArray(v)) bad(where, 'milestones', rule, v);
  v.forEach((m, i) => {
    if (!(isNum(m) && Number.isInteger(m) && m >= min && (i === 0 || m > (v[i - 1] as number)))) bad(where, 'milestones', rule, v);
  });
  return v as number[];
}
function oneOf<T extends string>(where: string, arg: string, v: unknown, options: readonly T[]): T {
  if (!options.includes(v as T)) bad(where, arg, options.map((o) => `'${o}'`).join(' or '), v);
  return v as T;
}

/** bisect.bisect_right: how many of the sorted `a` are ≤ x. */
const bisectRight = (a: readonly number[], x: number) => a.filter((m) => m <= x).length;

// ---- cos, correctly rounded --------------------------------------------------------------------------------------
// Python's math.cos is the C library's (glibc's: correctly rounded in nearly every case), V8's Math.cos is fdlibm's
// (within 1 ulp, but it differs from the correctly rounded value in ~4% of the arguments these schedules use, and the
// recursive CosineAnnealingLR carries one such difference to every later step). cos() below evaluates in
// double-double (~104 bits) and rounds once, so it is the correctly rounded cosine for any argument a schedule makes.

type DD = [hi: number, lo: number];
function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}
function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return [s, b - (s - a)];
}
function split(a: number): DD {
  const c = 134217729 * a; // 2^27 + 1 (Veltkamp)
  const hi = c - (c - a);
  return [hi, a - hi];
}
function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}
function ddAdd(a: DD, b: DD): DD {
  const [s, e] = twoSum(a[0], b[0]);
  const [t, f] = twoSum(a[1], b[1]);
  const [s2, e2] = quickTwoSum(s, e + t);
  return quickTwoSum(s2, e2 + f);
}
function ddMul(a: DD, b: DD): DD {
  const [p, e] = twoProd(a[0], b[0]);
  return quickTwoSum(p, e + (a[0] * b[1] + a[1] * b[0]));
}
function ddDiv(a: DD, d: number): DD {
  const q1 = a[0] / d;
  const [p1, p2] = twoProd(q1, d);
  const [s, e] = twoSum(a[0], -p1);
  return quickTwoSum(q1, (s + (e - p2 + a[1])) / d);
}
// π/2 as three doubles (p1 = fl(π/2), p2 = fl(π/2 - p1), p3 = fl(π/2 - p1 - p2)), for the reduction x - kπ/2.
const PIO2 = [1.5707963267948966, 6.123233995736766e-17, -1.4973849048591698e-33] as const;

/** cos(x) correctly rounded (to ~2^-104 before the one rounding), |x| < 2^30; beyond that Math.cos. */
export function cos(x: number): number {
  if (!(Math.abs(x) < 2 ** 30)) return Math.cos(x);
  const k = Math.round(x / PIO2[0]);
  let r: DD = [x, 0];
  for (const p of PIO2) {
    const [h, l] = twoProd(k, p);
    r = ddAdd(r, [-h, -l]);
  }
  const quadrant = ((k % 4) + 4) % 4; // cos(r + kπ/2): cos r, -sin r, -cos r, sin r
  const r2 = ddMul(r, r);
  const sine = quadrant % 2 === 1;
  let term: DD = sine ? r : [1, 0];
  let sum = term;
  // Taylor series: each term is the last times -r² / ((2i)(2i+1)) for sin, -r² / ((2i-1)(2i)) for cos
  for (let i = 1; Math.abs(term[0]) > 1e-40; i++) {
    term = ddDiv(ddMul(term, r2), sine ? -(2 * i * (2 * i + 1)) : -((2 * i - 1) * 2 * i));
    sum = ddAdd(sum, term);
  }
  const v = quickTwoSum(sum[0], sum[1])[0];
  return quadrant === 1 || quadrant === 2 ? -v : v;
}

// ---- _LRScheduler and its subclasses ------------------------------------------------------------------------------

/** torch.optim.lr_scheduler._LRScheduler with last_epoch=-1: base_lrs from initial_lr, step() with get_lr(). */
abstract class LRScheduler {
  last_epoch = -1;
  step_count = 0;
  readonly base_lr: number;
  constructor(readonly g: Group) {
    if (g.initial_lr === null) g.initial_lr = g.lr; // group.setdefault('initial_lr', group['lr'])
    this.base_lr = g.initial_lr;
  }
  /** _initial_step(): _step_count = 0, then step() (last_epoch -1 → 0). Called once the subclass is set up. */
  initialStep(): this {
    this.step_count = 0;
    this.step();
    return this;
  }
  /** step(epoch=None): the chainable get_lr(); step(epoch) uses _get_closed_form_lr() where the class has one. */
  step(epoch?: number): void {
    this.step_count += 1;
    if (epoch === undefined) {
      this.last_epoch += 1;
      this.g.lr = this.getLr();
    } else {
      this.last_epoch = epoch;
      this.g.lr = this.closedForm() ?? this.getLr();
    }
  }
  abstract getLr(): number;
  closedForm(): number | undefined {
    return undefined;
  }
}

/** StepLR: lr * gamma when last_epoch is a nonzero multiple of step_size; closed form base_lr * gamma ** (e // step_size). */
class StepLR extends LRScheduler {
  constructor(g: Group, readonly step_size: number, readonly gamma: number) {
    super(g);
  }
  getLr() {
    const e = this.last_epoch;
    return e === 0 || e % this.step_size !== 0 ? this.g.lr : this.g.lr * this.gamma;
  }
  override closedForm() {
    return this.base_lr * this.gamma ** Math.floor(this.last_epoch / this.step_size);
  }
}

/** MultiStepLR: lr * gamma ** milestones[e] at a milestone (a count of 1: milestones are increasing here);
 *  closed form base_lr * gamma ** bisect_right(milestones, e). */
class MultiStepLR extends LRScheduler {
  constructor(g: Group, readonly milestones: number[], readonly gamma: number) {
    super(g);
  }
  getLr() {
    return this.milestones.includes(this.last_epoch) ? this.g.lr * this.gamma ** 1 : this.g.lr;
  }
  override closedForm() {
    return this.base_lr * this.gamma ** bisectRight(this.milestones, this.last_epoch);
  }
}

/** ExponentialLR: lr * gamma from last_epoch 1 on; closed form base_lr * gamma ** e. */
class ExponentialLR extends LRScheduler {
  constructor(g: Group, readonly gamma: number) {
    super(g);
  }
  getLr() {
    return this.last_epoch === 0 ? this.g.lr : this.g.lr * this.gamma;
  }
  override closedForm() {
    return this.base_lr * this.gamma ** this.last_epoch;
  }
}

/** CosineAnnealingLR's recursive form (SGDR without restarts):
 *    e = 0:                        lr
 *    _step_count 1 and e > 0:      eta_min + (base_lr - eta_min) * (1 + cos(e π / T_max)) / 2
 *    (e - 1 - T_max) % 2T_max = 0: lr + (base_lr - eta_min) * (1 - cos(π / T_max)) / 2
 *    otherwise:                    (1 + cos(π e / T_max)) / (1 + cos(π (e - 1) / T_max)) * (lr - eta_min) + eta_min
 *  closed form eta_min + (base_lr - eta_min) * (1 + cos(π e / T_max)) / 2. */
class CosineAnnealingLR extends LRScheduler {
  constructor(g: Group, readonly T_max: number, readonly eta_min: number) {
    super(g);
  }
  getLr() {
    const { last_epoch: e, T_max: T, eta_min: eta, base_lr: base } = this;
    const lr = this.g.lr;
    if (e === 0) return lr;
    if (this.step_count === 1 && e > 0) return eta + ((base - eta) * (1 + cos((e * Math.PI) / T))) / 2;
    if ((e - 1 - T) % (2 * T) === 0) return lr + ((base - eta) * (1 - cos(Math.PI / T))) / 2;
    return ((1 + cos((Math.PI * e) / T)) / (1 + cos((Math.PI * (e - 1)) / T))) * (lr - eta) + eta;
  }
  override closedForm() {
    const { last_epoch: e, T_max: T, eta_min: eta, base_lr: base } = this;
    return eta + ((base - eta) * (1 + cos((Math.PI * e) / T))) / 2;
  }
}

/** LinearLR: e = 0: lr * start_factor; e > total_iters: lr; otherwise
 *  lr * (1 + (end - start) / (total_iters * start + (e - 1) * (end - start)));
 *  closed form base_lr * (start + (end - start) * min(total_iters, e) / total_iters). */
class LinearLR extends LRScheduler {
  constructor(g: Group, readonly start: number, readonly end: number, readonly total_iters: number) {
    super(g);
  }
  getLr() {
    const { last_epoch: e, start, end, total_iters: n } = this;
    if (e === 0) return this.g.lr * start;
    if (e > n) return this.g.lr;
    return this.g.lr * (1 + (end - start) / (n * start + (e - 1) * (end - start)));
  }
  override closedForm() {
    const { last_epoch: e, start, end, total_iters: n } = this;
    return this.base_lr * (start + ((end - start) * Math.min(n, e)) / n);
  }
}

interface Phase {
  end_step: number;
  start_lr: 'initial_lr' | 'max_lr' | 'min_lr';
  end_lr: 'initial_lr' | 'max_lr' | 'min_lr';
  start_momentum: 'max_momentum' | 'base_momentum';
  end_momentum: 'max_momentum' | 'base_momentum';
}

/** OneCycleLR: piecewise annealing between initial_lr = max_lr / div_factor, max_lr and
 *  min_lr = initial_lr / final_div_factor (and momentum between max_momentum and base_momentum) over phases ending at
 *  pct_start * total_steps - 1, [2 * pct_start * total_steps - 2,] total_steps - 1; pct = (step - start) / (end - start),
 *  cos: end + (start - end) / 2 * (cos(π pct) + 1); linear: (end - start) * pct + start. */
class OneCycleLR extends LRScheduler {
  readonly phases: Phase[];
  readonly lrs: Record<Phase['start_lr'], number>;
  readonly moms: Record<Phase['start_momentum'], number>;
  constructor(
    g: Group,
    readonly total_steps: number,
    pct_start: number,
    readonly anneal: 'cos' | 'linear',
    max_lr: number,
    div_factor: number,
    final_div_factor: number,
    three_phase: boolean,
    readonly cycle_momentum: boolean,
    base_momentum: number,
    max_momentum: number,
  ) {
    const initial_lr = max_lr / div_factor;
    g.initial_lr = initial_lr; // OneCycleLR sets group['initial_lr'] before _LRScheduler.__init__
    if (cycle_momentum) g.momentum = max_momentum;
    super(g);
    this.lrs = { initial_lr, max_lr, min_lr: initial_lr / final_div_factor };
    this.moms = { max_momentum, base_momentum };
    const p1 = pct_start * total_steps - 1;
    this.phases = three_phase
      ? [
          { end_step: p1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' },
          { end_step: 2 * pct_start * total_steps - 2, start_lr: 'max_lr', end_lr: 'initial_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
          { end_step: total_steps - 1, start_lr: 'initial_lr', end_lr: 'min_lr', start_momentum: 'max_momentum', end_momentum: 'max_momentum' },
        ]
      : [
          { end_step: p1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' },
          { end_step: total_steps - 1, start_lr: 'max_lr', end_lr: 'min_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
        ];
  }
  annealFn(start: number, end: number, pct: number) {
    return this.anneal === 'cos' ? end + ((start - end) / 2.0) * (cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }
  getLr() {
    const step_num = this.last_epoch;
    if (step_num > this.total_steps) {
      throw new RangeError(`one_cycle_lr: tried to step ${step_num + 1} times; the specified number of total steps is ${this.total_steps}`);
    }
    let start_step = 0;
    for (const [i, phase] of this.phases.entries()) {
      const end_step = phase.end_step;
      if (step_num <= end_step || i === this.phases.length - 1) {
        const pct = (step_num - start_step) / (end_step - start_step);
        if (this.cycle_momentum) this.g.momentum = this.annealFn(this.moms[phase.start_momentum], this.moms[phase.end_momentum], pct);
        return this.annealFn(this.lrs[phase.start_lr], this.lrs[phase.end_lr], pct);
      }
      start_step = phase.end_step;
    }
    throw new Error('unreachable: the last phase always matches');
  }
}

/** SequentialLR: the children are constructed on the same group (each taking its initial step), then the lr is reset
 *  to initial_lr, every child's last_epoch goes back by one, and the first child takes its initial step again.
 *  step(): last_epoch += 1; the child bisect_right(milestones, last_epoch) steps, with step(0) (its closed form) on
 *  the epoch of its milestone. */
class SequentialLR {
  last_epoch = 0;
  constructor(readonly g: Group, readonly children: LRScheduler[], readonly milestones: number[]) {
    g.lr = g.initial_lr as number;
    for (const c of children) c.last_epoch -= 1;
    children[0]!.initialStep();
  }
  step() {
    this.last_epoch += 1;
    const idx = bisectRight(this.milestones, this.last_epoch);
    const child = this.children[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.last_epoch) child.step(0);
    else child.step();
  }
}

/** ReduceLROnPlateau.step(metrics): is_better against best (rel: a < best * (1 - threshold) in min mode,
 *  a > best * (threshold + 1) in max mode; abs: best ∓ threshold), num_bad_epochs reset in cooldown, and after more
 *  than `patience` bad epochs lr = max(lr * factor, min_lr), applied only if lr - new_lr > eps. */
class ReduceLROnPlateau {
  last_epoch = 0;
  best: number;
  num_bad_epochs = 0;
  cooldown_counter = 0;
  constructor(
    readonly g: Group,
    readonly mode: 'min' | 'max',
    readonly factor: number,
    readonly patience: number,
    readonly threshold: number,
    readonly threshold_mode: 'rel' | 'abs',
    readonly cooldown: number,
    readonly min_lr: number,
    readonly eps: number,
  ) {
    this.best = mode === 'min' ? Infinity : -Infinity; // mode_worse
  }
  isBetter(a: number, best: number) {
    if (this.mode === 'min' && this.threshold_mode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.threshold_mode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }
  step(current: number) {
    this.last_epoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.num_bad_epochs = 0;
    } else this.num_bad_epochs += 1;
    if (this.cooldown_counter > 0) {
      this.cooldown_counter -= 1;
      this.num_bad_epochs = 0;
    }
    if (this.num_bad_epochs > this.patience) {
      const old_lr = this.g.lr;
      const new_lr = Math.max(old_lr * this.factor, this.min_lr);
      if (old_lr - new_lr > this.eps) this.g.lr = new_lr;
      this.cooldown_counter = this.cooldown;
      this.num_bad_epochs = 0;
    }
  }
}

// ---- construction from a spec ------------------------------------------------------------------------------------

/** one_cycle_lr's total steps: total_steps if given (PyTorch's precedence), else epochs * steps_per_epoch. */
export function oneCycleTotalSteps(spec: Extract<ScheduleSpec, { kind: 'one_cycle_lr' }>): number {
  const w = 'one_cycle_lr';
  if (spec.total_steps !== undefined) return posInt(w, 'total_steps', spec.total_steps);
  if (spec.epochs === undefined && spec.steps_per_epoch === undefined) bad(w, 'total_steps', 'given (or epochs and steps_per_epoch)', undefined);
  return posInt(w, 'epochs', spec.epochs) * posInt(w, 'steps_per_epoch', spec.steps_per_epoch);
}

function build(spec: ScheduleSpec, g: Group, where: string): LRScheduler | SequentialLR | ReduceLROnPlateau {
  const w = where + spec.kind;
  switch (spec.kind) {
    case 'step_lr':
      return new StepLR(g, posInt(w, 'step_size', spec.step_size), positive(w, 'gamma', spec.gamma ?? 0.1)).initialStep();
    case 'multistep_lr':
      return new MultiStepLR(g, increasing(w, spec.milestones, 0), positive(w, 'gamma', spec.gamma ?? 0.1)).initialStep();
    case 'exponential_lr':
      return new ExponentialLR(g, positive(w, 'gamma', spec.gamma)).initialStep();
    case 'cosine_annealing_lr':
      return new CosineAnnealingLR(g, posInt(w, 'T_max', spec.T_max), nonNeg(w, 'eta_min', spec.eta_min ?? 0)).initialStep();
    case 'linear_lr': {
      const start = num(w, 'start_factor', spec.start_factor ?? 1 / 3, (x) => x > 0 && x <= 1, 'in (0, 1]');
      const end = num(w, 'end_factor', spec.end_factor ?? 1.0, (x) => x >= 0 && x <= 1, 'in [0, 1]');
      return new LinearLR(g, start, end, posInt(w, 'total_iters', spec.total_iters ?? 5)).initialStep();
    }
    case 'one_cycle_lr': {
      const total = oneCycleTotalSteps(spec);
      const pct = num(w, 'pct_start', spec.pct_start ?? 0.3, (x) => x >= 0 && x <= 1, 'in [0, 1]');
      const anneal = oneOf(w, 'anneal_strategy', spec.anneal_strategy ?? 'cos', ['cos', 'linear'] as const);
      const cycle = spec.cycle_momentum ?? true;
      if (typeof cycle !== 'boolean') bad(w, 'cycle_momentum', 'true or false', cycle);
      const three = spec.three_phase ?? false;
      if (typeof three !== 'boolean') bad(w, 'three_phase', 'true or false', three);
      const mom = (a: string, v: unknown) => num(w, a, v, (x) => x >= 0 && x < 1, 'in [0, 1)');
      return new OneCycleLR(
        g, total, pct, anneal, positive(w, 'max_lr', spec.max_lr), positive(w, 'div_factor', spec.div_factor ?? 25),
        positive(w, 'final_div_factor', spec.final_div_factor ?? 1e4), three, cycle,
        mom('base_momentum', spec.base_momentum ?? 0.85), mom('max_momentum', spec.max_momentum ?? 0.95),
      ).initialStep();
    }
    case 'sequential_lr': {
      const specs = spec.schedulers;
      if (!Array.isArray(specs) || specs.length === 0) bad(w, 'schedulers', 'a non-empty list', specs);
      const milestones = increasing(w, spec.milestones, 1);
      if (milestones.length !== specs.length - 1) bad(w, 'milestones', `one fewer than the schedulers (${specs.length - 1})`, spec.milestones);
      const children = specs.map((s, i) => {
        const kind = (s as { kind?: unknown } | null)?.kind;
        if (kind === 'sequential_lr' || kind === 'reduce_lr_on_plateau' || kind === 'one_cycle_lr') {
          bad(w, `schedulers[${i}]`, 'an epoch scheduler other than sequential_lr, reduce_lr_on_plateau and one_cycle_lr', kind);
        }
        return build(s, g, `${w}.schedulers[${i}]: `) as LRScheduler;
      });
      return new SequentialLR(g, children, milestones);
    }
    case 'reduce_lr_on_plateau':
      return new ReduceLROnPlateau(
        g,
        oneOf(w, 'mode', spec.mode ?? 'min', ['min', 'max'] as const),
        num(w, 'factor', spec.factor ?? 0.1, (x) => x > 0 && x < 1, 'in (0, 1)'),
        nonNegInt(w, 'patience', spec.patience ?? 10),
        nonNeg(w, 'threshold', spec.threshold ?? 1e-4),
        oneOf(w, 'threshold_mode', spec.threshold_mode ?? 'rel', ['rel', 'abs'] as const),
        nonNegInt(w, 'cooldown', spec.cooldown ?? 0),
        nonNeg(w, 'min_lr', spec.min_lr ?? 0),
        nonNeg(w, 'eps', spec.eps ?? 1e-8),
      );
    default: {
      const kind = (spec as { kind?: unknown }).kind;
      return bad(where.replace(/: $/, '') || 'scheduler', 'kind', 'a known scheduler kind', kind);
    }
  }
}

/** A schedule for `spec` on an optimizer whose lr is `baseLr` (one_cycle_lr sets its own, from max_lr). */
export function createSchedule(spec: ScheduleSpec, baseLr: number): Schedule {
  num('scheduler', 'base lr', baseLr, (x) => x >= 0, 'a number ≥ 0');
  const g: Group = { lr: baseLr, initial_lr: null, momentum: null };
  const s = build(spec, g, '');
  const kind = spec.kind;
  const fail = (what: string): never => {
    throw new TypeError(`${kind} scheduler state: ${what}`);
  };
  const int = (v: unknown, what: string) => (Number.isInteger(v) ? (v as number) : fail(`${what} must be an integer`));
  return {
    kind,
    perBatch: kind === 'one_cycle_lr',
    lr: () => g.lr,
    momentum: () => g.momentum,
    step(metric?: number) {
      if (s instanceof ReduceLROnPlateau) {
        if (typeof metric !== 'number') throw new TypeError(`reduce_lr_on_plateau: step() needs the metric, got ${String(metric)}`);
        s.step(metric);
      } else s.step();
    },
    getState: () => ({
      kind,
      lr: g.lr,
      momentum: g.momentum,
      last_epoch: s.last_epoch,
      step_count: s instanceof LRScheduler ? s.step_count : 0,
      schedulers: s instanceof SequentialLR ? s.children.map((c) => ({ last_epoch: c.last_epoch, step_count: c.step_count })) : [],
      plateau:
        s instanceof ReduceLROnPlateau
          ? { best: isNum(s.best) ? s.best : s.best > 0 ? 'inf' : '-inf', num_bad_epochs: s.num_bad_epochs, cooldown_counter: s.cooldown_counter }
          : null,
    }),
    setState(st: ScheduleState) {
      if (st === null || typeof st !== 'object') fail('not an object');
      if (st.kind !== kind) fail(`kind is ${JSON.stringify(st.kind)}, the spec's is ${kind}`);
      if (!isNum(st.lr)) fail('lr must be a finite number');
      if (g.momentum === null ? st.momentum !== null : !isNum(st.momentum)) fail(`momentum must be ${g.momentum === null ? 'null' : 'a finite number'}`);
      const lastEpoch = int(st.last_epoch, 'last_epoch');
      const stepCount = int(st.step_count, 'step_count');
      const kids = s instanceof SequentialLR ? s.children : [];
      if (!Array.isArray(st.schedulers) || st.schedulers.length !== kids.length) fail(`schedulers must list ${kids.length}`);
      const kidStates = kids.map((_, i) => [int(st.schedulers[i]?.last_epoch, `schedulers[${i}].last_epoch`), int(st.schedulers[i]?.step_count, `schedulers[${i}].step_count`)] as const);
      let plateau: [number, number, number] | null = null;
      if (s instanceof ReduceLROnPlateau) {
        const p = st.plateau ?? fail('plateau missing');
        const best = p.best === 'inf' ? Infinity : p.best === '-inf' ? -Infinity : isNum(p.best) ? p.best : fail('plateau.best must be a number, "inf" or "-inf"');
        plateau = [best, int(p.num_bad_epochs, 'plateau.num_bad_epochs'), int(p.cooldown_counter, 'plateau.cooldown_counter')];
      }
      // all checked: apply
      g.lr = st.lr;
      g.momentum = st.momentum;
      s.last_epoch = lastEpoch;
      if (s instanceof LRScheduler) s.step_count = stepCount;
      kids.forEach((c, i) => ([c.last_epoch, c.step_count] = kidStates[i]!));
      if (s instanceof ReduceLROnPlateau && plateau) [s.best, s.num_bad_epochs, s.cooldown_counter] = plateau;
    },
  };
}

/** A schedule as one line, torch's names and the arguments as written: `step_lr(step_size 1, gamma 0.7)`,
 *  `sequential_lr(schedulers [linear_lr(total_iters 2), cosine_annealing_lr(T_max 8)], milestones [2])`. */
export function describeSchedule(spec: ScheduleSpec): string {
  const { kind, ...args } = spec;
  const value = (k: string, v: unknown): string =>
    k === 'schedulers' && Array.isArray(v) ? `[${v.map((c: ScheduleSpec) => describeSchedule(c)).join(', ')}]` : Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
  const parts = Object.entries(args).map(([k, v]) => `${k} ${value(k, v)}`);
  return parts.length === 0 ? kind : `${kind}(${parts.join(', ')})`;
}

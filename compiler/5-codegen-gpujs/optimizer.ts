// The optimizer step as kernels over the flat parameter vector P (and its gradient G), with the
// update rules of runtime/optim.ts (torch.optim 1.13, single-tensor path), arithmetic in float32.
// Hyperparameters fixed by the spec are literals; what changes per step or with setLearningRate
// (lr, bias corrections, whether SGD's momentum buffer starts now) is a kernel argument, computed on
// the host in float64 as torch computes those scalars in Python.
//   sgd:   d = g + wd·p;  buf = first ? d : momentum·buf + (1 − dampening)·d;  p −= lr·(nesterov ? d + momentum·buf : buf)
//   adam:  g' = g + wd·p;  adamw: p·(1 − lr·wd) first.  m = β1·m + (1 − β1)·g';  v = β2·v + (1 − β2)·g'²;
//          p = p' − (lr / (1 − β1^t))·m / (√v / √(1 − β2^t) + eps);  amsgrad: vmax = max(vmax, v), divided by √vmax
//   rmsprop: g' = g + wd·p;  sq = α·sq + (1 − α)·g'²;  centered: ga = α·ga + (1 − α)·g', avg = √(sq − ga²) + eps, else √sq + eps;
//          momentum: buf = momentum·buf + g'/avg, p −= lr·buf; else p −= lr·g'/avg
//   adagrad: g' = g + wd·p;  sum += g'² (sum starts at initial_accumulator_value: the layout's slotInit);  p −= clr·g'/(√sum + eps),
//          clr = lr / (1 + (t − 1)·lr_decay) on the host
//   adadelta: g' = g + wd·p;  sq = ρ·sq + (1 − ρ)·g'²;  delta = √(acc + eps)/√(sq + eps)·g';  acc = ρ·acc + (1 − ρ)·delta²;  p −= lr·delta
// One kernel per output (gpu.js kernels return one value): the moments first, then P reads them.
import { assertNever, type OptimizerIR } from '../ir/types.js';
import { flt, type GpuKernel } from './kernel.js';

export interface OptimizerCode {
  readonly comment: string;
  readonly kernels: readonly GpuKernel[];
  /** Slot kinds in torch's state order. */
  readonly slots: readonly string[];
  /** Statements of optimizerSteps() (generator code). */
  readonly steps: readonly string[];
  /** Each slot's starting value where one is not 0 (the layout's slotInit). */
  readonly slotInit?: readonly number[];
}

export function emitOptimizer(o: OptimizerIR, size: number): OptimizerCode {
  const len = { total: size };
  switch (o.kind) {
    case 'sgd': {
      const d = o.weightDecay === 0 ? 'const d = G[i];' : `const d = G[i] + ${flt(o.weightDecay)} * P[i];`;
      if (o.momentum === 0) {
        return {
          comment: `optimizer: sgd lr ${o.lr}, weight_decay ${o.weightDecay} (no momentum: no slot)`,
          slots: [],
          kernels: [{ suffix: 'param', params: ['P', 'G', 'lr'], length: len, body: `const i = this.thread.x;\n${d}\nreturn P[i] - lr * d;` }],
          steps: ['this.setParams(yield this.run(optim_param, 1, this.P, this.G, this.lr));'],
        };
      }
      const m = flt(o.momentum);
      return {
        comment: `optimizer: sgd lr ${o.lr}, momentum ${o.momentum}, dampening ${o.dampening}${o.nesterov ? ', nesterov' : ''}, weight_decay ${o.weightDecay}`,
        slots: ['momentum_buffer'],
        kernels: [
          { suffix: 'buf', params: ['P', 'G', 'B', 'first'], length: len, body: `const i = this.thread.x;\n${d}\nreturn first > 0 ? d : B[i] * ${m} + ${flt(1 - o.dampening)} * d;` },
          {
            suffix: 'param',
            params: ['P', 'G', 'B', 'lr'],
            length: len,
            body: o.nesterov ? `const i = this.thread.x;\n${d}\nreturn P[i] - lr * (d + ${m} * B[i]);` : `const i = this.thread.x;\nreturn P[i] - lr * B[i];`,
          },
        ],
        steps: [
          'const buf = yield this.run(optim_buf, 1, this.P, this.G, this.slots[0], this.stepCount === 0 ? 1 : 0);',
          'this.setParams(yield this.run(optim_param, 1, this.P, this.G, buf, this.lr));',
          'this.setSlot(0, buf);',
        ],
      };
    }
    case 'adam':
    case 'adamw': {
      const [b1, b2] = o.betas;
      const decoupled = o.kind === 'adamw';
      const g = decoupled || o.weightDecay === 0 ? 'const g = G[i];' : `const g = G[i] + ${flt(o.weightDecay)} * P[i];`;
      // amsgrad: the param kernel divides by the running maximum of v (its own kernel, torch's max_exp_avg_sq).
      const vmax = o.amsgrad
        ? [{ suffix: 'maxexpavgsq', params: ['V', 'X'], length: len, body: 'const i = this.thread.x;\nreturn Math.max(X[i], V[i]);' }]
        : [];
      return {
        comment: `optimizer: ${o.kind} lr ${o.lr}, betas (${b1}, ${b2}), eps ${o.eps}, weight_decay ${o.weightDecay}${o.amsgrad ? ', amsgrad' : ''}`,
        slots: o.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'],
        kernels: [
          { suffix: 'expavg', params: ['P', 'G', 'M'], length: len, body: `const i = this.thread.x;\n${g}\nreturn M[i] * ${flt(b1)} + ${flt(1 - b1)} * g;` },
          { suffix: 'expavgsq', params: ['P', 'G', 'V'], length: len, body: `const i = this.thread.x;\n${g}\nreturn V[i] * ${flt(b2)} + ${flt(1 - b2)} * g * g;` },
          ...vmax,
          {
            suffix: 'param',
            params: ['P', 'M', 'V', 'stepSize', 'bc2sqrt', 'decay'],
            length: len,
            body: `const i = this.thread.x;\nconst denom = Math.sqrt(V[i]) / bc2sqrt + ${flt(o.eps)};\nreturn P[i] * decay - stepSize * (M[i] / denom);`,
          },
        ],
        steps: [
          'const t = this.stepCount + 1;',
          `const stepSize = gj.adamStepSize(this.lr, ${flt(b1)}, t);`,
          `const bc2sqrt = gj.adamBiasCorrection2Sqrt(${flt(b2)}, t);`,
          `const decay = ${decoupled ? `1 - this.lr * ${flt(o.weightDecay)}` : '1'};`,
          'const m = yield this.run(optim_expavg, 1, this.P, this.G, this.slots[0]);',
          'const v = yield this.run(optim_expavgsq, 1, this.P, this.G, this.slots[1]);',
          ...(o.amsgrad
            ? [
              'const x = yield this.run(optim_maxexpavgsq, 1, v, this.slots[2]);',
              'this.setParams(yield this.run(optim_param, 1, this.P, m, x, stepSize, bc2sqrt, decay));',
              'this.setSlot(2, x);',
            ]
            : ['this.setParams(yield this.run(optim_param, 1, this.P, m, v, stepSize, bc2sqrt, decay));']),
          'this.setSlot(0, m);',
          'this.setSlot(1, v);',
        ],
      };
    }
    case 'rmsprop':
      return rmsprop(o, len);
    case 'adagrad':
      return adagrad(o, len);
    case 'adadelta':
      return adadelta(o, len);
    default:
      return assertNever(o, 'optimizer kind');
  }
}

type Len = GpuKernel['length'];
type Of<K extends OptimizerIR['kind']> = Extract<OptimizerIR, { kind: K }>;

/** `const g = G[i] + wd·P[i];` (L2 added to the gradient, as torch's rmsprop, adagrad and adadelta do). */
function l2(weightDecay: number): string {
  return weightDecay === 0 ? 'const g = G[i];' : `const g = G[i] + ${flt(weightDecay)} * P[i];`;
}

function rmsprop(o: Of<'rmsprop'>, len: Len): OptimizerCode {
  const [a, a1, g] = [flt(o.alpha), flt(1 - o.alpha), l2(o.weightDecay)];
  const momentum = o.momentum > 0;
  // Slots in torch's order: square_avg, momentum_buffer (momentum > 0), grad_avg (centered).
  const slots = ['square_avg', ...(momentum ? ['momentum_buffer'] : []), ...(o.centered ? ['grad_avg'] : [])];
  const at = (s: string) => slots.indexOf(s);
  const avg = o.centered ? `Math.sqrt(S[i] - A[i] * A[i]) + ${flt(o.eps)}` : `Math.sqrt(S[i]) + ${flt(o.eps)}`;
  const avgParams = o.centered ? ['S', 'A'] : ['S'];
  const avgArgs = o.centered ? 'sq, ga' : 'sq';
  const kernels: GpuKernel[] = [
    { suffix: 'sqavg', params: ['P', 'G', 'S'], length: len, body: `const i = this.thread.x;\n${g}\nreturn S[i] * ${a} + ${a1} * g * g;` },
    ...(o.centered ? [{ suffix: 'gradavg', params: ['P', 'G', 'A'], length: len, body: `const i = this.thread.x;\n${g}\nreturn A[i] * ${a} + ${a1} * g;` }] : []),
    ...(momentum
      ? [
        { suffix: 'buf', params: ['P', 'G', ...avgParams, 'B'], length: len, body: `const i = this.thread.x;\n${g}\nreturn B[i] * ${flt(o.momentum)} + g / (${avg});` },
        { suffix: 'param', params: ['P', 'B', 'lr'], length: len, body: 'const i = this.thread.x;\nreturn P[i] - lr * B[i];' },
      ]
      : [{ suffix: 'param', params: ['P', 'G', ...avgParams, 'lr'], length: len, body: `const i = this.thread.x;\n${g}\nreturn P[i] - lr * (g / (${avg}));` }]),
  ];
  const steps = [
    `const sq = yield this.run(optim_sqavg, 1, this.P, this.G, this.slots[${at('square_avg')}]);`,
    ...(o.centered ? [`const ga = yield this.run(optim_gradavg, 1, this.P, this.G, this.slots[${at('grad_avg')}]);`] : []),
    ...(momentum
      ? [
        `const buf = yield this.run(optim_buf, 1, this.P, this.G, ${avgArgs}, this.slots[${at('momentum_buffer')}]);`,
        'this.setParams(yield this.run(optim_param, 1, this.P, buf, this.lr));',
        `this.setSlot(${at('momentum_buffer')}, buf);`,
      ]
      : [`this.setParams(yield this.run(optim_param, 1, this.P, this.G, ${avgArgs}, this.lr));`]),
    `this.setSlot(${at('square_avg')}, sq);`,
    ...(o.centered ? [`this.setSlot(${at('grad_avg')}, ga);`] : []),
  ];
  return {
    comment: `optimizer: rmsprop lr ${o.lr}, alpha ${o.alpha}, eps ${o.eps}, weight_decay ${o.weightDecay}, momentum ${o.momentum}${o.centered ? ', centered' : ''}`,
    slots,
    kernels,
    steps,
  };
}

function adagrad(o: Of<'adagrad'>, len: Len): OptimizerCode {
  const g = l2(o.weightDecay);
  return {
    comment: `optimizer: adagrad lr ${o.lr}, lr_decay ${o.lrDecay}, weight_decay ${o.weightDecay}, initial_accumulator_value ${o.initialAccumulatorValue}, eps ${o.eps}`,
    slots: ['sum'],
    // torch's sum starts at initial_accumulator_value (full_like), as the host's slot does.
    ...(o.initialAccumulatorValue !== 0 ? { slotInit: [o.initialAccumulatorValue] } : {}),
    kernels: [
      { suffix: 'sum', params: ['P', 'G', 'S'], length: len, body: `const i = this.thread.x;\n${g}\nreturn S[i] + g * g;` },
      { suffix: 'param', params: ['P', 'G', 'S', 'clr'], length: len, body: `const i = this.thread.x;\n${g}\nreturn P[i] - clr * (g / (Math.sqrt(S[i]) + ${flt(o.eps)}));` },
    ],
    steps: [
      `const clr = this.lr / (1 + this.stepCount * ${flt(o.lrDecay)});`,
      'const s = yield this.run(optim_sum, 1, this.P, this.G, this.slots[0]);',
      'this.setParams(yield this.run(optim_param, 1, this.P, this.G, s, clr));',
      'this.setSlot(0, s);',
    ],
  };
}

function adadelta(o: Of<'adadelta'>, len: Len): OptimizerCode {
  const [r, r1, e, g] = [flt(o.rho), flt(1 - o.rho), flt(o.eps), l2(o.weightDecay)];
  // delta reads the old acc_delta, so the param and acc_delta kernels both compute it from (G, new sq, old acc).
  const delta = `const delta = Math.sqrt(D[i] + ${e}) / Math.sqrt(S[i] + ${e}) * g;`;
  return {
    comment: `optimizer: adadelta lr ${o.lr}, rho ${o.rho}, eps ${o.eps}, weight_decay ${o.weightDecay}`,
    slots: ['square_avg', 'acc_delta'],
    kernels: [
      { suffix: 'sqavg', params: ['P', 'G', 'S'], length: len, body: `const i = this.thread.x;\n${g}\nreturn S[i] * ${r} + ${r1} * g * g;` },
      { suffix: 'accdelta', params: ['P', 'G', 'S', 'D'], length: len, body: `const i = this.thread.x;\n${g}\n${delta}\nreturn D[i] * ${r} + ${r1} * delta * delta;` },
      { suffix: 'param', params: ['P', 'G', 'S', 'D', 'lr'], length: len, body: `const i = this.thread.x;\n${g}\n${delta}\nreturn P[i] - lr * delta;` },
    ],
    steps: [
      'const sq = yield this.run(optim_sqavg, 1, this.P, this.G, this.slots[0]);',
      'const acc = yield this.run(optim_accdelta, 1, this.P, this.G, sq, this.slots[1]);',
      'this.setParams(yield this.run(optim_param, 1, this.P, this.G, sq, this.slots[1], this.lr));',
      'this.setSlot(0, sq);',
      'this.setSlot(1, acc);',
    ],
  };
}

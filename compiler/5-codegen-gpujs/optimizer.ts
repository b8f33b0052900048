// The optimizer step as kernels over the flat parameter vector P (and its gradient G), with the
// update rules of runtime/optim.ts (torch.optim 1.13, single-tensor path), arithmetic in float32.
// Hyperparameters fixed by the spec are literals; what changes per step or with setLearningRate
// (lr, bias corrections, whether SGD's momentum buffer starts now) is a kernel argument, computed on
// the host in float64 as torch computes those scalars in Python.
//   sgd:   d = g + wd·p;  buf = first ? d : momentum·buf + (1 − dampening)·d;  p −= lr·(nesterov ? d + momentum·buf : buf)
//   adam:  g' = g + wd·p;  adamw: p·(1 − lr·wd) first.  m = β1·m + (1 − β1)·g';  v = β2·v + (1 − β2)·g'²;
//          p = p' − (lr / (1 − β1^t))·m / (√v / √(1 − β2^t) + eps)
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
      return {
        comment: `optimizer: ${o.kind} lr ${o.lr}, betas (${b1}, ${b2}), eps ${o.eps}, weight_decay ${o.weightDecay}`,
        slots: ['exp_avg', 'exp_avg_sq'],
        kernels: [
          { suffix: 'expavg', params: ['P', 'G', 'M'], length: len, body: `const i = this.thread.x;\n${g}\nreturn M[i] * ${flt(b1)} + ${flt(1 - b1)} * g;` },
          { suffix: 'expavgsq', params: ['P', 'G', 'V'], length: len, body: `const i = this.thread.x;\n${g}\nreturn V[i] * ${flt(b2)} + ${flt(1 - b2)} * g * g;` },
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
          'this.setParams(yield this.run(optim_param, 1, this.P, m, v, stepSize, bc2sqrt, decay));',
          'this.setSlot(0, m);',
          'this.setSlot(1, v);',
        ],
      };
    }
    default:
      return assertNever(o, 'optimizer kind');
  }
}

// An InitRule as the literal that generated code passes to rt.initParameter, for both targets (TypeScript
// and gpu.js), and the comment that names the spec's torch.nn.init call where the rule is not PyTorch's default.
import { assertNever, type InitRule, type ParamInfo } from '../ir/types.js';
import { lit } from './kit.js';

export function initText(r: InitRule): string {
  switch (r.kind) {
    case 'kaiming_uniform': return `{ kind: 'kaiming_uniform', fanIn: ${lit(r.fanIn)} }`;
    case 'uniform': return `{ kind: 'uniform', bound: ${lit(r.bound)} }`;
    case 'uniform_range': return `{ kind: 'uniform_range', a: ${lit(r.a)}, b: ${lit(r.b)} }`;
    case 'normal': return `{ kind: 'normal', mean: ${lit(r.mean)}, std: ${lit(r.std)} }`;
    case 'trunc_normal': return `{ kind: 'trunc_normal', mean: ${lit(r.mean)}, std: ${lit(r.std)}, a: ${lit(r.a)}, b: ${lit(r.b)} }`;
    case 'orthogonal': return `{ kind: 'orthogonal', rows: ${lit(r.rows)}, cols: ${lit(r.cols)}, gain: ${lit(r.gain)} }`;
    case 'constant': return `{ kind: 'constant', val: ${lit(r.val)} }`;
    case 'ones': return `{ kind: 'ones' }`;
    case 'zeros': return `{ kind: 'zeros' }`;
    default: return assertNever(r, 'init rule');
  }
}

/** ` // init: torch.nn.init.xavier_uniform_(gain=1)` for a rule the spec chose; '' for PyTorch's default. */
export function initComment(p: ParamInfo): string {
  return p.initFrom === undefined ? '' : ` // init: torch.nn.init.${p.initFrom}`;
}

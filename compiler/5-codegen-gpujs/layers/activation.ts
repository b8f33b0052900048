// Elementwise activations, from their rules (compiler/ir/activations.ts), as the TypeScript target
// computes them: one thread per element, forward y = f(x), backward dX from dY and the saved x or y.
import { ruleOf, withOperand } from '../../ir/activations.js';
import type { ActivationNode } from '../../ir/types.js';
import { call, flt, type Ctx, type LayerCode } from '../kernel.js';

export function emitActivation(node: ActivationNode, c: Ctx): LayerCode {
  const rule = ruleOf(node);
  const saved = rule.saved;
  const kernel = (operand: string, formula: (v: string) => string, head: string | null): string => {
    const { bind, expr } = withOperand(operand, formula);
    return [head, bind, `return ${expr};`].filter((l) => l !== null).join('\n');
  };
  const fwd = kernel('x[this.thread.x]', (v) => rule.forward(v, node, flt), null);
  const bwd = kernel(`${saved}[i]`, (v) => rule.backward('dY[i]', v, node, flt), 'const i = this.thread.x;');
  const back = c.backward && c.dX !== null;
  return {
    kernels: [
      { suffix: 'forward', params: ['x'], length: { perSample: node.outSize }, body: fwd },
      ...(back ? [{ suffix: 'backward', params: [saved, 'dY'], length: { perSample: node.outSize }, body: bwd }] : []),
    ],
    forward: [call(c.y, c.k('forward'), [c.x])],
    backward: back && c.dX !== null ? [call(c.dX, c.k('backward'), [saved === 'x' ? c.x : c.y, c.dY])] : [],
    grads: [],
  };
}

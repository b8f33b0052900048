// Elementwise activations, from their rules (compiler/ir/activations.ts): one loop over n·size elements,
// forward y[i] = f(x[i]), backward dX[i] from dY[i] and the saved x[i] or y[i].
// relu calls the runtime (rt.relu, rt.reluBackward) instead: in JS its sign test mispredicts half the
// time (~6 ns per element measured); the runtime runs it branch-free in wasm SIMD for float32, with the
// rule's semantics (a NaN passes through).
import { ruleOf, withOperand } from '../../ir/activations.js';
import type { ActivationNode } from '../../ir/types.js';
import { DX, DY, lit, N, X, Y, type EmitOptions, type LayerKernels } from '../kernel.js';

export function emitActivation(node: ActivationNode, o: EmitOptions): LayerKernels {
  const total = `n * ${node.outSize}`;
  const rule = ruleOf(node);
  const saved = rule.saved === 'x' ? X : Y;
  if (node.kind === 'relu') {
    return {
      helpers: [],
      forward: { suffix: 'forward', params: [N, X, Y], body: `rt.relu(x, y, ${total});` },
      backward: o.backward && o.writesDX ? { suffix: 'backward', params: [N, Y, DY, DX], body: `rt.reluBackward(y, dY, dX, ${total});` } : null,
    };
  }
  const loop = (target: string, operand: string, formula: (v: string) => string): string => {
    const { bind, expr } = withOperand(operand, formula);
    return `for (let i = 0; i < ${total}; i++) {\n  ${bind === null ? '' : `${bind}\n  `}${target}[i] = ${expr};\n}`;
  };
  return {
    helpers: [],
    forward: { suffix: 'forward', params: [N, X, Y], body: loop('y', 'x[i]', (v) => rule.forward(v, node, lit)) },
    backward: o.backward && o.writesDX
      ? { suffix: 'backward', params: [N, saved, DY, DX], body: loop('dX', `${rule.saved}[i]`, (v) => rule.backward('dY[i]', v, node, lit)) }
      : null,
  };
}

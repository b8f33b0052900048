// Elementwise activations, from their rules (compiler/ir/activations.ts): one loop over n·size elements,
// forward y[i] = f(x[i]), backward dX[i] from dY[i] and the saved x[i] or y[i].
// relu calls the runtime (rt.relu, rt.reluBackward) instead: in JS its sign test mispredicts half the
// time (~6 ns per element measured); the runtime runs it branch-free in wasm SIMD for float32, with the
// rule's semantics (a NaN passes through). The rules with a `fast` kernel (leaky_relu, relu6, hardtanh,
// hardswish, hardsigmoid; tanh, sigmoid, silu, whose Math.tanh and Math.exp cost ~19 ns an element) call it
// first in float32 modules and keep their loop for where it does not run. A float32 module's constants are
// rounded to float32 (as PyTorch's scalar_t ones), so its loop and a piecewise-linear kernel give the same
// bits, as do hardswish's, hardsigmoid's and every backward kernel (silu's with fdlibm's exp, as Math.exp);
// tanh, sigmoid and silu forward differ from the loop by at most 2 units in the last place (ActivationRule.fast).
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
  const num = o.dtype === 'float32' ? (v: number): string => lit(Math.fround(v)) : lit;
  const loop = (target: string, operand: string, formula: (v: string) => string): string => {
    const { bind, expr } = withOperand(operand, formula);
    return `for (let i = 0; i < ${total}; i++) {\n  ${bind === null ? '' : `${bind}\n  `}${target}[i] = ${expr};\n}`;
  };
  const fast = o.dtype === 'float32' && rule.fast !== undefined ? rule.fast(node) : null;
  const first = (call: string, arrays: string, constants: readonly number[]): string => `if (rt.${call}(${[arrays, total, ...constants.map(num)].join(', ')})) return;\n`;
  const forwardFirst = fast === null ? '' : first(fast.kernel, 'x, y', fast.args);
  const backwardFirst = fast === null || fast.backward === false ? '' : first(`${fast.kernel}Backward`, `${rule.saved}, dY, dX`, fast.args);
  return {
    helpers: [],
    forward: { suffix: 'forward', params: [N, X, Y], body: forwardFirst + loop('y', 'x[i]', (v) => rule.forward(v, node, num)) },
    backward: o.backward && o.writesDX
      ? { suffix: 'backward', params: [N, saved, DY, DX], body: backwardFirst + loop('dX', `${rule.saved}[i]`, (v) => rule.backward('dY[i]', v, node, num)) }
      : null,
  };
}

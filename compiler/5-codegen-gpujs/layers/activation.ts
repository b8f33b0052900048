// Elementwise activations, as the TypeScript target computes them (compiler/5-codegen/layers/activation.ts):
// relu y = x < 0 ? 0 : x, dX = y > 0 ? dY : 0 (threshold_backward on the output); leaky_relu dX from the
// input (leaky_relu_backward); sigmoid dX = dY·y·(1 − y); tanh dX = dY·(1 − y²).
import { assertNever, type LeakyReluNode, type ReluNode, type SigmoidNode, type TanhNode } from '../../ir/types.js';
import { call, flt, type Ctx, type LayerCode } from '../kernel.js';

type ActivationNode = ReluNode | LeakyReluNode | SigmoidNode | TanhNode;

export function emitActivation(node: ActivationNode, c: Ctx): LayerCode {
  let fwd: string;
  let bwd: string;
  let saved: 'x' | 'y';
  switch (node.kind) {
    case 'relu':
      fwd = 'const v = x[this.thread.x];\nreturn v < 0 ? 0.0 : v;';
      bwd = 'const i = this.thread.x;\nreturn y[i] > 0 ? dY[i] : 0.0;';
      saved = 'y';
      break;
    case 'leaky_relu': {
      const s = flt(node.negativeSlope);
      fwd = `const v = x[this.thread.x];\nreturn v > 0 ? v : v * ${s};`;
      bwd = `const i = this.thread.x;\nreturn x[i] > 0 ? dY[i] : dY[i] * ${s};`;
      saved = 'x';
      break;
    }
    case 'sigmoid':
      fwd = 'return 1.0 / (1.0 + Math.exp(-x[this.thread.x]));';
      bwd = 'const i = this.thread.x;\nconst v = y[i];\nreturn dY[i] * v * (1.0 - v);';
      saved = 'y';
      break;
    case 'tanh':
      fwd = 'return Math.tanh(x[this.thread.x]);';
      bwd = 'const i = this.thread.x;\nconst v = y[i];\nreturn dY[i] * (1.0 - v * v);';
      saved = 'y';
      break;
    default:
      return assertNever(node, 'activation kind');
  }
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

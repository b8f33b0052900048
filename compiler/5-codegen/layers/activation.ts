// Elementwise activations. Backward reads the saved output where PyTorch does:
// relu: y = x < 0 ? 0 : x (a NaN passes through, as torch.relu); threshold_backward(dY, y, 0) → dY·[y > 0]; sigmoid: dY·y·(1 − y); tanh: dY·(1 − y²);
// leaky_relu: leaky_relu_backward(dY, x, slope) → x > 0 ? dY : slope·dY (from the input, as PyTorch).
// relu calls the runtime (rt.relu, rt.reluBackward): in JS its sign test mispredicts half the time
// (~6 ns per element measured); the runtime runs it branch-free in wasm SIMD for float32.
import { assertNever, type LeakyReluNode, type ReluNode, type SigmoidNode, type TanhNode } from '../../ir/types.js';
import { DX, DY, lit, N, X, Y, type EmitOptions, type KernelArg, type LayerKernels } from '../kernel.js';

type ActivationNode = ReluNode | LeakyReluNode | SigmoidNode | TanhNode;

export function emitActivation(node: ActivationNode, o: EmitOptions): LayerKernels {
  const total = `n * ${node.outSize}`;
  let fwd: string;
  let bwd: string;
  let bwdArgs: KernelArg[];
  switch (node.kind) {
    case 'relu':
      fwd = `rt.relu(x, y, ${total});`;
      bwd = `rt.reluBackward(y, dY, dX, ${total});`;
      bwdArgs = [N, Y, DY, DX];
      break;
    case 'leaky_relu': {
      const s = lit(node.negativeSlope);
      fwd = `const v = x[i];\n  y[i] = v > 0 ? v : v * ${s};`;
      bwd = `dX[i] = x[i] > 0 ? dY[i] : dY[i] * ${s};`;
      bwdArgs = [N, X, DY, DX];
      break;
    }
    case 'sigmoid':
      fwd = `y[i] = 1 / (1 + Math.exp(-x[i]));`;
      bwd = `const v = y[i];\n  dX[i] = dY[i] * v * (1 - v);`;
      bwdArgs = [N, Y, DY, DX];
      break;
    case 'tanh':
      fwd = `y[i] = Math.tanh(x[i]);`;
      bwd = `const v = y[i];\n  dX[i] = dY[i] * (1 - v * v);`;
      bwdArgs = [N, Y, DY, DX];
      break;
    default:
      return assertNever(node, 'activation kind');
  }
  const loop = (body: string): string =>
    node.kind === 'relu' ? body : `for (let i = 0; i < ${total}; i++) {\n  ${body}\n}`;
  return {
    helpers: [],
    forward: { suffix: 'forward', params: [N, X, Y], body: loop(fwd) },
    backward: o.backward && o.writesDX ? { suffix: 'backward', params: bwdArgs, body: loop(bwd) } : null,
  };
}

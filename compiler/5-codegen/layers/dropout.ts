// dropout / dropout2d (torch.nn.Dropout, Dropout2d): in training, keep each element (dropout) or each
// whole channel (dropout2d) with probability 1 − p and scale the kept ones by 1/(1 − p) ("inverted"
// dropout, as PyTorch's bernoulli_(1 − p).div_(1 − p)); the mask comes from the model's Rng so a seed
// reproduces a run. In eval mode both are the identity (a copy).
import type { Dropout2dNode, DropoutNode } from '../../ir/types.js';
import { arg, DX, DY, lines, lit, N, X, Y, type EmitOptions, type LayerKernels } from '../kernel.js';

export function emitDropout(node: DropoutNode | Dropout2dNode, o: EmitOptions): LayerKernels {
  const total = `n * ${node.outSize}`;
  const channels = node.kind === 'dropout2d' ? (node.outShape[0] ?? 1) : node.outSize;
  const inner = node.outSize / channels;
  const keep = lit(1 - node.p);
  const scale = lit(1 / (1 - node.p));
  const mask = arg('mask', 'F', { kind: 'buffer', what: 'mask' });
  const training = arg('training', 'boolean', { kind: 'training' });
  const rng = arg('rng', 'Rng', { kind: 'rng' });
  const copy = [`if (!training) {`, `  y.set(x.subarray(0, ${total}));`, `  return;`, `}`];
  const fwd =
    node.kind === 'dropout'
      ? [`for (let i = 0; i < ${total}; i++) {`, `  const m = rng.nextFloat() < ${keep} ? ${scale} : 0;`, `  mask[i] = m;`, `  y[i] = x[i] * m;`, `}`]
      : [
          `for (let sc = 0; sc < n * ${channels}; sc++) {`,
          `  const m = rng.nextFloat() < ${keep} ? ${scale} : 0;`,
          `  mask[sc] = m;`,
          `  const o = sc * ${inner};`,
          `  for (let j = 0; j < ${inner}; j++) y[o + j] = x[o + j] * m;`,
          `}`,
        ];
  const bwd =
    node.kind === 'dropout'
      ? [`for (let i = 0; i < ${total}; i++) dX[i] = dY[i] * mask[i];`]
      : [
          `for (let sc = 0; sc < n * ${channels}; sc++) {`,
          `  const m = mask[sc];`,
          `  const o = sc * ${inner};`,
          `  for (let j = 0; j < ${inner}; j++) dX[o + j] = dY[o + j] * m;`,
          `}`,
        ];
  return {
    helpers: [],
    forward: { suffix: 'forward', params: [N, X, Y, mask, rng, training], body: lines(copy, fwd) },
    backward:
      o.backward && o.writesDX
        ? {
            suffix: 'backward',
            params: [N, DY, mask, training, DX],
            body: lines([`if (!training) {`, `  dX.set(dY.subarray(0, ${total}));`, `  return;`, `}`], bwd),
          }
        : null,
  };
}

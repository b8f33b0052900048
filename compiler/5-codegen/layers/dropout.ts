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
  // The mask is drawn here, from the model's Rng, in the order the loops below read it; the runtime's wasm
  // kernels (runtime/wasm/blocks.ts) multiply where the arrays live in wasm memory, else the loops do.
  const fwd =
    node.kind === 'dropout'
      ? [
          `for (let i = 0; i < ${total}; i++) mask[i] = rng.nextFloat() < ${keep} ? ${scale} : 0;`,
          `if (rt.dropoutElements(x, y, mask, ${total}, ${scale})) return;`,
          `for (let i = 0; i < ${total}; i++) y[i] = x[i] * (mask[i] !== 0 ? ${scale} : 0);`,
        ]
      : [
          `for (let sc = 0; sc < n * ${channels}; sc++) mask[sc] = rng.nextFloat() < ${keep} ? ${scale} : 0;`,
          `if (rt.dropoutPlanes(x, y, mask, n * ${channels}, ${inner}, ${scale})) return;`,
          `for (let sc = 0; sc < n * ${channels}; sc++) {`,
          `  const m = mask[sc] !== 0 ? ${scale} : 0;`,
          `  const o = sc * ${inner};`,
          `  for (let j = 0; j < ${inner}; j++) y[o + j] = x[o + j] * m;`,
          `}`,
        ];
  const bwd =
    node.kind === 'dropout'
      ? [`if (rt.mulTwo(dY, mask, dX, ${total})) return;`, `for (let i = 0; i < ${total}; i++) dX[i] = dY[i] * mask[i];`]
      : [
          `if (rt.scalePlanes(dY, dX, mask, n * ${channels}, ${inner})) return;`,
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

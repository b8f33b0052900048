// add: y = x0 + x1 + …, elementwise over inputs of one shape (a residual connection).
// backward: every input's gradient is dY itself (∂y/∂xk = 1). Each dXk is written, never added to:
// where an input is also read elsewhere, the memory plan gives this kernel its own buffer and sums.
// Both first try the runtime's wasm kernels (runtime/wasm/blocks.ts: a float32 add of two inputs, block
// copies of dY), which return false off the wasm path; the loops then run.
import type { AddNode } from '../../ir/types.js';
import { arg, DY, lines, N, Y, type EmitOptions, type LayerKernels } from '../kernel.js';

export function emitAdd(node: AddNode, o: EmitOptions): LayerKernels {
  const total = `n * ${node.outSize}`;
  const ks = node.inputs.map((_, k) => k);
  const xs = ks.map((k) => arg(`x${k}`, 'F', { kind: 'x', input: k }));
  const written = ks.filter((k) => o.writesDXs[k] === true);
  const dXs = written.map((k) => arg(`dX${k}`, 'F', { kind: 'dX', input: k }));
  return {
    helpers: [],
    forward: {
      suffix: 'forward',
      params: [N, ...xs, Y],
      body: lines(
        ks.length === 2 ? `if (rt.addTwo(x0, x1, y, ${total})) return;` : null,
        `for (let i = 0; i < ${total}; i++) y[i] = ${ks.map((k) => `x${k}[i]`).join(' + ')};`,
      ),
    },
    backward: o.backward && written.length > 0
      ? {
          suffix: 'backward',
          params: [N, DY, ...dXs],
          body: lines(
            `if (${written.map((k) => `rt.copyBlocks(dY, 0, 0, dX${k}, 0, 0, 1, ${total})`).join(' && ')}) return;`,
            written.length === 1
              ? `for (let i = 0; i < ${total}; i++) dX${written[0]}[i] = dY[i];`
              : [`for (let i = 0; i < ${total}; i++) {`, `  const g = dY[i];`, ...written.map((k) => `  dX${k}[i] = g;`), `}`].join('\n'),
          ),
        }
      : null,
  };
}

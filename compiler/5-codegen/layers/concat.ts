// concat: torch.cat(inputs, dim=1). Per sample, the output holds input 0's elements, then input 1's, …
// (channels are the slowest dimension after the batch, so each input is one contiguous block).
// backward: each input's gradient is its block of dY. Both first try the runtime's block copies (wasm
// memory.copy-like rows, runtime/wasm/blocks.ts), which take every input or leave the loops to do it all.
import type { ConcatNode } from '../../ir/types.js';
import { arg, DY, lines, N, Y, type EmitOptions, type LayerKernels } from '../kernel.js';

export function emitConcat(node: ConcatNode, o: EmitOptions): LayerKernels {
  const sizes = node.inShapes.map((s) => s.reduce((a, b) => a * b, 1));
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  const outS = node.outSize;
  const ks = sizes.map((_, k) => k);
  const xs = ks.map((k) => arg(`x${k}`, 'F', { kind: 'x', input: k }));
  const written = ks.filter((k) => o.writesDXs[k] === true);
  const dXs = written.map((k) => arg(`dX${k}`, 'F', { kind: 'dX', input: k }));
  const at = (k: number): string => (offsets[k] === 0 ? 'o' : `o + ${offsets[k]}`);
  return {
    helpers: [],
    forward: {
      suffix: 'forward',
      params: [N, ...xs, Y],
      body: lines(
        `if (${ks.map((k) => `rt.copyBlocks(x${k}, 0, ${sizes[k]}, y, ${offsets[k]}, ${outS}, n, ${sizes[k]})`).join(' && ')}) return;`,
        `for (let s = 0; s < n; s++) {`,
        `  const o = s * ${outS};`,
        ks.map((k) => `  for (let j = 0, i = s * ${sizes[k]}; j < ${sizes[k]}; j++, i++) y[${at(k)} + j] = x${k}[i];`),
        `}`,
      ),
    },
    backward: o.backward && written.length > 0
      ? {
          suffix: 'backward',
          params: [N, DY, ...dXs],
          body: lines(
            `if (${written.map((k) => `rt.copyBlocks(dY, ${offsets[k]}, ${outS}, dX${k}, 0, ${sizes[k]}, n, ${sizes[k]})`).join(' && ')}) return;`,
            `for (let s = 0; s < n; s++) {`,
            `  const o = s * ${outS};`,
            written.map((k) => `  for (let j = 0, i = s * ${sizes[k]}; j < ${sizes[k]}; j++, i++) dX${k}[i] = dY[${at(k)} + j];`),
            `}`,
          ),
        }
      : null,
  };
}

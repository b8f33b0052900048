// concat: torch.cat(inputs, dim=1). Per sample the output holds input 0's elements, then input 1's, …
// (channels are the slowest dimension after the batch, so each input is one block). forward gathers
// from the block the element falls in; backward slices each input's block out of dY (one kernel per
// input that needs a gradient: `dX0`, `dX1`, … — a kernel has one output).
import type { ConcatNode } from '../../ir/types.js';
import { body, call, sum, unflatten, type Ctx, type GpuKernel, type LayerCode } from '../kernel.js';

export function emitConcat(node: ConcatNode, c: Ctx): LayerCode {
  const sizes = node.inShapes.map((s) => s.reduce((a, b) => a * b, 1));
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  const outS = node.outSize;
  const ks = sizes.map((_, k) => k);
  const last = ks.length - 1;
  const forward: GpuKernel = {
    suffix: 'forward',
    params: ks.map((k) => `x${k}`),
    length: { perSample: outS },
    body: body(
      unflatten(['s', 'j'], [1e9, outS]),
      ks.slice(0, -1).map((k) => `if (j < ${offsets[k]! + sizes[k]!}) {\n  return x${k}[${sum(['s', sizes[k]!], 'j', -offsets[k]!)}];\n}`),
      `return x${last}[${sum(['s', sizes[last]!], 'j', -offsets[last]!)}];`,
    ),
  };
  const back = ks.filter((k) => c.backward && c.dXs[k] !== null && c.dXs[k] !== undefined);
  const slices: GpuKernel[] = back.map((k) => ({
    suffix: `dX${k}`,
    params: ['dY'],
    length: { perSample: sizes[k]! },
    body: body(unflatten(['s', 'j'], [1e9, sizes[k]!]), `return dY[${sum(['s', outS], 'j', offsets[k]!)}];`),
  }));
  return {
    kernels: [forward, ...slices],
    forward: [call(c.y, c.k('forward'), c.xs)],
    backward: back.map((k) => call(c.dXs[k]!, c.k(`dX${k}`), [c.dY])),
    grads: [],
  };
}

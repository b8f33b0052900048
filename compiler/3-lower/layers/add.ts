// add: the elementwise sum of two or more inputs of exactly the same shape — a residual
// connection, `out = block(x) + x` (torch's `a + b` without broadcasting: cnnc asks for equal shapes,
// so a missing projection is an error, not a silent broadcast).
import type { AddNode } from '../../ir/types.js';
import { fmtShape } from '../format.js';
import type { LayerCtx, LayerResult } from './common.js';

export function lowerAdd(ctx: LayerCtx): LayerResult<AddNode> | null {
  const [first, ...rest] = ctx.xs;
  let ok = true;
  rest.forEach((s, k) => {
    if (s.length === first!.length && s.every((d, j) => d === first![j])) return;
    const a = ctx.inputs[0]!;
    const b = ctx.inputs[k + 1]!;
    ctx.error('E0411', `${ctx.name}: cannot add \`${a}\` ${fmtShape(first!)} and \`${b}\` ${fmtShape(s)}: add needs equal shapes`,
      ['inputs', k + 1], hint(first!, s));
    ok = false;
  });
  if (!ok) return null;
  return { kind: 'add', outShape: first!, params: [], macs: 0 };
}

function hint(a: readonly number[], b: readonly number[]): string {
  if (a.length === 3 && b.length === 3 && a[1] === b[1] && a[2] === b[2]) {
    return `the channels differ (${a[0]} vs ${b[0]}): project one side with a 1×1 conv2d (out_channels: ${a[0]}), or join them with concat`;
  }
  if (a.length === 3 && b.length === 3) return 'the sizes differ: a strided conv2d or a pool on one side can bring it to the other\'s size';
  return 'both sides must have the same shape, dimension for dimension';
}

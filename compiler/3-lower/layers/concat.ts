// concat: torch.cat(inputs, dim=1) — the channels of [C, H, W] inputs (or the features of [F] ones)
// one input after the other; every other dimension must match (U-Net skips: `inputs: [up1, down1]`).
import type { ConcatNode } from '../../ir/types.js';
import { fmtShape } from '../format.js';
import type { LayerCtx, LayerResult } from './common.js';

export function lowerConcat(ctx: LayerCtx): LayerResult<ConcatNode> | null {
  const [first, ...rest] = ctx.xs;
  let ok = true;
  rest.forEach((s, k) => {
    if (s.length === first!.length && s.every((d, j) => j === 0 || d === first![j])) return;
    const a = ctx.inputs[0]!;
    const b = ctx.inputs[k + 1]!;
    const what = s.length !== first!.length ? 'they have different ranks' : `their sizes differ (${first!.slice(1).join('×')} vs ${s.slice(1).join('×')})`;
    ctx.error('E0411', `${ctx.name}: cannot concat \`${a}\` ${fmtShape(first!)} and \`${b}\` ${fmtShape(s)} along the channels: ${what}`,
      ['inputs', k + 1], 'concat joins channels (dim 1): every other dimension must match; resize one side (upsample, a pool, a strided conv, or padding)');
    ok = false;
  });
  if (!ok) return null;
  const channels = ctx.xs.reduce((a, s) => a + s[0]!, 0);
  return { kind: 'concat', outShape: [channels, ...first!.slice(1)], params: [], macs: 0 };
}

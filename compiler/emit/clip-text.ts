// The gradient clip as the runtime's GradClip literal (runtime/clip-grad.ts), for both targets: the TypeScript
// target passes it to the optimizer, the gpu.js target puts it in the model's layout.
import type { GradClip } from '../../runtime/clip-grad.js';
import { lit } from './kit.js';

export function clipText(c: GradClip): string {
  return c.kind === 'norm'
    ? `{ kind: 'norm', maxNorm: ${lit(c.maxNorm)}, normType: ${c.normType === Infinity ? 'Infinity' : lit(c.normType)} }`
    : `{ kind: 'value', clipValue: ${lit(c.clipValue)} }`;
}

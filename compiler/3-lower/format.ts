// How lowering writes numbers and shapes in messages, the way a PyTorch user reads them.
import type { Padding2d, Pair, Shape } from '../ir/types.js';

/** `[32, 26, 26]` */
export function fmtShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** `5×5` (kernel, stride, spatial size). */
export function fmtPair(p: Pair): string {
  return `${p[0]}×${p[1]}`;
}

/** `0`, `1×2`, or `top 1, bottom 2, left 1, right 2` when the sides differ. */
export function fmtPadding(p: Padding2d): string {
  if (p.top === p.bottom && p.left === p.right) return p.top === p.left ? `${p.top}` : `${p.top}×${p.left}`;
  return `top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right}`;
}

/** `4.0e12`: a figure too big to read digit by digit. */
export function sci(n: number): string {
  return n.toExponential(1).replace('e+', 'e');
}

/** `1,199,882` */
export function thousands(n: number): string {
  return n.toLocaleString('en-US');
}

export function product(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

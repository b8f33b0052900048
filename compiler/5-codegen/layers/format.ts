// Shared formatting for the one-line layer comments.
import type { Pair, Padding2d } from '../../ir/types.js';

export const pair = (p: Pair): string => (p[0] === p[1] ? `${p[0]}` : `${p[0]}×${p[1]}`);
export const kernelText = (k: Pair): string => `${k[0]}×${k[1]}`;

export function paddingText(p: Padding2d): string {
  if (p.top === p.bottom && p.left === p.right) return pair([p.top, p.left]);
  return `top ${p.top} bottom ${p.bottom} left ${p.left} right ${p.right}`;
}

// Sliding-window arithmetic shared by conv2d and the pools, exactly as PyTorch computes it
// (https://pytorch.org/docs/1.13/generated/torch.nn.Conv2d.html, "Shape"):
//   out = floor((in + padTotal − dilation·(kernel − 1) − 1) / stride) + 1
import type { IntOrPair } from '../../spec/types.js';
import type { Pair } from '../../ir/types.js';

export function pair(v: IntOrPair): Pair {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

export function windowOut(size: number, kernel: number, stride: number, padTotal: number, dilation = 1): number {
  return Math.floor((size + padTotal - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** The extent a dilated kernel covers: dilation·(k − 1) + 1. */
export function span(kernel: number, dilation: number): number {
  return dilation * (kernel - 1) + 1;
}

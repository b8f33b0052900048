// Which algorithm a conv2d runs with on the float32 wasm path (runtime/wasm/conv.ts), as plain data.
// The spec's `algorithm:` (auto | im2col | winograd) is the request; 4-passes/geometry.ts's
// convAlgorithm resolves it into ConvGeometry.algorithm, the one field every renderer reads.
// The float64 path and the other targets (gpu.js, PyTorch, ONNX) compute the same convolution
// their own way and ignore it.
import type { Pair } from './types.js';

export type { ConvAlgorithm } from '../../runtime/wasm/conv.js';

/** What the spec asks for: `auto` (the compiler's rule) or one algorithm, forced. */
export type ConvAlgorithmRequest = 'auto' | 'im2col' | 'winograd';

/** auto picks Winograd when both channel counts reach this: below it the 16 products [cout × cin]·[cin ×
 *  tiles] are too thin for the GEMM, and the transforms cost more than the multiply-adds saved. */
export const WINOGRAD_MIN_CHANNELS = 16;

/** Why Winograd F(2×2,3×3) cannot compute a convolution with these attributes, or null when it can. */
export function winogradUnfit(kernel: Pair, stride: Pair, dilation: Pair, groups: number): string | null {
  if (kernel[0] !== 3 || kernel[1] !== 3) return `its kernel is ${kernel[0]}×${kernel[1]}, not 3×3`;
  if (stride[0] !== 1 || stride[1] !== 1) return `its stride is ${stride[0]}×${stride[1]}, not 1`;
  if (dilation[0] !== 1 || dilation[1] !== 1) return `its dilation is ${dilation[0]}×${dilation[1]}, not 1`;
  if (groups !== 1) return `it has ${groups} groups, not 1`;
  return null;
}

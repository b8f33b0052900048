// Which algorithm a conv2d runs with on the float32 wasm path (runtime/wasm/conv.ts), as plain data.
// The spec's `algorithm:` (auto | im2col | winograd | winograd4 | direct) is the request; 4-passes/geometry.ts's
// convAlgorithm resolves it into ConvGeometry.algorithm, the one field every renderer reads.
// The float64 path and the other targets (gpu.js, PyTorch, ONNX) compute the same convolution
// their own way and ignore it.
import type { Pair } from './types.js';

export type { ConvAlgorithm } from '../../runtime/wasm/conv.js';

/** What the spec asks for: `auto` (the compiler's rule) or one algorithm, forced. */
export type ConvAlgorithmRequest = 'auto' | 'im2col' | 'winograd' | 'winograd4' | 'direct' | 'depthwise';

/** auto picks Winograd when both channel counts reach this: below it the 16 products [cout × cin]·[cin ×
 *  tiles] are too thin for the gemm, and the transforms cost about what the multiply-adds save. Measured
 *  at batch 32, padding 1, forward + backward (with dX), median CPU time, im2col → winograd: 64→64 at
 *  7×7 14.3 → 7.7 ms, 32→32 at 14×14 12.6 → 6.7, 16→16 at 28×28 14.1 → 8.6, 8→8 at 28×28 5.2 → 3.7,
 *  4→16 at 28×28 4.0 → 4.3 (the backward loses). */
export const WINOGRAD_MIN_CHANNELS = 8;

/** Among the Winograd tiles, auto picks F(4×4,3×3) (36 products a 4×4 output block) over F(2×2,3×3) (16 a 2×2 block)
 *  when both output sides reach WINOGRAD4_MIN_SIDE and its products, counting the cut tiles at the edges whole, are at
 *  most WINOGRAD4_MAX_PRODUCTS of F(2×2)'s: its transforms cost about three times F(2×2)'s a tile, so it must save
 *  enough of the gemm. Measured at batch 32, padding 1, forward + backward (with dX), min CPU time of 15, F(2×2) →
 *  F(4×4): 32→64 at 24×24 out (the seed's conv2, padding 0, products 0.56) 32.1 → 27.3 ms, 16→16 at 28×28 (0.56)
 *  8.0 → 5.5, 8→8 at 28×28 (0.56) 3.3 → 2.3, 32→32 at 14×14 (0.73) 5.7 → 5.1; 64→64 at 10×10 (0.81) 9.8 → 11.6,
 *  64→64 at 8×8 (0.56) 6.2 → 6.0, 64→64 at 7×7 (0.56) 5.9 → 6.6, 128→128 at 7×7 (0.56) 20.9 → 19.7. */
export const WINOGRAD4_MIN_SIDE = 12;
export const WINOGRAD4_MAX_PRODUCTS = 0.75;

/** F(4×4)'s products over F(2×2)'s for a ho × wo output (cut tiles counted whole). */
export function winograd4Products(ho: number, wo: number): number {
  return (36 * Math.ceil(ho / 4) * Math.ceil(wo / 4)) / (16 * Math.ceil(ho / 2) * Math.ceil(wo / 2));
}

/** Winograd's filter transform, a fixed cost a call (U = G g Gᵀ for every filter, and its adjoint for dW in the
 *  backward), in multiply-adds a filter of equal time: it is paid once whatever the batch, while the products save
 *  9·ho·wo − (products a tile)·tiles multiply-adds a filter and sample. On a small batch of small outputs (resnet18's
 *  and vgg11's 512→512 at 2×2, batch 1) it costs more than it saves. Fitted to the crossovers measured at batch
 *  1–32, forward and backward with dX (2-core AMD EPYC, medians of 9), im2col against F(2×2): 512→512 at 2×2
 *  forward n = 1 1.12 vs 4.40 ms, n = 8 4.84 vs 4.77; 256→256 at 4×4 n = 1 0.51 vs 0.90, n = 2 1.05 vs 0.89;
 *  128→128 at 8×8 n = 1 0.53 vs 0.49 (backward 1.30 vs 1.33); F(4×4)'s transform, 36 values a filter, about
 *  three times F(2×2)'s (512→512 at 2×2, n = 1: 13.2 ms). */
export const WINOGRAD_FILTER_MACS: Readonly<Record<2 | 4, number>> = { 2: 160, 4: 480 };

/** The smallest batch on which Winograd with this tile saves more multiply-adds than its filter transform costs
 *  (WINOGRAD_FILTER_MACS) for a ho × wo output; Infinity where it never does (its products outnumber im2col's). */
export function winogradMinBatch(tile: 2 | 4, ho: number, wo: number): number {
  const saved = 9 * ho * wo - (tile + 2) ** 2 * Math.ceil(ho / tile) * Math.ceil(wo / tile);
  return saved <= 0 ? Infinity : Math.max(1, Math.ceil(WINOGRAD_FILTER_MACS[tile] / saved));
}

/** Where Winograd does not fit (and the conv is not 1×1, whose input is its own column matrix), auto picks
 *  the direct convolution's forward (runtime/wasm/direct.ts) while a group's channel pairs cig·cog reach at
 *  most this; im2col with gemm above it. Forward ms at batch 32, 1 thread, median of 17, im2col → direct:
 *  LeNet-5 c1 1→6 5×5 0.62 → 0.25, c3 6→16 5×5 0.81 → 0.73; conv-features stem 1→8 0.22 → 0.16, down
 *  8→16 4×4 stride 2 1.34 → 0.78, grouped 4→4 ×4 groups 0.81 → 0.24, depthwise 0.50 → 0.13; strided
 *  conv1 3→32 1.62 → 1.18, conv2 32→64 stride 2 8.4 → 6.5, conv3 64→128 8.4 → 6.5, but conv4 128→256
 *  (4×4 outputs) 10.3 → 11.7; gan-discriminator conv1 0.19 → 0.10, conv2 1.18 → 0.72, conv3 0.78 → 0.72,
 *  conv4 64→1 0.37 → 0.06. */
export const DIRECT_MAX_CHANNEL_PAIRS = 8192;

/** The direct backward (dW, dB, dX) where a group has at most this many output channels and at most
 *  DIRECT_BACKWARD_MAX_CIG input channels; im2col with gemm otherwise (its gemms reuse each column
 *  across the output channels, the direct weight gradient's dot products do not). Backward ms with dX
 *  (same runs as above), im2col → direct: c1 1.48 → 0.69, stem 0.63 → 0.35, grouped 1.47 → 1.06,
 *  depthwise 1.05 → 0.34; but c3 1.49 → 1.94, down 2.60 → 3.22, gan conv1 1→16 0.40 → 0.42, strided conv1
 *  3→32 3.9 → 6.2. */
export const DIRECT_BACKWARD_MAX_COG = 8;
export const DIRECT_BACKWARD_MAX_CIG = 4;

/** Why the depthwise kernel (runtime/wasm/depthwise.ts: vectors across channels) cannot compute a convolution, or null
 *  when it can: it needs one filter a channel and as many output channels as input ones (groups = in = out). Auto picks
 *  it for every such layer: mobilenet_v2's 17 depthwise layers at 3×64×64, batch 32, 1 thread, forward + backward with
 *  dX, direct → depthwise 23.2 + 66.5 → 12.0 + 22.6 ms (2-core AMD EPYC, medians of 15 calls of conv2dForward/conv2dBackward). */
export function depthwiseUnfit(inChannels: number, outChannels: number, groups: number): string | null {
  if (groups !== inChannels) return `it has ${groups} groups for ${inChannels} input channels`;
  if (outChannels !== inChannels) return `it has ${outChannels} output channels for ${inChannels} input ones (a channel multiplier)`;
  return null;
}

/** Why Winograd (F(2×2,3×3) or F(4×4,3×3)) cannot compute a convolution with these attributes, or null when it can. */
export function winogradUnfit(kernel: Pair, stride: Pair, dilation: Pair, groups: number): string | null {
  if (kernel[0] !== 3 || kernel[1] !== 3) return `its kernel is ${kernel[0]}×${kernel[1]}, not 3×3`;
  if (stride[0] !== 1 || stride[1] !== 1) return `its stride is ${stride[0]}×${stride[1]}, not 1`;
  if (dilation[0] !== 1 || dilation[1] !== 1) return `its dilation is ${dilation[0]}×${dilation[1]}, not 1`;
  if (groups !== 1) return `it has ${groups} groups, not 1`;
  return null;
}

// Geometry, resolved once per node for every renderer (TensorFlow.js's Conv2DInfo): a convolution's
// sizes, groups and column matrix, a pool's window, an upsample's source-index scales and nearest tables.
import type { AdaptiveAxis, AdaptivePoolGeometry, ConvGeometry, Geometry, PoolGeometry, UpsampleAxis } from '../ir/plan.js';
import type { AdaptivePool2dNode, AvgPool2dNode, Conv2dNode, ConvTranspose2dNode, MaxPool2dNode, Node, UpsampleNode } from '../ir/types.js';
import { coversInput, type Conv2dGeometry } from '../../runtime/wasm/conv.js';
import { depthwiseUnfit, DIRECT_BACKWARD_MAX_CIG, DIRECT_BACKWARD_MAX_COG, DIRECT_MAX_CHANNEL_PAIRS, WINOGRAD4_MAX_PRODUCTS, WINOGRAD4_MIN_SIDE, WINOGRAD_MIN_CHANNELS, winograd4Products, winogradMinBatch, winogradUnfit, type ConvAlgorithm } from '../ir/conv-algorithm.js';

export function geometryOf(node: Node): Geometry {
  switch (node.kind) {
    case 'conv2d':
    case 'conv_transpose2d':
      return { kind: 'conv', conv: convGeometry(node) };
    case 'maxpool2d':
    case 'avgpool2d':
      return { kind: 'pool', pool: poolGeometry(node) };
    case 'upsample':
      return { kind: 'upsample', upsample: upsampleGeometry(node) };
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d':
      return { kind: 'adaptive', adaptive: adaptiveGeometry(node) };
    default:
      return { kind: 'none' };
  }
}

/** A 1×1 convolution with stride 1 and no padding reads its input as its own im2col matrix. */
export function isPointwiseConv(node: Conv2dNode): boolean {
  const p = node.padding;
  return node.kernel[0] === 1 && node.kernel[1] === 1 && node.stride[0] === 1 && node.stride[1] === 1 &&
    p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0;
}

/** A conv2d's algorithm on the float32 wasm path (forward, and backward where it differs), and why, in
 *  words for comments and `cnnc inspect`. The rule (auto): Winograd where it fits (3×3, stride 1, dilation 1,
 *  groups 1) and both channel counts reach WINOGRAD_MIN_CHANNELS — F(4×4,3×3) where both output sides reach
 *  WINOGRAD4_MIN_SIDE and its products are at most WINOGRAD4_MAX_PRODUCTS of F(2×2,3×3)'s, F(2×2,3×3) otherwise;
 *  else the depthwise kernel where groups = in = out channels (depthwiseUnfit; more than one channel); else, but for a
 *  1×1, the direct convolution where a group's channel pairs are at most DIRECT_MAX_CHANNEL_PAIRS,
 *  its backward too where a group has few channels (DIRECT_BACKWARD_MAX_COG, _CIG), im2col otherwise (the
 *  measurements: ir/conv-algorithm.ts); im2col with GEMM for the rest (a 1×1 reads its input as its own column
 *  matrix). The spec's `algorithm:` forces one for both passes (lowering refused a winograd that does not fit). */
export interface ConvChoice {
  readonly algorithm: ConvAlgorithm;
  readonly backward: ConvAlgorithm;
  readonly why: string;
  /** Auto's Winograd runs on batches of at least this many samples, im2col below (winogradMinBatch); 1 otherwise. */
  readonly winogradFrom: number;
}

export function convAlgorithm(node: Conv2dNode | ConvTranspose2dNode): ConvChoice {
  if (node.kind === 'conv_transpose2d') {
    return choice('im2col', `conv_transpose2d: as its adjoint conv2d, ${node.outChannels}→${node.inChannels} channels, whose backward-data pass is this forward`);
  }
  if (node.algorithm !== 'auto') return choice(node.algorithm, 'set in the spec');
  if (coversInput(runtimeGeometry(node))) return choice('im2col', `auto: its ${node.kernel[0]}×${node.kernel[1]} kernel covers its unpadded input: one matrix product over the batch, as a linear layer's`);
  const unfit = winogradUnfit(node.kernel, node.stride, node.dilation, node.groups);
  const few = Math.min(node.inChannels, node.outChannels);
  if (unfit === null && few >= WINOGRAD_MIN_CHANNELS) {
    const channels = `3×3, stride 1, ${node.inChannels}→${node.outChannels} channels`;
    const ho = node.outShape[1]!, wo = node.outShape[2]!; // [cout, ho, wo]
    const products = winograd4Products(ho, wo);
    const tile: 2 | 4 = Math.min(ho, wo) >= WINOGRAD4_MIN_SIDE && products <= WINOGRAD4_MAX_PRODUCTS ? 4 : 2;
    const from = winogradMinBatch(tile, ho, wo);
    if (from === Infinity) return choice('im2col', `auto: ${channels}, ${ho}×${wo} out: winograd's 2×2 tiles would do more products than im2col`);
    const small = from > 1 ? `; im2col below batch ${from}, where the filter transform costs more than it saves` : '';
    if (tile === 4) return choice('winograd4', `auto: ${channels}, ${ho}×${wo} out (4×4 tiles: ${products.toFixed(2)} of 2×2's products)${small}`, 'winograd4', from);
    const under = Math.min(ho, wo) < WINOGRAD4_MIN_SIDE ? `under ${WINOGRAD4_MIN_SIDE} for 4×4 tiles` : `4×4 tiles would do ${products.toFixed(2)} of 2×2's products (over ${WINOGRAD4_MAX_PRODUCTS})`;
    return choice('winograd', `auto: ${channels}, ${ho}×${wo} out, ${under}${small}`, 'winograd', from);
  }
  const cig = node.inChannels / node.groups, cog = node.outChannels / node.groups;
  const channels = `${node.inChannels}→${node.outChannels} channels${node.groups === 1 ? '' : `, ${cig}→${cog} a group`}`;
  if (node.groups > 1 && depthwiseUnfit(node.inChannels, node.outChannels, node.groups) === null) {
    return choice('depthwise', `auto: ${node.inChannels} channels, one filter each`);
  }
  const why = `auto: ${channels}, ${unfit ?? `fewer than ${WINOGRAD_MIN_CHANNELS} for winograd`}`;
  if (node.kernel[0] === 1 && node.kernel[1] === 1) return choice('im2col', why); // the winograd reason names the 1×1 kernel
  if (cig * cog > DIRECT_MAX_CHANNEL_PAIRS) return choice('im2col', `${why}; over ${DIRECT_MAX_CHANNEL_PAIRS} channel pairs a group for direct`);
  if (cog <= DIRECT_BACKWARD_MAX_COG && cig <= DIRECT_BACKWARD_MAX_CIG) return choice('direct', why);
  return choice('direct', `${why}; backward im2col: over ${DIRECT_BACKWARD_MAX_CIG}→${DIRECT_BACKWARD_MAX_COG} channels a group for direct`, 'im2col');
}

/** A ConvChoice: the backward's algorithm the forward's unless given, Winograd from batch 1 unless given. */
function choice(algorithm: ConvAlgorithm, why: string, backward: ConvAlgorithm = algorithm, winogradFrom = 1): ConvChoice {
  return { algorithm, backward, why, winogradFrom };
}

/** A conv2d's shapes as the runtime's batch kernels take them (the generated geometry literal's fields). */
function runtimeGeometry(node: Conv2dNode): Conv2dGeometry {
  const [cin, h, w] = node.inShapes[0] as [number, number, number];
  const [cout, ho, wo] = node.outShape as [number, number, number];
  return { cin, h, w, cout, ho, wo, kh: node.kernel[0], kw: node.kernel[1], sh: node.stride[0], sw: node.stride[1], dh: node.dilation[0], dw: node.dilation[1], top: node.padding.top, left: node.padding.left, groups: node.groups };
}

/** The algorithm's name as comments and `cnnc inspect` print it (with the backward's where it differs). */
export function convAlgorithmText(algorithm: ConvAlgorithm, backward: ConvAlgorithm = algorithm): string {
  const name = (a: ConvAlgorithm): string => (a === 'winograd' ? 'winograd F(2×2,3×3)' : a === 'winograd4' ? 'winograd F(4×4,3×3)' : a === 'direct' ? 'direct' : a === 'depthwise' ? 'depthwise' : 'im2col + gemm');
  return backward === algorithm ? name(algorithm) : `${name(algorithm)}, backward ${name(backward)}`;
}

/** Every conv2d's algorithm, in layer order, for `cnnc inspect` (its PyTorch module path as the name). */
export function convAlgorithms(nodes: readonly Node[]): ({ readonly name: string } & ConvChoice)[] {
  return nodes.flatMap((n) => (n.kind === 'conv2d' ? [{ name: n.module ?? n.name, ...convAlgorithm(n) }] : []));
}

/** `cnnc inspect`'s lines for them: `Conv algorithms:   conv2: winograd F(2×2,3×3) (auto: …)`, one a layer. */
export function convAlgorithmLines(nodes: readonly Node[]): string[] {
  return convAlgorithms(nodes).map((c, i) => `${i === 0 ? 'Conv algorithms:' : ''}`.padEnd(19) + `${c.name}: ${convAlgorithmText(c.algorithm, c.backward)} (${c.why})`);
}

export function convGeometry(node: Conv2dNode | ConvTranspose2dNode): ConvGeometry {
  const [cin, h, w] = node.inShapes[0] as [number, number, number];
  const [cout, ho, wo] = node.outShape as [number, number, number];
  const [kh, kw] = node.kernel;
  const [sh, sw] = node.stride;
  const [dh, dw] = node.dilation;
  const groups = node.groups;
  const cig = cin / groups;
  const cog = cout / groups;
  const pad = node.kind === 'conv2d'
    ? node.padding
    : { top: node.padding[0], bottom: node.padding[0], left: node.padding[1], right: node.padding[1] };
  const transpose = node.kind === 'conv_transpose2d';
  const chosen = convAlgorithm(node);
  return {
    cin, h, w, cout, ho, wo, kh, kw, sh, sw, dh, dw,
    top: pad.top, bottom: pad.bottom, left: pad.left, right: pad.right,
    groups, cig, cog,
    k: (transpose ? cog : cig) * kh * kw,
    p: transpose ? h * w : ho * wo,
    inS: cin * h * w,
    outS: cout * ho * wo,
    pointwise: node.kind === 'conv2d' && isPointwiseConv(node),
    algorithm: chosen.algorithm,
    backward: chosen.backward,
    winogradFrom: chosen.winogradFrom,
    algorithmNote: `wasm: ${convAlgorithmText(chosen.algorithm, chosen.backward)} (${chosen.why})`,
  };
}

export function poolGeometry(node: MaxPool2dNode | AvgPool2dNode): PoolGeometry {
  const [c, h, w] = node.inShapes[0] as [number, number, number];
  const [, ho, wo] = node.outShape as [number, number, number];
  const [kh, kw] = node.kernel;
  const [sh, sw] = node.stride;
  const [ph, pw] = node.padding;
  // The last window's end against the padded input's (size + pad): past it only where ceil_mode added a window.
  const pastEnd: [boolean, boolean] = [(ho - 1) * sh - ph + kh > h + ph, (wo - 1) * sw - pw + kw > w + pw];
  const inside = ph === 0 && pw === 0 && !pastEnd[0] && !pastEnd[1];
  return { c, h, w, ho, wo, kh, kw, sh, sw, ph, pw, inside, pastEnd };
}

function upsampleGeometry(node: UpsampleNode): { readonly h: UpsampleAxis; readonly w: UpsampleAxis } {
  const [, h, w] = node.inShapes[0] as [number, number, number];
  const [, oh, ow] = node.outShape as [number, number, number];
  const sf = node.scaleFactor;
  const axis = (inSize: number, outSize: number, factor: number | null): UpsampleAxis => ({
    inSize,
    outSize,
    scale: areaPixelScale(inSize, outSize, factor, node.alignCorners),
    nearest: node.mode === 'nearest' ? nearestTable(inSize, outSize, factor) : null,
  });
  return { h: axis(h, oh, sf?.[0] ?? null), w: axis(w, ow, sf?.[1] ?? null) };
}

/** PyTorch's area_pixel_compute_scale. */
function areaPixelScale(inSize: number, outSize: number, factor: number | null, alignCorners: boolean): number {
  if (alignCorners) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  return factor !== null ? 1 / factor : inSize / outSize;
}

/** nearest: src = min(floor(dst · scale), in − 1), with dst · scale in float32 as PyTorch's float `scale` makes it. */
function nearestTable(inSize: number, outSize: number, factor: number | null): number[] {
  const s32 = Math.fround(factor !== null ? 1 / factor : inSize / outSize);
  return Array.from({ length: outSize }, (_, i) => Math.min(Math.floor(Math.fround(i * s32)), inSize - 1));
}

/** PyTorch 1.13's adaptive windows (aten/src/ATen/native/AdaptivePooling.h's start_index / end_index), in
 *  integers: start = ⌊i·in/out⌋, end = ⌈(i + 1)·in/out⌉ (7 → 3: [0, 3), [2, 5), [4, 7)). */
export function adaptiveAxis(inSize: number, outSize: number): AdaptiveAxis {
  const start = Array.from({ length: outSize }, (_, i) => Math.floor((i * inSize) / outSize));
  const end = Array.from({ length: outSize }, (_, i) => Math.floor(((i + 1) * inSize + outSize - 1) / outSize));
  return { inSize, outSize, start, end };
}

function adaptiveGeometry(node: AdaptivePool2dNode): AdaptivePoolGeometry {
  const [c, h, w] = node.inShapes[0] as [number, number, number];
  const [, oh, ow] = node.outShape as [number, number, number];
  const ha = adaptiveAxis(h, oh);
  const wa = adaptiveAxis(w, ow);
  return { c, h: ha, w: wa, uniform: adaptiveUniform(h, w, oh, ow) };
}

/** Every adaptive window is (in/out)×(in/out) with that stride: out divides in on both axes. */
export function adaptiveUniform(h: number, w: number, oh: number, ow: number): boolean {
  return h % oh === 0 && w % ow === 0;
}

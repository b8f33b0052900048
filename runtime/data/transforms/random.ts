// The random transforms, split as torchvision 0.14 splits them: `draw` picks the parameters (the algorithms of
// RandomCrop.get_params, RandomResizedCrop.get_params, ColorJitter.get_params, RandomHorizontalFlip's torch.rand
// test) and a deterministic `apply` uses them. The random numbers come from cnnc's Rng through `Draws`, one
// stream per sample and epoch (sampleRng), so an augmented batch is the same bit for bit whatever the thread
// count or the order samples are prepared in.
import { Rng } from '../../rng.js';
import { permutation, uniformInt } from '../../train/shuffle.js';
import type { Image8 } from '../image.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from './color.js';
import { crop, hflip, pad, paddingLTRB } from './geometry.js';
import { resize } from './resize.js';
import type {
  ColorJitterTransform,
  RandomCropTransform,
  RandomHorizontalFlipTransform,
  RandomResizedCropTransform,
  RandomTransform,
} from './types.js';
import { TRANSFORM_DEFAULTS, sizeHW } from './types.js';

/** The three kinds of draw torchvision's parameter algorithms make, in torch's terms. */
export interface Draws {
  /** torch.empty(1).uniform_(lo, hi).item(): a float32 in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** torch.randint(lo, hi, (1,)).item(): an integer in [lo, hi). */
  integer(lo: number, hi: number): number;
  /** torch.randperm(n). */
  permutation(n: number): number[];
}

/** Draws from a cnnc Rng: uniform as torch's uniform_ (lo + (hi − lo)·u, rounded to float32), integers
 *  without modulo bias, permutations by Fisher–Yates. */
export function rngDraws(rng: Rng): Draws {
  return {
    uniform: (lo, hi) => Math.fround(Math.fround(lo) + (Math.fround(hi) - Math.fround(lo)) * rng.nextFloat()),
    integer: (lo, hi) => lo + uniformInt(rng, hi - lo),
    permutation: (n) => permutation(rng, new Array<number>(n)),
  };
}

const TWO_POW_32 = 0x100000000;

/** The Rng of sample `sampleIndex` in epoch `epoch` of a run seeded `seed`: its four state words are a bijective
 *  mix (four Feistel-like rounds of the splitmix32 mixer) of (seed's low 32 bits, seed's high bits, epoch,
 *  sampleIndex), so different triples never share a stream. seed: a safe integer; epoch and sampleIndex: 0 … 2^32 − 1. */
export function sampleRng(seed: number, epoch: number, sampleIndex: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`sampleRng: seed must be a safe integer, got ${seed}`);
  for (const [name, v] of [['epoch', epoch], ['sampleIndex', sampleIndex]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= TWO_POW_32) throw new RangeError(`sampleRng: ${name} must be an integer 0 … 2^32 − 1, got ${v}`);
  }
  const w = [seed >>> 0, Math.floor(seed / TWO_POW_32) >>> 0, epoch >>> 0, sampleIndex >>> 0];
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 4; i++) {
      // w[i] ← mix(w[i] ^ f(w[i−1])): invertible given the other words, so the whole map is a bijection.
      w[i] = mix32((w[i]! ^ (mix32(w[(i + 3) & 3]! + Math.imul(round * 4 + i + 1, 0x9e3779b9)) >>> 0)) >>> 0) >>> 0;
    }
  }
  // The one triple that maps to the all-zero state (which xoshiro forbids) gets a fixed non-zero one.
  if (!w.some((x) => x !== 0)) w[0] = 1;
  const rng = new Rng(0);
  rng.setState(w);
  return rng;
}

/** The splitmix32 output mixer (the same bijection runtime/rng.ts seeds with). */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) | 0;
}

/** Python's round(): ties to even. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// ---- random_crop ---------------------------------------------------------------------------------------------

export interface CropParams {
  readonly top: number;
  readonly left: number;
}

/** RandomCrop.forward's padding: `padding` on every side, then pad_if_needed's [size − W, 0] and [0, size − H]
 *  (torchvision pads both sides by the shortfall, so the padded image is 2·size − W wide). Returns [h, w]. */
export function randomCropPaddedSize(t: RandomCropTransform, height: number, width: number): [number, number] {
  const [l, tp, r, b] = paddingLTRB(t.padding ?? TRANSFORM_DEFAULTS.random_crop.padding);
  let h = height + tp + b, w = width + l + r;
  const [th, tw] = sizeHW(t.size);
  if (t.pad_if_needed && w < tw) w += 2 * (tw - w);
  if (t.pad_if_needed && h < th) h += 2 * (th - h);
  return [h, w];
}

/** RandomCrop.get_params on the padded image: i = randint(0, h − th + 1), then j = randint(0, w − tw + 1);
 *  no draw when the image is exactly the crop. */
export function drawRandomCrop(t: RandomCropTransform, draws: Draws, imageSize: readonly [number, number]): CropParams {
  const [h, w] = randomCropPaddedSize(t, imageSize[0], imageSize[1]);
  const [th, tw] = sizeHW(t.size);
  if (h < th || w < tw) {
    throw new RangeError(`random_crop: the crop ${th}×${tw} is larger than the (padded) image ${h}×${w}; set pad_if_needed: true or a larger padding`);
  }
  if (w === tw && h === th) return { top: 0, left: 0 };
  const top = draws.integer(0, h - th + 1);
  const left = draws.integer(0, w - tw + 1);
  return { top, left };
}

export function applyRandomCrop(t: RandomCropTransform, img: Image8, p: CropParams): Image8 {
  const fill = t.fill ?? TRANSFORM_DEFAULTS.random_crop.fill;
  const mode = t.padding_mode ?? TRANSFORM_DEFAULTS.random_crop.padding_mode;
  let im = img;
  if (t.padding !== undefined && t.padding !== 0) im = pad(im, t.padding, fill, mode);
  const [th, tw] = sizeHW(t.size);
  const height = im.height;
  if (t.pad_if_needed && im.width < tw) im = pad(im, [tw - im.width, 0], fill, mode);
  if (t.pad_if_needed && height < th) im = pad(im, [0, th - height], fill, mode);
  return crop(im, p.top, p.left, th, tw);
}

// ---- random_horizontal_flip ----------------------------------------------------------------------------------

export interface FlipParams {
  readonly flip: boolean;
}

/** RandomHorizontalFlip: flip when torch.rand(1) < p (one draw, always made). */
export function drawFlip(t: RandomHorizontalFlipTransform, draws: Draws): FlipParams {
  return { flip: draws.uniform(0, 1) < (t.p ?? TRANSFORM_DEFAULTS.random_horizontal_flip.p) };
}

export function applyFlip(img: Image8, p: FlipParams): Image8 {
  return p.flip ? hflip(img) : img;
}

// ---- random_resized_crop -------------------------------------------------------------------------------------

export interface ResizedCropParams {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/** RandomResizedCrop.get_params: up to 10 attempts of area · U(scale) and exp(U(log ratio)) (torch float32),
 *  w = round(√(area·ratio)), h = round(√(area/ratio)) (Python's round), accepted if 0 < w ≤ W and 0 < h ≤ H,
 *  then i = randint(0, H − h + 1), j = randint(0, W − w + 1); else the fallback: the central crop of the
 *  whole image clamped to the ratio range. */
export function drawResizedCrop(t: RandomResizedCropTransform, draws: Draws, imageSize: readonly [number, number]): ResizedCropParams {
  const [height, width] = imageSize;
  const scale = t.scale ?? TRANSFORM_DEFAULTS.random_resized_crop.scale;
  const ratio = t.ratio ?? TRANSFORM_DEFAULTS.random_resized_crop.ratio;
  const area = height * width;
  // torch.log(torch.tensor(ratio)): float32.
  const logLo = Math.fround(Math.log(Math.fround(ratio[0])));
  const logHi = Math.fround(Math.log(Math.fround(ratio[1])));
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * draws.uniform(scale[0], scale[1]);
    const aspectRatio = Math.fround(Math.exp(draws.uniform(logLo, logHi)));
    const w = pyRound(Math.sqrt(targetArea * aspectRatio));
    const h = pyRound(Math.sqrt(targetArea / aspectRatio));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = draws.integer(0, height - h + 1);
      const left = draws.integer(0, width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  const minRatio = Math.min(ratio[0], ratio[1]), maxRatio = Math.max(ratio[0], ratio[1]);
  let w: number, h: number;
  if (inRatio < minRatio) {
    w = width;
    h = pyRound(w / minRatio);
  } else if (inRatio > maxRatio) {
    h = height;
    w = pyRound(h * maxRatio);
  } else {
    w = width;
    h = height;
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/** F.resized_crop: crop, then resize to size (bilinear, antialias; an integer is a square here, as
 *  RandomResizedCrop's _setup_size makes it). */
export function applyResizedCrop(t: RandomResizedCropTransform, img: Image8, p: ResizedCropParams): Image8 {
  return resize(crop(img, p.top, p.left, p.height, p.width), sizeHW(t.size));
}

// ---- color_jitter --------------------------------------------------------------------------------------------

export interface JitterParams {
  /** torch.randperm(4): 0 brightness, 1 contrast, 2 saturation, 3 hue. */
  readonly order: readonly number[];
  readonly brightness?: number;
  readonly contrast?: number;
  readonly saturation?: number;
  readonly hue?: number;
}

/** ColorJitter._check_input: a number v → [max(0, 1 − v), 1 + v] ([−v, v] for hue); a pair as given; null when
 *  the range is the identity (no draw is made for it). */
export function jitterRange(value: number | readonly [number, number] | undefined, name: string, hue = false): [number, number] | null {
  const center = hue ? 0 : 1;
  const bound: [number, number] = hue ? [-0.5, 0.5] : [0, Infinity];
  if (value === undefined) return null;
  let range: [number, number];
  if (typeof value === 'number') {
    if (!(value >= 0)) throw new RangeError(`color_jitter: ${name} must be a non-negative number or a [min, max] pair, got ${value}`);
    range = [center - value, center + value];
    if (!hue) range[0] = Math.max(range[0], 0);
    else if (value > 0.5) throw new RangeError(`color_jitter: hue must be at most 0.5, got ${value}`);
  } else {
    range = [value[0], value[1]];
    if (!(bound[0] <= range[0] && range[0] <= range[1] && range[1] <= bound[1])) {
      throw new RangeError(`color_jitter: ${name} must satisfy ${bound[0]} ≤ min ≤ max ≤ ${bound[1]}, got [${range[0]}, ${range[1]}]`);
    }
  }
  return range[0] === center && range[1] === center ? null : range;
}

/** ColorJitter.get_params: the permutation first, then one float32 factor per adjustment that is on, in the
 *  order brightness, contrast, saturation, hue. */
export function drawJitter(t: ColorJitterTransform, draws: Draws): JitterParams {
  const b = jitterRange(t.brightness, 'brightness');
  const c = jitterRange(t.contrast, 'contrast');
  const s = jitterRange(t.saturation, 'saturation');
  const h = jitterRange(t.hue, 'hue', true);
  const order = draws.permutation(4);
  const params: { order: number[]; brightness?: number; contrast?: number; saturation?: number; hue?: number } = { order };
  if (b) params.brightness = draws.uniform(b[0], b[1]);
  if (c) params.contrast = draws.uniform(c[0], c[1]);
  if (s) params.saturation = draws.uniform(s[0], s[1]);
  if (h) params.hue = draws.uniform(h[0], h[1]);
  return params;
}

export function applyJitter(img: Image8, p: JitterParams): Image8 {
  let im = img;
  for (const id of p.order) {
    if (id === 0 && p.brightness !== undefined) im = adjustBrightness(im, p.brightness);
    else if (id === 1 && p.contrast !== undefined) im = adjustContrast(im, p.contrast);
    else if (id === 2 && p.saturation !== undefined) im = adjustSaturation(im, p.saturation);
    else if (id === 3 && p.hue !== undefined) im = adjustHue(im, p.hue);
  }
  return im;
}

// ---- one entry point per transform ---------------------------------------------------------------------------

export type RandomParams = CropParams | FlipParams | ResizedCropParams | JitterParams;

/** The parameters of a random transform for an image of [height, width], from an Rng (one stream per sample:
 *  sampleRng) or any Draws (the tests replay torch's own draws through it). */
export function drawParams(t: RandomTransform, rng: Rng | Draws, imageSize: readonly [number, number]): RandomParams {
  const draws = rng instanceof Rng ? rngDraws(rng) : rng;
  switch (t.kind) {
    case 'random_crop': return drawRandomCrop(t, draws, imageSize);
    case 'random_horizontal_flip': return drawFlip(t, draws);
    case 'random_resized_crop': return drawResizedCrop(t, draws, imageSize);
    case 'color_jitter': return drawJitter(t, draws);
  }
}

/** A random transform with parameters from drawParams (for this transform and image size). */
export function applyParams(t: RandomTransform, img: Image8, p: RandomParams): Image8 {
  switch (t.kind) {
    case 'random_crop': return applyRandomCrop(t, img, p as CropParams);
    case 'random_horizontal_flip': return applyFlip(img, p as FlipParams);
    case 'random_resized_crop': return applyResizedCrop(t, img, p as ResizedCropParams);
    case 'color_jitter': return applyJitter(img, p as JitterParams);
  }
}

// A list of transforms as torchvision.transforms.Compose runs it, on Image8: the image ops in order, normalize
// left to toTensor (it acts on the float tensor, so it comes last). Also what the compiler and the CLI read from a
// pipeline without running it: its output size, its problems, and one line per transform.
import type { Rng } from '../../rng.js';
import type { Image8 } from '../image.js';
import { centerCrop, paddingLTRB } from './geometry.js';
import type { Draws } from './random.js';
import { applyParams, drawParams, jitterRange, rngDraws } from './random.js';
import { resize, resizeOutputSize } from './resize.js';
import type { NormalizeParams } from './tensor.js';
import type { TransformSize, TransformSpec } from './types.js';
import { TRANSFORM_DEFAULTS, isRandomTransform, sizeHW } from './types.js';

export interface PipelineOptions {
  /** true: the random transforms run (drawing from rng); false (evaluation): they are skipped. */
  readonly train: boolean;
  /** The sample's stream (sampleRng(seed, epoch, index)); required when train is true and a random transform is there. */
  readonly rng?: Rng | Draws;
}

/** Runs the image transforms in order; `normalize` is skipped here (see pipelineNormalize and toTensor). */
export function applyPipeline(img: Image8, transforms: readonly TransformSpec[], options: PipelineOptions): Image8 {
  let im = img;
  let draws: Draws | undefined;
  for (const t of transforms) {
    if (isRandomTransform(t)) {
      if (!options.train) continue;
      if (!options.rng) throw new RangeError(`applyPipeline: ${t.kind} is random and needs options.rng in training`);
      draws ??= 'nextUint32' in options.rng ? rngDraws(options.rng) : options.rng;
      im = applyParams(t, im, drawParams(t, draws, [im.height, im.width]));
      continue;
    }
    switch (t.kind) {
      case 'resize': im = resize(im, t.size); break;
      case 'center_crop': im = centerCrop(im, t.size); break;
      case 'normalize': break;
    }
  }
  return im;
}

/** The pipeline's normalize (mean, std) for toTensor, or undefined; the last one if there are several. */
export function pipelineNormalize(transforms: readonly TransformSpec[]): NormalizeParams | undefined {
  let n: NormalizeParams | undefined;
  for (const t of transforms) if (t.kind === 'normalize') n = { mean: t.mean, std: t.std };
  return n;
}

/** The [h, w] the pipeline ends at for an input of inputSize ([h, w]), or null when that depends on the input's
 *  size and inputSize is not given (a resize to the smaller edge, or no size-setting transform at all). With
 *  train false the random transforms are skipped, as applyPipeline skips them. */
export function pipelineOutputSize(
  transforms: readonly TransformSpec[],
  inputSize?: readonly [number, number],
  train = true,
): [number, number] | null {
  let size: [number, number] | null = inputSize ? [inputSize[0], inputSize[1]] : null;
  for (const t of transforms) {
    if (!train && isRandomTransform(t)) continue;
    switch (t.kind) {
      case 'resize':
        size = typeof t.size === 'number' ? (size ? resizeOutputSize(t.size, size[0], size[1]) : null) : [t.size[0], t.size[1]];
        break;
      case 'center_crop':
      case 'random_crop':
      case 'random_resized_crop':
        size = sizeHW(t.size);
        break;
      case 'normalize':
      case 'random_horizontal_flip':
      case 'color_jitter':
        break;
    }
  }
  return size;
}

/** Everything wrong with one transform's arguments, one line each (empty when it is fine). channels, when
 *  known, checks normalize's and fill's lengths. */
export function transformProblems(t: TransformSpec, channels?: 1 | 3): string[] {
  const problems: string[] = [];
  const guard = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      problems.push((e as Error).message);
    }
  };
  const checkSize = (size: TransformSize): void => {
    const hw = typeof size === 'number' ? [size] : size;
    if ((typeof size !== 'number' && size.length !== 2) || !hw.every((v) => Number.isInteger(v) && v >= 1)) {
      problems.push(`${t.kind}: size must be a positive integer or [h, w] of positive integers, got ${JSON.stringify(size)}`);
    }
  };
  const checkPair = (name: string, v: readonly number[], lo: number): void => {
    if (v.length !== 2 || !v.every(Number.isFinite) || !(v[0]! >= lo) || v[0]! > v[1]!) {
      problems.push(`${t.kind}: ${name} must be [min, max] with ${lo === 0 ? '0 ≤' : '0 <'} min ≤ max, got ${JSON.stringify(v)}`);
    }
  };
  switch (t.kind) {
    case 'resize':
    case 'center_crop':
      checkSize(t.size);
      break;
    case 'normalize': {
      for (const [name, v] of [['mean', t.mean], ['std', t.std]] as const) {
        if (v.length === 0 || !v.every(Number.isFinite)) problems.push(`normalize: ${name} must be a non-empty list of numbers`);
        else if (channels !== undefined && v.length !== 1 && v.length !== channels) {
          problems.push(`normalize: ${name} has ${v.length} values; the input has ${channels} channel${channels === 1 ? '' : 's'} (give ${channels === 1 ? 'one value' : `1 or ${channels}`})`);
        }
      }
      if (t.std.some((s) => Math.fround(s) === 0)) problems.push('normalize: std must not be 0 (division by zero)');
      break;
    }
    case 'random_crop': {
      checkSize(t.size);
      if (t.padding !== undefined) guard(() => paddingLTRB(t.padding!));
      const fill = t.fill ?? 0;
      const f = typeof fill === 'number' ? [fill] : fill;
      if (!f.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) problems.push(`random_crop: fill must be integers 0…255, got ${JSON.stringify(fill)}`);
      else if (channels !== undefined && typeof fill !== 'number' && fill.length !== channels) {
        problems.push(`random_crop: fill has ${fill.length} values; the input has ${channels} channel${channels === 1 ? '' : 's'}`);
      }
      break;
    }
    case 'random_horizontal_flip':
      if (t.p !== undefined && !(t.p >= 0 && t.p <= 1)) problems.push(`random_horizontal_flip: p must be in [0, 1], got ${t.p}`);
      break;
    case 'random_resized_crop':
      checkSize(t.size);
      if (t.scale) checkPair('scale', t.scale, 0);
      if (t.ratio) checkPair('ratio', t.ratio, Number.MIN_VALUE);
      break;
    case 'color_jitter':
      guard(() => jitterRange(t.brightness, 'brightness'));
      guard(() => jitterRange(t.contrast, 'contrast'));
      guard(() => jitterRange(t.saturation, 'saturation'));
      guard(() => jitterRange(t.hue, 'hue', true));
      break;
  }
  return problems;
}

/** One short line per transform, every default resolved (for cnnc inspect and cnnc diff). */
export function describeTransform(t: TransformSpec): string {
  const hw = (s: TransformSize): string => sizeHW(s).join('×');
  const range = (r: readonly number[]): string => `[${r.map((v) => num(v)).join(', ')}]`;
  switch (t.kind) {
    case 'resize':
      return typeof t.size === 'number'
        ? `resize ${t.size} (smaller edge, bilinear + antialias)`
        : `resize ${hw(t.size)} (h×w, bilinear + antialias)`;
    case 'center_crop':
      return `center_crop ${hw(t.size)} (zero padding where larger)`;
    case 'normalize':
      return `normalize mean ${range(t.mean)} std ${range(t.std)}`;
    case 'random_crop': {
      const d = TRANSFORM_DEFAULTS.random_crop;
      const [l, tp, r, b] = paddingLTRB(t.padding ?? d.padding);
      const padding = l === tp && tp === r && r === b ? `${l}` : `[${l}, ${tp}, ${r}, ${b}] (l, t, r, b)`;
      const mode = t.padding_mode ?? d.padding_mode;
      const fill = t.fill ?? d.fill;
      const modeText = mode === 'constant' ? `constant ${typeof fill === 'number' ? fill : range(fill)}` : mode;
      return `random_crop ${hw(t.size)}, padding ${padding} (${modeText})${t.pad_if_needed ? ', pad_if_needed' : ''}, train only`;
    }
    case 'random_horizontal_flip':
      return `random_horizontal_flip p=${num(t.p ?? TRANSFORM_DEFAULTS.random_horizontal_flip.p)}, train only`;
    case 'random_resized_crop': {
      const d = TRANSFORM_DEFAULTS.random_resized_crop;
      return `random_resized_crop ${hw(t.size)}, scale ${range(t.scale ?? d.scale)}, ratio ${range(t.ratio ?? d.ratio)}, bilinear + antialias, train only`;
    }
    case 'color_jitter': {
      const parts: string[] = [];
      for (const name of ['brightness', 'contrast', 'saturation', 'hue'] as const) {
        const r = jitterRange(t[name], name, name === 'hue');
        if (r) parts.push(`${name} ${range(r)}`);
      }
      return `color_jitter ${parts.length ? parts.join(', ') : '(identity)'}, random order, train only`;
    }
  }
}

/** A number in at most 4 significant digits (0.75, 1.333, 0.1307). */
function num(v: number): string {
  return String(Number(v.toPrecision(4)));
}

// The transforms of a spec's data pipeline: torchvision.transforms' names and argument names (0.14), as plain,
// JSON-serializable data (the JSON Schema of the spec is written from this type). Every field that torchvision
// gives a default is optional here and resolved by TRANSFORM_DEFAULTS, so a spec reads like the Python it mirrors:
// `transforms.RandomCrop(32, padding=4)` is `{ kind: random_crop, size: 32, padding: 4 }`.
//
// Sizes: an integer n or [h, w]. For `resize` an integer is the smaller edge (aspect ratio kept, torchvision's
// rounding); for every crop it is a square n×n.

/** An integer (see each transform) or [height, width]. */
export type TransformSize = number | readonly [number, number];

/** numpy.pad's modes, as torchvision.transforms.functional.pad names them. */
export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/** torchvision.transforms.Resize(size) — bilinear with antialias, as PIL's Image.resize(BILINEAR). */
export interface ResizeTransform {
  readonly kind: 'resize';
  readonly size: TransformSize;
}

/** torchvision.transforms.CenterCrop(size) — zero padding where the crop is larger than the image. */
export interface CenterCropTransform {
  readonly kind: 'center_crop';
  readonly size: TransformSize;
}

/** torchvision.transforms.Normalize(mean, std) — on the [0, 1] tensor; one value, or one per channel. */
export interface NormalizeTransform {
  readonly kind: 'normalize';
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** torchvision.transforms.RandomCrop(size, padding=None, pad_if_needed=False, fill=0, padding_mode='constant').
 *  padding: an integer (all four sides), [left/right, top/bottom], or [left, top, right, bottom]. */
export interface RandomCropTransform {
  readonly kind: 'random_crop';
  readonly size: TransformSize;
  readonly padding?: number | readonly number[];
  readonly pad_if_needed?: boolean;
  /** The constant mode's value: one for every channel, or [r, g, b]; integers 0…255 (PIL truncates to int). */
  readonly fill?: number | readonly number[];
  readonly padding_mode?: PaddingMode;
}

/** torchvision.transforms.RandomHorizontalFlip(p=0.5). */
export interface RandomHorizontalFlipTransform {
  readonly kind: 'random_horizontal_flip';
  readonly p?: number;
}

/** torchvision.transforms.RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3/4, 4/3)) — bilinear, antialias. */
export interface RandomResizedCropTransform {
  readonly kind: 'random_resized_crop';
  readonly size: TransformSize;
  readonly scale?: readonly [number, number];
  readonly ratio?: readonly [number, number];
}

/** torchvision.transforms.ColorJitter(brightness=0, contrast=0, saturation=0, hue=0). A number v means the factor
 *  range [max(0, 1 − v), 1 + v] ([−v, v] for hue, v ≤ 0.5); [lo, hi] is the range itself. */
export interface ColorJitterTransform {
  readonly kind: 'color_jitter';
  readonly brightness?: number | readonly [number, number];
  readonly contrast?: number | readonly [number, number];
  readonly saturation?: number | readonly [number, number];
  readonly hue?: number | readonly [number, number];
}

export type DeterministicTransform = ResizeTransform | CenterCropTransform | NormalizeTransform;
export type RandomTransform =
  | RandomCropTransform
  | RandomHorizontalFlipTransform
  | RandomResizedCropTransform
  | ColorJitterTransform;
export type TransformSpec = DeterministicTransform | RandomTransform;
export type TransformKind = TransformSpec['kind'];

/** torchvision 0.14's defaults for every optional argument. */
export const TRANSFORM_DEFAULTS = {
  random_crop: { padding: 0, pad_if_needed: false, fill: 0, padding_mode: 'constant' },
  random_horizontal_flip: { p: 0.5 },
  random_resized_crop: { scale: [0.08, 1.0], ratio: [3 / 4, 4 / 3] },
  color_jitter: { brightness: 0, contrast: 0, saturation: 0, hue: 0 },
} as const;

export const RANDOM_KINDS: ReadonlySet<TransformKind> = new Set<TransformKind>([
  'random_crop',
  'random_horizontal_flip',
  'random_resized_crop',
  'color_jitter',
]);

export function isRandomTransform(t: TransformSpec): t is RandomTransform {
  return RANDOM_KINDS.has(t.kind);
}

/** A size argument as [h, w]: torchvision's `_setup_size` for crops (n → n×n). */
export function sizeHW(size: TransformSize): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}

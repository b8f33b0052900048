// PIL's Image.convert('L') and .convert('RGB') from the modes a decoder opens an image in, with Pillow 9.4's
// formulas (src/libImaging/Convert.c): what torchvision's ImageFolder loader (`Image.open(f).convert('RGB')`)
// hands a model, so a model trained here sees the pixels it would see in PyTorch.
// Browser-safe: plain typed arrays.

import type { ColorMode, Image8 } from '../image.js';

/** An image as PIL opens it, before convert: 8-bit samples, HWC. A palette image is opened already expanded
 *  to RGB (PIL's P → RGB looks each index up; P → L is L24 of that colour, the same as RGB → L). */
export interface OpenedImage {
  readonly width: number;
  readonly height: number;
  readonly mode: 'L' | 'LA' | 'RGB' | 'RGBA';
  readonly data: Uint8Array;
}

/** ITU-R 601-2 luma in 16-bit fixed point, rounded: Convert.c's
 *  `#define L24(rgb) ((rgb)[0] * 19595 + (rgb)[1] * 38470 + (rgb)[2] * 7471 + 0x8000)`, `L = L24 >> 16`. */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

const STRIDE = { L: 1, LA: 2, RGB: 3, RGBA: 4 } as const;

/** PIL's convert to `mode`: L → RGB replicates (l2rgb), LA drops alpha (la2l, la2rgb), RGB → L is L24 (rgb2l),
 *  RGBA → RGB drops alpha without compositing (rgba2rgb: a transparent pixel keeps the colour stored under it),
 *  RGBA → L is L24 of its RGB. */
export function convertTo(img: OpenedImage, mode: ColorMode): Image8 {
  const { width, height } = img;
  const n = width * height;
  const src = img.data;
  const stride = STRIDE[img.mode];
  const gray = img.mode === 'L' || img.mode === 'LA';
  if (mode === 'L') {
    if (img.mode === 'L') return { width, height, channels: 1, data: src };
    const out = new Uint8Array(n);
    if (gray) for (let i = 0, j = 0; i < n; i++, j += stride) out[i] = src[j];
    else for (let i = 0, j = 0; i < n; i++, j += stride) out[i] = luma(src[j], src[j + 1], src[j + 2]);
    return { width, height, channels: 1, data: out };
  }
  if (img.mode === 'RGB') return { width, height, channels: 3, data: src };
  const out = new Uint8Array(n * 3);
  for (let i = 0, j = 0, k = 0; i < n; i++, j += stride, k += 3) {
    if (gray) {
      out[k] = out[k + 1] = out[k + 2] = src[j];
    } else {
      out[k] = src[j];
      out[k + 1] = src[j + 1];
      out[k + 2] = src[j + 2];
    }
  }
  return { width, height, channels: 3, data: out };
}

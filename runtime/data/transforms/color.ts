// Colour adjustments as torchvision.transforms.functional does them on a PIL image (0.14): PIL's ImageEnhance
// (Pillow 9.4), each one Image.blend(degenerate, image, factor):
// - brightness: degenerate = black;
// - contrast: degenerate = a flat image at int(mean(convert('L')) + 0.5);
// - saturation (ImageEnhance.Color): degenerate = convert('L').convert(mode);
// - hue: RGB → PIL's HSV, h += uint8(hue · 255) modulo 256, back to RGB (a no-op on L images).
// Image.blend (libImaging/Blend.c) computes in C float: out = in1 + alpha · (in2 − in1), truncated to uint8;
// outside alpha ∈ [0, 1] it clips to 0…255 first. Math.fround reproduces each float operation.
import type { Image8 } from '../image.js';
import { luma } from '../decode/pil-convert.js';

/** PIL's ImagingBlend(im1, im2, alpha) on equal-sized images. */
export function blend(im1: Image8, im2: Image8, alpha: number): Image8 {
  const a = Math.fround(alpha);
  if (a === 0) return { ...im1, data: im1.data.slice() };
  if (a === 1) return { ...im2, data: im2.data.slice() };
  const d1 = im1.data, d2 = im2.data;
  const out = new Uint8Array(d1.length);
  const interpolate = a >= 0 && a <= 1;
  for (let i = 0; i < d1.length; i++) {
    const v1 = d1[i]!;
    const t = Math.fround(v1 + Math.fround(a * (d2[i]! - v1)));
    out[i] = interpolate ? Math.trunc(t) : t <= 0 ? 0 : t >= 255 ? 255 : Math.trunc(t);
  }
  return { width: im1.width, height: im1.height, channels: im1.channels, data: out };
}

/** Blend against a constant image (value per byte `degenerate`), without allocating it. */
function blendConstant(img: Image8, degenerate: number, alpha: number): Image8 {
  const a = Math.fround(alpha);
  if (a === 0) return { ...img, data: new Uint8Array(img.data.length).fill(degenerate) };
  if (a === 1) return { ...img, data: img.data.slice() };
  const d = img.data;
  const out = new Uint8Array(d.length);
  const interpolate = a >= 0 && a <= 1;
  // 256 possible inputs: one table.
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const t = Math.fround(degenerate + Math.fround(a * (v - degenerate)));
    lut[v] = interpolate ? Math.trunc(t) : t <= 0 ? 0 : t >= 255 ? 255 : Math.trunc(t);
  }
  for (let i = 0; i < d.length; i++) out[i] = lut[d[i]!]!;
  return { width: img.width, height: img.height, channels: img.channels, data: out };
}

/** PIL's convert('L') of an RGB image (ITU-R 601-2 luma, libImaging/Convert.c L24: luma() of the decoder's
 *  PIL conversions). An L image is returned as it is. */
export function toGray(img: Image8): Image8 {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const d = img.data;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = luma(d[3 * i]!, d[3 * i + 1]!, d[3 * i + 2]!);
  return { width: img.width, height: img.height, channels: 1, data: out };
}

/** PIL's convert('RGB') of an L image: the value in all three channels. An RGB image is returned as it is. */
export function toRgb(img: Image8): Image8 {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = img.data[i]!;
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** F.adjust_brightness: ImageEnhance.Brightness(img).enhance(factor). */
export function adjustBrightness(img: Image8, factor: number): Image8 {
  checkFactor('brightness', factor);
  return blendConstant(img, 0, factor);
}

/** F.adjust_contrast: ImageEnhance.Contrast(img).enhance(factor); the grey level is ImageStat's mean of the L
 *  image (a float64 sum over the histogram) rounded by int(mean + 0.5). */
export function adjustContrast(img: Image8, factor: number): Image8 {
  checkFactor('contrast', factor);
  const gray = toGray(img).data;
  const hist = new Float64Array(256);
  for (let i = 0; i < gray.length; i++) hist[gray[i]!]!++;
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += v * hist[v]!;
  const mean = Math.trunc(sum / gray.length + 0.5);
  return blendConstant(img, mean, factor);
}

/** F.adjust_saturation: ImageEnhance.Color(img).enhance(factor), blending with convert('L').convert('RGB').
 *  An L image blends with itself: a copy. */
export function adjustSaturation(img: Image8, factor: number): Image8 {
  checkFactor('saturation', factor);
  if (img.channels === 1) return { ...img, data: img.data.slice() };
  return blend(toRgb(toGray(img)), img, factor);
}

/** F.adjust_hue (hue_factor in [−0.5, 0.5]): PIL's RGB → HSV (libImaging/Convert.c rgb2hsv, C float), the hue
 *  byte shifted by uint8(hue_factor · 255) modulo 256 as numpy's uint8 addition, HSV → RGB (hsv2rgb). */
export function adjustHue(img: Image8, hueFactor: number): Image8 {
  if (!(hueFactor >= -0.5 && hueFactor <= 0.5)) throw new RangeError(`hue_factor must be in [-0.5, 0.5], got ${hueFactor}`);
  if (img.channels === 1) return img;
  // np.uint8(hue_factor * 255): C's float → uint8 conversion; for a negative value numpy wraps modulo 256.
  const shift = ((Math.trunc(hueFactor * 255) % 256) + 256) % 256;
  const d = img.data;
  const out = new Uint8Array(d.length);
  const hsv = [0, 0, 0];
  const rgb = [0, 0, 0];
  for (let i = 0; i < d.length; i += 3) {
    rgbToHsv(d[i]!, d[i + 1]!, d[i + 2]!, hsv);
    hsvToRgb((hsv[0]! + shift) & 255, hsv[1]!, hsv[2]!, rgb);
    out[i] = rgb[0]!;
    out[i + 1] = rgb[1]!;
    out[i + 2] = rgb[2]!;
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

const f = Math.fround;

function clip8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : v;
}

/** libImaging/Convert.c rgb2hsv_row. C's promotions matter: cr, s, rc, gc, bc are floats; `2.0 + rc - bc`
 *  is double then stored in a float; h / 6.0 + 1.0, fmod and the · 255.0 are double. */
function rgbToHsv(r: number, g: number, b: number, out: number[]): void {
  const maxc = Math.max(r, g, b), minc = Math.min(r, g, b);
  if (minc === maxc) {
    out[0] = 0;
    out[1] = 0;
    out[2] = maxc;
    return;
  }
  const cr = maxc - minc;
  const s = f(cr / maxc);
  const rc = f((maxc - r) / cr), gc = f((maxc - g) / cr), bc = f((maxc - b) / cr);
  let h: number;
  if (r === maxc) h = f(bc - gc);
  else if (g === maxc) h = f(2.0 + rc - bc);
  else h = f(4.0 + gc - rc);
  h = f((h / 6.0 + 1.0) % 1.0);
  out[0] = clip8(Math.trunc(h * 255.0));
  out[1] = clip8(Math.trunc(s * 255.0));
  out[2] = maxc;
}

/** libImaging/Convert.c hsv2rgb: i = floor(h · 6 / 255) and the remainder f (a float) in double; p, q, t by C's
 *  round (half away from zero) in double, except fs · f, a float product. */
function hsvToRgb(h: number, s: number, v: number, out: number[]): void {
  if (s === 0) {
    out[0] = out[1] = out[2] = v;
    return;
  }
  const i = Math.floor((h * 6.0) / 255.0);
  const ff = f((h * 6.0) / 255.0 - i);
  const fs = f(s / 255.0);
  const p = clip8(Math.round(v * (1.0 - fs)));
  const q = clip8(Math.round(v * (1.0 - f(fs * ff))));
  const t = clip8(Math.round(v * (1.0 - fs * (1.0 - ff))));
  switch (i % 6) {
    case 0: out[0] = v; out[1] = t; out[2] = p; break;
    case 1: out[0] = q; out[1] = v; out[2] = p; break;
    case 2: out[0] = p; out[1] = v; out[2] = t; break;
    case 3: out[0] = p; out[1] = q; out[2] = v; break;
    case 4: out[0] = t; out[1] = p; out[2] = v; break;
    default: out[0] = v; out[1] = p; out[2] = q; break;
  }
}

function checkFactor(name: string, factor: number): void {
  if (!(factor >= 0) || !Number.isFinite(factor)) throw new RangeError(`${name}_factor must be a finite number ≥ 0, got ${factor}`);
}

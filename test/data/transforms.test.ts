// runtime/data/transforms against torchvision 0.14 / Pillow 9.4 on real images (Fashion-MNIST digits, the
// chromium package's colour icons), fixtures made by tools/images/make_transform_fixtures.py. Every
// deterministic op is compared byte for byte (uint8) or bit for bit (float32 tensors); the largest difference
// of each family is printed. The bar is 1/255; the port claims exactness, so the tests ask for 0.
// The random transforms: apply with fixed parameters against torchvision.transforms.functional with those
// parameters, and draw against torch's own random numbers replayed through cnnc's algorithms.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import type { Image8 } from '../../runtime/data/image.js';
import {
  adjustBrightness, adjustContrast, adjustHue, adjustSaturation, applyParams, applyPipeline, centerCrop, crop,
  describeTransform, drawParams, hflip, pad, pipelineNormalize, pipelineOutputSize, resize, resizeBilinear,
  sampleRng, toTensor, transformProblems,
  type Draws, type PaddingMode, type RandomTransform, type ResizedCropParams, type TransformSpec,
} from '../../runtime/data/transforms/index.js';
import { Rng } from '../../runtime/rng.js';

const DIR = fileURLToPath(new URL('../fixtures/transforms/', import.meta.url));

interface ImageOut { width: number; height: number; channels: 1 | 3; data: string }
interface TensorOut { shape: number[]; float32: string }
interface Case { name: string; input: string; op: string; args: Record<string, unknown>; out: ImageOut | TensorOut }
interface Draw { f: 'uniform' | 'integer' | 'permutation'; lo?: number; hi?: number; n?: number; v: number | number[] }
interface DrawCase { name: string; transform: RandomTransform; imageSize: [number, number]; draws: Draw[]; params: Record<string, unknown> }
interface SweepCase { input: string; crop: [number, number, number, number]; op: string; args: Record<string, unknown>; out: [number, number, number]; sha256: string }
interface Fixtures {
  meta: Record<string, string>;
  inputs: Record<string, { width: number; height: number; channels: 1 | 3; file: string }>;
  cases: Case[];
  sweep: SweepCase[];
  draws: DrawCase[];
}

const fx = JSON.parse(readFileSync(DIR + 'cases.json', 'utf8')) as Fixtures;
const inputs = new Map<string, Image8>(
  Object.entries(fx.inputs).map(([name, i]) => [name, { width: i.width, height: i.height, channels: i.channels, data: new Uint8Array(readFileSync(DIR + i.file)) }]),
);
const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));
const floats = (b64: string): Float32Array => {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** The largest difference per family, printed at the end. */
const worst = new Map<string, { diff: number; cases: number }>();
function note(family: string, diff: number): void {
  const w = worst.get(family) ?? { diff: 0, cases: 0 };
  worst.set(family, { diff: Math.max(w.diff, diff), cases: w.cases + 1 });
}
afterAll(() => {
  const lines = [...worst].map(([f, w]) => f.endsWith('(sweep)')
    ? `  ${f.padEnd(20)} ${w.diff} case(s) differ`
    : `  ${f.padEnd(20)} ${String(w.cases).padStart(3)} cases, max |Δ| ${w.diff}${f === 'to_tensor' ? '' : ' (×1/255)'}`);
  console.log(`transforms vs torchvision ${fx.meta.torchvision} / Pillow ${fx.meta.pillow}:\n${lines.join('\n')}`);
});

function expectImage(family: string, got: Image8, want: ImageOut): void {
  expect([got.height, got.width, got.channels]).toEqual([want.height, want.width, want.channels]);
  const w = bytes(want.data);
  let diff = 0, first = -1;
  for (let i = 0; i < w.length; i++) {
    const d = Math.abs(got.data[i]! - w[i]!);
    if (d > diff) diff = d;
    if (d !== 0 && first < 0) first = i;
  }
  note(family, diff);
  expect(diff, `max |Δ| ${diff} (first at byte ${first})`).toBe(0);
}

function runImageOp(c: Case, img: Image8): Image8 {
  const a = c.args;
  switch (c.op) {
    case 'resize': return resize(img, a.size as number | [number, number]);
    case 'center_crop': return centerCrop(img, a.size as number | [number, number]);
    case 'pad': return pad(img, a.padding as number | number[], a.fill as number | number[], a.mode as PaddingMode);
    case 'crop': return crop(img, a.top as number, a.left as number, a.height as number, a.width as number);
    case 'hflip': return hflip(img);
    case 'brightness': return adjustBrightness(img, a.factor as number);
    case 'contrast': return adjustContrast(img, a.factor as number);
    case 'saturation': return adjustSaturation(img, a.factor as number);
    case 'hue': return adjustHue(img, a.factor as number);
    case 'resized_crop': {
      const p = a as unknown as ResizedCropParams & { size: [number, number] };
      return applyParams({ kind: 'random_resized_crop', size: p.size }, img, p);
    }
    case 'random_crop': return applyParams(a.transform as RandomTransform, img, a.params as { top: number; left: number });
    case 'color_jitter': return applyParams({ kind: 'color_jitter' }, img, a.params as { order: number[] });
    default: throw new Error(`unknown fixture op ${c.op}`);
  }
}

const FAMILY: Record<string, string> = {
  resize: 'resize', center_crop: 'center_crop', pad: 'pad', crop: 'crop/hflip', hflip: 'crop/hflip',
  brightness: 'colour', contrast: 'colour', saturation: 'colour', hue: 'hue',
  resized_crop: 'random (apply)', random_crop: 'random (apply)', color_jitter: 'random (apply)',
};

describe('image ops equal torchvision.transforms.functional on PIL images, byte for byte', () => {
  const imageCases = fx.cases.filter((c) => c.op !== 'to_tensor' && c.op !== 'pipeline');
  test('the fixtures cover every op', () => {
    expect(new Set(imageCases.map((c) => c.op))).toEqual(new Set(Object.keys(FAMILY)));
  });
  for (const c of imageCases) {
    test(c.name, () => {
      const img = inputs.get(c.input)!;
      const before = img.data.slice();
      expectImage(FAMILY[c.op]!, runImageOp(c, img), c.out as ImageOut);
      expect(img.data, 'the input is left as it was').toEqual(before);
    });
  }
});

describe('a seeded sweep of sizes, paddings and factors on random crops equals torchvision (SHA-256 of the bytes)', () => {
  const ops = new Set(fx.sweep.map((c) => c.op));
  for (const op of ops) {
    const cases = fx.sweep.filter((c) => c.op === op);
    test(`${op}: ${cases.length} cases`, () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const [top, left, h, w] = c.crop;
        const got = runImageOp({ name: '', input: c.input, op: c.op, args: c.args, out: undefined! }, crop(inputs.get(c.input)!, top, left, h, w));
        const hash = createHash('sha256').update(got.data).digest('hex');
        if (hash !== c.sha256 || got.height !== c.out[0] || got.width !== c.out[1]) {
          wrong.push(`${c.input} crop ${c.crop.join(',')} ${JSON.stringify(c.args)} → ${got.height}×${got.width}`);
        }
      }
      note(`${op} (sweep)`, wrong.length);
      expect(wrong, 'cases whose bytes differ from torchvision').toEqual([]);
    });
  }
});

function expectTensor(got: Float32Array, want: TensorOut): void {
  const w = floats(want.float32);
  expect(got.length).toBe(w.length);
  let diff = 0, bitsDiffer = 0;
  for (let i = 0; i < w.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - w[i]!));
    if (!Object.is(got[i], w[i])) bitsDiffer++;
  }
  note('to_tensor', diff);
  expect(bitsDiffer, `${bitsDiffer} of ${w.length} floats differ, max |Δ| ${diff}`).toBe(0);
}

describe('toTensor (+ normalize) equals ToTensor then Normalize in torch float32, bit for bit', () => {
  for (const c of fx.cases.filter((k) => k.op === 'to_tensor')) {
    test(c.name, () => {
      const img = inputs.get(c.input)!;
      const out = new Float32Array(img.width * img.height * img.channels + 5).fill(NaN);
      const norm = c.args.mean ? { mean: c.args.mean as number[], std: c.args.std as number[] } : undefined;
      toTensor(img, out, 5, norm);
      expect(Number.isNaN(out[4]!), 'nothing written before offset').toBe(true);
      expectTensor(out.subarray(5), c.out as TensorOut);
    });
  }
  for (const c of fx.cases.filter((k) => k.op === 'pipeline')) {
    test(`${c.name} (applyPipeline, then toTensor with pipelineNormalize)`, () => {
      const img = inputs.get(c.input)!;
      const transforms = c.args.transforms as TransformSpec[];
      const im = applyPipeline(img, transforms, { train: false });
      expect(pipelineOutputSize(transforms, [img.height, img.width])).toEqual([im.height, im.width]);
      const out = new Float32Array(im.width * im.height * im.channels);
      toTensor(im, out, 0, pipelineNormalize(transforms));
      expectTensor(out, c.out as TensorOut);
    });
  }
  test('a tensor that does not fit at the offset is refused, naming the sizes', () => {
    const img = inputs.get('icon16')!;
    expect(() => toTensor(img, new Float32Array(768), 1)).toThrow('a 3×16×16 image does not fit at offset 1 of 768 floats');
    expect(() => toTensor(img, new Float32Array(768), 0, { mean: [0.5, 0.5], std: [1] })).toThrow('mean must have 1 or 3 values');
    expect(() => toTensor(img, new Float32Array(768), 0, { mean: [0.5], std: [0] })).toThrow('std must not be 0');
  });
});

/** Draws that hand back, in order, the numbers torch drew inside get_params; each call must be the one torch made. */
function replay(draws: Draw[]): Draws & { left(): number } {
  let i = 0;
  const next = (f: Draw['f']): Draw => {
    const d = draws[i++];
    if (!d) throw new Error(`cnnc drew more than torch (a ${f} after ${draws.length} draws)`);
    if (d.f !== f) throw new Error(`draw ${i - 1}: cnnc asked for a ${f}, torch drew a ${d.f}`);
    return d;
  };
  return {
    uniform(lo, hi) {
      const d = next('uniform');
      expect([lo, hi], `uniform range of draw ${i - 1}`).toEqual([d.lo, d.hi]);
      return d.v as number;
    },
    integer(lo, hi) {
      const d = next('integer');
      expect([lo, hi], `integer range of draw ${i - 1}`).toEqual([d.lo, d.hi]);
      return d.v as number;
    },
    permutation(n) {
      const d = next('permutation');
      expect(n).toBe(d.n);
      return d.v as number[];
    },
    left: () => draws.length - i,
  };
}

describe('draw follows torchvision 0.14\'s get_params: torch\'s own random numbers give torch\'s parameters', () => {
  for (const c of fx.draws) {
    test(c.name, () => {
      const draws = replay(c.draws);
      const params = drawParams(c.transform, draws, c.imageSize);
      expect(params).toEqual(c.params);
      expect(draws.left(), 'every draw torch made is used').toBe(0);
    });
  }
  test('the fixtures include the fallback (all ten attempts refused) for each branch', () => {
    const fallbacks = fx.draws.filter((c) => c.name.includes('fallback'));
    expect(fallbacks.length).toBe(4);
    for (const c of fallbacks) expect(c.draws.length).toBe(20);
  });
});

describe('draw with cnnc\'s Rng', () => {
  const rrc: RandomTransform = { kind: 'random_resized_crop', size: 32 };
  test('random_resized_crop stays inside the image, within scale and ratio when an attempt succeeds', () => {
    const rng = new Rng(7);
    for (let n = 0; n < 2000; n++) {
      const [H, W] = [20 + (n % 300), 25 + ((n * 7) % 400)];
      const p = drawParams(rrc, rng, [H, W]) as ResizedCropParams;
      expect(p.top >= 0 && p.left >= 0 && p.height >= 1 && p.width >= 1).toBe(true);
      expect(p.top + p.height <= H && p.left + p.width <= W).toBe(true);
      const area = (p.height * p.width) / (H * W);
      // Rounding w and h moves the area and ratio a little off the drawn values.
      expect(area).toBeLessThanOrEqual(1);
      expect(area).toBeGreaterThan(0.08 * 0.8);
    }
  });
  test('random_resized_crop falls back to the central crop clamped to the ratio when no attempt fits', () => {
    const t: RandomTransform = { kind: 'random_resized_crop', size: 8, scale: [4, 9], ratio: [3 / 4, 4 / 3] };
    expect(drawParams(t, new Rng(1), [20, 90])).toEqual({ top: 0, left: 31, height: 20, width: 27 });
    expect(drawParams(t, new Rng(2), [90, 20])).toEqual({ top: 31, left: 0, height: 27, width: 20 });
    expect(drawParams(t, new Rng(3), [30, 35])).toEqual({ top: 0, left: 0, height: 30, width: 35 });
  });
  test('random_crop draws top and left inside the padded image, and nothing when it is the crop', () => {
    const t: RandomTransform = { kind: 'random_crop', size: 32, padding: 4 };
    const rng = new Rng(3);
    const seen = new Set<string>();
    for (let n = 0; n < 3000; n++) {
      const p = drawParams(t, rng, [32, 32]) as { top: number; left: number };
      expect(p.top >= 0 && p.top <= 8 && p.left >= 0 && p.left <= 8).toBe(true);
      seen.add(`${p.top},${p.left}`);
    }
    expect(seen.size, 'all 81 positions occur').toBe(81);
    const still = new Rng(9);
    const state = still.getState();
    expect(drawParams({ kind: 'random_crop', size: 16 }, still, [16, 16])).toEqual({ top: 0, left: 0 });
    expect(still.getState(), 'no draw').toEqual(state);
    expect(() => drawParams({ kind: 'random_crop', size: 40 }, new Rng(1), [32, 32])).toThrow(
      'random_crop: the crop 40×40 is larger than the (padded) image 32×32; set pad_if_needed: true or a larger padding',
    );
  });
  test('random_horizontal_flip flips about p of the time; color_jitter factors stay in range', () => {
    const rng = new Rng(11);
    let flips = 0;
    for (let n = 0; n < 10000; n++) if ((drawParams({ kind: 'random_horizontal_flip', p: 0.3 }, rng, [1, 1]) as { flip: boolean }).flip) flips++;
    expect(Math.abs(flips / 10000 - 0.3)).toBeLessThan(0.02);
    for (let n = 0; n < 500; n++) {
      const p = drawParams({ kind: 'color_jitter', brightness: 0.4, contrast: [0.5, 0.7], hue: 0.1 }, rng, [1, 1]) as Record<string, number> & { order: number[] };
      expect([...p.order].sort()).toEqual([0, 1, 2, 3]);
      expect(p.brightness! >= 0.6 && p.brightness! < 1.4 + 1e-7 && p.contrast! >= 0.5 && p.contrast! <= 0.7).toBe(true);
      expect(Math.abs(p.hue!)).toBeLessThanOrEqual(0.1 + 1e-7);
      expect('saturation' in p, 'no draw for an adjustment that is off').toBe(false);
    }
  });
});

describe('sampleRng: one stream per (seed, epoch, sample), so augmentation does not depend on order or threads', () => {
  const first = (rng: Rng, n = 4): number[] => Array.from({ length: n }, () => rng.nextUint32());
  test('the same triple gives the same stream; a change in any one gives another', () => {
    expect(first(sampleRng(42, 3, 17))).toEqual(first(sampleRng(42, 3, 17)));
    const streams = new Set<string>();
    for (const [s, e, i] of [[42, 3, 17], [43, 3, 17], [42, 4, 17], [42, 3, 18], [42 + 2 ** 32, 3, 17], [0, 0, 0], [17, 3, 42]]) {
      streams.add(first(sampleRng(s!, e!, i!)).join(','));
    }
    expect(streams.size).toBe(7);
  });
  test('neighbouring samples are not correlated: first floats of 10,000 samples look uniform', () => {
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 10000; i++) bins[Math.floor(sampleRng(5, 1, i).nextFloat() * 10)]!++;
    for (const b of bins) expect(Math.abs(b - 1000)).toBeLessThan(130); // χ² bound, loose
  });
  test('an augmented batch is the same bytes in any order of preparation', () => {
    const img = inputs.get('icon48')!;
    const pipeline: TransformSpec[] = [
      { kind: 'random_resized_crop', size: 24, scale: [0.3, 1] },
      { kind: 'random_horizontal_flip' },
      { kind: 'color_jitter', brightness: 0.4, contrast: 0.4, saturation: 0.4 },
      { kind: 'random_crop', size: 24, padding: 2, padding_mode: 'reflect' },
    ];
    const prep = (i: number): Uint8Array => applyPipeline(img, pipeline, { train: true, rng: sampleRng(99, 2, i) }).data;
    const forward = Array.from({ length: 16 }, (_, i) => prep(i));
    const backward = Array.from({ length: 16 }, (_, k) => prep(15 - k)).reverse();
    expect(backward).toEqual(forward);
    expect(new Set(forward.map((d) => Buffer.from(d).toString('base64'))).size, 'the samples differ from each other').toBe(16);
    expect(() => applyPipeline(img, pipeline, { train: true })).toThrow('random_resized_crop is random and needs options.rng');
    expect(applyPipeline(img, pipeline, { train: false }).data, 'evaluation skips the random transforms').toEqual(img.data);
  });
  test('bad arguments are refused by name', () => {
    expect(() => sampleRng(1.5, 0, 0)).toThrow('seed must be a safe integer');
    expect(() => sampleRng(1, -1, 0)).toThrow('epoch must be an integer 0 … 2^32 − 1, got -1');
    expect(() => sampleRng(1, 0, 2 ** 32)).toThrow('sampleIndex must be an integer');
  });
});

describe('pipelineOutputSize, describeTransform, transformProblems', () => {
  test('the output size follows torchvision\'s sizes, or null where it depends on the input', () => {
    expect(pipelineOutputSize([{ kind: 'resize', size: 36 }])).toBeNull();
    expect(pipelineOutputSize([{ kind: 'resize', size: 36 }], [375, 500])).toEqual([36, 48]);
    expect(pipelineOutputSize([{ kind: 'resize', size: 32 }], [75, 100])).toEqual([32, 42]);
    expect(pipelineOutputSize([{ kind: 'resize', size: 36 }, { kind: 'center_crop', size: 32 }])).toEqual([32, 32]);
    expect(pipelineOutputSize([{ kind: 'resize', size: [20, 30] }, { kind: 'random_horizontal_flip' }])).toEqual([20, 30]);
    expect(pipelineOutputSize([{ kind: 'normalize', mean: [0.5], std: [0.5] }], [28, 28])).toEqual([28, 28]);
    expect(pipelineOutputSize([{ kind: 'random_resized_crop', size: 24 }])).toEqual([24, 24]);
    expect(pipelineOutputSize([{ kind: 'random_crop', size: [24, 20] }], [28, 28], false)).toEqual([28, 28]);
  });
  test('resizeBilinear refuses a size that is not a positive integer', () => {
    expect(() => resizeBilinear(inputs.get('icon16')!, 0, 4)).toThrow('resize: the output size must be positive integers, got 0×4');
  });
  test('one line per transform, every default resolved', () => {
    const lines = ([
      { kind: 'resize', size: 36 },
      { kind: 'resize', size: [32, 48] },
      { kind: 'center_crop', size: 32 },
      { kind: 'normalize', mean: [0.1307], std: [0.3081] },
      { kind: 'random_crop', size: 32, padding: 4 },
      { kind: 'random_crop', size: [24, 20], padding: [1, 2], padding_mode: 'reflect', pad_if_needed: true },
      { kind: 'random_horizontal_flip' },
      { kind: 'random_resized_crop', size: 224 },
      { kind: 'color_jitter', brightness: 0.4, contrast: [0.5, 1.5] },
    ] as TransformSpec[]).map(describeTransform);
    expect(lines).toEqual([
      'resize 36 (smaller edge, bilinear + antialias)',
      'resize 32×48 (h×w, bilinear + antialias)',
      'center_crop 32×32 (zero padding where larger)',
      'normalize mean [0.1307] std [0.3081]',
      'random_crop 32×32, padding 4 (constant 0), train only',
      'random_crop 24×20, padding [1, 2, 1, 2] (l, t, r, b) (reflect), pad_if_needed, train only',
      'random_horizontal_flip p=0.5, train only',
      'random_resized_crop 224×224, scale [0.08, 1], ratio [0.75, 1.333], bilinear + antialias, train only',
      'color_jitter brightness [0.6, 1.4], contrast [0.5, 1.5], random order, train only',
    ]);
  });
  test('problems are listed, one line each, naming the transform and the argument', () => {
    expect(transformProblems({ kind: 'resize', size: 36 })).toEqual([]);
    expect(transformProblems({ kind: 'resize', size: 0 })).toEqual(['resize: size must be a positive integer or [h, w] of positive integers, got 0']);
    expect(transformProblems({ kind: 'normalize', mean: [0.5, 0.5], std: [0] }, 3)).toEqual([
      'normalize: mean has 2 values; the input has 3 channels (give 1 or 3)',
      'normalize: std must not be 0 (division by zero)',
    ]);
    expect(transformProblems({ kind: 'random_crop', size: 8, padding: [1, 2, 3], fill: 300 })).toEqual([
      'padding must be an integer or a list of 1, 2 or 4 integers, got 3 values',
      'random_crop: fill must be integers 0…255, got 300',
    ]);
    expect(transformProblems({ kind: 'random_horizontal_flip', p: 2 })).toEqual(['random_horizontal_flip: p must be in [0, 1], got 2']);
    expect(transformProblems({ kind: 'random_resized_crop', size: 8, scale: [0.9, 0.1] })).toEqual([
      'random_resized_crop: scale must be [min, max] with 0 ≤ min ≤ max, got [0.9,0.1]',
    ]);
    expect(transformProblems({ kind: 'color_jitter', brightness: -1, hue: 0.7 })).toEqual([
      'color_jitter: brightness must be a non-negative number or a [min, max] pair, got -1',
      'color_jitter: hue must be at most 0.5, got 0.7',
    ]);
  });
});

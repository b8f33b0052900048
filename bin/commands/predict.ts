// `cnnc predict SPEC --weights FILE IMAGE...`: the top class and every class probability.
//
// Images follow the MNIST convention: a white digit on a black background, the size of the model's
// input (28×28 for MNIST; no resizing, which would change what the model sees). `--invert` takes
// black-on-white drawings. An image is a PNG (any bit depth, gray/RGB/RGBA, decoded by pngjs; color is
// reduced to luminance as PIL's convert('L') does) or `IDX_FILE[:index]` (sample `index`, default 0).
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PNG } from 'pngjs';
import { idxImageAt } from '../../runtime/data/idx.js';
import { isGzip, readMaybeGzip } from '../../runtime/node/data/read-maybe-gzip.js';
import type { LossIR } from '../../compiler/ir/types.js';
import type { Exit } from '../main.js';
import { compileSpec, processIo, UsageError, type Io } from './compile-model.js';
import { reportUserErrors } from './user-error.js';
import { loadWeightsFile } from './weights.js';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function registerPredict(program: Command, exit: Exit, io: Io = processIo): void {
  program
    .command('predict')
    .description('classify PNG images or IDX samples (FILE[:index]); prints class probabilities (or p(1), or a label map\'s classes)')
    .argument('<spec>', 'the model spec (YAML)')
    .argument('<images...>', 'PNG files (white digit on black, the input size) or IDX_FILE[:index]')
    .requiredOption('--weights <file>', 'weights (safetensors)')
    .option('--invert', 'the images are dark on a light background (inverted before use)')
    .action(async (spec: string, images: string[], flags: { weights: string; invert?: boolean }) => {
      exit.code = await reportUserErrors(io, async () => {
        const loaded = await compileSpec(spec, io);
        if (loaded === null) return 1;
        const model = loaded.createModel({ seed: 0 });
        loadWeightsFile(model, flags.weights);
        model.eval();
        const last = loaded.ir.nodes.find((n) => n.name === loaded.ir.output)?.kind;
        const { loss } = loaded.ir;
        for (const arg of images) {
          const x = readImage(arg, model.inputShape, flags.invert === true);
          const out = model.forward(x, 1);
          if (loss.targets === 'binary') {
            io.stdout.write(formatBinary(arg, out, readsLogits(loss)));
          } else if (loss.labelShape.length > 0) {
            io.stdout.write(formatLabelMap(arg, out, model.outputShape));
          } else {
            const probs = last === 'log_softmax' ? Array.from(out, Math.exp) : last === 'softmax' ? Array.from(out) : softmax(out);
            io.stdout.write(formatPrediction(arg, probs));
          }
        }
        return 0;
      });
    });
}

export function formatPrediction(name: string, probs: readonly number[]): string {
  let top = 0;
  probs.forEach((p, c) => (p > probs[top]! ? (top = c) : 0));
  const lines = [`${name}: class ${top} (${(probs[top]! * 100).toFixed(2)}%)`];
  probs.forEach((p, c) => lines.push(`  ${String(c).padStart(2)}  ${(p * 100).toFixed(2).padStart(6)}%${c === top ? '  <' : ''}`));
  return lines.join('\n') + '\n';
}

/** bce and dice on probabilities read probabilities; the other binary losses, logits. */
function readsLogits(loss: LossIR): boolean {
  const t = loss.terms[0]!;
  return !(t.kind === 'bce' || (t.kind === 'dice' && !t.fromLogits));
}

/** 0/1 targets: each output's probability of 1 (σ of a logit), and the call at 0.5. */
export function formatBinary(name: string, out: ArrayLike<number>, logits: boolean): string {
  const p = Array.from(out, (v) => (logits ? 1 / (1 + Math.exp(-v)) : v));
  if (p.length === 1) return `${name}: ${p[0]! > 0.5 ? 1 : 0} (p(1) = ${(p[0]! * 100).toFixed(2)}%)\n`;
  const ones = p.filter((v) => v > 0.5).length;
  return `${name}: ${ones} of ${p.length} outputs are 1 (p > 0.5)\n`;
}

/** A label map per image: the predicted class of each pixel (argmax over channels), counted per class. */
export function formatLabelMap(name: string, out: ArrayLike<number>, shape: readonly number[]): string {
  const C = shape[0]!;
  const inner = out.length / C;
  const counts = new Array<number>(C).fill(0);
  for (let p = 0; p < inner; p++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (out[c * inner + p]! > out[best * inner + p]!) best = c;
    counts[best]!++;
  }
  const lines = [`${name}: a [${shape.slice(1).join(', ')}] label map, pixels per predicted class`];
  counts.forEach((k, c) => k > 0 && lines.push(`  ${String(c).padStart(2)}  ${String(k).padStart(6)}`));
  return lines.join('\n') + '\n';
}

function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** One image as [C, H, W] in [0, 1], checked against the model's input shape. */
export function readImage(arg: string, shape: readonly number[], invert: boolean): Float32Array {
  const idx = /^(.*):(\d+)$/.exec(arg);
  const file = idx && !existsSync(arg) ? idx[1]! : arg;
  const index = idx && !existsSync(arg) ? Number(idx[2]) : 0;
  let raw: Uint8Array;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let image: Float32Array;
  let got: readonly number[];
  if (PNG_MAGIC.every((b, i) => raw[i] === b)) {
    ({ image, shape: got } = decodePng(raw, file, shape[0] ?? 1, invert));
  } else if (isGzip(raw) || (raw[0] === 0 && raw[1] === 0)) {
    ({ image, shape: got } = idxImageAt(readMaybeGzip(file), file, index));
    if (invert) for (let i = 0; i < image.length; i++) image[i] = 1 - image[i]!;
  } else {
    throw new UsageError(`${file}: neither a PNG nor an IDX file (first bytes ${Array.from(raw.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  }
  if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
    throw new UsageError(`${file}: the image is [${got.join(', ')}] (C, H, W), the model's input is [${shape.join(', ')}]; resize it to ${shape[2]}×${shape[1]} first`);
  }
  return image;
}

function decodePng(raw: Uint8Array, file: string, channels: number, invert: boolean): { image: Float32Array; shape: number[] } {
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(Buffer.from(raw)); // any bit depth and color type, returned as 8-bit RGBA
  } catch (e) {
    throw new UsageError(`${file}: not a valid PNG: ${(e as Error).message}`);
  }
  if (channels !== 1 && channels !== 3) throw new UsageError(`${file}: the model takes ${channels} channels; PNG input needs 1 (gray) or 3 (RGB)`);
  const { width: w, height: h, data } = png;
  const image = new Float32Array(channels * h * w);
  // Transparent pixels are background: black for the MNIST convention, white with --invert.
  const background = invert ? 255 : 0;
  for (let p = 0; p < h * w; p++) {
    const a = data[4 * p + 3]! / 255;
    const rgb = [0, 1, 2].map((c) => data[4 * p + c]! * a + background * (1 - a));
    const values = channels === 1 ? [0.299 * rgb[0]! + 0.587 * rgb[1]! + 0.114 * rgb[2]!] : rgb;
    values.forEach((v, c) => (image[c * h * w + p] = invert ? 1 - v / 255 : v / 255));
  }
  return { image, shape: [channels, h, w] };
}

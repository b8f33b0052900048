// `cnnc predict SPEC --weights FILE IMAGE...`: the top class and every class probability, by name
// where the weights carry class names (cnnc train writes them) or the spec lists them.
//
// An image is a PNG or JPEG of any size and colour mode, decoded as PIL opens it (runtime/data/decode/)
// and converted to the input's channels, then run through the spec's eval transforms: exactly what the
// test images go through in training. A spec written for the embedded digits or IDX files resizes the
// image to its input (PIL's bilinear with antialias). MNIST's convention is a white digit on black:
// `--invert` takes black-on-white drawings. `IDX_FILE[:index]` is sample `index` (default 0) of an IDX
// file. `--json`: one JSON object a line, a line an image.
import { existsSync } from 'node:fs';
import { mebibytes, readBounded } from '../../runtime/node/read-bounded.js';
import type { Command } from 'commander';
import type { DataPipeline } from '../../runtime/contracts.js';
import { printableName } from '../../runtime/class-names.js';
import { fitPipeline } from '../../runtime/data/fit-input.js';
import { idxImageAt } from '../../runtime/data/idx.js';
import { normalizeImages, pipelineNormalize } from '../../runtime/data/transforms/index.js';
import { imageInput } from '../../runtime/node/data/images.js';
import { isGzip, readMaybeGzip } from '../../runtime/node/data/read-maybe-gzip.js';
import type { ModelIR } from '../../compiler/ir/types.js';
import { outputKind, specClasses } from '../../compiler/4-passes/output.js';
import { outputProbabilities } from '../../runtime/app.js';
import type { Exit } from '../main.js';
import { compileSpec, processIo, UsageError, type Io } from './compile-model.js';
import { reportUserErrors } from './user-error.js';
import { loadWeightsFile } from './weights.js';

/** A pipe or device given as an image is read up to this much (a regular file is read whole). */
const INPUT_MAX_BYTES = 512 * 2 ** 20;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function registerPredict(program: Command, exit: Exit, io: Io = processIo): void {
  program
    .command('predict')
    .description('classify PNG/JPEG images (any size; the spec\'s eval transforms) or IDX samples (FILE[:index]); prints class names and probabilities (or p(1), or a label map\'s classes)')
    .argument('<spec>', 'the model spec (YAML)')
    .argument('<images...>', 'PNG or JPEG files, or IDX_FILE[:index]')
    .requiredOption('--weights <file>', 'weights (safetensors)')
    .option('--invert', 'the images are dark on a light background (inverted before use, as MNIST is white on black)')
    .option('--json', 'one JSON object a line, a line an image: file, class, name, probability, probabilities')
    .action(async (spec: string, images: string[], flags: { weights: string; invert?: boolean; json?: boolean }) => {
      exit.code = await reportUserErrors(io, async () => {
        const loaded = await compileSpec(spec, io);
        if (loaded === null) return 1;
        const model = loaded.createModel({ seed: 0 });
        const carried = loadWeightsFile(model, flags.weights);
        model.eval();
        const kind = outputKind(loaded.ir);
        const names = classNames(loaded.ir, carried, model.outputShape[0] ?? 0);
        const pipeline = evalPipeline(loaded.ir);
        for (const arg of images) {
          const x = readInput(arg, model.inputShape, pipeline, flags.invert === true);
          const out = model.forward(x, 1);
          if (kind === 'binary_logits' || kind === 'binary_probabilities') {
            const logits = kind === 'binary_logits';
            io.stdout.write(flags.json === true ? `${JSON.stringify({ file: arg, p1: binaryProbs(out, logits) })}\n` : formatBinary(arg, out, logits));
          } else if (kind === 'label_map') {
            io.stdout.write(flags.json === true ? `${JSON.stringify({ file: arg, pixels_per_class: labelMapCounts(out, model.outputShape) })}\n` : formatLabelMap(arg, out, model.outputShape));
          } else {
            const probs = outputProbabilities(out, kind);
            io.stdout.write(flags.json === true ? `${JSON.stringify(predictionJson(arg, probs, names))}\n` : formatPrediction(arg, probs, names));
          }
        }
        return 0;
      });
    });
}

/** The names the weights carry, else the spec's data.classes; null without either, or when they do not
 *  count the model's classes. */
function classNames(ir: ModelIR, carried: readonly string[] | null, classes: number): readonly string[] | null {
  const names = carried ?? specClasses(ir);
  return names !== null && names.length === classes ? names : null;
}

/** The spec's eval pipeline, made to end at the input ([H, W]) for a spec whose data is fixed-size. */
function evalPipeline(ir: ModelIR): DataPipeline['eval'] {
  const [h, w] = [ir.input.shape[1] ?? 0, ir.input.shape[2] ?? 0];
  return fitPipeline(ir.data.transforms.eval, h, w).pipeline;
}

export function predictionJson(file: string, probs: readonly number[], names: readonly string[] | null): Record<string, unknown> {
  const top = argmax(probs);
  return { file, class: top, name: names?.[top] ?? null, probability: probs[top], probabilities: probs };
}

function argmax(v: readonly number[]): number {
  let top = 0;
  v.forEach((p, c) => (p > v[top]! ? (top = c) : 0));
  return top;
}

export function formatPrediction(name: string, probs: readonly number[], names: readonly string[] | null = null): string {
  const top = argmax(probs);
  const label = (c: number) => (names === null ? '' : `  ${printableName(names[c]!)}`);
  const p = `${(probs[top]! * 100).toFixed(2)}%`;
  const lines = [names === null ? `${name}: class ${top} (${p})` : `${name}: ${printableName(names[top]!)} (class ${top}, ${p})`];
  probs.forEach((p, c) => lines.push(`  ${String(c).padStart(2)}  ${(p * 100).toFixed(2).padStart(6)}%${label(c)}${c === top ? '  <' : ''}`));
  return lines.join('\n') + '\n';
}

/** 0/1 targets: each output's probability of 1 (σ of a logit), and the call at 0.5. */
function binaryProbs(out: ArrayLike<number>, logits: boolean): number[] {
  return Array.from(out, (v) => (logits ? 1 / (1 + Math.exp(-v)) : v));
}

export function formatBinary(name: string, out: ArrayLike<number>, logits: boolean): string {
  const p = binaryProbs(out, logits);
  if (p.length === 1) return `${name}: ${p[0]! > 0.5 ? 1 : 0} (p(1) = ${(p[0]! * 100).toFixed(2)}%)\n`;
  const ones = p.filter((v) => v > 0.5).length;
  return `${name}: ${ones} of ${p.length} outputs are 1 (p > 0.5)\n`;
}

/** A label map per image: the predicted class of each pixel (argmax over channels), counted per class. */
function labelMapCounts(out: ArrayLike<number>, shape: readonly number[]): number[] {
  const C = shape[0]!;
  const inner = out.length / C;
  const counts = new Array<number>(C).fill(0);
  for (let p = 0; p < inner; p++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (out[c * inner + p]! > out[best * inner + p]!) best = c;
    counts[best]!++;
  }
  return counts;
}

export function formatLabelMap(name: string, out: ArrayLike<number>, shape: readonly number[]): string {
  const counts = labelMapCounts(out, shape);
  const lines = [`${name}: a [${shape.slice(1).join(', ')}] label map, pixels per predicted class`];
  counts.forEach((k, c) => k > 0 && lines.push(`  ${String(c).padStart(2)}  ${String(k).padStart(6)}`));
  return lines.join('\n') + '\n';
}

/** One input as [C, H, W]: an image file through the eval pipeline, or an IDX sample (with the pipeline's
 *  normalize), checked against the model's input shape. */
export function readInput(arg: string, shape: readonly number[], pipeline: DataPipeline['eval'], invert: boolean): Float32Array {
  const idx = /^(.*):(\d+)$/.exec(arg);
  const file = idx && !existsSync(arg) ? idx[1]! : arg;
  const index = idx && !existsSync(arg) ? Number(idx[2]) : 0;
  let raw: Uint8Array;
  try {
    const read = readBounded(file, INPUT_MAX_BYTES);
    if (!read.ok) throw new UsageError(`cannot read ${file}: it is not a regular file and goes on past ${mebibytes(read.max)}, which no image does`);
    raw = read.bytes;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const jpeg = raw[0] === 0xff && raw[1] === 0xd8;
  if (PNG_MAGIC.every((b, i) => raw[i] === b) || jpeg) {
    if (shape.length !== 3 || (shape[0] !== 1 && shape[0] !== 3)) throw new UsageError(`${file}: the model's input is [${shape.join(', ')}]; images give [1, H, W] or [3, H, W]`);
    return imageInput(raw, file, { inputShape: shape, transforms: pipeline }, { invert });
  }
  if (!(isGzip(raw) || (raw[0] === 0 && raw[1] === 0))) {
    throw new UsageError(`${file}: neither a PNG, a JPEG nor an IDX file (${raw.length === 0 ? 'it is empty' : `first bytes ${Array.from(raw.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}`})`);
  }
  const { image, shape: got } = idxImageAt(readMaybeGzip(file), file, index);
  if (invert) for (let i = 0; i < image.length; i++) image[i] = 1 - image[i]!;
  if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
    throw new UsageError(`${file}: the sample is [${got.join(', ')}] (C, H, W), the model's input is [${shape.join(', ')}]`);
  }
  const n = pipelineNormalize(pipeline);
  if (n !== undefined) normalizeImages(image, shape, n);
  return image;
}

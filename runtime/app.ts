// The app API (issue 20, item 5; runtime/API.md): what a module knows about itself (ModelMetadata, emitted by both
// targets from the plan), predict's per-sample probabilities, class and class name, and weights from a URL, a fetch
// Response or bytes. Browser-safe: fetch is the platform's (Node ≥ 18 and every browser have it).
import { classNamesOf } from './class-names.js';
import type { TransformSpec } from './data/transforms/types.js';
import type { CompiledModel, FloatArray } from './model.js';

/**
 * What the model's output holds, as the compiler knows it from the spec (compiler/4-passes/output.ts):
 * - log_probabilities: the last layer is log_softmax; probabilities are exp of it;
 * - probabilities: the last layer is softmax;
 * - logits: any other classifier's output (cross_entropy reads logits); probabilities are its softmax;
 * - binary_logits / binary_probabilities: 0/1 targets (bce_with_logits, focal, dice on logits / bce, dice on
 *   probabilities); p(1) is σ of a logit, or the value itself;
 * - label_map: a class per pixel ([C, H, W] output read by a per-pixel loss).
 */
export type OutputKind = 'log_probabilities' | 'probabilities' | 'logits' | 'binary_logits' | 'binary_probabilities' | 'label_map';

export interface ModelMetadata {
  /** The spec's model name. */
  readonly name: string;
  /** sha256 of the spec (hex). */
  readonly specHash: string;
  /** Input and output shapes without the batch. */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly output: OutputKind;
  /** The spec's class names (data.classes of an image folder or CSV), in index order; null where it gives none
   *  (weights from `cnnc train` may carry them: CompiledModel.classNames). */
  readonly classes: readonly string[] | null;
  /** The spec's eval transforms (data.transforms): what an image goes through before it is an input (cnnc predict's
   *  preprocessing; runtime/node/images.ts imageInput applies them, ending at the input's size). */
  readonly transforms: readonly TransformSpec[];
  /** Trainable parameters (buffers such as batchnorm's running stats not counted), as `cnnc inspect` counts them. */
  readonly parameters: number;
  readonly dtype: 'float32' | 'float64';
  /** The cnnc that generated the module. */
  readonly cnncVersion: string;
  readonly target: 'ts' | 'gpujs';
}

/** One sample's prediction. */
export interface Prediction {
  /** The most probable class (the first of equals). */
  readonly class: number;
  /** Its name, where the weights or the spec give names; else null. */
  readonly name: string | null;
  /** Its probability. */
  readonly probability: number;
  /** Every class's probability, in index order (a binary model's [p(0), p(1)]). */
  readonly probabilities: number[];
}

/** Something weights can come from: a URL (fetched), a fetch Response, or the bytes themselves. */
export type WeightsSource = string | URL | Response | ArrayBuffer | ArrayBufferView;

/** The probabilities of one sample's output, read as `kind` says. Throws for outputs predict does not classify. */
export function outputProbabilities(out: ArrayLike<number>, kind: OutputKind): number[] {
  switch (kind) {
    case 'log_probabilities': return Array.from(out, Math.exp);
    case 'probabilities': return Array.from(out);
    case 'logits': return softmax(out);
    case 'binary_logits':
    case 'binary_probabilities': {
      if (out.length !== 1) throw new RangeError(`predict: a binary model with ${out.length} outputs per sample gives no one class; read p(1) per output from forward()`);
      const p = kind === 'binary_logits' ? 1 / (1 + Math.exp(-out[0]!)) : out[0]!;
      return [1 - p, p];
    }
    case 'label_map': throw new RangeError('predict: the output is a label map (a class per pixel), not one class per sample; read it from forward()');
  }
}

function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** predict's body for every target: the forward output of n samples → a Prediction each. */
export function predictOutput(out: ArrayLike<number>, n: number, meta: ModelMetadata, names: readonly string[] | null): Prediction[] {
  const per = meta.outputShape.reduce((a, b) => a * b, 1);
  const result: Prediction[] = [];
  for (let s = 0; s < n; s++) {
    const row = Array.prototype.slice.call(out, s * per, (s + 1) * per) as number[];
    const probabilities = outputProbabilities(row, meta.output);
    let top = 0;
    probabilities.forEach((p, c) => (p > probabilities[top]! ? (top = c) : 0));
    result.push({ class: top, name: names?.[top] ?? null, probability: probabilities[top]!, probabilities });
  }
  return result;
}

/** The number of classes predict tells apart: the output's length per sample, 2 for one binary output. */
export function classCount(meta: ModelMetadata): number {
  const per = meta.outputShape.reduce((a, b) => a * b, 1);
  return meta.output === 'binary_logits' || meta.output === 'binary_probabilities' ? (per === 1 ? 2 : per) : meta.output === 'label_map' ? meta.outputShape[0] ?? 0 : per;
}

/** The class names after loading `weights`: those the file carries (cnnc train writes them), else the spec's; either
 *  only where it names every class. */
export function classNamesAfterLoad(meta: ModelMetadata, weights: Uint8Array): readonly string[] | null {
  const names = classNamesOf(weights) ?? meta.classes;
  return names !== null && names.length === classCount(meta) ? names : null;
}

/** The spec's names where they name every class (a new model's classNames). */
export function specClassNames(meta: ModelMetadata): readonly string[] | null {
  return meta.classes !== null && meta.classes.length === classCount(meta) ? meta.classes : null;
}

/** A weights source's bytes: fetches a URL (refusing a response that is not 2xx, naming the URL and status). */
export async function weightsBytes(source: WeightsSource): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const response = typeof source === 'string' || source instanceof URL ? await fetchOrSay(source) : source;
  if (!response.ok) throw new WeightsFetchError(`cannot load weights from ${response.url || 'the response'}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchOrSay(url: string | URL): Promise<Response> {
  try {
    return await fetch(url);
  } catch (e) {
    throw new WeightsFetchError(`cannot load weights from ${String(url)}: ${e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e)}`);
  }
}

/** A weights URL or Response that gave no file (an HTTP error, no network). */
export class WeightsFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsFetchError';
  }
}

/** Loads weights from a URL, a Response or bytes into the model, all or nothing (the model's loadWeights: a file
 *  that does not fit throws rt.SafetensorsError and leaves it unchanged). */
export async function loadWeightsFrom<A extends FloatArray>(model: CompiledModel<A>, source: WeightsSource): Promise<void> {
  model.loadWeights(await weightsBytes(source));
}

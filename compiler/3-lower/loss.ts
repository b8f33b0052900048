// The loss: each term with PyTorch 1.13's defaults resolved, and the checks that it fits the model's
// output and the data's labels. Every term of a sum reads the same output and the same label array.
//
// Outputs are [C] (a class or C independent outputs per sample) or [C, H, W] (per pixel). Terms read
// labels one of two ways (LossMode): 'softmax' — a class index per sample or per pixel, labels
// [n, ...output.slice(1)], ignore_index skipped; 'binary' — a 0/1 target per output element, labels
// [n, ...output]. focal and dice are binary on a one-channel output and softmax otherwise.
import type { SourceMap } from '../1-parse/source-map.js';
import { assertNever, type DataIR, type LossIR, type LossMode, type LossTermIR, type Node, type Shape } from '../ir/types.js';
import type { LossSpec, LossTermSpec } from '../spec/types.js';
import { fmtShape } from './format.js';
import type { Report } from './report.js';

type Path = readonly (string | number)[];

/** nn.CrossEntropyLoss / NLLLoss / BCELoss / BCEWithLogitsLoss (1.13): mean reduction, ignore_index -100;
 *  focal: torchvision's gamma 2, alpha 0.25; dice: smooth 1, on probabilities. `output` may be null
 *  (a layer failed): the IR is not returned then, and modes default to softmax. */
export function lowerLoss(spec: LossSpec, map: SourceMap, output: Shape | null): LossIR {
  const list: readonly LossTermSpec[] = isList(spec) ? spec : [spec];
  const base: Path = isList(spec) ? ['loss'] : [];
  const mode: LossMode = (output?.[0] ?? 2) === 1 ? 'binary' : 'softmax';
  const terms = list.map((t, i) => lowerTerm(t, map.value(isList(spec) ? [...base, i, 'kind'] : ['loss', 'kind']), mode));
  const first = terms[0]!;
  const targets = targetsOf(first);
  const classTerm = terms.find((t) => 'ignoreIndex' in t && targetsOf(t) === 'softmax');
  return {
    terms,
    targets,
    labelShape: output === null ? [] : targets === 'binary' ? output : output.slice(1),
    ignoreIndex: classTerm !== undefined && 'ignoreIndex' in classTerm ? classTerm.ignoreIndex : null,
    span: map.value(['loss']),
  };
}

function isList(spec: LossSpec): spec is readonly LossTermSpec[] {
  return Array.isArray(spec);
}

function lowerTerm(t: LossTermSpec, span: LossTermIR['span'], mode: LossMode): LossTermIR {
  const scale = t.scale ?? 1;
  switch (t.kind) {
    case 'cross_entropy':
      return { kind: t.kind, labelSmoothing: t.label_smoothing ?? 0, weight: t.weight ?? null, ignoreIndex: t.ignore_index ?? -100, reduction: t.reduction ?? 'mean', scale, span };
    case 'nll':
      return { kind: t.kind, weight: t.weight ?? null, ignoreIndex: t.ignore_index ?? -100, reduction: t.reduction ?? 'mean', scale, span };
    case 'bce':
      return { kind: t.kind, reduction: t.reduction ?? 'mean', scale, span };
    case 'bce_with_logits': {
      const pw = t.pos_weight;
      return { kind: t.kind, posWeight: pw === undefined ? null : typeof pw === 'number' ? [pw] : pw, reduction: t.reduction ?? 'mean', scale, span };
    }
    case 'focal':
      return { kind: t.kind, mode, gamma: t.gamma ?? 2, alpha: t.alpha ?? 0.25, reduction: t.reduction ?? 'mean', scale, span };
    case 'dice':
      return { kind: t.kind, mode, smooth: t.smooth ?? 1, fromLogits: t.from_logits ?? false, ignoreIndex: t.ignore_index ?? -100, scale, span };
    default:
      return assertNever(t, 'loss kind');
  }
}

/** How a term reads labels. */
export function targetsOf(t: LossTermIR): LossMode {
  switch (t.kind) {
    case 'cross_entropy':
    case 'nll':
      return 'softmax';
    case 'bce':
    case 'bce_with_logits':
      return 'binary';
    case 'focal':
    case 'dice':
      return t.mode;
    default:
      return assertNever(t, 'loss kind');
  }
}

/** Whether a term reads probabilities (so the output must provably be in [0, 1]). */
export function readsProbabilities(t: LossTermIR): boolean {
  return t.kind === 'bce' || (t.kind === 'dice' && !t.fromLogits);
}

/** The terms against the output: one label layout, matching ignore_index, class weights and pos_weight
 *  that fit, probabilities where a term needs them. */
export function checkLossFit(
  loss: LossIR, listed: boolean, output: Shape, nodes: readonly Node[], outputName: string, map: SourceMap, report: Report,
): void {
  const classes = output[0]!;
  // A term's key, or its `kind` when the key is not written (the map falls back to the whole term).
  const at = (i: number, key: string) => {
    const term = listed ? ['loss', i] : ['loss'];
    const span = map.value([...term, key]);
    return span.offset === map.value(term).offset ? loss.terms[i]!.span : span;
  };
  loss.terms.forEach((t, i) => {
    if (targetsOf(t) !== loss.targets) {
      const first = loss.terms[0]!;
      report('E0504',
        `${t.kind} reads ${words(targetsOf(t))}, but ${first.kind} reads ${words(loss.targets)}: the terms of a sum read one label array`,
        t.span, 'sum losses of one kind of target: e.g. cross_entropy with dice, or bce_with_logits with dice on a one-channel output');
    }
    if ((t.kind === 'cross_entropy' || t.kind === 'nll') && t.weight !== null && t.weight.length !== classes) {
      report('E0502', `loss weight has ${t.weight.length} class weights, but the model's output has ${classes} classes`,
        at(i, 'weight'), `give one weight per class (${classes})`);
    }
    if ('ignoreIndex' in t && targetsOf(t) === 'softmax') {
      if (loss.ignoreIndex !== null && t.ignoreIndex !== loss.ignoreIndex) {
        report('E0505', `${t.kind} ignores label ${t.ignoreIndex}, but an earlier term ignores ${loss.ignoreIndex}: the terms read one label array`,
          at(i, 'ignore_index'), `write \`ignore_index: ${loss.ignoreIndex}\` in every term`);
      } else if (t.ignoreIndex >= 0 && t.ignoreIndex < classes) {
        report('W0611',
          `ignore_index ${t.ignoreIndex} is one of the ${classes} classes: class ${t.ignoreIndex} is never a target, so its output is only ever pushed down`,
          at(i, 'ignore_index'), `to skip "void" labels, use a value outside [0, ${classes}), such as 255 or -100`);
      }
    }
    if (t.kind === 'bce_with_logits' && t.posWeight !== null && t.posWeight.length !== 1 && !(output.length === 1 && t.posWeight.length === classes)) {
      report('E0506',
        `pos_weight has ${t.posWeight.length} entries, but the output ${fmtShape(output)} takes ${output.length === 1 ? `1 or ${classes}` : '1 (one number for every pixel)'}`,
        at(i, 'pos_weight'), output.length === 1 ? `give one number, or one per output (${classes})` : 'give one number');
    }
    if (readsProbabilities(t)) {
      const why = notProbability(nodes, outputName);
      if (why !== null) {
        report('E0503', `${t.kind} reads probabilities in [0, 1], but ${why}`, t.span,
          t.kind === 'bce'
            ? 'use `bce_with_logits` on these logits (the same loss, numerically stable), or end the model with `sigmoid`'
            : 'write `from_logits: true` (dice then applies softmax or sigmoid itself), or end the model with `softmax` or `sigmoid`');
      }
    }
  });
}

const words = (m: LossMode): string => (m === 'binary' ? '0/1 targets of the output\'s shape' : 'class indices');

/** Null when the output is provably a probability (sigmoid or softmax, then only layers that keep
 *  values in [0, 1]); else why not, naming the layer. */
function notProbability(nodes: readonly Node[], outputName: string): string | null {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  let n = byName.get(outputName);
  while (n !== undefined) {
    if (n.kind === 'sigmoid' || n.kind === 'softmax') return null;
    // Layers whose output is a max, a mean or a copy of input values: [0, 1] in, [0, 1] out.
    const keeps = n.kind === 'flatten' || n.kind === 'maxpool2d' || n.kind === 'avgpool2d' || n.kind === 'upsample' || n.kind === 'global_avgpool2d' ||
      n.kind === 'adaptive_avgpool2d' || n.kind === 'adaptive_maxpool2d';
    if (!keeps || n.inputs.length !== 1) return `the model's output comes from ${n.name} (${n.kind}), which can leave [0, 1]`;
    n = byName.get(n.inputs[0]!);
  }
  return 'the model\'s output is its input';
}

/** The data's labels against the loss: a task gives one label layout, which must be the loss's.
 *  Checked when the spec writes `data:` (cnnc train then uses it); the images' own shape is checked
 *  against the input when they are loaded. */
export function checkDataFit(data: DataIR, loss: LossIR, input: Shape, output: Shape, map: SourceMap, report: Report): void {
  const span = map.value(['data', 'task']);
  const task = data.task;
  const fail = (what: string, hint: string) =>
    report('E0501', `data task ${task} gives ${what}, but the loss reads ${labelWords(loss)} for the output ${fmtShape(output)}`, span, hint);
  switch (task) {
    case 'classification':
      if (loss.labelShape.length !== 0 || (loss.targets === 'binary' && output[0] !== 1)) {
        fail('one class index per image', 'end the model with a flat [classes] output (`flatten`, then `linear`), or set `task:` to what the output predicts');
      }
      return;
    case 'real-vs-fake':
      if (loss.labelShape.length !== (loss.targets === 'binary' ? 1 : 0) || (loss.targets === 'binary' && output[0] !== 1) || (loss.targets === 'softmax' && output[0] !== 2)) {
        fail('one 0/1 target per image (1 real, 0 fake)', 'end the model with one logit ([1]) and `bce_with_logits`, or two classes and `cross_entropy`');
      }
      return;
    case 'segmentation':
      const [h, w] = [input[1] ?? 0, input[2] ?? 0];
      if (loss.targets !== 'softmax' || loss.labelShape.length !== 2 || loss.labelShape[0] !== h || loss.labelShape[1] !== w || output[0] !== 11) {
        fail(`a [${h}, ${w}] label map per image, 11 classes (10 and background)`,
          `end the model with a [11, ${h}, ${w}] output (per-pixel logits) and a class-index loss such as cross_entropy`);
      }
      return;
    default:
      assertNever(task, 'data task');
  }
}

function labelWords(loss: LossIR): string {
  if (loss.targets === 'binary') return `0/1 targets ${fmtShape(loss.labelShape)} per sample`;
  return loss.labelShape.length === 0 ? 'one class index per sample' : `a ${fmtShape(loss.labelShape)} label map per sample`;
}

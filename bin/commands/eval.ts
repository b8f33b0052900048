// `cnnc eval SPEC --weights FILE`: test loss, accuracy (per image, pixel or binary output), mean IoU for
// per-pixel outputs, confusion matrix and per-class accuracy.
import type { Command } from 'commander';
import { printableName } from '../../runtime/class-names.js';
import { chooseData, loadDataAsync } from '../../runtime/node/data/load.js';
import { withThreads } from '../../runtime/node/threads.js';
import { pct } from '../train/events.js';
import { evaluate, type Evaluation } from '../../runtime/train/evaluate.js';
import type { Exit } from '../main.js';
import { compileSpec, numberFlag, processIo, type Io } from './compile-model.js';
import { loadWeightsFile } from './weights.js';
import { threadsFlag } from './train.js';
import { reportUserErrors } from './user-error.js';

export function registerEval(program: Command, exit: Exit, io: Io = processIo): void {
  program
    .command('eval')
    .description('evaluate trained weights on the test split: loss, accuracy, confusion matrix')
    .argument('<spec>', 'the model spec (YAML)')
    .requiredOption('--weights <file>', 'weights (safetensors), e.g. runs/mnist/model.safetensors')
    .option('--data <dir>', "IDX files, image folders (DIR/test/<class>/…) or a CSV manifest (path,label) instead of the spec's test data")
    .option('--limit <n>', 'evaluate on an evenly spaced subset of n test images')
    .option('--threads <n>', 'threads for convolutions and matrix products (default: every core, up to 8; the same results for any n)')
    .option('--json', 'the evaluation as one JSON object on stdout')
    .action(async (spec: string, flags: { weights: string; data?: string; limit?: string; threads?: string; json?: boolean }) => {
      exit.code = await reportUserErrors(io, async () => {
        const limit = numberFlag('--limit', flags.limit, 'positive-int');
        const threads = threadsFlag(flags.threads);
        const loaded = await compileSpec(spec, io);
        if (loaded === null) return 1;
        const model = loaded.createModel({ seed: 0 });
        const carried = loadWeightsFile(model, flags.weights);
        const classes = model.outputShape[0]!;
        const source = chooseData(loaded.ir.data, spec, flags.data);
        const context = { data: loaded.ir.data, specFile: spec, shape: loaded.ir.input.shape, seed: loaded.ir.train.seed, ...(carried === null ? {} : { classes: carried }) };
        const data = await loadDataAsync(source, classes, limit, context);
        const test = data.test;
        const names = data.classNames ?? carried ?? undefined;
        const e = await withThreads(threads, async () => evaluate(model, test, loaded.ir.loss, loaded.ir.train.evalBatchSize));
        io.stdout.write(flags.json === true ? `${JSON.stringify(evaluationJson(e, source, flags.weights, names))}\n` : formatEvaluation(e, source, names));
        return 0;
      });
    });
}

/**
 * `cnnc eval --json`: the numbers of the text output, under metrics.jsonl's names where they have one
 * (test_loss, test_accuracy, test_miou). per_class_accuracy[c] is null for a class with no test sample.
 */
export function evaluationJson(e: Evaluation, source: string, weights: string, names?: readonly string[]): Record<string, unknown> {
  return {
    data: source,
    weights,
    ...(names === undefined ? {} : { classes: names }),
    test_images: e.n,
    test_loss: e.loss,
    test_accuracy: e.accuracy,
    correct: e.correct,
    positions: e.positions,
    test_miou: e.miou,
    confusion: e.confusion,
    per_class_accuracy: e.confusion.map((row, c) => {
      const total = row.reduce((a, b) => a + b, 0);
      return total === 0 ? null : row[c]! / total;
    }),
  };
}

export function formatEvaluation(e: Evaluation, source: string, names?: readonly string[]): string {
  const classes = e.confusion.length;
  // Rows and columns by index; with class names, each row's name after its accuracy (names can be long).
  const named = names !== undefined && names.length === classes ? names : undefined;
  const w = Math.max(4, String(Math.max(...e.confusion.flat())).length + 1);
  const lines = [
    `data: ${source} (${e.n.toLocaleString('en-US')} test images)`,
    `test loss: ${e.loss.toFixed(4)}`,
    `test accuracy: ${pct(e.accuracy)} (${e.correct.toLocaleString('en-US')}/${e.positions.toLocaleString('en-US')}${e.positions === e.n ? '' : ' positions'})`,
    ...(e.miou === null ? [] : [`mean IoU: ${pct(e.miou)}`]),
    '',
    'confusion matrix (rows: true class, columns: predicted)',
    '     ' + Array.from({ length: classes }, (_, c) => String(c).padStart(w)).join('') + '   accuracy' + (named === undefined ? '' : '  class'),
  ];
  e.confusion.forEach((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    const acc = total === 0 ? '-' : pct(row[c]! / total);
    lines.push(`${String(c).padStart(4)} ` + row.map((v) => String(v).padStart(w)).join('') + `   ${acc.padStart(7)}` + (named === undefined ? '' : `  ${printableName(named[c]!)}`));
  });
  return lines.join('\n') + '\n';
}

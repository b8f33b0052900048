// The spec's `data:` → the IR's DataIR: the source, the class names if given, and the two preprocessing
// pipelines resolved (bare words made records, a resize to the input appended where a pipeline of a
// user's own images would not end at the input's size). Paths are kept as written, so the IR (and
// generated code) does not depend on where cnnc runs; consumers resolve them against dirname(ir.file).
import type { SourceMap } from '../1-parse/source-map.js';
import { fitPipeline } from '../../runtime/data/fit-input.js';
import { pipelineNormalize, transformProblems } from '../../runtime/data/transforms/pipeline.js';
import { isRandomTransform, type TransformSpec } from '../../runtime/data/transforms/types.js';
import { assertNever, type DataIR, type Shape } from '../ir/types.js';
import type { DataSpec, TransformItemSpec } from '../spec/types.js';
import type { Report } from './report.js';

type ListKey = 'transforms' | 'train_transforms';

export function lowerData(spec: DataSpec | undefined, input: Shape, map: SourceMap, report: Report): DataIR {
  if (spec === undefined) return { source: 'mnist', task: 'classification', valSplit: null, transforms: { eval: [], train: [] } };
  const own = spec.source === 'folder' || spec.source === 'csv';
  // A list with a bad transform is not also checked for its final size (that error would follow from the first).
  const bad = new Set<ListKey>();
  const list = (key: ListKey): TransformSpec[] | null => {
    const items = spec[key];
    const noting: Report = (...args) => {
      bad.add(key);
      report(...args);
    };
    return items === undefined ? null : checkList(items, key, own, input, map, noting);
  };
  const evalList = list('transforms') ?? [];
  const trainList = list('train_transforms');
  const fit = (ts: TransformSpec[], key: ListKey): TransformSpec[] => (own ? fitToInput(ts, key, input, map, bad.has(key) ? () => {} : report) : ts);
  const evalFitted = fit(evalList, 'transforms');
  // Without train_transforms training uses `transforms`, fitted (and reported) once.
  const transforms = { eval: evalFitted, train: trainList === null ? [...evalFitted] : fit(trainList, 'train_transforms') };
  // Both pipelines feed one model: a normalize in one and not the other (or another one) scales training and
  // test inputs differently, almost always a slip when writing train_transforms.
  if (trainList !== null && bad.size === 0 && JSON.stringify(pipelineNormalize(transforms.eval)) !== JSON.stringify(pipelineNormalize(transforms.train))) {
    report('W0613', 'transforms and train_transforms normalize differently: the model is trained on inputs scaled otherwise than those it is tested on', map.value(['data', 'train_transforms']),
      'end both lists with the same normalize');
  }
  switch (spec.source) {
    case 'mnist':
    case 'idx': {
      const task = spec.task ?? 'classification';
      if (spec.val_split !== undefined && task !== 'classification') {
        report('E0801', `val_split holds out a stratified fraction of the classes, and task ${task} has other targets`, map.value(['data', 'val_split']), 'leave val_split out, or train the classification task');
      }
      const common = { task, valSplit: spec.val_split ?? null, transforms };
      return spec.source === 'mnist' ? { source: 'mnist', ...common } : { source: 'idx', path: spec.path, ...common };
    }
    case 'folder':
    case 'csv': {
      const c = input[0];
      if (input.length !== 3 || (c !== 1 && c !== 3)) {
        report('E0802', `images load as [C, H, W] with C 1 (gray) or 3 (RGB), but the input is [${input.join(', ')}]`, map.value(['input', 'shape']),
          'write input.shape as [1, H, W] or [3, H, W]');
      }
      const image = { task: 'classification' as const, classes: spec.classes ?? null, valSplit: spec.val_split ?? null, transforms };
      if (spec.source === 'folder') return { source: 'folder', path: spec.path, ...image };
      if (spec.val !== undefined && spec.val_split !== undefined) {
        report('E0801', 'both a val manifest and val_split: the validation images would come from two places', map.value(['data', 'val_split']), 'keep one of them');
      }
      return { source: 'csv', train: spec.train, test: spec.test, val: spec.val ?? null, ...image };
    }
    default:
      return assertNever(spec, 'data source');
  }
}

function resolveItem(item: TransformItemSpec): TransformSpec {
  return typeof item === 'string' ? { kind: item } : item;
}

/** Each transform where it may stand: random ones only in train_transforms, normalize last with a value
 *  per channel (or one for all), and only normalize on the embedded digits and IDX files. */
function checkList(items: readonly TransformItemSpec[], key: ListKey, own: boolean, input: Shape, map: SourceMap, report: Report): TransformSpec[] {
  const out = items.map(resolveItem);
  out.forEach((t, i) => {
    const at = map.value(['data', key, i]);
    if (!own && t.kind !== 'normalize') {
      report('E0801', `\`${t.kind}\` applies to image folders and CSV manifests; the embedded digits and IDX files take only normalize`, at,
        'remove it, or export the images to a folder (tools/data/export-idx-folder.mjs)');
    } else if (key === 'transforms' && isRandomTransform(t)) {
      report('E0801', `\`${t.kind}\` is random augmentation: testing, validation and predict use \`transforms\`, which must be deterministic`, at,
        'move it to `train_transforms` (list the deterministic ones there too)');
    }
    if (t.kind === 'normalize' && i !== out.length - 1) report('E0801', '`normalize` works on the tensor: it comes last', at, 'move it to the end of the list');
    const c = input[0];
    for (const problem of transformProblems(t, c === 1 || c === 3 ? c : undefined)) report('E0804', problem, at);
  });
  return out;
}

/** The pipeline, ending at the input's [H, W] (runtime/data/pipeline.ts); a fixed size that is not the
 *  input's is an error. */
function fitToInput(ts: TransformSpec[], key: ListKey, input: Shape, map: SourceMap, report: Report): TransformSpec[] {
  const [h, w] = [input[1] ?? 0, input[2] ?? 0];
  const { pipeline, fixed } = fitPipeline(ts, h, w);
  if (fixed !== null && (fixed[0] !== h || fixed[1] !== w)) {
    report('E0803', `\`${key}\` ends at ${fixed[0]}×${fixed[1]}, but the input is [${input.join(', ')}]`, map.value(['data', key]),
      `end it at ${h}×${w} (a crop or resize to [${h}, ${w}]), or change input.shape`);
  }
  return [...pipeline];
}

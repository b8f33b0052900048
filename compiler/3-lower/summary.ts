// The model summary `cnnc inspect` prints, as torchinfo's summary() does: one row per layer
// (name, kind, output shape with the batch, parameters, MACs), then the totals. For a graph (a layer
// that reads anything but the previous one), an Inputs column says what each layer reads.
import { describeTransform } from '../../runtime/data/transforms/pipeline.js';
import { describeSchedule } from '../../runtime/train/schedule.js';
import type { Container, ModelIR, Totals } from '../ir/types.js';
import { fmtShape, thousands } from './format.js';
import { computeTotals } from './totals.js';

export interface SummaryRow {
  /** The layer's PyTorch module path (`layer1.0.conv1`; at the top level, its name). */
  readonly name: string;
  readonly kind: string;
  /** The nodes it reads (`input`: the model input); none for the input row. */
  readonly inputs: readonly string[];
  /** With the batch first: -1 (any) as torchinfo prints it, or the batch size asked for. */
  readonly outShape: readonly number[];
  readonly params: number;
  readonly macs: number;
}

export interface Summary {
  readonly name: string;
  readonly file: string;
  /** The batch size the training memory is computed at. */
  readonly batchSize: number;
  readonly rows: readonly SummaryRow[];
  /** True when some layer reads anything but the previous layer: the table shows an Inputs column. */
  readonly graph: boolean;
  readonly totals: Totals;
  readonly optimizer: ModelIR['optimizer']['kind'];
  /** The data pipeline: where the images come from, then each transform as a line (describeTransform). */
  readonly data: DataSummary;
  /** The training recipe, one phrase a part: the optimizer and its lr, then the schedule, clipping and early stopping
   *  where the spec has them. */
  readonly recipe: readonly string[];
  /** The sequentials and block instances, in order (ModelIR.containers); empty for a flat model. */
  readonly containers: readonly Container[];
}

export interface DataSummary {
  readonly source: string;
  readonly eval: readonly string[];
  /** null: the eval pipeline. */
  readonly train: readonly string[] | null;
}

/** `batchSize` overrides the spec's train.batch_size; output shapes then show it instead of -1. */
export function summarize(ir: ModelIR, batchSize?: number): Summary {
  const b = batchSize ?? ir.train.batchSize;
  const lead = batchSize ?? -1;
  const moduleOf = new Map(ir.nodes.map((n) => [n.name, n.module ?? n.name]));
  const rows: SummaryRow[] = [
    { name: 'input', kind: 'input', inputs: [], outShape: [lead, ...ir.input.shape], params: 0, macs: 0 },
    ...ir.nodes.map((n) => ({ name: n.module ?? n.name, kind: n.kind, inputs: n.inputs.map((i) => moduleOf.get(i) ?? i), outShape: [lead, ...n.outShape], params: n.paramCount, macs: n.macs })),
  ];
  const graph = ir.nodes.some((n, i) => n.inputs.length !== 1 || n.inputs[0] !== (i === 0 ? 'input' : ir.nodes[i - 1]!.name));
  const totals = b === ir.train.batchSize ? ir.totals : computeTotals(ir.input.shape, ir.nodes, ir.optimizer, b, ir.scheduler?.cyclesMomentum === true);
  return { name: ir.name, file: ir.file, batchSize: b, rows, graph, totals, optimizer: ir.optimizer.kind, data: dataSummary(ir), recipe: recipeSummary(ir), containers: ir.containers ?? [] };
}

function recipeSummary(ir: ModelIR): string[] {
  const out = [`${ir.optimizer.kind} (lr ${ir.optimizer.lr})`];
  const s = ir.scheduler;
  if (s !== null) {
    out.push(`${describeSchedule(s.spec)} per ${s.interval === 'step' ? 'step' : 'epoch'}${s.monitor === null ? '' : ` on ${s.monitor}`}`);
  }
  const c = ir.train.clip;
  if (c !== null) out.push(c.kind === 'norm' ? `clip_grad_norm ${c.maxNorm} (norm_type ${c.normType === Infinity ? 'inf' : c.normType})` : `clip_grad_value ${c.clipValue}`);
  const e = ir.train.earlyStopping;
  if (e !== null) out.push(`early stopping on ${e.monitor} (${e.mode}, patience ${e.patience}${e.minDelta === 0 ? '' : `, min_delta ${e.minDelta}`}), best.safetensors`);
  return out;
}

function dataSummary(ir: ModelIR): DataSummary {
  const d = ir.data;
  const c = ir.input.shape[0];
  const mode = c === 3 ? "RGB (PIL's convert('RGB'))" : c === 1 ? "gray (PIL's convert('L'))" : null;
  const own = d.source === 'folder' || d.source === 'csv' ? d : null;
  const where =
    d.source === 'mnist' ? 'the embedded MNIST digits (mnist10k)'
    : d.source === 'idx' ? `IDX files in ${d.path}`
    : d.source === 'folder' ? `image folders in ${d.path} (train/, test/, val/ if there)`
    : `CSV manifests ${d.train}, ${d.test}${d.val === null ? '' : `, ${d.val}`}`;
  const extra = [
    ...(d.task !== 'classification' ? [`task ${d.task}`] : []),
    ...(own !== null && mode !== null ? [`decoded as ${mode}`] : []),
    ...(own?.classes ? [`classes ${own.classes.join(', ')}`] : own !== null ? ['classes: the train folders, sorted'] : []),
    ...(d.valSplit != null ? [`val_split ${d.valSplit} (stratified)`] : []),
  ];
  const evalList = d.transforms.eval.map(describeTransform);
  const trainList = d.transforms.train.map(describeTransform);
  return {
    source: extra.length === 0 ? where : `${where}; ${extra.join('; ')}`,
    eval: evalList,
    train: trainList.join('\n') === evalList.join('\n') ? null : trainList,
  };
}

/** torchinfo's default depth: containers nested deeper are one row, their layers' totals. */
export const DEFAULT_DEPTH = 3;

/**
 * The table's rows: with containers, as a tree (torchinfo's), each container a row with its layers' parameters and
 * MACs and its last layer's output shape, indented by depth; a container at `depth` is one row, what it holds not shown.
 */
function treeRows(s: Summary, depth: number): SummaryRow[] {
  if (s.containers.length === 0) return [...s.rows];
  const kindOf = new Map(s.containers.map((c) => [c.module, c.kind]));
  const isContainer = (path: string) => kindOf.has(path);
  const prefixes = (name: string): string[] => {
    const segs = name.split('.');
    const out: string[] = [];
    for (let k = 1; k < segs.length; k++) {
      const p = segs.slice(0, k).join('.');
      if (isContainer(p)) out.push(p);
    }
    return out;
  };
  const agg = new Map<string, { params: number; macs: number; outShape: readonly number[] }>();
  for (const r of s.rows.slice(1)) {
    for (const p of prefixes(r.name)) {
      const a = agg.get(p) ?? { params: 0, macs: 0, outShape: r.outShape };
      agg.set(p, { params: a.params + r.params, macs: a.macs + r.macs, outShape: r.outShape });
    }
  }
  const label = (path: string, level: number, parent: string | undefined) => `${'  '.repeat(level)}${parent === undefined ? path : path.slice(parent.length + 1)}`;
  const out: SummaryRow[] = [s.rows[0]!];
  const opened = new Set<string>();
  for (const r of s.rows.slice(1)) {
    const chain = prefixes(r.name);
    chain.forEach((p, level) => {
      if (opened.has(p) || level >= depth) return;
      opened.add(p);
      const a = agg.get(p)!;
      out.push({ name: label(p, level, chain[level - 1]), kind: kindOf.get(p)!, inputs: [], outShape: a.outShape, params: a.params, macs: a.macs });
    });
    if (chain.length < depth) out.push({ ...r, name: label(r.name, chain.length, chain[chain.length - 1]) });
  }
  return out;
}

/** `extra`: lines the later phases add after the data lines (`cnnc inspect`: the convolutions' algorithms). */
export function formatSummary(s: Summary, depth = DEFAULT_DEPTH, extra: readonly string[] = []): string {
  const head = ['Layer', 'Kind', ...(s.graph ? ['Inputs'] : []), 'Output shape', 'Params', 'MACs'];
  const numeric = head.length - 2; // Params and MACs are right-aligned
  const cells = treeRows(s, depth).map((r) => [r.name, r.kind, ...(s.graph ? [r.inputs.join(', ')] : []), fmtShape(r.outShape), thousands(r.params), thousands(r.macs)]);
  const widths = head.map((h, c) => cells.reduce((w, row) => Math.max(w, row[c]!.length), h.length));
  const line = (row: readonly string[]) =>
    row.map((cell, c) => (c >= numeric ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('   ').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, w) => a + w, 0) + 3 * (widths.length - 1));
  const t = s.totals;
  return [
    `${s.name} (${s.file})`,
    rule('='),
    line(head),
    rule('='),
    ...cells.map(line),
    rule('='),
    `Trainable params:  ${thousands(t.params)}`,
    `Buffers:           ${thousands(t.buffers)}`,
    `Forward MACs:      ${thousands(t.macs)} (${metric(t.macs)}) per sample`,
    `Activations:       ${thousands(t.activations)} per sample (${mib(4 * t.activations * s.batchSize)} MiB at batch size ${s.batchSize})`,
    `Training memory:   ${mib(t.trainingBytes)} MiB at batch size ${s.batchSize} ` +
      `(weights, gradients, ${s.optimizer} state, activations and their gradients, im2col scratch)`,
    `Recipe:            ${s.recipe.join(' · ')}`,
    `Data:              ${s.data.source}`,
    `Transforms:        ${s.data.eval.length === 0 ? 'none' : s.data.eval.join(' → ')}`,
    ...(s.data.train === null ? [] : [`Train transforms:  ${s.data.train.length === 0 ? 'none' : s.data.train.join(' → ')}`]),
    ...extra,
    rule('='),
    '',
  ].join('\n');
}

/** 11.99M, 1.20G: torchinfo's "Total mult-adds (M)". */
function metric(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)}K`;
  return `${n}`;
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(2);
}

// The semantic diff of two lowered models: layers aligned (align.ts), then per layer what changed,
// the totals, checkpoint compatibility, the training recipe and the lints. Plain data out; the
// formatters decide how it reads.
import type { Diagnostic } from '../diagnostics/types.js';
import type { ModelIR, Node, Shape } from '../ir/types.js';
import { alignLayers, type AlignedPair } from './align.js';
import { initChanges, jsonEqual, layerAttrs } from './attrs.js';
import { diffCheckpoint } from './checkpoint.js';
import { diffLints } from './lints.js';
import { diffSettings } from './settings.js';
import type { AttrChange, BlockEdit, Change, Delta, LayerDiff, LayerSide, ModelDiff } from './types.js';

export interface DiffOptions {
  /** Each side's warnings (as checkSource returns them), to report lints introduced or removed. */
  readonly warnings?: { readonly old: readonly Diagnostic[]; readonly new: readonly Diagnostic[] };
}

export function diffModels(a: ModelIR, b: ModelIR, opts: DiffOptions = {}): ModelDiff {
  const rows = alignLayers(a.nodes, b.nodes);
  const layers = rows.map((r) => diffLayer(a, b, r));
  const settings = diffSettings(a, b);
  const name = a.name === b.name ? null : { old: a.name, new: b.name };
  const input = shapeChange(a.input.shape, b.input.shape);
  const output = shapeChange(outShape(a), outShape(b));
  const blocks = blockEdits(layers);
  const identical =
    name === null && input === null && settings.length === 0 && layers.every((l) => l.status === 'unchanged' && l.rename === null);
  return {
    old: { file: a.file, name: a.name },
    new: { file: b.file, name: b.name },
    identical,
    name,
    input,
    output,
    layers,
    totals: {
      params: delta(a.totals.params, b.totals.params),
      macs: delta(a.totals.macs, b.totals.macs),
      trainingBytes: delta(a.totals.trainingBytes, b.totals.trainingBytes),
    },
    checkpoint: diffCheckpoint(a, b, rows),
    settings,
    lints: diffLints(a, b, rows, opts.warnings ?? { old: [], new: [] }),
    ...(blocks.length > 0 ? { blocks } : {}),
  };
}

/** Changed layers from one layer of a block's definition with the same edit, two or more instances: one BlockEdit. */
function blockEdits(layers: readonly LayerDiff[]): BlockEdit[] {
  const groups = new Map<string, { edit: Omit<BlockEdit, 'instances' | 'rows' | 'params' | 'macs'>; instances: string[]; rows: number[] }>();
  layers.forEach((l, i) => {
    const b = l.new?.block;
    if (l.status !== 'changed' || b === undefined || l.old?.block?.name !== b.name || l.old.block.layer !== b.layer) return;
    const attrs = l.attrs.filter((a) => !a.inferred);
    const key = JSON.stringify([b.name, b.layer, attrs]);
    const g = groups.get(key) ?? { edit: { block: b.name, layer: b.layer, kind: l.kind, attrs }, instances: [], rows: [] };
    g.instances.push(b.instance);
    g.rows.push(i);
    groups.set(key, g);
  });
  const total = (rows: readonly number[], f: (s: LayerSide) => number): Change<number> =>
    ({ old: rows.reduce((a, r) => a + f(layers[r]!.old!), 0), new: rows.reduce((a, r) => a + f(layers[r]!.new!), 0) });
  return [...groups.values()].filter((g) => g.rows.length >= 2)
    .map((g) => ({ ...g.edit, instances: g.instances, rows: g.rows, params: total(g.rows, (s) => s.params), macs: total(g.rows, (s) => s.macs) }));
}

function diffLayer(a: ModelIR, b: ModelIR, r: AlignedPair): LayerDiff {
  const x = r.old === null ? null : a.nodes[r.old]!;
  const y = r.new === null ? null : b.nodes[r.new]!;
  if (x === null && y === null) throw new Error('cnnc internal error: empty alignment row');
  if (x === null || y === null) {
    const n = (x ?? y)!;
    return { status: x === null ? 'added' : 'removed', kind: n.kind, old: x && side(x), new: y && side(y), rename: null, attrs: [] };
  }
  const ax = layerAttrs(x, a.nodes);
  const ay = layerAttrs(y, b.nodes);
  const attrs: AttrChange[] = [
    ...changes(ax.own, ay.own).map((c) => ({ ...c, inferred: false })),
    ...initChanges(x, y).map((c) => ({ ...c, inferred: false })),
    ...changes(ax.inferred, ay.inferred).map((c) => ({ ...c, inferred: true })),
  ];
  const own = attrs.some((c) => !c.inferred);
  const sx = side(x);
  const sy = side(y);
  const shapesMoved =
    attrs.length > 0 || !jsonEqual([...sx.inShape], [...sy.inShape]) || !jsonEqual([...sx.outShape], [...sy.outShape]) || sx.params !== sy.params || sx.macs !== sy.macs;
  return {
    status: own ? 'changed' : shapesMoved ? 'affected' : 'unchanged',
    kind: y.kind,
    old: sx,
    new: sy,
    rename: x.name === y.name ? null : { old: x.name, new: y.name },
    attrs,
  };
}

function changes(o: Readonly<Record<string, AttrChange['old']>>, n: Readonly<Record<string, AttrChange['new']>>): Omit<AttrChange, 'inferred'>[] {
  return Object.keys(n)
    .filter((k) => !jsonEqual(o[k], n[k]))
    .map((k) => ({ attr: k, old: o[k] ?? null, new: n[k] ?? null }));
}

function side(n: Node): LayerSide {
  return {
    name: n.module ?? n.name,
    index: n.index,
    named: n.named,
    inShape: [...(n.inShapes[0] ?? [])],
    outShape: [...n.outShape],
    params: n.paramCount,
    macs: n.macs,
    tensors: n.params.map((p) => p.name),
    ...blockOf(n),
  };
}

/** Where a layer written in a block's definition sits: `at` is `['blocks', B, 'layers', j, ('layers', k)…]`, one
 *  module level per `layers` after the block's, so the instance is the module path less that many segments. */
function blockOf(n: Node): Pick<LayerSide, 'block'> {
  if (n.at?.[0] !== 'blocks' || n.module === undefined) return {};
  const depth = n.at.slice(2).filter((s) => s === 'layers').length;
  const segs = n.module.split('.');
  return { block: { name: String(n.at[1]), layer: segs.slice(-depth).join('.'), instance: segs.slice(0, -depth).join('.') } };
}

function outShape(m: ModelIR): Shape {
  return m.nodes.find((n) => n.name === m.output)?.outShape ?? m.input.shape;
}

function shapeChange(o: Shape, n: Shape): Change<Shape> | null {
  return jsonEqual([...o], [...n]) ? null : { old: [...o], new: [...n] };
}

function delta(o: number, n: number): Delta {
  return { old: o, new: n, delta: n - o, percent: o === 0 ? null : ((n - o) / o) * 100 };
}

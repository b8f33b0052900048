// Phase 3: the validated Spec → the IR, with PyTorch's defaults resolved and every shape,
// parameter and MAC known. Problems are reported all at once: after a layer fails, later layers
// still get their names checked, but their shape rules are skipped (their input is unknown).
import type { SourceMap } from '../1-parse/source-map.js';
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import type { ModelIR, Node, Shape } from '../ir/types.js';
import type { Spec } from '../spec/types.js';
import { fmtShape, product, sci } from './format.js';
import { lowerLayer, type LayerCtx, type LayerResult } from './layers/index.js';
import { resolveGraph } from './graph.js';
import { nameLayers } from './names.js';
import { expandLayers } from './blocks.js';
import type { Report } from './report.js';
import { checkDataFit, checkLossFit, lowerLoss } from './loss.js';
import { lowerData } from './data.js';
import { lowerOptimizer, lowerTrain } from './settings.js';
import { lowerClip, lowerEarlyStopping, lowerScheduler } from './recipe.js';
import { computeTotals, MAX_ELEMENTS, tooManyElements, tooMuchTrainingMemory } from './totals.js';

export function lower(spec: Spec, map: SourceMap, specHash: string): { ir: ModelIR | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (code, message, span, hint) => diagnostics.push(diagnostic(code, message, span, map.source, hint));
  const settings = lowerTrain(spec.train);
  const batch = settings.batchSize;

  const input = { shape: spec.input.shape, span: map.value(['input', 'shape']) };
  const expanded = expandLayers(spec, map);
  if (expanded.diagnostics.length > 0) return { ir: null, diagnostics: expanded.diagnostics };
  const { layers, places, containers } = expanded;
  const pathOf = (i: number) => places[i]!.path;
  const names = nameLayers(layers, pathOf, map, report);
  const inputsOf = resolveGraph(layers, names, pathOf, map, report);
  // Output shape of each node; null when it failed, or when one of its inputs is unknown.
  const shapes = new Map<string, Shape | null>([['input', checkInput(input.shape, batch, input.span, report)]]);
  const nodes: Node[] = [];
  layers.forEach((layer, i) => {
    const { name, named } = names[i]!;
    const { module, within } = places[i]!;
    const inputs = inputsOf[i]!;
    const xs = inputs?.map((n) => shapes.get(n) ?? null) ?? [null];
    shapes.set(name, null);
    if (inputs === null || !xs.every((s) => s !== null)) return; // an input is unknown: skip the shape rule
    const at = (key: string | readonly (string | number)[]) => map.value([...pathOf(i), ...(typeof key === 'string' ? [key] : key)]);
    // Inside a container, messages and parameters use the PyTorch module path (`layer1.0.conv1`); inside a block, messages also name the instance.
    const inBlock = (message: string) => (within === undefined ? message : `${message} (in ${within})`);
    const ctx: LayerCtx = { name: module ?? name, x: xs[0]!, xs, inputs, error: (code, message, key = 'kind', hint) => report(code, inBlock(message), at(key), hint) };
    const r = lowerLayer(layer, ctx);
    if (r === null || !fitsLimits(module ?? name, r, batch, (m) => report('E0409', inBlock(m), at('kind')))) return;
    nodes.push({
      ...r,
      index: i, // = its position in `nodes` whenever the IR is returned (no layer failed); lint relies on it
      name,
      named,
      ...(module !== undefined ? { module, at: pathOf(i) } : {}),
      inputs,
      ...(typeof layer === 'object' && layer.allow !== undefined && layer.allow.length > 0 ? { allow: layer.allow } : {}),
      inShapes: xs,
      paramCount: r.params.filter((p) => p.trainable).reduce((a, p) => a + p.size, 0),
      outSize: product(r.outShape),
      span: at('kind'),
    } as Node);
    shapes.set(name, r.outShape);
  });
  const lastName = names[names.length - 1]?.name;
  const x = lastName === undefined ? null : shapes.get(lastName) ?? null;

  const last = nodes[nodes.length - 1];
  const output = last ? last.name : 'input';
  const loss = lowerLoss(spec.loss, map, x);
  const data = lowerData(spec.data, input.shape, map, report);
  if (x !== null) {
    checkLossFit(loss, Array.isArray(spec.loss), x, nodes, output, map, report);
    if (spec.data !== undefined) checkDataFit(data, loss, input.shape, x, map, report);
  }
  const optimizer = lowerOptimizer(spec.optimizer, map);
  const recipe = { loss, data, optimizer, train: settings, map, report };
  const scheduler = lowerScheduler(spec.scheduler, recipe);
  const train = { ...settings, clip: lowerClip(spec.train, recipe), earlyStopping: lowerEarlyStopping(spec.train, recipe) };
  const totals = computeTotals(input.shape, nodes, optimizer, batch, scheduler?.cyclesMomentum === true);

  if (diagnostics.length === 0) {
    const where = map.value(['layers']);
    if (totals.params > MAX_ELEMENTS) {
      report('E0409', `the model would have ${sci(totals.params)} trainable parameters (limit ${sci(MAX_ELEMENTS)})`, where);
    }
    const memory = tooMuchTrainingMemory(totals.trainingBytes, batch);
    if (memory !== null) report('E0409', memory, map.value(['train', 'batch_size']), 'use a smaller batch_size, or fewer or narrower layers');
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { ir: null, diagnostics };

  const ir: ModelIR = {
    cnnc: 1,
    name: spec.name,
    file: map.file,
    specHash,
    input,
    nodes,
    output,
    loss,
    optimizer,
    scheduler,
    train,
    data,
    totals,
    ...(containers.length > 0 ? { containers } : {}),
  };
  return { ir, diagnostics };
}

/** False after reporting each tensor of the layer (its output at the batch size, each parameter)
 *  that is too big to allocate. */
function fitsLimits(name: string, r: LayerResult, batch: number, refuse: (message: string) => void): boolean {
  const tooBig = [
    tooManyElements(`${name} output ${fmtShape(r.outShape)}`, product(r.outShape) * batch, batch),
    ...r.params.map((p) => tooManyElements(p.name, p.size)),
  ].filter((m) => m !== null);
  tooBig.forEach(refuse);
  return tooBig.length === 0;
}

/** [C, H, W] for images, [F] for features; refused when one batch of it is too big. */
function checkInput(shape: Shape, batch: number, span: ModelIR['input']['span'], report: Report): Shape | null {
  if (shape.length !== 3 && shape.length !== 1) {
    report('E0410', `input shape ${fmtShape(shape)} has ${shape.length} dimensions; cnnc takes [C, H, W] or [features]`,
      span, 'the batch dimension is implicit: do not write it');
    return null;
  }
  const tooBig = tooManyElements(`the input ${fmtShape(shape)}`, product(shape) * batch, batch);
  if (tooBig) {
    report('E0409', tooBig, span);
    return null;
  }
  return shape;
}

// The passes after the lints, in order: loss fusion → memory plan → relu fusion (for targets whose
// kernels write two tensors) → graph edges → one resolved record per node. The result, PlannedModel,
// is what every renderer reads (compiler/ir/plan.ts); verifyPlan checks its invariants before any
// renderer sees it, as tinygrad verifies its IR after each rewrite.
import type { NodePlan, PlannedModel, ReadEdge, TargetCaps } from '../ir/plan.js';
import type { ModelIR } from '../ir/types.js';
import { layerComment, lossComment } from './comments.js';
import { planBnFolding, planLossFusion, planLossSoftmax, planReluFusion } from './fuse.js';
import { geometryOf } from './geometry.js';
import { planMemory } from './memory.js';
import { outputKind } from './output.js';

export const TS_TARGET: TargetCaps = { name: 'ts', multiOutputKernels: true };
export const GPUJS_TARGET: TargetCaps = { name: 'gpujs', multiOutputKernels: false };
/** PyTorch: every layer its own torch.nn module, so no kernel fusion is planned. */
export const PYTORCH_TARGET: TargetCaps = { name: 'pytorch', multiOutputKernels: false };

export function planModel(ir: ModelIR, target: TargetCaps): PlannedModel {
  const lossFusion = planLossFusion(ir);
  const bnFolds = planBnFolding(ir, target);
  const memory = planMemory(ir, lossFusion, planLossSoftmax(ir, target), bnFolds);
  const foldedInto = new Map([...bnFolds].flatMap(([conv, f]) => [[f.bn, conv], ...(f.relu === null ? [] : [[f.relu, conv] as const])]));
  // A gpu.js kernel has one output, so it cannot write a conv's output and its relu's both.
  const reluFusion = target.multiOutputKernels ? planReluFusion(ir, memory) : new Map<string, string>();
  const fusedInto = new Map([...reluFusion].map(([conv, relu]) => [relu, conv]));
  const io = new Map(memory.io.map((e) => [e.node, e]));
  const readers = new Map<string, ReadEdge[]>();
  for (const node of ir.nodes) node.inputs.forEach((src, input) => readers.set(src, [...(readers.get(src) ?? []), { reader: node.name, input }]));

  const nodes: NodePlan[] = ir.nodes.map((node) => {
    const e = io.get(node.name);
    if (e === undefined) throw new Error(`cnnc internal error: ${node.name} not planned`);
    const fusedRelu = reluFusion.get(node.name) ?? null;
    return {
      node,
      comment: layerComment(node, fusedRelu),
      geometry: geometryOf(node),
      io: e,
      readers: readers.get(node.name) ?? [],
      fusedRelu,
      fusedInto: fusedInto.get(node.name) ?? null,
      fusedIntoLoss: lossFusion.fusedNode === node.name,
      evalFold: bnFolds.has(node.name) ? { ...bnFolds.get(node.name)!, weight: `${node.name}_foldW`, bias: `${node.name}_foldB` } : null,
      evalFoldedInto: foldedInto.get(node.name) ?? null,
    };
  });
  const out = ir.nodes.find((n) => n.name === ir.output);
  if (out === undefined) throw new Error(`cnnc internal error: output ${ir.output} is not a node`);
  const lossComments = ir.loss.terms.map((t) => lossComment(t, { outShape: out.outShape, fusedNote: lossFusion.note }));
  const plan: PlannedModel = { ir, target, lossFusion, memory, nodes, lossComments, output: outputKind(ir) };
  verifyPlan(plan);
  return plan;
}

/** The plan's invariants; a violation is a bug in a pass, reported as an internal error naming it. */
export function verifyPlan(plan: PlannedModel): void {
  const fail = (what: string): never => {
    throw new Error(`cnnc internal error: the plan is inconsistent: ${what}`);
  };
  const { ir, memory, nodes } = plan;
  if (nodes.length !== ir.nodes.length || nodes.some((np, i) => np.node !== ir.nodes[i])) fail('its nodes are not the IR\'s, in order');
  const fields = new Set<string>();
  for (const b of memory.buffers) {
    if (fields.has(b.field)) fail(`buffer ${b.field} is planned twice`);
    fields.add(b.field);
    if (!Number.isInteger(b.size) || b.size < 0 || !Number.isInteger(b.offset) || b.offset < 0) fail(`buffer ${b.field} has size ${b.size} at offset ${b.offset}`);
  }
  const arenaEnd = { ...memory.perSample, scratch: memory.scratchSize };
  for (const b of memory.buffers) if (b.offset + b.size > arenaEnd[b.arena]) fail(`buffer ${b.field} ends past its arena ${b.arena}`);
  const known = (f: string | null, what: string): void => {
    if (f !== null && !fields.has(f)) fail(`${what} names buffer ${f}, which is not planned`);
  };
  let paramEnd = 0;
  for (const p of memory.params) {
    if (p.offset !== paramEnd) fail(`parameter ${p.name} is at ${p.offset}, not right after the one before (${paramEnd})`);
    paramEnd += p.size;
  }
  if (paramEnd !== memory.paramSize) fail(`the parameters add up to ${paramEnd}, not paramSize ${memory.paramSize}`);
  const names = new Set(['input', ...ir.nodes.map((n) => n.name)]);
  for (const np of nodes) {
    const { node, io } = np;
    if (io.node !== node.name) fail(`${node.name}'s io record is ${io.node}'s`);
    if (io.xs.length !== node.inputs.length || io.dXs.length !== node.inputs.length) fail(`${node.name} has ${node.inputs.length} inputs but ${io.xs.length} values and ${io.dXs.length} gradients`);
    io.xs.forEach((x, k) => known(x, `${node.name}'s input ${k}`));
    io.dXs.forEach((d, k) => known(d, `${node.name}'s input gradient ${k}`));
    known(io.y, `${node.name}'s output`);
    known(io.dY, `${node.name}'s output gradient`);
    for (const a of io.accumulate) {
      known(a.from, `${node.name}'s accumulation`);
      known(a.into, `${node.name}'s accumulation`);
      if (io.dXs[a.input] !== a.from) fail(`${node.name} accumulates input ${a.input} from ${a.from}, which it does not write`);
    }
    if (io.backward && io.alias) fail(`${node.name} is an alias with a backward`);
    if (np.fusedIntoLoss && io.backward) fail(`${node.name} is fused into the loss and still runs backward`);
    for (const r of np.readers) {
      const reader = ir.nodes.find((n) => n.name === r.reader);
      if (reader === undefined || reader.inputs[r.input] !== node.name) fail(`${node.name}'s reader edge ${r.reader}[${r.input}] does not read it`);
    }
    for (const src of node.inputs) if (!names.has(src)) fail(`${node.name} reads ${src}, which is not a node`);
    if (np.fusedRelu !== null) {
      const relu = nodes.find((m) => m.node.name === np.fusedRelu);
      if (node.kind !== 'conv2d' || relu === undefined || relu.node.kind !== 'relu' || relu.fusedInto !== node.name) fail(`${node.name}'s fused relu ${np.fusedRelu} is not a relu fused into it`);
      if (!plan.target.multiOutputKernels) fail(`${node.name} fuses a relu on ${plan.target.name}, whose kernels write one tensor`);
    }
    if (np.fusedInto !== null && nodes.find((m) => m.node.name === np.fusedInto)?.fusedRelu !== node.name) fail(`${node.name} is fused into ${np.fusedInto}, which does not fuse it`);
    if ((node.kind === 'conv2d' || node.kind === 'conv_transpose2d') !== (np.geometry.kind === 'conv')) fail(`${node.name} (${node.kind}) has ${np.geometry.kind} geometry`);
    if ((node.kind === 'upsample') !== (np.geometry.kind === 'upsample')) fail(`${node.name} (${node.kind}) has ${np.geometry.kind} geometry`);
    if ((node.kind === 'maxpool2d' || node.kind === 'avgpool2d') !== (np.geometry.kind === 'pool')) fail(`${node.name} (${node.kind}) has ${np.geometry.kind} geometry`);
    if ((node.kind === 'adaptive_avgpool2d' || node.kind === 'adaptive_maxpool2d') !== (np.geometry.kind === 'adaptive')) fail(`${node.name} (${node.kind}) has ${np.geometry.kind} geometry`);
    if (np.geometry.kind === 'conv' && np.geometry.conv.outS !== node.outSize) fail(`${node.name}'s geometry gives ${np.geometry.conv.outS} outputs, its shape ${node.outSize}`);
  }
  if (plan.lossComments.length !== ir.loss.terms.length) fail(`${plan.lossComments.length} loss comments for ${ir.loss.terms.length} terms`);
  known(memory.output, 'the model output');
  known(memory.lossGrad, 'the loss gradient');
  known(memory.lossSoftmax?.prob ?? null, 'the loss softmax');
  for (const np of nodes) if (np.evalFold !== null) { known(np.evalFold.weight, `${np.node.name}'s folded weight`); known(np.evalFold.bias, `${np.node.name}'s folded bias`); }
  known(memory.lossSoftmax?.lse ?? null, 'the loss log Σ exp');
}

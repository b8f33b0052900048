// The call sequences: runForward calls every layer's forward kernel in node order, runBackward every
// backward in reverse, each argument bound to a field of the class through the plan's NodeIO; a node
// read by several layers gets its readers' gradient shares added in (NodeIO.accumulate).
import { assertNever } from '../../ir/types.js';
import type { NodeIO, NodePlan } from '../../ir/plan.js';
import type { KernelArg, Ref } from '../kernel.js';
import { paramField, type ModelParts } from './parts.js';
import { backwardSlot, forwardSlot } from '../../../runtime/profile.js';
import { timed, withTimer } from './profile.js';
import { foldedConvCall } from './fold.js';

/** runForward's calls; `inference`: runInference's, with each planned conv + batchnorm fold (NodePlan.evalFold). */
export function forwardCalls(m: ModelParts, inference = false): string[] {
  const bind = binder(m);
  const calls: string[] = [];
  m.planned.nodes.forEach((np, i) => {
    const node = np.node;
    const k = kernelsOf(m, np);
    if (np.fusedInto !== null) {
      calls.push(`// ${node.name}: fused into ${np.fusedInto} (${np.fusedInto}_forward writes it)`);
    } else if (inference && np.evalFoldedInto !== null) {
      calls.push(`// ${node.name}: folded into ${np.evalFoldedInto} (its folded weights write ${node.name}'s output)`);
    } else if (inference && np.evalFold !== null && k !== null) {
      // Below the fold's batch: the conv, the bn and the relu as runForward calls them.
      const { bn, relu } = np.evalFold;
      const unfolded = [node.name, bn, ...(relu === null ? [] : [relu])].map((name) => {
        const kernels = kernelsOf(m, m.planned.nodes.find((p) => p.node.name === name)!);
        if (kernels === null) throw new Error(`cnnc internal error: ${name} has no forward kernel to run unfolded`);
        return forwardCall(name, kernels.forward.params, bind);
      });
      calls.push(...timed(m, forwardSlot(i), foldedConvCall(m, np, k.forward.params, bind, unfolded)));
    } else if (k === null) {
      calls.push(`// ${np.comment}`);
    } else {
      calls.push(...timed(m, forwardSlot(i), [forwardCall(node.name, k.forward.params, bind)]));
    }
  });
  return withTimer(calls);
}

/** A layer's forward kernel call with its arguments bound to the class's fields. */
function forwardCall(name: string, params: readonly KernelArg[], bind: (node: string, a: KernelArg) => string): string {
  return `${name}_forward(${params.map((a) => bind(name, a)).join(', ')});`;
}

export function backwardCalls(m: ModelParts): string[] {
  const { ir, memory } = m.planned;
  const bind = binder(m);
  const calls: string[] = [];
  const nodes = m.planned.nodes;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const np = nodes[i]!;
    const node = np.node;
    const k = kernelsOf(m, np);
    const e = np.io;
    const work: string[] = []; // what this node's backward slot times: its kernel call and its readers' gradient sums
    if (np.fusedInto !== null) {
      if (e.backward && e.dX !== null) calls.push(`// ${node.name}: fused into ${np.fusedInto} (${np.fusedInto}_backward applies its gradient)`);
    } else if (k !== null && k.backward === null) {
      if (node.name === ir.output && memory.lossGrad !== null && e.dY === null) calls.push(`// ${node.name}: fused into the loss (no ${node.name}_backward)`);
    } else if (k !== null && k.backward !== null) {
      work.push(`${node.name}_backward(${k.backward.params.map((a) => bind(node.name, a)).join(', ')});`);
    }
    work.push(...accumulateLines(m, np));
    calls.push(...timed(m, backwardSlot(i), work));
  }
  return withTimer(calls);
}

function kernelsOf(m: ModelParts, np: NodePlan) {
  const k = m.kernels.get(np.node.name);
  if (k === undefined) throw new Error('cnnc internal error: missing kernels');
  return k;
}

/** The class field (or `n`, `x`, ...) a kernel argument is bound to. */
function binder(m: ModelParts): (node: string, a: KernelArg) => string {
  const io = new Map<string, NodeIO>(m.planned.nodes.map((np) => [np.node.name, np.io]));
  return (node, a) => {
    const r: Ref | undefined = a.ref;
    const e = io.get(node);
    if (r === undefined || e === undefined) throw new Error(`cnnc internal error: unbound kernel argument ${a.name} of ${node}`);
    const field = (f: string | null): string => (f === null ? 'x' : `this.${f}`);
    switch (r.kind) {
      case 'n': return 'n';
      case 'x': return field(e.xs[r.input ?? 0] ?? null);
      case 'y': return field(e.y);
      case 'dX': return field(e.dXs[r.input ?? 0] ?? null);
      case 'dY': return field(e.dY);
      case 'valueOf':
      case 'gradOf': {
        const other = io.get(r.node);
        const f = other === undefined ? null : r.kind === 'valueOf' ? other.y : other.dY;
        if (f === null) throw new Error(`cnnc internal error: ${node} reads ${r.node}'s ${r.kind === 'valueOf' ? 'value' : 'gradient'}, which has no buffer`);
        return field(f);
      }
      case 'param': return `this.${node}_${paramField(r.role).data}`;
      case 'grad': return `this.${node}_${paramField(r.role).grad}`;
      case 'buffer': return `this.${node}_${r.what}`;
      case 'rng': return 'this.rng';
      case 'training': return 'this.mode';
      default: return assertNever(r, 'kernel argument');
    }
  };
}

/** A node read by several layers: its gradient is the sum over its readers. The last reader wrote
 *  its dY; each other reader wrote its own dX buffer, added in here. */
function accumulateLines(m: ModelParts, np: NodePlan): string[] {
  const out: string[] = [];
  const e = np.io;
  e.accumulate.forEach((a, i) => {
    const src = np.node.inputs[a.input]!;
    const readers = [...new Set(m.planned.nodes.find((s) => s.node.name === src)?.readers.map((r) => r.reader) ?? [])];
    if (i === 0 || e.accumulate[i - 1]!.into !== a.into) {
      out.push(`// ${src} is read by ${readers.join(', ')}: its gradient is the sum of theirs; ${e.node} adds its share`);
    }
    out.push(`for (let i = 0; i < n * ${a.size}; i++) this.${a.into}[i] += this.${a.from}[i];`);
  });
  return out;
}

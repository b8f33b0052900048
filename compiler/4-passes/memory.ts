// The memory plan: every buffer a generated module uses, placed at compile time.
//
// - params / grads: one float array each, a view per tensor at a literal offset (grads mirror params;
//   buffers such as running stats have a grad view that stays zero).
// - values (forward activations, dropout masks), grads (activation gradients) and indices (max-pool
//   argmax, Int32): one array each, sized `capacity × perSample`; a buffer's view starts at
//   `capacity × offset`. The capacity only grows (when n exceeds it), so a steady training step
//   allocates nothing.
// - scratch: per-sample work space that does not depend on n (im2col columns, batchnorm statistics).
//
// Aliasing: flatten is free (torch.flatten(x, 1) of a contiguous NCHW tensor is the same memory), so
// its output *is* its input's buffer, and so is its gradient.
// Gradients: a node runs backward only when its output depends on a trainable parameter; it writes dX
// only when its input does (the first layer never computes the input's gradient).
// Graphs: a node reads one input (two or more for add and concat), and its output may feed several
// later nodes. Its gradient is then the SUM of what every reader passes back: the last reader (the
// first to run backward) writes the node's dY directly, each other reader writes its own buffer
// `<reader>_dX<k>` (k: which of its inputs), which is added into the dY right after that reader's
// backward (NodeIO.accumulate). Every backward kernel may so overwrite its dX, never needing to add.
import { assertNever, type ModelIR, type Node } from '../ir/types.js';
import { isPointwiseConv } from './geometry.js';
import { isActivation } from '../ir/activations.js';
import type { Arena, BufferSlot, BufferWhat, LossFusion, MemoryPlan, NodeIO, ParamSlot } from '../ir/plan.js';

export type { Arena, BufferSlot, BufferWhat, MemoryPlan, NodeIO, ParamSlot } from '../ir/plan.js';

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export function planMemory(ir: ModelIR, fusion: LossFusion, softmaxTerms: readonly number[] | null = null, bnFolds: ReadonlyMap<string, unknown> = new Map()): MemoryPlan {
  const params: ParamSlot[] = [];
  let paramSize = 0;
  for (const node of ir.nodes) {
    for (const p of node.params) {
      params.push({ ...p, node: node.name, offset: paramSize });
      paramSize += p.size;
    }
  }

  const buffers: BufferSlot[] = [];
  const next = { values: 0, grads: 0, indices: 0, scratch: 0 };
  const add = (node: Node, what: BufferWhat, arena: Arena, size: number): string => {
    const field = `${node.name}_${what}`;
    buffers.push({ field, node: node.name, what, arena, size, offset: next[arena] });
    next[arena] += size;
    return field;
  };

  // requiresGrad: the node's output depends on a trainable parameter.
  const requiresGrad = new Map<string, boolean>([['input', false]]);
  const valueOf = new Map<string, string | null>([['input', null]]);
  const gradOf = new Map<string, string | null>([['input', null]]);
  const io: NodeIO[] = [];
  let lossGrad: string | null = null;

  // The last read of each node (reader index, input slot): that edge writes the node's gradient directly.
  const lastRead = new Map<string, readonly [number, number]>();
  ir.nodes.forEach((node, i) => node.inputs.forEach((src, k) => lastRead.set(src, [i, k])));
  const sizeOf = new Map<string, number>([['input', prod(ir.input.shape)], ...ir.nodes.map((n) => [n.name, n.outSize] as const)]);

  ir.nodes.forEach((node, i) => {
    const xs: (string | null)[] = [];
    const dXs: (string | null)[] = [];
    const accumulate: { input: number; from: string; into: string; size: number }[] = [];
    let inGrad = false;
    node.inputs.forEach((src, k) => {
      const x = valueOf.get(src);
      const g = gradOf.get(src);
      const r = requiresGrad.get(src);
      if (x === undefined || g === undefined || r === undefined) throw new Error(`cnnc internal error: ${node.name} reads ${src} before it is computed`);
      xs.push(x);
      inGrad ||= r;
      const last = lastRead.get(src)!;
      if (g === null || (last[0] === i && last[1] === k)) {
        dXs.push(g);
        return;
      }
      const own = add(node, `dX${k}`, 'grads', sizeOf.get(src)!);
      dXs.push(own);
      accumulate.push({ input: k, from: own, into: g, size: sizeOf.get(src)! });
    });
    const x = xs[0] ?? null;
    const dX = dXs[0] ?? null;
    const needs = inGrad || node.params.some((p) => p.trainable);
    requiresGrad.set(node.name, needs);

    if (node.kind === 'flatten') {
      valueOf.set(node.name, x);
      gradOf.set(node.name, dX);
      io.push({ node: node.name, x, xs, y: x, dX, dXs, accumulate, dY: dX, backward: false, alias: true });
      return;
    }
    const y = add(node, 'y', 'values', node.outSize);
    valueOf.set(node.name, y);
    const fused = fusion.fusedNode === node.name;
    const dY = needs && !fused ? add(node, 'dY', 'grads', node.outSize) : null;
    gradOf.set(node.name, dY);
    if (fused) lossGrad = dX;
    addScratch(node, dX !== null, add);
    // a conv with a batchnorm folded in for inference (fuse.ts, planBnFolding): its folded weight and bias
    if (node.kind === 'conv2d' && bnFolds.has(node.name)) {
      add(node, 'foldW', 'scratch', node.params.find((p) => p.role === 'weight')!.size);
      add(node, 'foldB', 'scratch', node.outChannels);
    }
    io.push({ node: node.name, x, xs, y, dX, dXs, accumulate, dY, backward: needs && !fused, alias: false });
  });

  const output = valueOf.get(ir.output);
  if (output === undefined) throw new Error(`cnnc internal error: output ${ir.output} not planned`);
  if (fusion.fusedNode === null) lossGrad = gradOf.get(ir.output) ?? null;
  // The loss's shared softmax: beside the output's value, scaled by n as it is.
  const out = ir.nodes.find((n) => n.name === ir.output)!;
  const lossSoftmax = softmaxTerms === null ? null
    : { terms: softmaxTerms, prob: add(out, 'prob', 'values', out.outSize), lse: add(out, 'lse', 'values', out.outSize / (out.outShape[0] ?? 1)) };
  return {
    params,
    paramSize,
    buffers,
    perSample: { values: next.values, grads: next.grads, indices: next.indices },
    scratchSize: next.scratch,
    io,
    output,
    lossGrad,
    lossSoftmax,
  };
}

/** Per-kind buffers besides y and dY: masks, argmax indices, im2col columns, batch statistics. */
function addScratch(node: Node, writesDX: boolean, add: (n: Node, w: BufferWhat, a: Arena, size: number) => string): void {
  if (isActivation(node)) return;
  switch (node.kind) {
    case 'conv2d': {
      if (isPointwiseConv(node)) return;
      const k = node.inChannels * node.kernel[0] * node.kernel[1];
      const p = (node.outShape[1] ?? 1) * (node.outShape[2] ?? 1);
      add(node, 'col', 'scratch', k * p);
      if (writesDX) add(node, 'dCol', 'scratch', k * p);
      return;
    }
    case 'conv_transpose2d': {
      // One sample's columns [out·kh·kw, h·w]: forward's Wᵀ·x before col2im, then backward's im2col(dY).
      const [, h, w] = node.inShapes[0] as [number, number, number];
      add(node, 'col', 'scratch', node.outChannels * node.kernel[0] * node.kernel[1] * h * w);
      return;
    }
    case 'maxpool2d':
    case 'adaptive_maxpool2d':
      add(node, 'argmax', 'indices', node.outSize);
      return;
    case 'batchnorm2d':
      add(node, 'mean', 'scratch', node.numFeatures);
      add(node, 'invstd', 'scratch', node.numFeatures);
      return;
    case 'dropout':
      add(node, 'mask', 'values', node.outSize);
      return;
    case 'dropout2d':
      add(node, 'mask', 'values', node.outShape[0] ?? 1);
      return;
    case 'avgpool2d':
    case 'adaptive_avgpool2d':
    case 'upsample':
    case 'global_avgpool2d':
    case 'add':
    case 'concat':
    case 'flatten':
    case 'linear':
    case 'softmax':
    case 'log_softmax':
      return;
    default:
      assertNever(node, 'node kind');
  }
}

export { prod as shapeSize };

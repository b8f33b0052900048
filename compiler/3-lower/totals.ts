// Model totals and the limits that refuse an absurd model at compile time, before anything is
// allocated: the figures are plain arithmetic on shapes.
import { assertNever, type ModelIR, type Node, type OptimizerIR, type ParamInfo, type Shape, type Totals } from '../ir/types.js';
import { fmtShape, product, sci } from './format.js';

/** A typed array (and an int32 index) holds at most 2^31 − 1 elements. */
export const MAX_ELEMENTS = 2 ** 31 - 1;
/** One training step may need at most this much memory. */
export const MAX_TRAINING_BYTES = 16 * 2 ** 30;
const F32 = 4;

/** Why a tensor is too big (`conv1 output would have 4.0e12 elements at batch size 64 (limit 2.1e9)`), or null. */
export function tooManyElements(what: string, elements: number, batch?: number): string | null {
  if (elements <= MAX_ELEMENTS) return null;
  const at = batch === undefined ? '' : ` at batch size ${batch}`;
  return `${what} would have ${sci(elements)} elements${at} (limit ${sci(MAX_ELEMENTS)})`;
}

/** Why one training step at `batch` needs too much memory (`one training step at batch size 4096
 *  would need 20 GiB (limit 16 GiB)`), or null. */
export function tooMuchTrainingMemory(trainingBytes: number, batch: number): string | null {
  if (trainingBytes <= MAX_TRAINING_BYTES) return null;
  return `one training step at batch size ${batch} would need ${gib(trainingBytes)} GiB (limit ${gib(MAX_TRAINING_BYTES)} GiB)`;
}

/**
 * The size limits that lowering checks at the spec's batch_size, checked for a model at another
 * batch size (`cnnc train --batch-size`): the input, every node's output, one training step. Every
 * reason it is refused, or none.
 */
export function batchSizeLimits(ir: Pick<ModelIR, 'input' | 'nodes' | 'optimizer'> & { readonly scheduler?: ModelIR['scheduler'] }, batch: number): string[] {
  const shape = ir.input.shape;
  // As lower(): a batch of inputs too big stops there; else every node output that is too big.
  const input = tooManyElements(`the input ${fmtShape(shape)}`, product(shape) * batch, batch);
  if (input !== null) return [input];
  const tooBig = ir.nodes.map((n) => tooManyElements(`${n.name} output ${fmtShape(n.outShape)}`, product(n.outShape) * batch, batch)).filter((m) => m !== null);
  if (tooBig.length > 0) return tooBig;
  const memory = tooMuchTrainingMemory(computeTotals(shape, ir.nodes, ir.optimizer, batch, ir.scheduler?.cyclesMomentum === true).trainingBytes, batch);
  return memory === null ? [] : [memory];
}

function gib(bytes: number): string {
  const g = bytes / 2 ** 30;
  return g >= 1000 ? sci(g) : g.toFixed(1).replace(/\.0$/, '');
}

/** Optimizer state per trainable parameter, torch's state keys in torch's order: SGD's momentum_buffer; Adam's
 *  exp_avg and exp_avg_sq (+ max_exp_avg_sq with amsgrad); RMSprop's square_avg (+ momentum_buffer, + grad_avg when
 *  centered); Adagrad's sum; Adadelta's square_avg and acc_delta. `momentumBuffers`: a schedule cycles the momentum
 *  (one_cycle_lr), so SGD and RMSprop keep a momentum_buffer even at momentum 0, as torch then does. */
export function optimizerSlotNames(opt: OptimizerIR, momentumBuffers = false): string[] {
  switch (opt.kind) {
    case 'sgd': return opt.momentum !== 0 || momentumBuffers ? ['momentum_buffer'] : [];
    case 'adam':
    case 'adamw': return ['exp_avg', 'exp_avg_sq', ...(opt.amsgrad ? ['max_exp_avg_sq'] : [])];
    case 'rmsprop': return ['square_avg', ...(opt.momentum > 0 || momentumBuffers ? ['momentum_buffer'] : []), ...(opt.centered ? ['grad_avg'] : [])];
    case 'adagrad': return ['sum'];
    case 'adadelta': return ['square_avg', 'acc_delta'];
    default: return assertNever(opt, 'optimizer kind');
  }
}

export function optimizerSlots(opt: OptimizerIR, momentumBuffers = false): number {
  return optimizerSlotNames(opt, momentumBuffers).length;
}

/** The im2col column buffer of one sample for a conv: [in/groups·kh·kw, oh·ow] per group. */
function im2colElements(n: Node): number {
  // conv_transpose2d: [out·kh·kw, in_h·in_w], the columns its col2im scatters.
  if (n.kind === 'conv_transpose2d') return n.outChannels * n.kernel[0] * n.kernel[1] * n.inShapes[0]![1]! * n.inShapes[0]![2]!;
  if (n.kind !== 'conv2d') return 0;
  return n.inChannels * n.kernel[0] * n.kernel[1] * n.outShape[1]! * n.outShape[2]!;
}

export function computeTotals(input: Shape, nodes: readonly Node[], opt: OptimizerIR, batch: number, momentumBuffers = false): Totals {
  const all: ParamInfo[] = nodes.flatMap((n) => n.params);
  const params = sum(all.filter((p) => p.trainable).map((p) => p.size));
  const buffers = sum(all.filter((p) => !p.trainable).map((p) => p.size));
  const outputs = sum(nodes.map((n) => n.outSize));
  const activations = product(input) + outputs;
  // trainingBytes = 4 · ( params + buffers                   weights and running stats
  //                     + params                             their gradients
  //                     + slots · params                     optimizer state (optimizerSlots: adam 2, sgd with momentum 1, ...)
  //                     + batch · activations                every node's output, and the input
  //                     + batch · outputs                    the gradient of every node's output
  //                     + batch · fanOut                     a node read k times: k − 1 more gradient buffers
  //                                                          (its readers' shares, summed: 4-passes/memory.ts)
  //                     + max im2col over convs )            one sample's column buffer, reused
  // An estimate of what the generated module's arena holds; dropout masks and the loss's
  // per-sample buffers are a few floats per sample and left out.
  const scratch = nodes.reduce((m, n) => Math.max(m, im2colElements(n)), 0);
  const reads = new Map<string, number>();
  for (const n of nodes) for (const i of n.inputs) reads.set(i, (reads.get(i) ?? 0) + 1);
  const fanOut = sum(nodes.map((n) => Math.max(0, (reads.get(n.name) ?? 0) - 1) * n.outSize));
  const elements = params + buffers + params + optimizerSlots(opt, momentumBuffers) * params + batch * activations + batch * (outputs + fanOut) + scratch;
  return { params, buffers, macs: sum(nodes.map((n) => n.macs)), activations, trainingBytes: F32 * elements };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

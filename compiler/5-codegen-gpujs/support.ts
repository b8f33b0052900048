// What the gpu.js target cannot compile, as positioned diagnostics (E0701) instead of a crash. Every
// layer kind, graph (`inputs`, add, concat, a tensor with several readers) and loss compiles; what is
// left are two limits of GL. Index math runs in float32 (gpu.js's WebGL kernels compute indices as
// floats), which holds every whole number only up to 2^24, so a parameter vector or a per-sample tensor
// larger than that could read the wrong element. And a kernel reads at most MAX_KERNEL_INPUTS tensors
// (textures on GL, storage buffers on WebGPU), which bounds an add's or a concat's inputs, the readers of one tensor (their
// gradients are summed in one kernel) and the terms of a loss. The TypeScript target has neither limit.
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import type { ModelIR } from '../ir/types.js';
import { MAX_KERNEL_INPUTS } from './kernel.js';

/** 2^24: the largest range of whole numbers float32 holds exactly. */
export const GPUJS_MAX_INDEX = 16_777_216;

export function unsupportedByGpujs(ir: ModelIR, source: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const hint = 'build with the TypeScript target (`--target ts`, the default), which supports it';
  let params = 0;
  for (const n of ir.nodes) {
    for (const p of n.params) if (p.trainable) params += p.size;
    if (params > GPUJS_MAX_INDEX) {
      out.push(diagnostic('E0701', `${n.name}: more than 2^24 trainable parameters in all (${params.toLocaleString('en-US')}) is not supported by the gpujs target: its kernels index them in float32`, n.span, source, hint));
      break;
    }
  }
  for (const n of ir.nodes) {
    if (n.outSize > GPUJS_MAX_INDEX) {
      out.push(diagnostic('E0701', `${n.name}: an output of ${n.outSize.toLocaleString('en-US')} elements per sample (more than 2^24) is not supported by the gpujs target: its kernels index it in float32`, n.span, source, hint));
    }
  }
  for (const n of ir.nodes) {
    const readers = ir.nodes.reduce((k, m) => k + m.inputs.filter((x) => x === n.name).length, 0);
    if (n.inputs.length > MAX_KERNEL_INPUTS) {
      out.push(diagnostic('E0701', `${n.name}: ${n.kind} of ${n.inputs.length} inputs (more than ${MAX_KERNEL_INPUTS}) is not supported by the gpujs target: a kernel reads at most ${MAX_KERNEL_INPUTS} tensors`, n.span, source, hint));
    }
    if (readers > MAX_KERNEL_INPUTS) {
      out.push(diagnostic('E0701', `${n.name}: an output read ${readers} times (more than ${MAX_KERNEL_INPUTS}) is not supported by the gpujs target: its gradients are summed in one kernel`, n.span, source, hint));
    }
  }
  if (ir.loss.terms.length > MAX_KERNEL_INPUTS) {
    out.push(diagnostic('E0701', `a sum of ${ir.loss.terms.length} losses (more than ${MAX_KERNEL_INPUTS}) is not supported by the gpujs target: their gradients are summed in one kernel`, ir.loss.span, source, hint));
  }
  // The optimizer's kernels take the momentum as a literal.
  const s = ir.scheduler;
  if (s !== null && s.cyclesMomentum) {
    out.push(diagnostic('E0701', "one_cycle_lr's cycle_momentum is not supported by the gpujs target: its optimizer kernels hold the momentum as a constant", s.span, source, 'set cycle_momentum: false (the lr still cycles), or build with the TypeScript target (`--target ts`, the default)'));
  }
  return out;
}

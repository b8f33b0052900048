// What the gpu.js target cannot compile, as positioned diagnostics (E0701) instead of a crash. Every
// layer kind, graph (`inputs`, add, concat, a tensor with several readers) and loss compiles; what is
// left is a size limit: the kernels' index math runs in float32 on GL (gpu.js's WebGL kernels compute
// indices as floats), which holds every whole number only up to 2^24, so a parameter vector or a
// per-sample tensor larger than that could read the wrong element. The TypeScript target has no such limit.
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import type { ModelIR } from '../ir/types.js';

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
  return out;
}

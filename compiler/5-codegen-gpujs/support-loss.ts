// The losses the gpu.js target does not compile yet, as positioned diagnostics (E0701) instead of a
// crash. Its kernels (loss.ts) implement one cross_entropy or nll term with reduction mean, per
// sample or per pixel, with class weights and label smoothing; labels outside [0, C) are refused at
// run time by the host (so ignore_index is not honoured, and a spec that sets one is refused here).
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import type { ModelIR } from '../ir/types.js';

const HINT = 'build with the TypeScript target (`--target ts`, the default), which supports it';

export function unsupportedLossByGpujs(ir: ModelIR, source: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const refuse = (span: ModelIR['loss']['span'], what: string) =>
    out.push(diagnostic('E0701', `${what} is not supported by the gpujs target yet`, span, source, HINT));
  const { terms } = ir.loss;
  if (terms.length > 1) refuse(ir.loss.span, `a sum of ${terms.length} losses`);
  for (const t of terms) {
    if (t.kind !== 'cross_entropy' && t.kind !== 'nll') {
      refuse(t.span, `the ${t.kind} loss`);
      continue;
    }
    if (t.reduction !== 'mean') refuse(t.span, `${t.kind} with reduction ${t.reduction}`);
    if (t.ignoreIndex !== -100) refuse(t.span, `${t.kind} with ignore_index ${t.ignoreIndex}`);
  }
  return out;
}

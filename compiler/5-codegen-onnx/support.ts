// What the onnx target cannot export, as positioned diagnostics instead of a file that fails later:
// - E0710: an adaptive pool whose windows are of unequal lengths on an axis (13 → 5: windows of 3 and 4
//   rows). ONNX's pools take one kernel and stride per axis, and no other op reads PyTorch's windows.
// - E0711: weights past 2 GiB. The file is one protobuf message, which protobuf caps at 2 GiB; ONNX's way
//   past that (external data files) is not written.
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import { adaptiveOf, type AdaptiveAxis, type PlannedModel } from '../ir/plan.js';
import { adaptiveAxisOp } from './adaptive.js';

/** protobuf's limit on one message, less room for the graph itself. */
export const ONNX_MAX_WEIGHT_BYTES = 2 ** 31 - 2 ** 24;

export function unsupportedByOnnx(plan: PlannedModel, source: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const np of plan.nodes) {
    const n = np.node;
    if (n.kind !== 'adaptive_avgpool2d' && n.kind !== 'adaptive_maxpool2d') continue;
    const a = adaptiveOf(np);
    if (a.h.outSize === 1 && a.w.outSize === 1) continue; // a Global pool
    const bad = [['rows', a.h], ['columns', a.w]].filter(([, ax]) => adaptiveAxisOp(ax as AdaptiveAxis) === null) as [string, AdaptiveAxis][];
    if (bad.length === 0) continue;
    const why = bad.map(([what, ax]) => `${ax.inSize} → ${ax.outSize} ${what} pools ${windows(ax, what)}`).join('; ');
    out.push(diagnostic('E0710', `${n.name}: ${n.kind} from ${a.h.inSize}×${a.w.inSize} to ${a.h.outSize}×${a.w.outSize} is not supported by the onnx target: ${why}; ONNX's pools take one window size and stride per axis`,
      n.span, source, `give an output_size that divides the input's ${a.h.inSize}×${a.w.inSize} on each axis or is a multiple of it, or change the input size so that one does`));
  }
  let bytes = 0;
  for (const np of plan.nodes) {
    for (const p of np.node.params) if (p.role !== 'num_batches_tracked') bytes += 4 * p.size;
    if (bytes > ONNX_MAX_WEIGHT_BYTES) {
      out.push(diagnostic('E0711', `${np.node.name}: the weights up to this layer take ${bytes.toLocaleString('en-US')} bytes as float32, more than the onnx target writes in one file (a protobuf message is at most 2 GiB)`,
        np.node.span, source, 'export a smaller model: cnnc does not write ONNX external data files'));
      break;
    }
  }
  return out;
}

/** `windows of 3 and 4 rows`, or `windows of 3 rows starting at rows 0, 2, 5, 7` where only the steps differ. */
function windows(a: AdaptiveAxis, what: string): string {
  const ls = [...new Set(a.start.map((s, i) => a.end[i]! - s))].sort((x, y) => x - y);
  if (ls.length === 1) return `windows of ${ls[0]} ${what} starting at ${what} ${a.start.join(', ')} (uneven steps)`;
  return `windows of ${ls.slice(0, -1).join(', ')} and ${ls[ls.length - 1]} ${what}`;
}

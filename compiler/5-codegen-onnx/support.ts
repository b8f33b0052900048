// What the onnx target cannot export, as positioned diagnostics instead of a file that fails later:
// - E0710: an adaptive pool whose windows are of unequal lengths on an axis (13 → 5: windows of 3 and 4
//   rows). ONNX's pools take one kernel and stride per axis, and no other op reads PyTorch's windows.
// - E0711: weights past 2 GiB. The file is one protobuf message, which protobuf caps at 2 GiB; ONNX's way
//   past that (external data files) is not written.
// - E0712: a bilinear upsample by scale_factor (no align_corners) whose output size ONNX computes otherwise.
//   Its Resize takes the scales, since PyTorch's source scale is 1/scale_factor, and ONNX's output size is
//   floor(in · scale) in float32 where PyTorch's is floor(in · scale_factor) in double: 25 · 1.16 is 28 in
//   PyTorch, 29 in onnxruntime.
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import { adaptiveOf, upsampleOf, type AdaptiveAxis, type PlannedModel } from '../ir/plan.js';
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
  for (const np of plan.nodes) {
    const n = np.node;
    if (n.kind !== 'upsample' || n.mode !== 'bilinear' || n.alignCorners || n.scaleFactor === null) continue;
    const u = upsampleOf(np);
    const axes = ([['height', u.h, n.scaleFactor[0]], ['width', u.w, n.scaleFactor[1]]] as const)
      .map(([what, ax, f]) => ({ what, ax, f, onnx: Math.floor(Math.fround(Math.fround(f) * ax.inSize)) }))
      .filter((a) => a.onnx !== a.ax.outSize);
    if (axes.length === 0) continue;
    const why = axes.map((a) => `its ${a.what} ${a.ax.inSize} · ${a.f} is ${a.ax.outSize} in PyTorch (double) but ${a.onnx} in ONNX's Resize (float32)`).join('; ');
    out.push(diagnostic('E0712', `${n.name}: bilinear upsample by scale_factor is not supported by the onnx target here: ${why}`,
      n.span, source, 'choose a scale_factor whose product with the input size is not within rounding of a whole number'));
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

// What the gpu.js target does not compile yet, as positioned diagnostics (E0701) instead of a crash:
// the layer kinds added for segmentation and residual networks, and graphs (a layer that reads
// anything but the previous layer, or feeds several). The TypeScript target compiles all of them.
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import { assertNever, type ModelIR, type Node } from '../ir/types.js';

export function unsupportedByGpujs(ir: ModelIR, source: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const refuse = (n: Node, what: string) =>
    out.push(diagnostic('E0701', `${n.name}: ${what} is not supported by the gpujs target yet`, n.span, source,
      'build with the TypeScript target (`--target ts`, the default), which supports it'));
  ir.nodes.forEach((n, i) => {
    if (!kindSupported(n)) {
      refuse(n, n.kind);
      return;
    }
    const prev = i === 0 ? 'input' : ir.nodes[i - 1]!.name;
    if (n.inputs.length !== 1 || n.inputs[0] !== prev) refuse(n, `reading \`${n.inputs.join('`, `')}\` (a graph, not a chain)`);
    else if (ir.nodes.filter((m) => m.inputs.includes(n.name)).length > 1) refuse(n, 'an output read by several layers (a graph, not a chain)');
  });
  return out;
}

function kindSupported(n: Node): boolean {
  switch (n.kind) {
    case 'conv2d':
    case 'linear':
    case 'maxpool2d':
    case 'avgpool2d':
    case 'batchnorm2d':
    case 'relu':
    case 'leaky_relu':
    case 'sigmoid':
    case 'tanh':
    case 'dropout':
    case 'dropout2d':
    case 'softmax':
    case 'log_softmax':
    case 'flatten':
      return true;
    case 'conv_transpose2d':
    case 'upsample':
    case 'global_avgpool2d':
    case 'add':
    case 'concat':
      return false;
    default:
      return assertNever(n, 'node kind');
  }
}

// The one-line layer comments, written once for every renderer:
//   `conv1: conv2d 1→32, 3×3, stride 1 · x [n,1,28,28] → y [n,32,26,26]`
// what the layer is, its attributes that differ from PyTorch's defaults, and its shapes; a fusion says
// where the fused layer's work went.
import { isActivation, ruleOf } from '../ir/activations.js';
import { assertNever, type Node, type Pair, type Padding2d } from '../ir/types.js';
import { lit, shapeText } from '../emit/kit.js';

const pair = (p: Pair): string => (p[0] === p[1] ? `${p[0]}` : `${p[0]}×${p[1]}`);
const kernelText = (k: Pair): string => `${k[0]}×${k[1]}`;

function paddingText(p: Padding2d): string {
  if (p.top === p.bottom && p.left === p.right) return pair([p.top, p.left]);
  return `top ${p.top} bottom ${p.bottom} left ${p.left} right ${p.right}`;
}

const io = (node: Node): string => `x ${shapeText(node.inShapes[0] ?? [])} → y ${shapeText(node.outShape)}`;
const join = (parts: readonly string[]): string => parts.filter((s) => s !== '').join(', ');

/** The comment of `node`; `fusedRelu` names a relu whose work a conv2d's kernels do. */
export function layerComment(node: Node, fusedRelu: string | null): string {
  if (isActivation(node)) {
    const attrs = Object.entries(ruleOf(node).attrs(node)).map(([k, v]) => `, ${k} ${lit(v)}`).join('');
    return `${node.name}: ${node.kind}${attrs} · ${io(node)}`;
  }
  switch (node.kind) {
    case 'conv2d': {
      const extras = join([
        `stride ${pair(node.stride)}`,
        paddingText(node.padding) !== '0' ? `padding ${paddingText(node.padding)}` : '',
        node.dilation[0] !== 1 || node.dilation[1] !== 1 ? `dilation ${pair(node.dilation)}` : '',
        node.groups !== 1 ? `groups ${node.groups}` : '',
        node.bias ? '' : 'no bias',
      ]);
      const fused = fusedRelu === null ? '' : `, then ${fusedRelu} (relu, fused in: its output and gradient are written here too)`;
      return `${node.name}: conv2d ${node.inChannels}→${node.outChannels}, ${kernelText(node.kernel)}, ${extras} · ${io(node)}${fused}`;
    }
    case 'conv_transpose2d': {
      const extras = join([
        `stride ${pair(node.stride)}`,
        node.padding[0] !== 0 || node.padding[1] !== 0 ? `padding ${pair(node.padding)}` : '',
        node.outputPadding[0] !== 0 || node.outputPadding[1] !== 0 ? `output_padding ${pair(node.outputPadding)}` : '',
        node.dilation[0] !== 1 || node.dilation[1] !== 1 ? `dilation ${pair(node.dilation)}` : '',
        node.groups !== 1 ? `groups ${node.groups}` : '',
        node.bias ? '' : 'no bias',
      ]);
      return `${node.name}: conv_transpose2d ${node.inChannels}→${node.outChannels}, ${kernelText(node.kernel)}, ${extras} · ${io(node)}`;
    }
    case 'linear':
      return `${node.name}: linear ${node.inFeatures}→${node.outFeatures}${node.bias ? '' : ', no bias'} · ${io(node)}`;
    case 'maxpool2d':
    case 'avgpool2d': {
      const pad = node.padding[0] === 0 && node.padding[1] === 0 ? '' : `, padding ${pair(node.padding)}`;
      const extra = node.kind === 'avgpool2d' && !node.countIncludePad ? ', count_include_pad false' : '';
      return `${node.name}: ${node.kind} ${kernelText(node.kernel)}, stride ${pair(node.stride)}${pad}${extra} · ${io(node)}`;
    }
    case 'batchnorm2d':
      return `${node.name}: batchnorm2d ${node.numFeatures}, eps ${lit(node.eps)}, momentum ${lit(node.momentum)}${node.affine ? '' : ', no affine'} · ${io(node)}`;
    case 'dropout':
    case 'dropout2d': {
      const channels = node.kind === 'dropout2d' ? (node.outShape[0] ?? 1) : node.outSize;
      return `${node.name}: ${node.kind} p=${lit(node.p)} · ${io(node)}, mask [n,${channels}]`;
    }
    case 'softmax':
    case 'log_softmax':
      return `${node.name}: ${node.kind} over dim 1 · ${io(node)}`;
    case 'flatten':
      return `${node.name}: flatten — an alias, no copy (torch.flatten(x, 1) of NCHW is C, H, W order)`;
    case 'upsample': {
      const [, oh, ow] = node.outShape as [number, number, number];
      const sf = node.scaleFactor;
      const how = node.mode === 'nearest' ? 'nearest' : `bilinear${node.alignCorners ? ', align_corners' : ''}`;
      const by = sf === null ? `size ${oh}×${ow}` : `scale_factor ${sf[0] === sf[1] ? lit(sf[0]) : `${lit(sf[0])}×${lit(sf[1])}`}`;
      return `${node.name}: upsample ${how}, ${by} · ${io(node)}`;
    }
    case 'global_avgpool2d':
      return `${node.name}: global_avgpool2d (AdaptiveAvgPool2d(1)) · ${io(node)}`;
    case 'add':
      return `${node.name}: add ${node.inputs.join(' + ')} · x ${shapeText(node.outShape)} ×${node.inputs.length} → y ${shapeText(node.outShape)}`;
    case 'concat': {
      const ins = node.inShapes.map((s, k) => `${node.inputs[k]} ${shapeText(s)}`).join(', ');
      return `${node.name}: concat along channels · ${ins} → y ${shapeText(node.outShape)}`;
    }
    default:
      return assertNever(node, 'node kind');
  }
}

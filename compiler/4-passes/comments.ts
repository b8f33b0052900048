// The one-line layer comments, written once for every renderer:
//   `conv1: conv2d 1→32, 3×3, stride 1 · x [n,1,28,28] → y [n,32,26,26]`
// what the layer is, its attributes that differ from PyTorch's defaults, and its shapes; a fusion says
// where the fused layer's work went.
import { isActivation, ruleOf } from '../ir/activations.js';
import { assertNever, type LossTermIR, type Node, type Pair, type Padding2d } from '../ir/types.js';
import { lit, shapeText } from '../emit/kit.js';
import { adaptiveUniform } from './geometry.js';

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
      const extra = (node.ceilMode ? ', ceil_mode' : '') + (node.kind === 'avgpool2d' && !node.countIncludePad ? ', count_include_pad false' : '');
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
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d': {
      const [, h, w] = node.inShapes[0] as [number, number, number];
      const [, oh, ow] = node.outShape as [number, number, number];
      const torch = node.kind === 'adaptive_avgpool2d' ? 'AdaptiveAvgPool2d' : 'AdaptiveMaxPool2d';
      const windows = adaptiveUniform(h, w, oh, ow)
        ? `${h / oh}×${w / ow} windows, stride ${pair([h / oh, w / ow])}`
        : 'windows [⌊i·in/out⌋, ⌈(i+1)·in/out⌉)';
      return `${node.name}: ${node.kind} (${torch}((${oh}, ${ow}))), ${windows} · ${io(node)}`;
    }
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

/** What a loss term's comment needs beyond the term: the output's shape and the loss fusion's note. */
export interface LossCommentCtx {
  readonly outShape: readonly number[];
  readonly fusedNote: string;
}

/** A loss term's comment: what it reads, its settings, then its formula (PyTorch 1.13's). */
export function lossComment(t: LossTermIR, ctx: LossCommentCtx): string {
  const shape = `[n,${ctx.outShape.join(',')}]`;
  const C = ctx.outShape[0] ?? 1;
  switch (t.kind) {
    case 'bce':
      return `bce on probabilities p ${shape}, 0/1 targets of the same shape${reductionWords(t)}. ` +
        'loss = −(t·max(log p, −100) + (1−t)·max(log(1−p), −100)); dZ = (p − t) / max((1−p)·p, 1e−12), as PyTorch';
    case 'bce_with_logits':
      return `bce_with_logits on logits z ${shape}, 0/1 targets of the same shape${t.posWeight === null ? '' : ', pos_weight'}${reductionWords(t)}. ` +
        'loss = (1−t)·x + (1 + (pw−1)·t)·softplus(−x); dZ = (1 + (pw−1)·t)·σ(x) − pw·t';
    case 'cross_entropy': {
      const ls = t.labelSmoothing > 0 ? `, label_smoothing ${lit(t.labelSmoothing)}` : '';
      return `cross_entropy on logits z ${shape}${ls}${t.weight === null ? '' : ', class weights'}, ignore_index ${t.ignoreIndex}${reductionWords(t)} — ${ctx.fusedNote}. ` +
        'loss = ((1−ε)·Σ w[y]·(−log p[y]) + (ε/C)·Σ Σ_c w[c]·(−log p[c])) / Σ w[y]; dZ = (p·((1−ε)·w[y] + (ε/C)·Σw) − (1−ε)·w[y]·onehot − (ε/C)·w) / Σ w[y]';
    }
    case 'nll':
      return `nll on log-probabilities logp ${shape}${t.weight === null ? '' : ', class weights'}, ignore_index ${t.ignoreIndex}${reductionWords(t)} — ${ctx.fusedNote}. ` +
        'loss = −Σ w[y]·logp[y] / Σ w[y]';
    case 'focal':
      return t.mode === 'binary'
        ? `focal (binary, torchvision's sigmoid_focal_loss) on logits z ${shape}, 0/1 targets, γ ${lit(t.gamma)}, α ${t.alpha >= 0 ? lit(t.alpha) : 'off'}${reductionWords(t)}. ` +
          'loss = α_t·(1−p_t)^γ·bce_with_logits(x, t)'
        : `focal (softmax) on logits z ${shape}, class-index labels, γ ${lit(t.gamma)}, α ${t.alpha >= 0 ? lit(t.alpha) : 'off'}${reductionWords(t)}. ` +
          'loss = −α·(1−p_t)^γ·log p_t, p_t = softmax(z)[y]';
    case 'dice': {
      const input = t.fromLogits ? 'logits z' : 'probabilities p';
      const scale = t.scale === 1 ? '' : `, scale ${lit(t.scale)}`;
      return t.mode === 'binary'
        ? `dice (binary) on ${input} ${shape}, 0/1 targets, smooth ${lit(t.smooth)}${scale}. loss = 1 − (2·Σ p·t + s) / (Σ p + Σ t + s)`
        : `dice (softmax, ${C} classes) on ${input} ${shape}, class-index labels, smooth ${lit(t.smooth)}, ignore_index ${t.ignoreIndex}${scale}. ` +
          'loss = 1 − mean_c (2·Σ p·t + s) / (Σ p + Σ t + s), sums over the batch and pixels';
    }
    default:
      return assertNever(t, 'loss kind');
  }
}

function reductionWords(t: LossTermIR): string {
  if (!('reduction' in t)) return '';
  const r = t.reduction === 'mean' ? '' : t.reduction === 'sum' ? ', reduction sum' : ', reduction none (training: the mean of the per-element losses)';
  return `${r}${t.scale === 1 ? '' : `, scale ${lit(t.scale)}`}`;
}

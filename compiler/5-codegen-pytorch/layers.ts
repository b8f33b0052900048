// Each layer kind as the torch.nn module it is (PyTorch 1.13's names and arguments), read from the plan:
// a table keyed by kind, so a new kind without an entry does not compile. A rule gives the module's
// constructor (registered under the node's state_dict path; null for add and concat, which hold nothing)
// and its forward expression. Geometry comes from the plan's records (convOf, poolOf, adaptiveOf), never
// from a formula here.
import { adaptiveOf, convOf, poolOf, type NodePlan } from '../ir/plan.js';
import type { Node, NodeKind } from '../ir/types.js';
import { pyBool, pyNum, pyPair } from './python.js';

export interface PyLayer {
  /** The module, constructed: `nn.Conv2d(1, 32, kernel_size=(3, 3))`; null: a function of its inputs only. */
  readonly module: string | null;
  /** The forward expression from the module's expression and the input expressions. */
  readonly call: (m: string, xs: readonly string[]) => string;
}

type Rule<K extends NodeKind> = (node: Node & { readonly kind: K }, np: NodePlan) => PyLayer;

const unary = (module: string): PyLayer => ({ module, call: (m, xs) => `${m}(${xs[0]})` });

function adaptivePool(n: Node & { readonly kind: 'adaptive_avgpool2d' | 'adaptive_maxpool2d' }, np: NodePlan): PyLayer {
  const a = adaptiveOf(np);
  return unary(`nn.${n.kind === 'adaptive_avgpool2d' ? 'AdaptiveAvgPool2d' : 'AdaptiveMaxPool2d'}(${pyPair([a.h.outSize, a.w.outSize])})`);
}

const LAYERS: { readonly [K in NodeKind]: Rule<K> } = {
  conv2d: (n, np) => {
    const g = convOf(np);
    // PyTorch pads both sides alike; `same` with an even kernel pads less on top/left: F.pad first (left, right, top, bottom).
    const even = g.top === g.bottom && g.left === g.right;
    const args = [`${g.cin}, ${g.cout}`, `kernel_size=${pyPair([g.kh, g.kw])}`, `stride=${pyPair([g.sh, g.sw])}`,
      `padding=${even ? pyPair([g.top, g.left]) : '0'}`, `dilation=${pyPair([g.dh, g.dw])}`, `groups=${g.groups}`, `bias=${pyBool(n.bias)}`];
    const pad = even ? null : `(${g.left}, ${g.right}, ${g.top}, ${g.bottom})`;
    return { module: `nn.Conv2d(${args.join(', ')})`, call: (m, xs) => (pad === null ? `${m}(${xs[0]})` : `${m}(F.pad(${xs[0]}, ${pad}))`) };
  },
  conv_transpose2d: (n, np) => {
    const g = convOf(np);
    return unary(`nn.ConvTranspose2d(${g.cin}, ${g.cout}, kernel_size=${pyPair([g.kh, g.kw])}, stride=${pyPair([g.sh, g.sw])}, padding=${pyPair([g.top, g.left])}, ` +
      `output_padding=${pyPair(n.outputPadding)}, groups=${g.groups}, bias=${pyBool(n.bias)}, dilation=${pyPair([g.dh, g.dw])})`);
  },
  maxpool2d: (n, np) => {
    const p = poolOf(np);
    return unary(`nn.MaxPool2d(kernel_size=${pyPair([p.kh, p.kw])}, stride=${pyPair([p.sh, p.sw])}, padding=${pyPair([p.ph, p.pw])}, ceil_mode=${pyBool(n.ceilMode)})`);
  },
  avgpool2d: (n, np) => {
    const p = poolOf(np);
    return unary(`nn.AvgPool2d(kernel_size=${pyPair([p.kh, p.kw])}, stride=${pyPair([p.sh, p.sw])}, padding=${pyPair([p.ph, p.pw])}, ceil_mode=${pyBool(n.ceilMode)}, ` +
      `count_include_pad=${pyBool(n.countIncludePad)})`);
  },
  batchnorm2d: (n) => unary(`nn.BatchNorm2d(${n.numFeatures}, eps=${pyNum(n.eps)}, momentum=${pyNum(n.momentum)}, affine=${pyBool(n.affine)})`),
  relu: () => unary('nn.ReLU()'),
  relu6: () => unary('nn.ReLU6()'),
  hardtanh: () => unary('nn.Hardtanh()'),
  hardswish: () => unary('nn.Hardswish()'),
  hardsigmoid: () => unary('nn.Hardsigmoid()'),
  silu: () => unary('nn.SiLU()'),
  leaky_relu: (n) => unary(`nn.LeakyReLU(negative_slope=${pyNum(n.negativeSlope)})`),
  sigmoid: () => unary('nn.Sigmoid()'),
  tanh: () => unary('nn.Tanh()'),
  dropout: (n) => unary(`nn.Dropout(p=${pyNum(n.p)})`),
  dropout2d: (n) => unary(`nn.Dropout2d(p=${pyNum(n.p)})`),
  flatten: () => unary('nn.Flatten()'),
  linear: (n) => unary(`nn.Linear(${n.inFeatures}, ${n.outFeatures}, bias=${pyBool(n.bias)})`),
  softmax: () => unary('nn.Softmax(dim=1)'),
  log_softmax: () => unary('nn.LogSoftmax(dim=1)'),
  upsample: (n) => {
    // The output size as planned; scale_factor where the spec gave it, since it (not in/out) sets PyTorch's source-index scale.
    const [, oh, ow] = n.outShape as [number, number, number];
    const size = n.scaleFactor === null ? `size=${pyPair([oh, ow])}` : `scale_factor=${pyPair(n.scaleFactor)}`;
    const corners = n.mode === 'bilinear' ? `, align_corners=${pyBool(n.alignCorners)}` : '';
    return unary(`nn.Upsample(${size}, mode='${n.mode}'${corners})`);
  },
  global_avgpool2d: () => unary('nn.AdaptiveAvgPool2d(1)'),
  adaptive_avgpool2d: (n, np) => adaptivePool(n, np),
  adaptive_maxpool2d: (n, np) => adaptivePool(n, np),
  add: () => ({ module: null, call: (_m, xs) => xs.join(' + ') }),
  concat: () => ({ module: null, call: (_m, xs) => `torch.cat([${xs.join(', ')}], dim=1)` }),
};

export function pyLayer(np: NodePlan): PyLayer {
  return (LAYERS[np.node.kind] as Rule<NodeKind>)(np.node as never, np);
}

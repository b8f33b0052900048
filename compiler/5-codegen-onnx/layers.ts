// Each layer kind as ONNX ops (opset 17), in eval mode: the table is keyed by the IR's node kinds, so a kind
// added to the Node union does not compile until it says how it is exported. Attributes come from the plan's
// records (convOf, poolOf, adaptiveOf, upsampleOf) and the node's resolved fields. What is worked out here is ONNX's
// own: how far a ceil_mode avgpool window runs past the padded input (past()), and which op holds an adaptive axis.
// References: the ONNX operator docs (https://onnx.ai/onnx/operators/), against PyTorch 1.13's modules.
import { adaptiveOf, convOf, poolOf, upsampleOf, type NodePlan } from '../ir/plan.js';
import type { Node, NodeKind } from '../ir/types.js';
import { adaptiveAxisOp } from './adaptive.js';
import { attr, type GraphBuilder } from './graph.js';

type NodeOf<K extends NodeKind> = Extract<Node, { readonly kind: K }>;
type Render<K extends NodeKind> = (np: NodePlan, node: NodeOf<K>, g: GraphBuilder) => void;

/** An op with the layer's input(s) and output, and no parameter. */
const plain = (opType: string, attrs: () => ReturnType<typeof attr.int>[] = () => []) =>
  (np: NodePlan, _node: Node, g: GraphBuilder): void => g.op(np, opType, g.inputs(np), g.output(np), attrs());

/** nn.ReLU6, nn.Hardtanh: Clip, its bounds as constant inputs (opset 11+). */
const clip = (lo: number, hi: number) => (np: NodePlan, _node: Node, g: GraphBuilder): void =>
  g.op(np, 'Clip', [g.input(np), g.constFloat(np, 'min', [], [lo]), g.constFloat(np, 'max', [], [hi])], g.output(np));

/** Dropout in eval mode is the identity: not exported, its readers read its input (or, as the model's output, an Identity). */
const dropout = (np: NodePlan, _node: Node, g: GraphBuilder): void => {
  if (np.readers.length > 0) g.alias(np);
  else g.op(np, 'Identity', [g.input(np)], g.output(np));
};

const LAYERS: { readonly [K in NodeKind]: Render<K> } = {
  conv2d: (np, node, g) => {
    const c = convOf(np);
    const inputs = [g.input(np), g.param(np, 'weight'), ...(node.bias ? [g.param(np, 'bias')] : [])];
    g.op(np, 'Conv', inputs, g.output(np), [
      attr.ints('kernel_shape', [c.kh, c.kw]), attr.ints('strides', [c.sh, c.sw]), attr.ints('dilations', [c.dh, c.dw]),
      attr.ints('pads', [c.top, c.left, c.bottom, c.right]), attr.int('group', c.groups),
    ]);
  },
  // Weight [in, out/groups, kh, kw] in both (nn.ConvTranspose2d's layout is ONNX's).
  conv_transpose2d: (np, node, g) => {
    const c = convOf(np);
    const inputs = [g.input(np), g.param(np, 'weight'), ...(node.bias ? [g.param(np, 'bias')] : [])];
    g.op(np, 'ConvTranspose', inputs, g.output(np), [
      attr.ints('kernel_shape', [c.kh, c.kw]), attr.ints('strides', [c.sh, c.sw]), attr.ints('dilations', [c.dh, c.dw]),
      attr.ints('pads', [c.top, c.left, c.bottom, c.right]), attr.int('group', c.groups),
      attr.ints('output_padding', [...node.outputPadding]),
    ]);
  },
  // y = x·Wᵀ + b: Gemm with transB, W kept in nn.Linear's [out, in].
  linear: (np, node, g) => {
    const inputs = [g.input(np), g.param(np, 'weight'), ...(node.bias ? [g.param(np, 'bias')] : [])];
    g.op(np, 'Gemm', inputs, g.output(np), [attr.int('transB', 1)]);
  },
  // Eval form: the running statistics (training_mode 0, the default); num_batches_tracked is not needed.
  // Without affine, γ = 1 and β = 0 as constants.
  batchnorm2d: (np, node, g) => {
    const c = node.numFeatures;
    const scale = node.affine ? g.param(np, 'weight') : g.constFloat(np, 'scale', [c], new Array<number>(c).fill(1));
    const shift = node.affine ? g.param(np, 'bias') : g.constFloat(np, 'shift', [c], new Array<number>(c).fill(0));
    g.op(np, 'BatchNormalization', [g.input(np), scale, shift, g.param(np, 'running_mean'), g.param(np, 'running_var')], g.output(np),
      [attr.float('epsilon', node.eps)]);
  },
  // Padding with −∞ (MaxPool) or zeros counted as count_include_pad says; ceil_mode as PyTorch's.
  maxpool2d: (np, node, g) => {
    const p = poolOf(np);
    g.op(np, 'MaxPool', [g.input(np)], g.output(np), [
      attr.ints('kernel_shape', [p.kh, p.kw]), attr.ints('strides', [p.sh, p.sw]), attr.ints('pads', [p.ph, p.pw, p.ph, p.pw]),
      attr.int('ceil_mode', node.ceilMode ? 1 : 0),
    ]);
  },
  // No ceil_mode here: onnxruntime 1.23 divides a window past the input by the whole kernel where PyTorch divides by
  // the part inside the padded input (count_include_pad) or inside the input (without). So the extra rows and columns
  // that ceil_mode's last window reads past the padded input are padding at the far end, never counted
  // (count_include_pad 0), and floor mode gives the plan's output size; with count_include_pad the padding PyTorch
  // counts is a Pad of zeros first, which AveragePool then counts as input.
  avgpool2d: (np, node, g) => {
    const p = poolOf(np);
    const [extraH, extraW] = [past(p.ho, p.sh, p.kh, p.h, p.ph), past(p.wo, p.sw, p.kw, p.w, p.pw)];
    const window = [attr.ints('kernel_shape', [p.kh, p.kw]), attr.ints('strides', [p.sh, p.sw])];
    const out = g.output(np);
    if (node.countIncludePad && (extraH > 0 || extraW > 0)) {
      const padded = `${out}/padded`;
      g.op(np, 'Pad', [g.input(np), g.constInt64(np, 'pads', [8], [0, 0, p.ph, p.pw, 0, 0, p.ph, p.pw])], padded, [], 'pad');
      g.op(np, 'AveragePool', [padded], out, [...window, attr.ints('pads', [0, 0, extraH, extraW]), attr.int('count_include_pad', 0)]);
      return;
    }
    g.op(np, 'AveragePool', [g.input(np)], out, [...window, attr.ints('pads', [p.ph, p.pw, p.ph + extraH, p.pw + extraW]), attr.int('count_include_pad', node.countIncludePad ? 1 : 0)]);
  },
  global_avgpool2d: plain('GlobalAveragePool'),
  adaptive_avgpool2d: (np, node, g) => adaptive(np, node, g),
  adaptive_maxpool2d: (np, node, g) => adaptive(np, node, g),
  upsample: (np, node, g) => upsample(np, node, g),
  flatten: plain('Flatten', () => [attr.int('axis', 1)]),
  dropout,
  dropout2d: dropout,
  softmax: plain('Softmax', () => [attr.int('axis', 1)]),
  log_softmax: plain('LogSoftmax', () => [attr.int('axis', 1)]),
  add: (np, node, g) => g.op(np, node.inputs.length === 2 ? 'Add' : 'Sum', g.inputs(np), g.output(np)),
  concat: plain('Concat', () => [attr.int('axis', 1)]),
  relu: plain('Relu'),
  leaky_relu: (np, node, g) => g.op(np, 'LeakyRelu', [g.input(np)], g.output(np), [attr.float('alpha', node.negativeSlope)]),
  sigmoid: plain('Sigmoid'),
  tanh: plain('Tanh'),
  relu6: clip(0, 6),
  hardtanh: clip(-1, 1),
  // x·max(0, min(1, x/6 + 1/2)), nn.Hardswish's x·relu6(x + 3)/6.
  hardswish: plain('HardSwish'),
  // max(0, min(1, αx + β)) with α = 1/6, β = 1/2: nn.Hardsigmoid's relu6(x + 3)/6.
  hardsigmoid: plain('HardSigmoid', () => [attr.float('alpha', 1 / 6), attr.float('beta', 0.5)]),
  // x·sigmoid(x): ONNX 17 has no SiLU.
  silu: (np, _node, g) => {
    const x = g.input(np);
    const s = `${g.output(np)}/sigmoid`;
    g.op(np, 'Sigmoid', [x], s, [], 'sigmoid');
    g.op(np, 'Mul', [x, s], g.output(np));
  },
};

/** How far ceil_mode's last window (output `out - 1`, PoolGeometry) ends past the padded input: 0 unless pastEnd. */
function past(out: number, stride: number, k: number, size: number, pad: number): number {
  return Math.max(0, (out - 1) * stride - pad + k - (size + pad));
}

/** Adaptive pooling, one axis at a time (adaptive.ts): Gathers for the axes whose windows are single rows, then one
 *  pool for the others (a Global pool when the output is 1×1). support.ts has refused the windows ONNX cannot hold. */
function adaptive(np: NodePlan, node: NodeOf<'adaptive_avgpool2d' | 'adaptive_maxpool2d'>, g: GraphBuilder): void {
  const a = adaptiveOf(np);
  const max = node.kind === 'adaptive_maxpool2d';
  const out = g.output(np);
  if (a.h.outSize === 1 && a.w.outSize === 1) {
    g.op(np, max ? 'GlobalMaxPool' : 'GlobalAveragePool', [g.input(np)], out);
    return;
  }
  const h = adaptiveAxisOp(a.h);
  const w = adaptiveAxisOp(a.w);
  if (h === null || w === null) throw new Error(`cnnc internal error: ${node.name}'s adaptive windows have no ONNX form (support.ts lets none through)`);
  const kh = h.kind === 'pool' ? h : { k: 1, s: 1 };
  const kw = w.kind === 'pool' ? w : { k: 1, s: 1 };
  const pool = kh.k !== 1 || kh.s !== 1 || kw.k !== 1 || kw.s !== 1 || (h.kind === 'pool' && w.kind === 'pool');
  const steps: { readonly axis: 2 | 3; readonly indices: readonly number[] }[] = [];
  if (h.kind === 'gather') steps.push({ axis: 2, indices: h.indices });
  if (w.kind === 'gather') steps.push({ axis: 3, indices: w.indices });
  let x = g.input(np);
  steps.forEach((st, i) => {
    const what = st.axis === 2 ? 'rows' : 'columns';
    const y = !pool && i === steps.length - 1 ? out : `${out}/${what}`;
    g.op(np, 'Gather', [x, g.constInt64(np, `${what}_index`, [st.indices.length], st.indices)], y, [attr.int('axis', st.axis)], y === out ? undefined : what);
    x = y;
  });
  if (pool) {
    g.op(np, max ? 'MaxPool' : 'AveragePool', [x], out, [attr.ints('kernel_shape', [kh.k, kw.k]), attr.ints('strides', [kh.s, kw.s])]);
  }
}

/**
 * nearest: a Gather per axis of the plan's source index tables (PyTorch's float32 rule, UpsampleAxis.nearest), so
 * the rows read are exactly PyTorch's, with no question of how Resize rounds dst / scale. bilinear: Resize (linear)
 * with align_corners, or pytorch_half_pixel; given scale_factor it is Resize's scales (PyTorch's source scale is
 * 1/scale_factor), given a size (or with align_corners, where only the sizes count) the sizes [N, C, oh, ow].
 */
function upsample(np: NodePlan, node: NodeOf<'upsample'>, g: GraphBuilder): void {
  const u = upsampleOf(np);
  const out = g.output(np);
  if (node.mode === 'nearest') {
    const h = u.h.nearest!, w = u.w.nearest!;
    const rows = `${out}/rows`;
    g.op(np, 'Gather', [g.input(np), g.constInt64(np, 'rows_index', [h.length], h)], rows, [attr.int('axis', 2)], 'rows');
    g.op(np, 'Gather', [rows, g.constInt64(np, 'columns_index', [w.length], w)], out, [attr.int('axis', 3)]);
    return;
  }
  const coordinates = attr.string('coordinate_transformation_mode', node.alignCorners ? 'align_corners' : 'pytorch_half_pixel');
  const mode = attr.string('mode', 'linear');
  if (node.scaleFactor !== null && !node.alignCorners) {
    const scales = g.constFloat(np, 'scales', [4], [1, 1, node.scaleFactor[0], node.scaleFactor[1]]);
    g.op(np, 'Resize', [g.input(np), '', scales], out, [coordinates, mode]);
    return;
  }
  // Shape's start/end (opset 15): [N, C] of the input, then the output's height and width.
  const nc = `${out}/nc`, sizes = `${out}/sizes`;
  g.op(np, 'Shape', [g.input(np)], nc, [attr.int('start', 0), attr.int('end', 2)], 'nc');
  g.op(np, 'Concat', [nc, g.constInt64(np, 'hw', [2], [u.h.outSize, u.w.outSize])], sizes, [attr.int('axis', 0)], 'sizes');
  g.op(np, 'Resize', [g.input(np), '', '', sizes], out, [coordinates, mode]);
}

/** Renders one layer into the graph. */
export function renderLayer(np: NodePlan, g: GraphBuilder): void {
  (LAYERS[np.node.kind] as Render<NodeKind>)(np, np.node as never, g);
}

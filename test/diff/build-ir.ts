// Hand-built ModelIR values for the alignment and diff unit tests: they must not depend on the
// front end, so these follow PyTorch's shape rules for the few layers the tests use.
import type { ModelIR, Node, ParamInfo, Shape, Span } from '../../compiler/ir/types.js';

export type L =
  | { kind: 'conv2d'; name?: string; out: number; k: number; pad?: number }
  | { kind: 'linear'; name?: string; out: number }
  | { kind: 'maxpool2d'; name?: string; k: number }
  | { kind: 'batchnorm2d'; name?: string }
  | { kind: 'dropout'; name?: string; p: number }
  | { kind: 'relu' | 'flatten' | 'log_softmax'; name?: string };

const span: Span = { file: 't.yaml', line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, end: 0 };
const prod = (s: Shape): number => s.reduce((a, b) => a * b, 1);

function p(layer: string, role: 'weight' | 'bias' | 'running_mean' | 'running_var', shape: number[]): ParamInfo {
  return { name: `${layer}.${role}`, shape, role, trainable: !role.startsWith('running'), init: { kind: 'zeros' }, size: prod(shape) };
}

export function model(layers: readonly L[], input: Shape = [1, 28, 28], over: Partial<ModelIR> = {}): ModelIR {
  const counts = new Map<string, number>();
  let x = input;
  let prev = 'input';
  const nodes: Node[] = layers.map((l, index) => {
    const k = (counts.get(l.kind) ?? 0) + 1;
    counts.set(l.kind, k);
    const name = l.name ?? `${l.kind}_${k}`;
    const base = { index, name, named: l.name !== undefined, inputs: [prev], inShapes: [x], span };
    let node: Node;
    switch (l.kind) {
      case 'conv2d': {
        const pad = l.pad ?? 0;
        const out = [l.out, x[1]! + 2 * pad - l.k + 1, x[2]! + 2 * pad - l.k + 1];
        const params = [p(name, 'weight', [l.out, x[0]!, l.k, l.k]), p(name, 'bias', [l.out])];
        node = {
          ...base, kind: 'conv2d', inChannels: x[0]!, outChannels: l.out, kernel: [l.k, l.k], stride: [1, 1],
          padding: { top: pad, bottom: pad, left: pad, right: pad }, dilation: [1, 1], groups: 1, bias: true, algorithm: 'auto',
          outShape: out, params, paramCount: prod(params[0]!.shape) + l.out, macs: prod(out) * x[0]! * l.k * l.k, outSize: prod(out),
        };
        break;
      }
      case 'linear': {
        const params = [p(name, 'weight', [l.out, x[0]!]), p(name, 'bias', [l.out])];
        node = {
          ...base, kind: 'linear', inFeatures: x[0]!, outFeatures: l.out, bias: true, outShape: [l.out], params,
          paramCount: l.out * x[0]! + l.out, macs: l.out * x[0]!, outSize: l.out,
        };
        break;
      }
      case 'maxpool2d': {
        const out = [x[0]!, Math.floor(x[1]! / l.k), Math.floor(x[2]! / l.k)];
        node = { ...base, kind: 'maxpool2d', kernel: [l.k, l.k], stride: [l.k, l.k], padding: [0, 0], ceilMode: false, outShape: out, params: [], paramCount: 0, macs: 0, outSize: prod(out) };
        break;
      }
      case 'batchnorm2d': {
        const c = x[0]!;
        const params = [p(name, 'weight', [c]), p(name, 'bias', [c]), p(name, 'running_mean', [c]), p(name, 'running_var', [c])];
        node = { ...base, kind: 'batchnorm2d', numFeatures: c, eps: 1e-5, momentum: 0.1, affine: true, outShape: x, params, paramCount: 2 * c, macs: 0, outSize: prod(x) };
        break;
      }
      case 'dropout':
        node = { ...base, kind: 'dropout', p: l.p, outShape: x, params: [], paramCount: 0, macs: 0, outSize: prod(x) };
        break;
      case 'flatten':
        node = { ...base, kind: 'flatten', outShape: [prod(x)], params: [], paramCount: 0, macs: 0, outSize: prod(x) };
        break;
      case 'relu':
      case 'log_softmax':
        node = { ...base, kind: l.kind, outShape: x, params: [], paramCount: 0, macs: 0, outSize: prod(x) } as Node;
        break;
    }
    x = node.outShape;
    prev = name;
    return node;
  });
  const params = nodes.reduce((s, n) => s + n.paramCount, 0);
  const macs = nodes.reduce((s, n) => s + n.macs, 0);
  return {
    cnnc: 1, name: 'Net', file: 't.yaml', specHash: '0', input: { shape: input, span }, nodes, output: prev,
    loss: { terms: [{ kind: 'nll', weight: null, ignoreIndex: -100, reduction: 'mean', scale: 1, span }], targets: 'softmax', labelShape: [], ignoreIndex: -100, span },
    optimizer: { kind: 'adam', lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, span },
    scheduler: null,
    train: { batchSize: 64, epochs: 1, seed: 0, evalBatchSize: 64, shuffle: true, clip: null, earlyStopping: null },
    data: { source: 'mnist', task: 'classification', valSplit: null, transforms: { eval: [], train: [] } },
    totals: { params, buffers: 0, macs, activations: 0, trainingBytes: params * 16 },
    ...over,
  };
}

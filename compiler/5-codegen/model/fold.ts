// Inference with a batchnorm2d folded into the conv2d before it (4-passes/fuse.ts, planBnFolding; the
// record NodePlan.evalFold): per output channel, with the bn's eval factor a = γ·(1/√(var + ε)),
//   W'[co, ·] = W[co, ·]·a,   b'[co] = b[co]·a + (β[co] − μ[co]·a)     (b = 0 for a conv without bias)
// into the conv's planned scratch buffers (rt.foldConvBatchnorm, runtime/wasm/fold.ts: the formula in one place,
// its Cout·K multiplies on wasm where the weights live there), then the conv runs with them straight into the bn's
// output (and a relu after the bn into its own output, as a conv's fused relu). It costs Cout·K multiplies a
// forward, against the bn's (and relu's) pass over every output. The wasm batch path
// (rt.conv2dForward) takes b' as its bias; the module's own loop too where the conv has a bias, and adds b'
// after it where it has none. On batches under the fold's `from` (fuse.ts foldMinBatch: few outputs a weight, such
// as resnet18's 512-channel layers at batch 1) the fold's pass over the weights would cost more than the bn's over
// the outputs, and the conv, bn and relu run unfolded, as in training's forward.
import type { Conv2dNode } from '../../ir/types.js';
import { convOf, type NodePlan } from '../../ir/plan.js';
import { indent, lit, type KernelArg } from '../kernel.js';
import type { ModelParts } from './parts.js';

export function foldedConvCall(m: ModelParts, np: NodePlan, params: readonly KernelArg[], bind: (node: string, a: KernelArg) => string, unfolded: readonly string[]): string[] {
  const fold = np.evalFold!;
  const conv = np.node as Conv2dNode;
  const bn = m.planned.nodes.find((b) => b.node.name === fold.bn)!;
  if (bn.node.kind !== 'batchnorm2d' || bn.io.y === null) throw new Error(`cnnc internal error: ${conv.name} folds ${fold.bn}, not a batchnorm2d with an output`);
  // K = Cin/g·kh·kw: the weight's elements per output channel
  const { cout, k: K, groups, outS, p: positions } = convOf(np);
  const b = bn.node, c = conv.name;
  const y = `this.${bn.io.y}`, W = `this.${fold.weight}`, B = `this.${fold.bias}`;
  const relu = fold.relu === null ? null : m.planned.nodes.find((r) => r.node.name === fold.relu)!.io.y;
  const reluY = relu === null ? '' : `, this.${relu}`;
  const args = params.map((p) => (p.ref?.kind === 'y' ? y : p.ref?.kind === 'param' && p.ref.role === 'weight' ? W : p.ref?.kind === 'param' && p.ref.role === 'bias' ? B : bind(c, p)));
  const param = (owner: string, name: string, present: boolean): string => (present ? `this.${owner}_${name}` : 'null');
  const folded = [
    `// ${c} + ${b.name}${fold.relu === null ? '' : ` (+ ${fold.relu})`} folded for inference: W' = W·a, b' = b·a + β − μ·a, a = γ/√(var + ε)${groups > 1 ? ` (${groups} groups)` : ''}`,
    `rt.foldConvBatchnorm(this.${c}_W, ${param(c, 'B', conv.bias)}, ${param(b.name, 'W', b.affine)}, ${param(b.name, 'B', b.affine)}, this.${b.name}_runningMean, this.${b.name}_runningVar, ${lit(b.eps)}, ${cout}, ${K}, ${W}, ${B});`,
    `if (!rt.conv2dForward(${c}_geometry, n, ${bind(c, params.find((p) => p.ref?.kind === 'x')!)}, ${W}, ${B}, ${y}${reluY})) {`,
    `  ${c}_forward(${args.join(', ')});`,
    ...(conv.bias ? [] : [`  for (let s = 0; s < n; s++) for (let co = 0; co < ${cout}; co++) { const bc = ${B}[co]; const o = s * ${outS} + co * ${positions}; for (let q = 0; q < ${positions}; q++) ${y}[o + q] += bc; }`]),
    ...(relu === null ? [] : [`  rt.relu(${y}, this.${relu}, n * ${outS}); // ${fold.relu}`]),
    `}`,
  ];
  if (fold.from <= 1) return folded;
  return [
    `if (n >= ${fold.from}) {`,
    ...indent(folded.join('\n')),
    `} else {`,
    `  // under ${fold.from} samples: folding ${cout}×${K} weights costs more than ${b.name}'s pass over ${positions} outputs a channel`,
    ...indent(unfolded.join('\n')),
    `}`,
  ];
}

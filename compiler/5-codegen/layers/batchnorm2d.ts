// batchnorm2d (torch.nn.BatchNorm2d). Training: batch statistics over (n, H, W) with the biased variance
// for normalizing; running_mean/var move by `momentum` toward the batch mean and the UNBIASED variance;
// num_batches_tracked counts training batches. Eval: the running statistics.
// y = x·a + b with a = γ·invstd and b = β − mean·a, as PyTorch's CPU kernel computes it.
// backward (training): dX = γ·invstd·(dY − mean(dY) − x̂·mean(dY·x̂)); eval: dX = γ·invstd·dY.
// dγ += Σ dY·x̂, dβ += Σ dY. mean and invstd are saved per channel by the forward.
import type { BatchNorm2dNode } from '../../ir/types.js';
import { arg, DX, DY, lines, lit, N, X, Y, type EmitOptions, type KernelArg, type LayerKernels } from '../kernel.js';

export function emitBatchNorm2d(node: BatchNorm2dNode, o: EmitOptions): LayerKernels {
  const [c, h, w] = node.inShapes[0] as [number, number, number];
  const hw = h * w;
  const chw = c * hw;
  const mom = node.momentum;
  const hasNbt = node.params.some((p) => p.role === 'num_batches_tracked');
  const W = arg('W', 'F', { kind: 'param', role: 'weight' });
  const B = arg('B', 'F', { kind: 'param', role: 'bias' });
  const mean = arg('mean', 'F', { kind: 'buffer', what: 'mean' });
  const invstd = arg('invstd', 'F', { kind: 'buffer', what: 'invstd' });
  const training = arg('training', 'boolean', { kind: 'training' });
  const fwd: KernelArg[] = [N, X, Y];
  if (node.affine) fwd.push(W, B);
  fwd.push(arg('runningMean', 'F', { kind: 'param', role: 'running_mean' }), arg('runningVar', 'F', { kind: 'param', role: 'running_var' }));
  if (hasNbt) fwd.push(arg('numBatchesTracked', 'F', { kind: 'param', role: 'num_batches_tracked' }));
  fwd.push(mean, invstd, training);

  // Channel c is n runs of hw elements, chw apart, from c·hw: the runtime's channel loops
  // (runtime/wasm/batchnorm.ts: wasm SIMD for float32 in the model's arenas, else element by element).
  const at = `c * ${hw}, n, ${hw}, ${chw}`;
  const forwardBody = lines(
    `const count = n * ${hw};`,
    hw === 1 ? `if (training && count < 2) throw new RangeError('${node.name}: batchnorm2d needs more than 1 value per channel when training');` : null,
    `for (let c = 0; c < ${c}; c++) {`,
    `  let m: number;`,
    `  let is: number;`,
    `  if (training) {`,
    `    m = rt.channelSum(x, ${at}) / count;`,
    `    const sq = rt.channelSqDev(x, ${at}, m);`,
    `    is = 1 / Math.sqrt(sq / count + ${lit(node.eps)});`,
    `    runningMean[c] = ${lit(1 - mom)} * runningMean[c] + ${lit(mom)} * m;`,
    `    runningVar[c] = ${lit(1 - mom)} * runningVar[c] + ${lit(mom)} * (sq / (count - 1));`,
    `  } else {`,
    `    m = runningMean[c];`,
    `    is = 1 / Math.sqrt(runningVar[c] + ${lit(node.eps)});`,
    `  }`,
    `  mean[c] = m;`,
    `  invstd[c] = is;`,
    `  const a = ${node.affine ? 'W[c] * is' : 'is'};`,
    `  rt.channelAffine(x, y, ${at}, a, ${node.affine ? 'B[c] - m * a' : '-m * a'});`,
    `}`,
    hasNbt ? `if (training) numBatchesTracked[0] += 1;` : null,
  );

  const bwd: KernelArg[] = [N, X, DY];
  if (node.affine) bwd.push(W, arg('dW', 'F', { kind: 'grad', role: 'weight' }), arg('dB', 'F', { kind: 'grad', role: 'bias' }));
  bwd.push(mean, invstd, training);
  if (o.writesDX) bwd.push(DX);
  const backwardBody = lines(
    `const count = n * ${hw};`,
    `for (let c = 0; c < ${c}; c++) {`,
    `  const m = mean[c];`,
    `  const is = invstd[c];`,
    `  const sums = rt.channelGradSums(x, dY, ${at}, m);`,
    `  const sdy = sums[0];`,
    `  const sdyx = sums[1];`,
    node.affine ? [`  dW[c] += sdyx * is;`, `  dB[c] += sdy;`] : null,
    o.writesDX
      ? [
          `  const g = ${node.affine ? 'W[c] * is' : 'is'};`,
          `  const mdy = training ? sdy / count : 0;`,
          `  const proj = training ? (sdyx * is * is) / count : 0;`,
          `  rt.channelGradInput(x, dY, dX, ${at}, m, mdy, proj, g);`,
        ]
      : null,
    `}`,
  );
  return {
    helpers: [],
    forward: { suffix: 'forward', params: fwd, body: forwardBody },
    backward: o.backward ? { suffix: 'backward', params: bwd, body: backwardBody } : null,
  };
}

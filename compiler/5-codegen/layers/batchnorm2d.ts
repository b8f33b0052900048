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

  // Channel c is n runs of hw elements, chw apart, from c·hw: each pass over every channel is the runtime's
  // (runtime/wasm/batchnorm.ts: wasm SIMD shared among the threads for float32 in the model's arenas, else
  // element by element), the per-channel values between them in the layer's stats (float64, as a number is).
  const stats = `${node.name}_stats`;
  const shape = `n, ${c}, ${hw}`;
  const constants = { suffix: 'stats', text: `const ${stats} = rt.batchnormStats(${c});` };
  const forwardBody = lines(
    `const count = n * ${hw};`,
    hw === 1 ? `if (training && count < 2) throw new RangeError('${node.name}: batchnorm2d needs more than 1 value per channel when training');` : null,
    `const s = ${stats};`,
    `if (training) {`,
    `  rt.batchnormSums(x, ${shape}, s);`,
    `  for (let c = 0; c < ${c}; c++) s.mean[c] = s.sum[c] / count;`,
    `  rt.batchnormSqDevs(x, ${shape}, s);`,
    `}`,
    `for (let c = 0; c < ${c}; c++) {`,
    `  let m: number;`,
    `  let is: number;`,
    `  if (training) {`,
    `    m = s.mean[c];`,
    `    const sq = s.sq[c];`,
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
    `  s.a[c] = a;`,
    `  s.b[c] = ${node.affine ? 'B[c] - m * a' : '-m * a'};`,
    `}`,
    `rt.batchnormAffine(x, y, ${shape}, s);`,
    hasNbt ? `if (training) numBatchesTracked[0] += 1;` : null,
  );

  const bwd: KernelArg[] = [N, X, DY];
  if (node.affine) bwd.push(W, arg('dW', 'F', { kind: 'grad', role: 'weight' }), arg('dB', 'F', { kind: 'grad', role: 'bias' }));
  bwd.push(mean, invstd, training);
  if (o.writesDX) bwd.push(DX);
  const backwardBody = lines(
    `const count = n * ${hw};`,
    `const s = ${stats};`,
    `rt.batchnormGradSums(x, dY, ${shape}, mean, s);`,
    `for (let c = 0; c < ${c}; c++) {`,
    `  const is = invstd[c];`,
    `  const sdy = s.sdy[c];`,
    `  const sdyx = s.sdyx[c];`,
    node.affine ? [`  dW[c] += sdyx * is;`, `  dB[c] += sdy;`] : null,
    o.writesDX
      ? [
          `  s.g[c] = ${node.affine ? 'W[c] * is' : 'is'};`,
          `  s.mdy[c] = training ? sdy / count : 0;`,
          `  s.proj[c] = training ? (sdyx * is * is) / count : 0;`,
        ]
      : null,
    `}`,
    o.writesDX ? `rt.batchnormGradInput(x, dY, dX, ${shape}, mean, s);` : null,
  );
  return {
    helpers: [],
    constants,
    forward: { suffix: 'forward', params: fwd, body: forwardBody },
    backward: o.backward ? { suffix: 'backward', params: bwd, body: backwardBody } : null,
  };
}

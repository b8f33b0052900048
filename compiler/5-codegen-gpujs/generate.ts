// Code generation for the gpu.js target: ModelIR → one TypeScript module whose model class extends
// GpujsModel (cnnc/runtime/gpujs) and implements the same CompiledModel contract as the TypeScript
// target, so an app switches backends by building with `--target gpujs`.
//
// The module holds, in order: every kernel of every layer (`<layer>_<suffix>`, shapes as literals,
// `${n}` where the batch size goes), the loss kernels, the gradient concatenation and the optimizer
// kernels, the layout (parameter names, shapes, offsets in P, init rules), and the class with its
// three generated steps: forwardSteps, gradientSteps, optimizerSteps. Kernel sources are strings, not
// functions, so no bundler or minifier can rewrite what gpu.js parses.
import type { PlannedModel } from '../ir/plan.js';
import { savedDtype } from '../ir/types.js';
import { initComment, initText } from '../emit/init-text.js';
import { clipText } from '../emit/clip-text.js';
import { VERSION } from '../version.js';
import { count } from '../emit/kit.js';
import { baseName, checkLayerName, className, commentText } from '../emit/identifiers.js';
import { body, call, MAX_KERNEL_INPUTS, times, type Ctx, type GpuKernel, type LayerCode } from './kernel.js';
import { emitLayer } from './layers/index.js';
import { emitLossKernels } from './loss.js';
import { emitOptimizer } from './optimizer.js';
import { metadataLiteral, modelMetadata } from '../emit/metadata.js';

/** The gpu.js target: a planned model (4-passes/plan.ts, for GPUJS_TARGET) → the module's source. */
export function renderGpujs(planned: PlannedModel): string {
  const { ir, lossFusion: fusion, memory: plan } = planned;
  for (const node of ir.nodes) checkLayerName(node.name);
  if (!/^[0-9a-f]{64}$/.test(ir.specHash)) throw new Error('cnnc internal error: specHash is not a sha256 hex digest');
  const planOf = new Map(planned.nodes.map((np) => [np.node.name, np]));

  // P: the trainable tensors, in the TypeScript target's parameter order (which is also the init order).
  const offsets = new Map<string, number>();
  let paramSize = 0;
  for (const p of plan.params) {
    if (!p.trainable) continue;
    offsets.set(p.name, paramSize);
    paramSize += p.size;
  }

  const valueOf = (name: string): string => (name === 'input' ? 'x' : `y_${name}`);
  const gradOf = (name: string): string => `dY_${name}`;
  // Graphs: every (reader, input slot) edge passes a gradient back (NodePlan.readers). A tensor read
  // once gets it as its dY directly; one read several times gets one variable per edge, summed by
  // `<node>_gradsum`.
  const readersOf = (src: string) => planOf.get(src)?.readers ?? [];
  const edgeVar = (reader: string, k: number): string => {
    const src = planOf.get(reader)!.node.inputs[k]!;
    const list = readersOf(src);
    return list.length <= 1 ? gradOf(src) : `dY_${src}_${list.findIndex((e) => e.reader === reader && e.input === k)}`;
  };
  const out: string[] = [];
  const kernelDecls: string[] = [];
  const forward: string[] = [];
  const backwardByNode = new Map<string, LayerCode | null>();
  const ctxByNode = new Map<string, Ctx>();
  const gradVars = new Map<string, string>();
  const records: string[] = [];

  for (const np of planned.nodes) {
    const { node, io: e } = np;
    const paramName = (role: string): string => {
      const p = node.params.find((q) => q.role === role);
      if (p === undefined) throw new Error(`cnnc internal error: ${node.name} has no ${role}`);
      return p.name;
    };
    const xs = node.inputs.map(valueOf);
    const dXs = node.inputs.map((src, k) => (e.dXs[k] !== null && e.dXs[k] !== undefined && src !== 'input' ? edgeVar(node.name, k) : null));
    const ctx: Ctx = {
      x: xs[0]!,
      y: valueOf(node.name),
      dY: gradOf(node.name),
      dX: dXs[0] ?? null,
      xs,
      dXs,
      backward: e.backward,
      k: (suffix) => `${node.name}_${suffix}`,
      offset: (role) => {
        const off = offsets.get(paramName(role));
        if (off === undefined) throw new Error(`cnnc internal error: ${node.name}.${role} is not trainable`);
        return off;
      },
      tensor: (role) => paramName(role),
      plan: np,
    };
    ctxByNode.set(node.name, ctx);
    const code = emitLayer(node, ctx);
    backwardByNode.set(node.name, code);
    if (code === null) {
      forward.push(`const ${ctx.y} = ${ctx.x}; // ${commentText(np.comment)}`);
      continue;
    }
    kernelDecls.push(`// ${commentText(np.comment)}`);
    for (const k of code.kernels) kernelDecls.push(kernelDecl(`${node.name}_${k.suffix}`, k));
    kernelDecls.push('');
    forward.push(...code.forward);
    records.push(`this.record(${JSON.stringify(node.name)}, 'output', ${ctx.y}, ${times('n', node.outSize)});`);
    for (const g of code.grads) gradVars.set(paramName(g.role), g.v);
  }

  // Backward, in reverse; the loss writes the output's gradient (or the fused log_softmax's input's).
  const loss = emitLossKernels(planned);
  const outNode = ir.nodes.find((nd) => nd.name === ir.output);
  if (outNode === undefined || plan.lossGrad === null && planned.nodes.some((np) => np.io.backward)) throw new Error('cnnc internal error: no loss gradient');
  const fused = fusion.fusedNode !== null;
  const lossGrad = fused ? edgeVar(outNode!.name, 0) : gradOf(outNode!.name);
  // The gradient variables each node has received from its readers (or from the loss).
  const received = new Map<string, string[]>([[fused ? outNode!.inputs[0]! : outNode!.name, [lossGrad]]]);
  const receive = (src: string, v: string | null): void => {
    if (v !== null && src !== 'input') received.set(src, [...(received.get(src) ?? []), v]);
  };
  const sumDecls: string[] = [];
  const backward: string[] = [];
  for (const node of [...ir.nodes].reverse()) {
    const code = backwardByNode.get(node.name) ?? null;
    const ctx = ctxByNode.get(node.name)!;
    const got = received.get(node.name) ?? [];
    if (got.length === 0) continue; // no gradient reaches this node
    if (got.length > 1) {
      const readers = readersOf(node.name).map((x) => x.reader);
      sumDecls.push(`// ${node.name} is read by ${readers.join(', ')}: its gradient is the sum of theirs`);
      sumDecls.push(kernelDecl(`${node.name}_gradsum`, {
        suffix: 'gradsum',
        params: got.map((_, i) => `g${i}`),
        length: { perSample: node.outSize },
        body: `const i = this.thread.x;\nreturn ${got.map((_, i) => `g${i}[i]`).join(' + ')};`,
      }), '');
      backward.push(call(ctx.dY, `${node.name}_gradsum`, got));
    } else if (got[0] !== ctx.dY) {
      backward.push(`const ${ctx.dY} = ${got[0]}; // ${node.name}: the one reader that passes a gradient back`);
    }
    backward.push(`this.record(${JSON.stringify(node.name)}, 'grad_output', ${ctx.dY}, ${times('n', node.outSize)});`);
    if (code === null) {
      if (ctx.dX !== null) {
        backward.push(`const ${ctx.dX} = ${ctx.dY}; // ${node.name}: flatten — the gradient is an alias too`);
        receive(node.inputs[0]!, ctx.dX);
      }
      continue;
    }
    if (planOf.get(node.name)!.fusedIntoLoss) {
      backward.push(`// ${node.name}: fused into the loss (no ${node.name} backward)`);
      continue;
    }
    backward.push(...code.backward);
    if (code.backward.length > 0) node.inputs.forEach((src, k) => receive(src, ctx.dXs[k] ?? null));
    const trainable = node.params.filter((p) => p.trainable).map((p) => JSON.stringify(p.name));
    if (trainable.length > 0 && code.backward.length > 0) backward.push(`this.recordParamGrads(${JSON.stringify(node.name)}, [${trainable.join(', ')}]);`);
  }
  kernelDecls.push(...sumDecls);

  kernelDecls.push(...loss.comments.map((l) => `// ${commentText(l)}`));
  kernelDecls.push(...loss.kernels.map((k) => kernelDecl(k.name, k.kernel)), '');

  // G: every parameter gradient, concatenated in P's order (gpu.js kernels have one output). At most
  // MAX_KERNEL_INPUTS tensors per kernel, so a model with many gives a chain: each stage copies the
  // previous stage's prefix and appends its group.
  const trainables = plan.params.filter((p) => p.trainable);
  const gArgs = trainables.map((p) => {
    const v = gradVars.get(p.name);
    if (v === undefined) throw new Error(`cnnc internal error: no gradient for ${p.name}`);
    return v;
  });
  const per = MAX_KERNEL_INPUTS - 1;
  const groups: number[][] = [];
  for (let i = 0; i < trainables.length; i += per) groups.push(trainables.slice(i, i + per).map((_, j) => i + j));
  if (groups.length === 0) groups.push([]);
  const concatSteps: string[] = [];
  kernelDecls.push(`// grads: every parameter gradient into G, in the order of P (the optimizer kernels run over it)${groups.length > 1 ? `, in ${groups.length} stages of at most ${per} tensors` : ''}`);
  groups.forEach((group, s) => {
    const name = groups.length === 1 ? 'grads_concat' : `grads_concat${s}`;
    const start = group.length === 0 ? 0 : offsets.get(trainables[group[0]!]!.name)!;
    const last = group[group.length - 1];
    const end = s === groups.length - 1 ? Math.max(paramSize, 1) : offsets.get(trainables[last!]!.name)! + trainables[last!]!.size;
    const at = (j: number): string => {
      const off = offsets.get(trainables[j]!.name)!;
      return `g${j - (group[0] ?? 0)}[i${off === 0 ? '' : ` - ${off}`}]`;
    };
    const concat: GpuKernel = {
      suffix: 'concat',
      params: [...(s > 0 ? ['G'] : []), ...group.map((j) => `g${j - group[0]!}`)],
      length: { total: end },
      body: body(
        'const i = this.thread.x;',
        s > 0 ? `if (i < ${start}) {\n  return G[i];\n}` : null,
        group.slice(0, -1).map((j) => `if (i < ${offsets.get(trainables[j]!.name)! + trainables[j]!.size}) {\n  return ${at(j)};\n}`),
        last !== undefined ? `return ${at(last)};` : 'return 0.0;',
      ),
    };
    kernelDecls.push(kernelDecl(name, concat));
    const args = group.map((j) => gArgs[j]!);
    concatSteps.push(s === groups.length - 1
      ? `this.setGradients(yield this.run(${name}, 1${s > 0 ? `, G${s - 1}` : ''}${args.map((v) => `, ${v}`).join('')}));`
      : `const G${s} = yield this.run(${name}, 1${[...(s > 0 ? [`G${s - 1}`] : []), ...args].map((v) => `, ${v}`).join('')});`);
  });
  kernelDecls.push('');

  const opt = emitOptimizer(ir.optimizer, Math.max(paramSize, 1));
  kernelDecls.push(`// ${commentText(opt.comment)}`);
  for (const k of opt.kernels) kernelDecls.push(kernelDecl(`optim_${k.suffix}`, k));

  // The class name must not shadow a kernel constant or another top-level name.
  const taken = new Set<string>(['gj', 'createModel', 'layout', ...loss.constants.map((c) => c.name), ...kernelDecls.flatMap((d) => /^const (\w+) = gj\.kernel/.exec(d)?.[1] ?? [])]);
  const cls = className(ir.name, taken);
  const layout = [
    'const layout: gj.ModelLayout = {',
    `  name: ${JSON.stringify(ir.name)},`,
    `  metadata: ${metadataLiteral(modelMetadata(planned, 'float32', 'gpujs'))},`,
    `  specHash: ${JSON.stringify(ir.specHash)},`,
    `  inputShape: [${ir.input.shape.join(', ')}],`,
    `  outputShape: [${outNode!.outShape.join(', ')}],`,
    `  paramSize: ${paramSize},`,
    `  loss: ${loss.layout.split('\n').join('\n  ')},`,
    `  lr: ${ir.optimizer.lr},`,
    `  slots: [${opt.slots.map((s) => `'${s}'`).join(', ')}],`,
    ...(opt.slotInit !== undefined ? [`  slotInit: [${opt.slotInit.map(String).join(', ')}],`] : []),
    ...(ir.train.clip === null ? [] : [`  clip: ${clipText(ir.train.clip)}, // torch.nn.utils.clip_grad_${ir.train.clip.kind}_ before each step, on the host`]),
    '  tensors: [',
    ...plan.params.map((p) => `    { name: ${JSON.stringify(p.name)}, shape: [${p.shape.join(', ')}], size: ${p.size}, trainable: ${p.trainable}, offset: ${offsets.get(p.name) ?? -1}, hostOnly: ${p.role === 'num_batches_tracked'}, ${savedDtype(p.role) === null ? '' : `dtype: ${JSON.stringify(savedDtype(p.role))}, `}init: ${initText(p.init)} },${initComment(p)}`),
    '  ],',
    '};',
  ];
  const ind = (ls: readonly string[], d = 2): string[] => ls.flatMap((l) => l.split('\n')).map((l) => (l === '' ? l : ' '.repeat(d) + l));

  out.push(
    `// Generated by cnnc ${VERSION} from ${commentText(baseName(ir.file))} (spec sha256 ${ir.specHash}) — generated, do not edit.`,
    `// Model ${ir.name}, gpu.js target: input [n,${ir.input.shape.join(',')}], ${count(ir.totals.params)} parameters, float32 (precision 'single').`,
    `// One thread per output element; every shape is a literal and \${n}, the batch size, is baked in when a kernel is`,
    `// compiled for it (kernels are cached per batch size). Tensors stay on the device between kernels (pipeline mode);`,
    `// the host reads back only the loss rows, forward's output and what the accessors return.`,
    `// CPU code (cnnc/runtime/gpujs GpujsModel): label checks, each loss term's divisor (Σ w[y], a count), the sum of the`,
    `// loss rows, dropout masks (the model's Rng: the TypeScript target's stream), num_batches_tracked, the optimizer's scalars.`,
    `import * as gj from 'cnnc/runtime/gpujs';`,
    '',
    ...kernelDecls,
    '',
    ...loss.constants.flatMap((c) => [`const ${c.name} = new Float32Array([${c.values.join(', ')}]);`, '']),
    ...layout,
    '',
    `/** ${ir.name} on gpu.js. Create it with createModel(); a new model is in eval mode. */`,
    `export class ${cls} extends gj.GpujsModel {`,
    '  constructor(seed: number, options: gj.GpujsOptions = {}) {',
    '    super(layout, seed, options);',
    '  }',
    '',
    '  protected *forwardSteps(x: Float32Array, n: number): gj.Steps<gj.DeviceTensor> {',
    ...ind(forward, 4),
    `    return ${valueOf(outNode!.name)};`,
    '  }',
    '',
    '  protected *gradientSteps(x: Float32Array, labels: gj.Labels, n: number): gj.Steps<gj.DeviceTensor[]> {',
    ...ind(forward, 4),
    ...ind(records, 4),
    ...ind(loss.steps(valueOf(outNode!.name), lossGrad), 4),
    ...ind(backward, 4),
    ...ind(concatSteps, 4),
    `    return [${loss.rows.join(', ')}];`,
    '  }',
    '',
    '  protected *optimizerSteps(): gj.Steps<void> {',
    ...ind(opt.steps, 4),
    '  }',
    '}',
    '',
    `/** A new ${ir.name} in eval mode, its weights initialized as PyTorch would from the seed (default: the spec's train.seed, ${ir.train.seed}), on the gpu.js backend asked for (default 'gpu': gpu.js's choice; see backendInfo()). */`,
    `export function createModel(options: gj.GpujsOptions = {}): ${cls} {`,
    `  return new ${cls}(options.seed ?? ${ir.train.seed}, options);`,
    '}',
    '',
  );
  return out.join('\n');
}

function kernelDecl(name: string, k: GpuKernel): string {
  const usesN = k.body.includes('${n}');
  const length = 'perSample' in k.length ? `(n) => ${times('n', k.length.perSample)}` : `() => ${k.length.total}`;
  const src = k.body.split('\n').map((l) => (l === '' ? l : `  ${l}`)).join('\n');
  if (src.includes('`')) throw new Error('cnnc internal error: a backtick in a kernel body');
  return `const ${name} = gj.kernel('${name}', [${k.params.map((p) => `'${p}'`).join(', ')}], ${length}, (${usesN ? 'n' : ''}) => \`\n${src}\n\`);`;
}

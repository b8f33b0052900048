// The model class: fields (parameter views at literal offsets, activation views sized by a capacity),
// the forward/backward call sequences, and the CompiledModel methods (runtime/model.ts).
import { Scope, type ClassDeclarationStructure, type OptionalKind, type PropertyDeclarationStructure, type MethodDeclarationStructure } from 'ts-morph';
import { assertNever, type ModelIR, type InitRule, type OptimizerIR, type ParamInfo } from '../ir/types.js';
import type { MemoryPlan } from '../4-passes/memory.js';
import type { Dtype, KernelArg, LayerKernels, Ref } from './kernel.js';
import { lit } from './kernel.js';
import { str } from './identifiers.js';
import type { LossCode } from './losses/index.js';

export interface ModelParts {
  readonly ir: ModelIR;
  readonly plan: MemoryPlan;
  readonly dtype: Dtype;
  readonly className: string;
  /** Kernels per node (null: flatten), in node order. */
  readonly kernels: ReadonlyMap<string, LayerKernels | null>;
  readonly loss: LossCode;
}

/** Field-name suffix of a parameter view (and of its gradient). Never contains `_`. */
export function paramField(role: ParamInfo['role']): { data: string; grad: string } {
  switch (role) {
    case 'weight': return { data: 'W', grad: 'dW' };
    case 'bias': return { data: 'B', grad: 'dB' };
    case 'running_mean': return { data: 'runningMean', grad: 'dRunningMean' };
    case 'running_var': return { data: 'runningVar', grad: 'dRunningVar' };
    case 'num_batches_tracked': return { data: 'numBatchesTracked', grad: 'dNumBatchesTracked' };
    default: return assertNever(role, 'parameter role');
  }
}

export const arrayType = (d: Dtype): string => (d === 'float32' ? 'Float32Array' : 'Float64Array');

export function emitModelClass(m: ModelParts): OptionalKind<ClassDeclarationStructure> {
  const { ir, plan } = m;
  const F = arrayType(m.dtype);
  const io = new Map(plan.io.map((e) => [e.node, e]));
  const bind = (node: string, a: KernelArg): string => {
    const r: Ref | undefined = a.ref;
    const e = io.get(node);
    if (r === undefined || e === undefined) throw new Error(`cnnc internal error: unbound kernel argument ${a.name} of ${node}`);
    const field = (f: string | null): string => (f === null ? 'x' : `this.${f}`);
    switch (r.kind) {
      case 'n': return 'n';
      case 'x': return field(e.xs[r.input ?? 0] ?? null);
      case 'y': return field(e.y);
      case 'dX': return field(e.dXs[r.input ?? 0] ?? null);
      case 'dY': return field(e.dY);
      case 'valueOf':
      case 'gradOf': {
        const other = io.get(r.node);
        const f = other === undefined ? null : r.kind === 'valueOf' ? other.y : other.dY;
        if (f === null) throw new Error(`cnnc internal error: ${node} reads ${r.node}'s ${r.kind === 'valueOf' ? 'value' : 'gradient'}, which has no buffer`);
        return field(f);
      }
      case 'param': return `this.${node}_${paramField(r.role).data}`;
      case 'grad': return `this.${node}_${paramField(r.role).grad}`;
      case 'buffer': return `this.${node}_${r.what}`;
      case 'rng': return 'this.rng';
      case 'training': return 'this.mode';
      default: return assertNever(r, 'kernel argument');
    }
  };

  const props: OptionalKind<PropertyDeclarationStructure>[] = [];
  const prop = (name: string, type: string | undefined, init: string | undefined, o: { readonly?: boolean; scope?: Scope; docs?: string } = {}): void => {
    props.push({
      name,
      ...(type === undefined ? {} : { type }),
      ...(init === undefined ? {} : { initializer: init }),
      isReadonly: o.readonly ?? true,
      scope: o.scope ?? Scope.Private,
      ...(o.docs === undefined ? {} : { docs: [o.docs] }),
    });
  };
  const inSize = ir.input.shape.reduce((a, b) => a * b, 1);
  const out = ir.nodes.find((n) => n.name === ir.output);
  if (out === undefined || plan.output === null) throw new Error('cnnc internal error: the output must be computed by a layer');
  const outSize = out.outSize;
  // Labels per sample: a class index, a label map, or a 0/1 target per output (ir.loss.labelShape).
  const labelSize = ir.loss.labelShape.reduce((a, b) => a * b, 1);

  prop('name', undefined, str(ir.name), { scope: Scope.Public });
  prop('specHash', undefined, str(ir.specHash), { scope: Scope.Public });
  prop('inputShape', 'readonly number[]', `[${ir.input.shape.map(lit).join(', ')}]`, { scope: Scope.Public });
  prop('outputShape', 'readonly number[]', `[${out.outShape.map(lit).join(', ')}]`, { scope: Scope.Public });
  prop('mode', undefined, 'false', { readonly: false, docs: 'Training mode (dropout active, batchnorm on batch statistics). A new model is in eval mode.' });
  // rt.allocFloats: in the runtime's wasm memory where that is shared (runtime/wasm/resident.ts), so the kernels read the weights in place.
  prop('params', undefined, `rt.allocFloats(${F}, ${plan.paramSize})`, { docs: `All parameters and buffers, ${plan.params.length} tensors at literal offsets (in wasm memory where the runtime can: no copy per product).` });
  prop('grads', undefined, `rt.allocFloats(${F}, ${plan.paramSize})`, { docs: 'Their gradients, same layout; zeroed once per computeGradients, accumulated by the backward kernels.' });
  for (const p of plan.params) {
    const f = paramField(p.role);
    prop(`${p.node}_${f.data}`, undefined, `this.params.subarray(${p.offset}, ${p.offset + p.size})`, { docs: `${p.name} [${p.shape.join(', ')}]` });
    prop(`${p.node}_${f.grad}`, undefined, `this.grads.subarray(${p.offset}, ${p.offset + p.size})`);
  }
  prop('scratch', undefined, `new ${F}(${plan.scratchSize})`, { docs: 'Work space independent of the batch size (im2col columns, batch statistics).' });
  for (const b of plan.buffers.filter((x) => x.arena === 'scratch')) {
    prop(b.field, undefined, `this.scratch.subarray(${b.offset}, ${b.offset + b.size})`);
  }
  prop('rng', 'rt.Rng', undefined, { docs: 'Initializes the weights, then draws the dropout masks: a seed reproduces a run.' });
  const opt = optimizer(ir.optimizer);
  prop('optimizer', `rt.${opt.cls}`, undefined);
  prop('views', `rt.ParameterView<${F}>[]`, undefined);
  prop('valuesCapacity', undefined, '0', { readonly: false, docs: 'Batch size the forward arenas hold; grown, never shrunk.' });
  prop('gradsCapacity', undefined, '0', { readonly: false });
  prop('lastN', undefined, '0', { readonly: false, docs: 'Batch size of the last forward (for findNonFinite).' });
  prop('outView', `${F}`, `new ${F}(0)`, { readonly: false });
  for (const b of plan.buffers.filter((x) => x.arena !== 'scratch')) {
    const t = b.arena === 'indices' ? 'Int32Array' : F;
    prop(b.field, t, `new ${t}(0)`, { readonly: false, docs: `[n, ${b.size}] in the ${b.arena} arena at capacity × ${b.offset}` });
  }

  const forwardCalls: string[] = [];
  for (const node of ir.nodes) {
    const k = m.kernels.get(node.name);
    if (k === undefined) throw new Error('cnnc internal error: missing kernels');
    if (k === null) {
      forwardCalls.push(`// ${node.name}: flatten — an alias, no copy (torch.flatten(x, 1) of NCHW is C, H, W order)`);
      continue;
    }
    if (k.fusedInto !== undefined) {
      forwardCalls.push(`// ${node.name}: fused into ${k.fusedInto} (${k.fusedInto}_forward writes it)`);
      continue;
    }
    forwardCalls.push(`${node.name}_forward(${k.forward.params.map((a) => bind(node.name, a)).join(', ')});`);
  }
  const backwardCalls: string[] = [];
  for (const node of [...ir.nodes].reverse()) {
    const k = m.kernels.get(node.name);
    const e = io.get(node.name);
    if (k === undefined || e === undefined) throw new Error('cnnc internal error: missing kernels');
    if (k !== null && k.fusedInto !== undefined) {
      if (k.backward !== null) backwardCalls.push(`// ${node.name}: fused into ${k.fusedInto} (${k.fusedInto}_backward applies its gradient)`);
    } else if (k !== null && k.backward === null) {
      if (node.name === ir.output && plan.lossGrad !== null && e.dY === null) backwardCalls.push(`// ${node.name}: fused into the loss (no ${node.name}_backward)`);
    } else if (k !== null && k.backward !== null) {
      backwardCalls.push(`${node.name}_backward(${k.backward.params.map((a) => bind(node.name, a)).join(', ')});`);
    }
    backwardCalls.push(...accumulateLines(ir, e));
  }

  const grow = (arena: 'values' | 'grads', cap: string): string => {
    const lines: string[] = [`if (n <= this.${cap}) return;`, `this.${cap} = n;`];
    const arenas = arena === 'values' ? (['values', 'indices'] as const) : (['grads'] as const);
    for (const a of arenas) {
      const per = plan.perSample[a];
      if (per === 0) continue;
      const t = a === 'indices' ? 'Int32Array' : F;
      // Float arenas in the runtime's wasm memory where it can (rt.allocFloats): the kernels then read and write them in place.
      lines.push(a === 'indices' ? `const ${a} = rt.allocInt32(n * ${per});` : `const ${a} = rt.allocFloats(${F}, n * ${per});`);
      for (const b of plan.buffers.filter((x) => x.arena === a)) {
        lines.push(`this.${b.field} = ${a}.subarray(${b.offset === 0 ? '0' : `n * ${b.offset}`}, n * ${b.offset + b.size});`);
      }
    }
    return lines.join('\n');
  };

  // A sum of terms: the first writes dZ, the others add to it (losses/index.ts).
  const lossCall = (dz: string): string => m.loss.terms.map((t) => `${t.name}(n, this.${plan.output}, y, ${dz})`).join(' + ');

  const views = plan.params.map((p) => {
    const f = paramField(p.role);
    return `{ name: ${str(p.name)}, shape: [${p.shape.map(lit).join(', ')}], data: this.${p.node}_${f.data}, grad: this.${p.node}_${f.grad}, trainable: ${p.trainable} },`;
  });
  const inits = plan.params.map((p) => `rt.initParameter(this.rng, this.${p.node}_${paramField(p.role).data}, ${initText(p.init)});`);
  const trainable = plan.params.filter((p) => p.trainable).map((p) => {
    const f = paramField(p.role);
    return `{ name: ${str(p.name)}, data: this.${p.node}_${f.data}, grad: this.${p.node}_${f.grad} },`;
  });

  const nonFinite: string[] = ['const n = this.lastN;', 'if (n === 0) return null;', '// forward order: outputs'];
  for (const b of plan.buffers.filter((x) => x.what === 'y')) {
    nonFinite.push(`if (rt.firstNonFinite(this.${b.field}, n * ${b.size}) >= 0) return { layer: ${str(b.node)}, tensor: 'output' };`);
  }
  nonFinite.push('// backward order: gradients of outputs, then of parameters');
  for (const node of [...ir.nodes].reverse()) {
    const dY = plan.buffers.find((b) => b.node === node.name && b.what === 'dY');
    if (dY !== undefined) nonFinite.push(`if (rt.firstNonFinite(this.${dY.field}, n * ${dY.size}) >= 0) return { layer: ${str(node.name)}, tensor: 'grad_output' };`);
    for (const p of plan.params.filter((q) => q.node === node.name && q.trainable)) {
      nonFinite.push(`if (rt.firstNonFinite(this.${p.node}_${paramField(p.role).grad}, ${p.size}) >= 0) return { layer: ${str(node.name)}, tensor: ${str(`${p.name}.grad`)} };`);
    }
  }
  nonFinite.push('return null;');

  const methods: OptionalKind<MethodDeclarationStructure>[] = [
    {
      name: 'forward',
      parameters: [{ name: 'x', type: F }, { name: 'n', type: 'number' }],
      returnType: F,
      docs: [`x [n, ${ir.input.shape.join(', ')}] → [n, ${out.outShape.join(', ')}]: a view into the model's arena, overwritten by the next call (copy it to keep it).`],
      statements: [
        'this.check(x, n);',
        'this.growValues(n);',
        'this.runForward(x, n);',
        'this.lastN = n;',
        `if (this.outView.length !== n * ${outSize} || this.outView.buffer !== this.${plan.output}.buffer || this.outView.byteOffset !== this.${plan.output}.byteOffset) this.outView = this.${plan.output}.subarray(0, n * ${outSize});`,
        'return this.outView;',
      ].join('\n'),
    },
    { name: 'train', returnType: 'void', statements: 'this.mode = true;' },
    { name: 'eval', returnType: 'void', statements: 'this.mode = false;' },
    {
      name: 'computeGradients',
      parameters: [{ name: 'x', type: F }, { name: 'y', type: 'Int32Array' }, { name: 'n', type: 'number' }],
      returnType: 'number',
      docs: ['Forward in the current mode, the mean loss over the batch, backward: parameter gradients are zeroed, then accumulated.'],
      statements: [
        'this.check(x, n);',
        `if (y.length < ${nTimes(labelSize)}) throw new RangeError('labels: expected ' + ${nTimes(labelSize)} + ' values, got ' + y.length);`,
        'this.growValues(n);',
        'this.growGrads(n);',
        'this.grads.fill(0);',
        'this.runForward(x, n);',
        'this.lastN = n;',
        `const loss = ${lossCall(plan.lossGrad === null ? 'null' : `this.${plan.lossGrad}`)};`,
        'this.runBackward(x, n);',
        'return loss;',
      ].join('\n'),
    },
    {
      name: 'trainStep',
      parameters: [{ name: 'x', type: F }, { name: 'y', type: 'Int32Array' }, { name: 'n', type: 'number' }],
      returnType: 'number',
      statements: ['const loss = this.computeGradients(x, y, n);', 'this.optimizer.step();', 'return loss;'].join('\n'),
    },
    {
      name: 'setLearningRate',
      parameters: [{ name: 'lr', type: 'number' }],
      returnType: 'void',
      statements: "if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError('learning rate must be a positive number, got ' + lr);\nthis.optimizer.lr = lr;",
    },
    { name: 'parameters', returnType: `rt.ParameterView<${F}>[]`, statements: 'return this.views.slice();' },
    {
      name: 'saveWeights',
      returnType: 'Uint8Array',
      docs: ['safetensors with PyTorch state_dict names and layouts.'],
      statements: 'return rt.encodeSafetensors(this.views.map((v) => ({ name: v.name, shape: v.shape, data: v.data })));',
    },
    {
      name: 'loadWeights',
      parameters: [{ name: 'bytes', type: 'Uint8Array' }],
      returnType: 'void',
      docs: ['All or nothing: a file that does not fit throws rt.SafetensorsError and leaves the model unchanged.'],
      statements: "rt.loadNamedTensors(bytes, this.views.map((v) => ({ name: v.name, shape: v.shape, data: v.data })), 'weights');",
    },
    {
      name: 'getTrainingState',
      returnType: `rt.TrainingState<${F}>`,
      statements: [
        'const s = this.optimizer.getState();',
        `// Slots have the parameters' array type (${F}).`,
        `return { step: s.step, slots: s.slots as ReadonlyArray<{ readonly name: string; readonly data: ${F} }>, rng: this.rng.getState() };`,
      ].join('\n'),
    },
    {
      name: 'setTrainingState',
      parameters: [{ name: 'state', type: `rt.TrainingState<${F}>` }],
      returnType: 'void',
      docs: ['All or nothing: a state that does not fit throws and changes nothing.'],
      statements: [
        'const rng = this.rng.getState();',
        'this.rng.setState(state.rng);',
        'try {',
        '  this.optimizer.setState(state);',
        '} catch (e) {',
        '  this.rng.setState(rng);',
        '  throw e;',
        '}',
      ].join('\n'),
    },
    { name: 'findNonFinite', returnType: '{ readonly layer: string; readonly tensor: string } | null', statements: nonFinite.join('\n') },
    {
      name: 'check',
      scope: Scope.Private,
      parameters: [{ name: 'x', type: F }, { name: 'n', type: 'number' }],
      returnType: 'void',
      statements: [
        "if (!Number.isInteger(n) || n < 1) throw new RangeError('batch size must be a positive integer, got ' + n);",
        `if (x.length < n * ${inSize}) throw new RangeError('input: expected ' + n * ${inSize} + ' values [n, ${ir.input.shape.join(', ')}], got ' + x.length);`,
      ].join('\n'),
    },
    { name: 'growValues', scope: Scope.Private, parameters: [{ name: 'n', type: 'number' }], returnType: 'void', statements: grow('values', 'valuesCapacity') },
    { name: 'growGrads', scope: Scope.Private, parameters: [{ name: 'n', type: 'number' }], returnType: 'void', statements: grow('grads', 'gradsCapacity') },
    { name: 'runForward', scope: Scope.Private, parameters: [{ name: 'x', type: F }, { name: 'n', type: 'number' }], returnType: 'void', statements: forwardCalls.join('\n') },
    { name: 'runBackward', scope: Scope.Private, parameters: [{ name: 'x', type: F }, { name: 'n', type: 'number' }], returnType: 'void', statements: backwardCalls.length > 0 ? backwardCalls.join('\n') : 'void x;\nvoid n;' },
  ];

  return {
    name: m.className,
    isExported: true,
    implements: [`rt.CompiledModel<${F}>`],
    docs: [`${ir.name}, generated from its spec. Create it with createModel(); a new model is in eval mode.`],
    properties: props,
    getAccessors: [{ name: 'training', returnType: 'boolean', statements: 'return this.mode;' }],
    ctors: [
      {
        parameters: [{ name: 'seed', type: 'number' }],
        statements: [
          'this.rng = new rt.Rng(seed);',
          '// PyTorch reset_parameters() rules, drawn in parameter order',
          ...inits,
          'this.views = [',
          ...views.map((v) => `  ${v}`),
          '];',
          `this.optimizer = new rt.${opt.cls}([`,
          ...trainable.map((v) => `  ${v}`),
          `], ${opt.options});`,
        ].join('\n'),
      },
    ],
    methods,
  };
}

function optimizer(o: OptimizerIR): { cls: string; options: string } {
  switch (o.kind) {
    case 'sgd':
      return { cls: 'Sgd', options: `{ lr: ${lit(o.lr)}, momentum: ${lit(o.momentum)}, dampening: ${lit(o.dampening)}, nesterov: ${o.nesterov}, weightDecay: ${lit(o.weightDecay)} }` };
    case 'adam':
    case 'adamw':
      return { cls: o.kind === 'adam' ? 'Adam' : 'AdamW', options: `{ lr: ${lit(o.lr)}, betas: [${lit(o.betas[0])}, ${lit(o.betas[1])}], eps: ${lit(o.eps)}, weightDecay: ${lit(o.weightDecay)} }` };
    default:
      return assertNever(o, 'optimizer kind');
  }
}

function initText(r: InitRule): string {
  switch (r.kind) {
    case 'kaiming_uniform': return `{ kind: 'kaiming_uniform', fanIn: ${lit(r.fanIn)} }`;
    case 'uniform': return `{ kind: 'uniform', bound: ${lit(r.bound)} }`;
    case 'ones': return `{ kind: 'ones' }`;
    case 'zeros': return `{ kind: 'zeros' }`;
    default: return assertNever(r, 'init rule');
  }
}

/** A node read by several layers: its gradient is the sum over its readers. The last reader wrote
 *  its dY; each other reader wrote its own dX buffer, added in here. */
function accumulateLines(ir: ModelIR, e: MemoryPlan['io'][number]): string[] {
  const out: string[] = [];
  const node = ir.nodes.find((nd) => nd.name === e.node)!;
  e.accumulate.forEach((a, i) => {
    const src = node.inputs[a.input]!;
    const readers = ir.nodes.filter((nd) => nd.inputs.includes(src)).map((nd) => nd.name);
    if (i === 0 || e.accumulate[i - 1]!.into !== a.into) {
      out.push(`// ${src} is read by ${readers.join(', ')}: its gradient is the sum of theirs; ${e.node} adds its share`);
    }
    out.push(`for (let i = 0; i < n * ${a.size}; i++) this.${a.into}[i] += this.${a.from}[i];`);
  });
  return out;
}

const nTimes = (k: number): string => (k === 1 ? 'n' : `n * ${k}`);

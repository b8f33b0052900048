// The CompiledModel methods (runtime/model.ts): forward, computeGradients, trainStep, the weights'
// and training state's save and load, findNonFinite, and the private checks and arena growth.
import { Scope, type MethodDeclarationStructure, type OptionalKind } from 'ts-morph';
import { str } from '../../emit/identifiers.js';
import { backwardCalls, forwardCalls } from './calls.js';
import { growBody } from './fields.js';
import { paramField, type ModelParts } from './parts.js';
import { lossAndOptimizerSlots, timed, withTimer } from './profile.js';

export function emitMethods(m: ModelParts): OptionalKind<MethodDeclarationStructure>[] {
  const { ir, memory: plan } = m.planned;
  const F = m.F;
  const out = m.out;
  const inSize = ir.input.shape.reduce((a, b) => a * b, 1);
  const outSize = out.outSize;
  // Labels per sample: a class index, a label map, or a 0/1 target per output (ir.loss.labelShape).
  const labelSize = ir.loss.labelShape.reduce((a, b) => a * b, 1);
  // A sum of terms: the first writes dZ, the others add to it (losses/index.ts); the softmax several read, first.
  const shared = plan.lossSoftmax === null ? '' : `, this.${plan.lossSoftmax.prob}, this.${plan.lossSoftmax.lse}`;
  const lossCall = (dz: string): string[] => [
    ...(m.loss.softmax === null ? [] : [`${m.loss.softmax.name}(n, this.${plan.output}${shared});`]),
    `const loss = ${m.loss.terms.map((t) => `${t.name}(n, this.${plan.output}, y, ${dz}${t.sharedSoftmax ? shared : ''})`).join(' + ')};`,
  ];
  const fwd = forwardCalls(m);
  // Inference with batchnorms folded into their convs (fold.ts): forward() in eval mode only.
  const folds = m.planned.nodes.filter((np) => np.evalFold !== null);
  const inference = folds.length === 0 ? null : forwardCalls(m, true);
  const bwd = backwardCalls(m);
  const slots = lossAndOptimizerSlots(m);

  const nonFinite: string[] = ['const n = this.lastN;', 'if (n === 0) return null;', '// forward order: outputs'];
  const foldedConvs = new Set(m.planned.nodes.filter((np) => np.evalFold !== null).map((np) => np.node.name));
  for (const b of plan.buffers.filter((x) => x.what === 'y')) {
    // a conv with a batchnorm folded in: its output was not written by an inference forward
    nonFinite.push(`if (${foldedConvs.has(b.node) ? '!this.folded && ' : ''}rt.firstNonFinite(this.${b.field}, n * ${b.size}) >= 0) return { layer: ${str(b.node)}, tensor: 'output' };`);
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

  return [
    {
      name: 'forward',
      parameters: [{ name: 'x', type: F }, { name: 'n', type: 'number' }],
      returnType: F,
      docs: [`x [n, ${ir.input.shape.join(', ')}] → [n, ${out.outShape.join(', ')}]: a view into the model's arena, overwritten by the next call (copy it to keep it).`],
      statements: [
        'this.check(x, n);',
        'this.growValues(n);',
        inference === null ? 'this.runForward(x, n);' : 'if (this.mode) this.runForward(x, n);\nelse this.runInference(x, n);',
        ...(inference === null ? [] : ['this.folded = !this.mode;']),
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
      statements: withTimer([
        'this.check(x, n);',
        `if (y.length < ${nTimes(labelSize)}) throw new RangeError('labels: expected ' + ${nTimes(labelSize)} + ' values, got ' + y.length);`,
        'this.growValues(n);',
        'this.growGrads(n);',
        'this.grads.fill(0);',
        'this.runForward(x, n);',
        ...(inference === null ? [] : ['this.folded = false;']),
        'this.lastN = n;',
        ...timed(m, slots.loss, lossCall(plan.lossGrad === null ? 'null' : `this.${plan.lossGrad}`)),
        'this.runBackward(x, n);',
        'return loss;',
      ]).join('\n'),
    },
    {
      name: 'trainStep',
      parameters: [{ name: 'x', type: F }, { name: 'y', type: 'Int32Array' }, { name: 'n', type: 'number' }],
      returnType: 'number',
      statements: withTimer(['const loss = this.computeGradients(x, y, n);', ...timed(m, slots.optimizer, ['this.optimizer.step();']), 'return loss;']).join('\n'),
    },
    {
      name: 'setLearningRate',
      parameters: [{ name: 'lr', type: 'number' }],
      returnType: 'void',
      statements: "if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError('learning rate must be a number ≥ 0, got ' + lr);\nthis.optimizer.lr = lr;",
    },
    ...(ir.scheduler?.cyclesMomentum === true
      ? [{ name: 'setMomentum', parameters: [{ name: 'momentum', type: 'number' }], returnType: 'void', docs: ["one_cycle_lr's cycled momentum: SGD's and RMSprop's momentum, Adam's β1."], statements: 'this.optimizer.setMomentum(momentum);' }]
      : []),
    { name: 'parameters', returnType: `rt.ParameterView<${F}>[]`, statements: 'return this.views.slice();' },
    {
      name: 'saveWeights',
      returnType: 'Uint8Array',
      docs: ['safetensors with PyTorch state_dict names and layouts.'],
      statements: 'return rt.encodeSafetensors(this.views);',
    },
    {
      name: 'loadWeights',
      parameters: [{ name: 'bytes', type: 'Uint8Array' }],
      returnType: 'void',
      docs: ['All or nothing: a file that does not fit throws rt.SafetensorsError and leaves the model unchanged. Takes the class names the file carries.'],
      statements: [
        "rt.loadNamedTensors(bytes, this.views.map((v) => ({ name: v.name, shape: v.shape, data: v.data })), 'weights');",
        'this.names = rt.classNamesAfterLoad(this.metadata, bytes);',
      ],
    },
    {
      name: 'predict',
      parameters: [{ name: 'x', type: F }, { name: 'n', type: 'number' }],
      returnType: 'rt.Prediction[]',
      docs: ['forward(x, n), then per sample every class\'s probability, the top class and its name (runtime/app.ts).'],
      statements: 'return rt.predictOutput(this.forward(x, n), n, this.metadata, this.names);',
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
    { name: 'growValues', scope: Scope.Private, parameters: [{ name: 'n', type: 'number' }], returnType: 'void', statements: growBody(m, 'values', 'valuesCapacity') },
    { name: 'growGrads', scope: Scope.Private, parameters: [{ name: 'n', type: 'number' }], returnType: 'void', statements: growBody(m, 'grads', 'gradsCapacity') },
    { name: 'runForward', scope: Scope.Private, parameters: [{ name: 'x', type: F }, { name: 'n', type: 'number' }], returnType: 'void', statements: fwd.join('\n') },
    ...(inference === null ? [] : [{
      name: 'runInference', scope: Scope.Private, parameters: [{ name: 'x', type: F }, { name: 'n', type: 'number' }], returnType: 'void' as const,
      docs: [`runForward in eval mode with ${folds.map((np) => `${np.evalFold!.bn} folded into ${np.node.name}${np.evalFold!.from > 1 ? ` from batch ${np.evalFold!.from}` : ''}`).join(', ')}: where they fold, those convs' own outputs are not written.`],
      statements: inference.join('\n'),
    }]),
    { name: 'runBackward', scope: Scope.Private, parameters: [{ name: 'x', type: F }, { name: 'n', type: 'number' }], returnType: 'void', statements: bwd.length > 0 ? bwd.join('\n') : 'void x;\nvoid n;' },
  ];
}

const nTimes = (k: number): string => (k === 1 ? 'n' : `n * ${k}`);

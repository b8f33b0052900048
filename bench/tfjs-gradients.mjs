// The gradients of the nine kernels the seed's model uses, registered with tfjs-core
// (tf.logSoftmax brings its own, through customGrad).
//
// Why this file exists: tfjs-core 4.22's published bundles (tf-core.node.js and the others)
// register no gradient at all — the gradient table ships with the umbrella `@tensorflow/tfjs`
// package (its register_all_gradients), which the project does not depend on, and the ESM
// files under tfjs-core/dist/gradients/ cannot be loaded by Node (extensionless imports).
// Without them, training fails with "gradient function not found for Neg". Each config below
// is tfjs-core's own, ported line for line from tfjs-core/src/gradients/<Kernel>_grad.ts
// (Apache-2.0), calling the same kernels through the public engine API, so TensorFlow.js is
// measured doing exactly the work it does in a normal install.
export function registerModelGradients(tf) {
  const { getReductionAxes, assertAndGetBroadcastShape, computeOutAndReduceShapes } = tf.backend_util;
  const run = (kernel, inputs, attrs) => tf.engine().runKernel(kernel, inputs, attrs);

  // Add_grad.ts / Multiply_grad.ts: broadcasting is undone by summing over the broadcast axes.
  const unbroadcast = (res, shape, outShape) => {
    const axes = getReductionAxes(shape, outShape);
    return tf.reshape(axes.length > 0 ? tf.sum(res, axes) : res, shape);
  };
  // Mean_grad.ts / Sum_grad.ts: dy spread back over the reduced axes.
  const expand = (dy, x, axis) => {
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const shape = x.shape.slice();
    for (const a of axes) shape[a] = 1;
    return { axes, dy: tf.mul(tf.reshape(dy, shape), tf.ones(x.shape, 'float32')) };
  };

  const configs = [
    {
      kernelName: 'Conv2D', inputsToSave: ['x', 'filter'],
      gradFunc: (dy, [x, filter], { strides, pad, dataFormat }) => ({
        x: () => run('Conv2DBackpropInput', { dy, filter }, { strides, pad, dataFormat, inputShape: x.shape }),
        filter: () => run('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat, filterShape: filter.shape }),
      }),
    },
    {
      kernelName: 'Add', inputsToSave: ['a', 'b'],
      gradFunc: (dy, [a, b]) => {
        const out = assertAndGetBroadcastShape(a.shape, b.shape);
        return { a: () => unbroadcast(dy, a.shape, out), b: () => unbroadcast(dy, b.shape, out) };
      },
    },
    {
      kernelName: 'Multiply', inputsToSave: ['a', 'b'],
      gradFunc: (dy, [a, b]) => {
        const out = assertAndGetBroadcastShape(a.shape, b.shape);
        return {
          a: () => unbroadcast(tf.mul(dy, tf.cast(b, 'float32')), a.shape, out),
          b: () => unbroadcast(tf.mul(dy, tf.cast(a, 'float32')), b.shape, out),
        };
      },
    },
    { kernelName: 'Relu', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.cast(tf.step(x), 'float32')) }) },
    {
      kernelName: 'MaxPool', inputsToSave: ['x'], outputsToSave: [true],
      gradFunc: (dy, [x, y], { filterSize, strides, pad }) => ({
        x: () => run('MaxPoolGrad', { dy, input: x, output: y }, { filterSize, strides, pad }),
      }),
    },
    { kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy, x.shape) }) },
    {
      // The model multiplies plain [n, k] · [k, m] (no transposes); the other three cases of
      // BatchMatMul_grad.ts are not needed and refused rather than guessed.
      kernelName: 'BatchMatMul', inputsToSave: ['a', 'b'],
      gradFunc: (dy, [a, b], { transposeA, transposeB }) => {
        if (transposeA || transposeB) throw new Error('bench: only untransposed matMul gradients are registered');
        return { a: () => tf.matMul(dy, b, false, true), b: () => tf.matMul(a, dy, true, false) };
      },
    },
    { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(dy) }) },
    {
      kernelName: 'Sum', inputsToSave: ['x'],
      gradFunc: (dy, [x], { axis }) => {
        const derX = expand(dy, x, axis).dy;
        return { x: () => derX };
      },
    },
    {
      kernelName: 'Mean', inputsToSave: ['x'],
      gradFunc: (dy, [x], { axis }) => ({
        x: () => {
          const { axes, dy: spread } = expand(dy, x, axis);
          const reduceSize = tf.util.sizeFromShape(computeOutAndReduceShapes(x.shape, axes)[1]);
          return tf.div(spread, reduceSize);
        },
      }),
    },
  ];
  for (const config of configs) tf.registerGradient(config);
}

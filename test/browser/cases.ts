// Specs whose generated modules the browser test runs in WebGL2 against the TypeScript target.
// Together they cover every layer kind and both losses: the seed's model (conv2d, relu, maxpool2d,
// dropout2d, flatten, linear, dropout, log_softmax + nll fused), specs/conv-features.yaml in training
// and in eval (batchnorm2d with batch and running statistics, stride, padding pairs and `same`,
// dilation, groups, avgpool2d, leaky_relu, tanh, sigmoid, cross_entropy with label smoothing), and
// small ones for the rest (count_include_pad false, no bias, class weights, softmax, unfused pairs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPECS, specYaml } from '../codegen/helpers.js';

export interface ParityCase {
  readonly title: string;
  readonly yaml: string;
  readonly mode: 'train' | 'eval';
  readonly input: readonly number[];
  readonly classes: number;
  /** Batch size: small, since SwiftShader is a CPU renderer. */
  readonly n: number;
}

const spec = (file: string): string => readFileSync(join(SPECS, file), 'utf8');
const head = ['{ kind: conv2d, name: c1, out_channels: 2, kernel_size: 3 }', 'flatten', '{ kind: linear, name: fc, out_features: 4 }'];

export const PARITY_CASES: ParityCase[] = [
  { title: "the seed's MNIST model (specs/mnist.yaml), training", yaml: spec('mnist.yaml'), mode: 'train', input: [1, 28, 28], classes: 10, n: 2 },
  { title: 'specs/conv-features.yaml, training', yaml: spec('conv-features.yaml'), mode: 'train', input: [1, 28, 28], classes: 10, n: 3 },
  { title: 'specs/conv-features.yaml, eval (running statistics, dropout off)', yaml: spec('conv-features.yaml'), mode: 'eval', input: [1, 28, 28], classes: 10, n: 3 },
  {
    title: 'avgpool2d count_include_pad false, conv2d without bias and a stride pair, maxpool2d padded',
    yaml: specYaml({
      input: [2, 9, 8],
      layers: [
        '{ kind: conv2d, name: c1, out_channels: 3, kernel_size: [3, 2], stride: [2, 1], padding: 1, bias: false }',
        '{ kind: avgpool2d, kernel_size: 3, stride: 1, padding: 1, count_include_pad: false }',
        '{ kind: maxpool2d, kernel_size: 3, stride: 2, padding: 1 }',
        'relu',
        'flatten',
        '{ kind: linear, name: fc, out_features: 4 }',
      ],
    }),
    mode: 'train',
    input: [2, 9, 8],
    classes: 4,
  },
  { title: 'log_softmax + nll with class weights', yaml: specYaml({ input: [1, 5, 5], layers: [...head, 'log_softmax'], loss: '{ kind: nll, weight: [0.5, 2, 1, 0.25] }' }), mode: 'train', input: [1, 5, 5], classes: 4 },
  { title: 'cross_entropy with class weights and label smoothing', yaml: specYaml({ input: [1, 5, 5], layers: head, loss: '{ kind: cross_entropy, label_smoothing: 0.15, weight: [0.5, 2, 1, 0.25] }' }), mode: 'train', input: [1, 5, 5], classes: 4 },
  { title: 'softmax then cross_entropy (softmax backward)', yaml: specYaml({ input: [1, 5, 5], layers: [...head, 'softmax'], loss: '{ kind: cross_entropy }' }), mode: 'train', input: [1, 5, 5], classes: 4 },
  { title: 'softmax then nll (not fused)', yaml: specYaml({ input: [1, 5, 5], layers: [...head, 'softmax'], loss: '{ kind: nll }' }), mode: 'train', input: [1, 5, 5], classes: 4 },
  { title: 'log_softmax then cross_entropy (log_softmax backward)', yaml: specYaml({ input: [1, 5, 5], layers: [...head, 'log_softmax'], loss: '{ kind: cross_entropy, weight: [1, 2, 3, 4] }' }), mode: 'train', input: [1, 5, 5], classes: 4 },
].map((c) => ({ n: 3, ...c }));

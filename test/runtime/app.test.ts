// The app API (issue 20, item 5; runtime/API.md "The app API"): model.metadata as the plan knows it, predict's
// probabilities read as the output holds them (exp of log-probabilities, softmax of logits, σ of a binary logit; a
// label map refused), class names from the spec or from the weights, and weights from a URL, a Response or an
// ArrayBuffer, with a clear error for a 404, an unreachable host and truncated bytes (the model unchanged).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, loadModule } from '../../compiler/index.js';
import { VERSION } from '../../compiler/version.js';
import { loadWeightsFrom, WeightsFetchError } from '../../runtime/app.js';
import { weightsWithClassNames } from '../../runtime/class-names.js';
import type { CompiledModel } from '../../runtime/model.js';
import { SafetensorsError } from '../../runtime/safetensors.js';
import { SPECS, specYaml } from '../codegen/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'cnnc-app-'));

async function model(source: string, file = 'test.yaml'): Promise<CompiledModel> {
  const r = compile(source, file);
  if (r.code === null) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return (await loadModule(r.code, work)).createModel({ seed: 1 });
}

const input = (n: number, size: number) => new Float32Array(n * size).map((_, i) => Math.sin(i * 0.37));
const FOLDER = `cnnc: 1
name: Tiny
input: { shape: [1, 4, 4] }
layers:
  - flatten
  - { kind: linear, out_features: 3 }
  - log_softmax
loss: { kind: nll }
optimizer: { kind: adam }
train: { batch_size: 4, epochs: 1, seed: 0 }
data: { source: folder, path: imgs, classes: [cat, "dog's", bird], transforms: [{ kind: resize, size: [4, 4] }, { kind: normalize, mean: [0.5], std: [0.25] }] }
`;

describe('model.metadata', () => {
  it('holds the spec name, hash, shapes, output kind, parameter count, dtype, cnnc version and target', async () => {
    const source = readFileSync(join(SPECS, 'mnist.yaml'), 'utf8');
    const r = compile(source, 'mnist.yaml');
    const m = await model(source, 'mnist.yaml');
    expect(m.metadata).toEqual({
      name: 'MnistNet', specHash: r.ir!.specHash, inputShape: [1, 28, 28], outputShape: [10], output: 'log_probabilities',
      classes: null, transforms: [], parameters: r.ir!.totals.params, dtype: 'float32', cnncVersion: VERSION, target: 'ts',
    });
    expect(m.metadata.parameters).toBe(m.parameters().filter((p) => p.trainable).reduce((s, p) => s + p.data.length, 0));
  });

  it("gives the spec's class names (quoted into the module as they are), its eval transforms, and what a segmentation model's output is", async () => {
    const m = await model(FOLDER);
    expect(m.metadata.classes).toEqual(['cat', "dog's", 'bird']);
    expect(m.classNames).toEqual(['cat', "dog's", 'bird']);
    expect(m.metadata.transforms).toEqual(compile(FOLDER, 'test.yaml').ir!.data.transforms.eval);
    expect(m.metadata.transforms.map((t) => t.kind)).toEqual(['resize', 'normalize']);
    const seg = await model(readFileSync(join(SPECS, 'segmentation.yaml'), 'utf8'), 'segmentation.yaml');
    expect(seg.metadata.output).toBe('label_map');
    expect(() => seg.predict(new Float32Array(seg.inputShape.reduce((a, b) => a * b, 1)), 1)).toThrow(/label map/);
  });
});

describe('model.predict', () => {
  it('log_softmax output: probabilities are exp of forward, summing to 1; class is the argmax, with its name', async () => {
    const m = await model(FOLDER);
    const x = input(2, 16);
    const out = Array.from(m.forward(x, 2));
    const p = m.predict(x, 2);
    expect(p).toHaveLength(2);
    for (let s = 0; s < 2; s++) {
      const row = out.slice(s * 3, s * 3 + 3);
      p[s]!.probabilities.forEach((v, c) => expect(v).toBeCloseTo(Math.exp(row[c]!), 6));
      expect(p[s]!.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const top = row.indexOf(Math.max(...row));
      expect([p[s]!.class, p[s]!.name, p[s]!.probability]).toEqual([top, ['cat', "dog's", 'bird'][top], p[s]!.probabilities[top]]);
    }
  });

  it('logits (cross_entropy, no softmax layer): the softmax of forward; no names without a list', async () => {
    const m = await model(specYaml({ input: [1, 4, 4], layers: ['flatten', '{ kind: linear, out_features: 4 }'] }));
    expect(m.metadata.output).toBe('logits');
    const x = input(1, 16);
    const out = Array.from(m.forward(x, 1));
    const e = out.map((v) => Math.exp(v));
    const [p] = m.predict(x, 1);
    p!.probabilities.forEach((v, c) => expect(v).toBeCloseTo(e[c]! / e.reduce((a, b) => a + b, 0), 6));
    expect(p!.name).toBeNull();
    expect(m.classNames).toBeNull();
  });

  it('one binary logit (bce_with_logits): [1 − σ, σ], class 1 when σ > 0.5', async () => {
    const m = await model(specYaml({ input: [1, 4, 4], layers: ['flatten', '{ kind: linear, out_features: 1 }'], loss: '{ kind: bce_with_logits }' }));
    expect(m.metadata.output).toBe('binary_logits');
    const x = input(3, 16);
    const out = Array.from(m.forward(x, 3));
    m.predict(x, 3).forEach((p, s) => {
      const sig = 1 / (1 + Math.exp(-out[s]!));
      expect(p.probabilities[1]).toBeCloseTo(sig, 6);
      expect(p.probabilities[0]).toBeCloseTo(1 - sig, 6);
      expect(p.class).toBe(sig > 0.5 ? 1 : 0);
    });
  });
});

describe('loadWeightsFrom: a URL, a Response, an ArrayBuffer', () => {
  let server: Server;
  let base: string;
  let trained: CompiledModel;
  let bytes: Uint8Array;
  beforeAll(async () => {
    trained = await model(FOLDER);
    trained.parameters()[0]!.data.fill(0.25);
    bytes = weightsWithClassNames(trained.saveWeights(), ['x', 'y', 'z']);
    server = createServer((req, res) => {
      if (req.url === '/w.safetensors') res.end(bytes);
      else if (req.url === '/cut.safetensors') res.end(bytes.subarray(0, bytes.length - 5));
      else res.writeHead(404, 'Not Found').end('no such file');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('fetches a URL, loads every tensor and takes the class names the file carries', async () => {
    const m = await model(FOLDER);
    await loadWeightsFrom(m, `${base}/w.safetensors`);
    expect(Array.from(m.parameters()[0]!.data)).toEqual(Array.from(trained.parameters()[0]!.data));
    expect(m.classNames).toEqual(['x', 'y', 'z']);
    expect(m.predict(input(1, 16), 1)[0]!.name).toMatch(/^[xyz]$/);
    const again = await model(FOLDER);
    await loadWeightsFrom(again, await fetch(new URL('/w.safetensors', base)));
    await loadWeightsFrom(again, bytes.slice().buffer);
    expect(Array.from(again.parameters()[0]!.data)).toEqual(Array.from(trained.parameters()[0]!.data));
  });

  it('a 404 and an unreachable host are WeightsFetchErrors naming the URL; truncated bytes a SafetensorsError, the model unchanged', async () => {
    const m = await model(FOLDER);
    const before = Array.from(m.parameters()[0]!.data);
    await expect(loadWeightsFrom(m, `${base}/missing.safetensors`)).rejects.toThrow(new WeightsFetchError(`cannot load weights from ${base}/missing.safetensors: HTTP 404 Not Found`));
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const gone = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/w.safetensors`;
    await new Promise<void>((ok) => closed.close(() => ok()));
    await expect(loadWeightsFrom(m, gone)).rejects.toThrow(WeightsFetchError);
    await expect(loadWeightsFrom(m, gone)).rejects.toThrow(new RegExp(`^cannot load weights from ${gone.replace(/[.?]/g, '\\$&')}: .*ECONNREFUSED`));
    await expect(loadWeightsFrom(m, `${base}/cut.safetensors`)).rejects.toThrow(SafetensorsError);
    expect(Array.from(m.parameters()[0]!.data)).toEqual(before);
    expect(m.classNames).toEqual(['cat', "dog's", 'bird']);
  });
});

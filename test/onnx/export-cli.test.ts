// `cnnc export SPEC --to onnx` as a user runs it: what the file holds (read back with onnx-proto, a reader
// independent of the writer's object graph), same spec + weights → same bytes, the golden text of two graphs,
// and the refusals: a spec ONNX cannot express (a positioned E0710, no file), an existing output (kept without
// --force), bad --weights (the errors `cnnc eval --weights` gives), a bad --to (usage, exit 2).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto, { type onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { cnnc } from '../cli.js';
import { generateOrThrow, importGenerated } from '../codegen/helpers.js';
import { trainedLikeWeights } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnc-onnx-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const decode = (file: string): onnx.ModelProto => onnxProto.onnx.ModelProto.decode(readFileSync(file));
const { AttributeType } = onnxProto.onnx.AttributeProto;

/** The graph as text for a golden file: initializers (name, dims; no values), then each node. */
function graphText(m: onnx.ModelProto): string {
  const g = m.graph as onnx.GraphProto;
  const value = (v: onnx.IValueInfoProto) => `${v.name} [${v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || String(d.dimValue)).join(', ')}]`;
  const attr = (a: onnx.IAttributeProto) => {
    const v = a.type === AttributeType.INTS ? `[${a.ints!.join(', ')}]` : a.type === AttributeType.INT ? String(a.i)
      : a.type === AttributeType.FLOAT ? String(a.f) : a.type === AttributeType.STRING ? JSON.stringify(new TextDecoder().decode(a.s!)) : '?';
    return `${a.name}=${v}`;
  };
  return [
    `ir_version ${m.irVersion}, opset ${m.opsetImport.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}, producer ${m.producerName}`,
    `graph ${g.name}: input ${g.input.map(value).join(', ')} → output ${g.output.map(value).join(', ')}`,
    '',
    ...g.initializer.map((t) => `initializer ${t.name} [${t.dims!.join(', ')}] ${onnxProto.onnx.TensorProto.DataType[t.dataType!]}`),
    '',
    ...g.node.map((n) => `${n.name}: ${n.output!.join(', ')} = ${n.opType}(${n.input!.join(', ')})${n.attribute!.length > 0 ? ` {${n.attribute!.map(attr).join(', ')}}` : ''}`),
    '',
  ].join('\n');
}

async function weightsFor(spec: string, seed: number): Promise<{ file: string; names: string[] }> {
  const at = mkdtempSync(join(dir, 'w-'));
  const model = (await importGenerated<Float32Array>(generateOrThrow(readFileSync(spec, 'utf8'), 'float32', spec))).createModel({ seed });
  return { file: trainedLikeWeights(model, at), names: model.parameters().map((p) => p.name) };
}

it("the renderer's enum values are onnx.proto's, as onnx-proto has them (graph.ts writes them so that building a message needs no package)", async () => {
  const { AttributeType, DataType } = await import('../../compiler/5-codegen-onnx/graph.js');
  for (const [k, v] of Object.entries(AttributeType)) expect(onnxProto.onnx.AttributeProto.AttributeType[k as 'INT'], k).toBe(v);
  for (const [k, v] of Object.entries(DataType)) expect(onnxProto.onnx.TensorProto.DataType[k as 'FLOAT'], k).toBe(v);
});

describe('cnnc export --to onnx: the file', () => {
  it('holds the state_dict names as initializers, the layer names as nodes, opset 17 and a dynamic batch (resnet-mini)', async () => {
    const w = await weightsFor('specs/resnet-mini.yaml', 2);
    const out = join(dir, 'resnet-mini.onnx');
    const r = await cnnc('export', 'specs/resnet-mini.yaml', '--to', 'onnx', '-o', out, '--weights', w.file);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote .*resnet-mini\.onnx \(ONNX opset 17, [\d,]+ bytes, .*weights\.safetensors\)\n$/);
    const m = decode(out);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    const g = m.graph as onnx.GraphProto;
    expect(g.initializer.map((t) => t.name)).toEqual(w.names.filter((n) => !n.endsWith('.num_batches_tracked')));
    expect(g.input.map((v) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)))).toEqual([['N', 1, 28, 28]]);
    // Every layer is one node under its spec name (resnet-mini has no multi-op layer and no dropout).
    expect(g.node.map((n) => n.name)).toEqual(checkSource(readFileSync('specs/resnet-mini.yaml', 'utf8'), 'resnet-mini.yaml').ir!.nodes.map((n) => n.name));
    expect(g.node.map((n) => n.name)).toContain('b1_add');
    expect(new Set(g.node.map((n) => n.name)).size).toBe(g.node.length);
    // The module's forward output: the last layer (fc, logits; cross_entropy's softmax is the loss's).
    expect(g.output.map((v) => v.name)).toEqual(['fc']);
    expect(g.node.at(-1)!.opType).toBe('Gemm');
  });

  it('is the eval-mode model: no Dropout, the output is log_softmax as the module returns it (mnist)', async () => {
    const out = join(dir, 'mnist.onnx');
    expect((await cnnc('export', 'specs/mnist.yaml', '--to', 'onnx', '-o', out)).code).toBe(0);
    const g = decode(out).graph as onnx.GraphProto;
    expect(g.node.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'LogSoftmax']);
    expect(g.output.map((v) => v.name)).toEqual([g.node.at(-1)!.output![0]]);
  });

  it('exports a dropout that is the model\'s output as an Identity under its name (elsewhere dropout is no node)', async () => {
    const spec = join(dir, 'dropout-last.yaml');
    writeFileSync(spec, 'cnnc: 1\nname: DropLast\ninput: { shape: [4] }\nlayers:\n  - { kind: dropout, p: 0.3 }\n  - { kind: linear, name: fc, out_features: 3 }\n  - { kind: dropout, name: drop, p: 0.5 }\nloss: { kind: cross_entropy }\noptimizer: { kind: sgd, lr: 0.1 }\n');
    const out = join(dir, 'dropout-last.onnx');
    const r = await cnnc('export', spec, '--to', 'onnx', '-o', out);
    expect(r.code, r.err).toBe(0);
    const g = decode(out).graph as onnx.GraphProto;
    expect(g.node.map((n) => [n.name, n.opType, n.input![0]])).toEqual([['fc', 'Gemm', 'input'], ['drop', 'Identity', 'fc']]);
    expect(g.output.map((v) => v.name)).toEqual(['drop']);
  });

  it('is the same bytes for the same spec and weights, from any directory; other weights give other bytes', async () => {
    const w = await weightsFor('specs/conv-features.yaml', 4);
    const other = await weightsFor('specs/conv-features.yaml', 5);
    const copy = join(dir, 'elsewhere');
    mkdirSync(copy);
    writeFileSync(join(copy, 'conv-features.yaml'), readFileSync('specs/conv-features.yaml'));
    const a = join(dir, 'a.onnx'), b = join(dir, 'b.onnx'), c = join(dir, 'c.onnx');
    expect((await cnnc('export', 'specs/conv-features.yaml', '--to', 'onnx', '-o', a, '--weights', w.file)).code).toBe(0);
    expect((await cnnc('export', join(copy, 'conv-features.yaml'), '--to', 'onnx', '-o', b, '--weights', w.file)).code).toBe(0);
    expect((await cnnc('export', 'specs/conv-features.yaml', '--to', 'onnx', '-o', c, '--weights', other.file)).code).toBe(0);
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
    expect(Buffer.compare(readFileSync(a), readFileSync(c))).not.toBe(0);
  });

  for (const spec of ['specs/mnist.yaml', 'test/fixtures/reference/specs/decoder-layers.yaml']) {
    const name = spec.split('/').at(-1)!.replace(/\.yaml$/, '');
    it(`${spec} → __golden__/${name}.onnx.txt (the graph as text, without the weights)`, async () => {
      const out = join(dir, `${name}.golden.onnx`);
      expect((await cnnc('export', spec, '--to', 'onnx', '-o', out)).code).toBe(0);
      await expect(graphText(decode(out))).toMatchFileSnapshot(`__golden__/${name}.onnx.txt`);
    });
  }
});

describe('cnnc export --to onnx: refusals', () => {
  it('refuses adaptive windows ONNX cannot express with E0710 at the layer, naming the target, and writes nothing', async () => {
    const out = join(dir, 'adaptive.onnx');
    const r = await cnnc('export', 'test/fixtures/reference/specs/adaptive-pools.yaml', '--to', 'onnx', '-o', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain("test/fixtures/reference/specs/adaptive-pools.yaml:10:13: error E0710: adaptive_maxpool2d_1: adaptive_maxpool2d from 13×11 to 5×4 is not supported by the onnx target: 13 → 5 rows pools windows of 3 and 4 rows; 11 → 4 columns pools windows of 3 and 4 columns; ONNX's pools take one window size and stride per axis");
    expect(r.err).toMatch(/> 10 \| {3}- \{ kind: adaptive_maxpool2d, output_size: \[5, 4\] \}/);
    expect(r.err).toMatch(/error E0710: adaptive_avgpool2d_1: adaptive_avgpool2d from 5×4 to 7×6/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses weights past protobuf\'s 2 GiB with E0711 at the layer that crosses it, before allocating them', async () => {
    const spec = join(dir, 'huge.yaml');
    writeFileSync(spec, 'cnnc: 1\nname: Huge\ninput: { shape: [16384] }\nlayers:\n  - { kind: linear, name: fc1, out_features: 16384 }\n  - relu\n' +
      '  - { kind: linear, name: fc2, out_features: 16384 }\n  - { kind: linear, name: fc3, out_features: 10 }\nloss: { kind: cross_entropy }\noptimizer: { kind: sgd, lr: 0.1 }\n');
    const out = join(dir, 'huge.onnx');
    const r = await cnnc('export', spec, '--to', 'onnx', '-o', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('huge.yaml:7:13: error E0711: fc2: the weights up to this layer take 2,147,614,720 bytes as float32, more than the onnx target writes in one file');
    expect(existsSync(out)).toBe(false);
  });

  it("refuses a bilinear scale_factor whose output size ONNX's float32 rule makes another (E0712), and takes one it does not", async () => {
    const specOf = (f: number) => `cnnc: 1\nname: Up\ninput: { shape: [1, 25, 25] }\nlayers:\n  - { kind: upsample, scale_factor: ${f}, mode: bilinear }\n  - flatten\n  - { kind: linear, name: fc, out_features: 2 }\nloss: { kind: cross_entropy }\noptimizer: { kind: sgd, lr: 0.1 }\n`;
    const bad = join(dir, 'up-bad.yaml'), good = join(dir, 'up-good.yaml');
    writeFileSync(bad, specOf(1.16));
    writeFileSync(good, specOf(1.2));
    const r = await cnnc('export', bad, '--to', 'onnx', '-o', join(dir, 'up-bad.onnx'));
    expect(r.code).toBe(1);
    expect(r.err).toContain("up-bad.yaml:5:13: error E0712: upsample_1: bilinear upsample by scale_factor is not supported by the onnx target here: its height 25 · 1.16 is 28 in PyTorch (double) but 29 in ONNX's Resize (float32); its width");
    expect(existsSync(join(dir, 'up-bad.onnx'))).toBe(false);
    expect((await cnnc('export', good, '--to', 'onnx', '-o', join(dir, 'up-good.onnx'))).code).toBe(0);
  });

  it('keeps an existing output without --force, and overwrites it with --force', async () => {
    const out = join(dir, 'exists.onnx');
    writeFileSync(out, 'keep me');
    const r = await cnnc('export', 'specs/gan-discriminator.yaml', '--to', 'onnx', '-o', out);
    expect(r).toEqual({ code: 1, out: '', err: `error: ${out} exists; pass --force to overwrite it\n` });
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect((await cnnc('export', 'specs/gan-discriminator.yaml', '--to', 'onnx', '-o', out, '--force')).code).toBe(0);
    expect(decode(out).graph?.name).toBe('GanDiscriminator');
  });

  it('refuses a directory as the output, with --force too', async () => {
    const r = await cnnc('export', 'specs/mnist.yaml', '--to', 'onnx', '-o', dir, '--force');
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: cannot write ${dir}: it is a directory; give a file name, e.g. -o ${dir}/model.onnx\n`);
  });

  it('gives bad --weights the errors cnnc eval --weights gives, and writes nothing', async () => {
    const corrupt = join(dir, 'corrupt.safetensors');
    writeFileSync(corrupt, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    const foreign = (await weightsFor('specs/gan-discriminator.yaml', 1)).file;
    for (const weights of [join(dir, 'missing.safetensors'), corrupt, foreign]) {
      const out = join(dir, 'bad-weights.onnx');
      const e = await cnnc('export', 'specs/mnist.yaml', '--to', 'onnx', '-o', out, '--weights', weights);
      const v = await cnnc('eval', 'specs/mnist.yaml', '--weights', weights);
      expect(e.code).toBe(1);
      expect(e.err).toMatch(new RegExp(`^error: .*${weights.split('/').at(-1)!.replace('.', '\\.')}`));
      expect(e.err).toBe(v.err);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('refuses a --to it does not know, and a missing --to or -o, as usage errors (exit 2)', async () => {
    const bad = await cnnc('export', 'specs/mnist.yaml', '--to', 'tflite', '-o', join(dir, 'x'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/argument 'tflite' is invalid\. Allowed choices are onnx/);
    expect((await cnnc('export', 'specs/mnist.yaml', '-o', join(dir, 'x'))).code).toBe(2);
    expect((await cnnc('export', 'specs/mnist.yaml', '--to', 'onnx')).code).toBe(2);
  });

  it('reports a spec with errors as cnnc build does, exit 1, no file', async () => {
    const spec = join(dir, 'broken.yaml');
    writeFileSync(spec, 'cnnc: 1\nname: Broken\ninput: { shape: [1, 8, 8] }\nlayers:\n  - { kind: conv2d, out_channels: 0, kernel_size: 3 }\nloss: { kind: cross_entropy }\noptimizer: { kind: sgd, lr: 0.1 }\n');
    const out = join(dir, 'broken.onnx');
    const r = await cnnc('export', spec, '--to', 'onnx', '-o', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/broken\.yaml:5:\d+: error E02\d\d/);
    expect(existsSync(out)).toBe(false);
  });
});

// `cnnc export SPEC --to pytorch -o DIR` as a user runs it: what it writes (golden files for specs/mnist.yaml, the same
// bytes from any folder), what it refuses (E0720–E0722 at the spec's line and column, naming the layer and the target;
// an existing DIR without --force; a target other than pytorch), and that a spec's strings cannot inject Python.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cnnc } from '../cli.js';
import { pythonOutput, torchMissing } from '../torch.js';
import { exportOrThrow } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'cnnc-export-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mnist = readFileSync('specs/mnist.yaml', 'utf8');

describe('golden: the export of specs/mnist.yaml', () => {
  const files = exportOrThrow(mnist, 'mnist.yaml');
  for (const name of ['model.py', 'train.py', 'README.md'] as const) {
    it(`→ __golden__/mnist/${name}`, async () => {
      await expect(files[name]).toMatchFileSnapshot(`__golden__/mnist/${name}`);
    });
  }

  it('the CLI writes those bytes, whichever folder the spec is read from, with the digits as IDX files', async () => {
    const out = join(root, 'mnist');
    const r = await cnnc('export', join(process.cwd(), 'specs/mnist.yaml'), '--to', 'pytorch', '-o', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const name of ['model.py', 'train.py', 'README.md'] as const) expect(readFileSync(join(out, name), 'utf8')).toBe(files[name]);
    expect(readFileSync(join(out, 'spec.yaml'), 'utf8')).toBe(mnist);
    expect(readdirSync(join(out, 'data')).sort()).toEqual(['test-images.idx', 'test-labels.idx', 'train-images.idx', 'train-labels.idx']);
    // mnist10k: 1,996 test digits of 28×28 float32 (IDX type 0x0D), labels ubyte.
    const head = readFileSync(join(out, 'data', 'test-images.idx')).subarray(0, 16);
    expect([...head.subarray(0, 4)]).toEqual([0, 0, 0x0d, 3]);
    expect([head.readUInt32BE(4), head.readUInt32BE(8), head.readUInt32BE(12)]).toEqual([1996, 28, 28]);
    expect(readFileSync(join(out, 'data', 'test-labels.idx')).length).toBe(8 + 1996);
    expect(readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([]); // the temp folder was renamed, not left
  });
});

describe('an existing output folder', () => {
  it('is refused without --force, untouched; --force replaces it whole', async () => {
    const out = join(root, 'existing');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const r = await cnnc('export', 'specs/mnist.yaml', '--to', 'pytorch', '-o', out);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${out} exists; pass --force to replace it, or choose another -o\n`);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    const f = await cnnc('export', 'specs/mnist.yaml', '--to', 'pytorch', '-o', out, '--force');
    expect(f.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'data', 'model.py', 'spec.yaml', 'train.py']);
  });

  it('a spec with errors writes nothing', async () => {
    const spec = join(root, 'broken.yaml');
    writeFileSync(spec, mnist.replace('out_features: 10', 'out_features: -1'));
    const r = await cnnc('export', spec, '--to', 'pytorch', '-o', join(root, 'never'));
    expect(r.code).toBe(1);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });
});

describe('flags', () => {
  it('--to accepts onnx and pytorch only (exit 2, the choices listed)', async () => {
    const r = await cnnc('export', 'specs/mnist.yaml', '--to', 'tensorflow', '-o', join(root, 'tf'));
    expect(r.code).toBe(2);
    expect(r.err).toContain("argument 'tensorflow' is invalid. Allowed choices are onnx, pytorch.");
  });

  it('--weights is refused for pytorch (exit 1, as its other flag refusals, naming onnx), and nothing is written', async () => {
    const r = await cnnc('export', 'specs/mnist.yaml', '--to', 'pytorch', '--weights', 'w.safetensors', '-o', join(root, 'w'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('--weights is for --to onnx');
    expect(existsSync(join(root, 'w'))).toBe(false);
  });

  it('--to and -o are required (exit 2)', async () => {
    expect((await cnnc('export', 'specs/mnist.yaml', '-o', join(root, 'x'))).code).toBe(2);
    expect((await cnnc('export', 'specs/mnist.yaml', '--to', 'pytorch')).code).toBe(2);
  });
});

/** A spec file in `root`; its diagnostics from `cnnc export`. */
async function refused(name: string, yaml: string): Promise<{ code: number; err: string; spec: string }> {
  const spec = join(root, name);
  writeFileSync(spec, yaml);
  const r = await cnnc('export', spec, '--to', 'pytorch', '-o', join(root, `${name}.out`));
  expect(existsSync(join(root, `${name}.out`))).toBe(false);
  return { code: r.code, err: r.err, spec };
}

const base = (layers: string[], extra: string[] = []): string => [
  'cnnc: 1', 'name: Net', 'input: { shape: [1, 8, 8] }', 'layers:', ...layers.map((l) => `  - ${l}`), 'loss: { kind: cross_entropy }', 'optimizer: { kind: sgd, lr: 0.1 }', ...extra, '',
].join('\n');

describe('what PyTorch cannot express: a positioned diagnostic naming the layer and the target', () => {
  it('E0720: a layer named after an nn.Module attribute (forward), at its name', async () => {
    const r = await refused('forward.yaml', base(['{ kind: conv2d, name: forward, out_channels: 2, kernel_size: 3 }', 'flatten', '{ kind: linear, out_features: 3 }']));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${r.spec}:5:27: error E0720: layer forward cannot be expressed by the pytorch export: forward is an attribute of torch.nn.Module`);
    expect(r.err).toContain('> 5 |   - { kind: conv2d, name: forward,');
  });

  it('E0720: a block named with a Python keyword, and a layer inside blocks named after an nn.ModuleDict method', async () => {
    const yaml = ['cnnc: 1', 'name: Blk', 'input: { shape: [1, 8, 8] }', 'blocks:', '  B:', '    layers:',
      '      - { kind: conv2d, name: keys, out_channels: 2, kernel_size: 3, padding: 1 }', '      - relu',
      'layers:', '  - { block: B, name: lambda, repeat: 2 }', '  - flatten', '  - { kind: linear, name: fc, out_features: 3 }',
      'loss: { kind: cross_entropy }', 'optimizer: { kind: sgd, lr: 0.1 }', ''].join('\n');
    const r = await refused('blocks.yaml', yaml);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error E0720: block lambda (holding layer lambda.0.keys) cannot be expressed by the pytorch export: lambda is a Python keyword');
    expect(r.err).toContain(`${r.spec}:7:31: error E0720: layer lambda.0.keys cannot be expressed by the pytorch export: keys is an attribute of torch.nn.ModuleDict`);
    expect(r.err.match(/E0720: layer lambda\.\d\.keys/g)).toHaveLength(1); // one definition, one diagnostic
  });

  it('E0721: color_jitter in an image folder\'s train_transforms, at the transform', async () => {
    const r = await refused('jitter.yaml', base(['flatten', '{ kind: linear, out_features: 3 }'], [
      'data:', '  source: folder', '  path: imgs', '  train_transforms:', '    - random_horizontal_flip', '    - { kind: color_jitter, brightness: 0.2 }']));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${r.spec}:14:7: error E0721: data.train_transforms[1]: color_jitter`);
    expect(r.err).toContain('cannot be expressed by the pytorch export');
  });

  it('E0722: real-vs-fake on IDX files, at data.task', async () => {
    const r = await refused('fakes.yaml', base(['flatten', '{ kind: linear, out_features: 1 }'], ['data: { source: idx, path: /nowhere, task: real-vs-fake }'])
      .replace('cross_entropy', 'bce_with_logits'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${r.spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error E0722: task real-vs-fake on IDX files cannot be expressed by the pytorch export`));
  });
});

describe.skipIf(torchMissing() !== null)('user strings cannot inject Python', () => {
  it('a spec whose file name, description, data path and class names try to break out of their literals', async () => {
    const dir = join(root, "evil\"'''\ndir");
    mkdirSync(dir);
    const pwned = join(root, 'PWNED');
    const attack = `x"; open(${JSON.stringify(pwned)}, "w"); "'''\\`;
    const spec = join(dir, "q\"uote'''\n#.yaml");
    const yaml = base(['flatten', '{ kind: linear, name: fc, out_features: 2 }'], [
      `description: ${JSON.stringify(`""" ${attack} \u2028 \r next`)}`,
      `data: { source: folder, path: ${JSON.stringify(attack)}, classes: [${JSON.stringify(attack)}, "b\\u0000\\n"] }`,
    ]).replace('input: { shape: [1, 8, 8] }', 'input: { shape: [1, 8, 8] }');
    writeFileSync(spec, yaml);
    const out = join(root, 'evil-out');
    const r = await cnnc('export', spec, '--to', 'pytorch', '-o', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const check = String.raw`
import ast, json, sys
sys.path.insert(0, sys.argv[1])
for f in ('model.py', 'train.py'):
    ast.parse(open(sys.argv[1] + '/' + f, encoding='utf-8').read())
import model
print(json.dumps({'path': model.DATA['path'], 'classes': model.DATA['classes'], 'file': model.SPEC_FILE}))
`;
    const got = JSON.parse(await pythonOutput(['-c', check, out])) as { path: string; classes: string[]; file: string };
    expect(got.path.endsWith(attack)).toBe(true);
    expect(got.classes).toEqual([attack, 'b\u0000\n']);
    expect(got.file).toBe("q\"uote'''\n#.yaml");
    expect(existsSync(pwned)).toBe(false);
    // Comments hold no line break of the spec's text: every line of model.py parses as code or a one-line comment.
    expect(readFileSync(join(out, 'model.py'), 'utf8')).not.toContain('\r');
  });
});

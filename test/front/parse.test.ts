// The YAML reader and its source map: positions, limits and the plain-data guarantee.
import { describe, expect, it } from 'vitest';
import { MAX_SOURCE_BYTES, parse } from '../../compiler/1-parse/parse.js';
import { validate } from '../../compiler/2-validate/validate.js';

const SOURCE = `# a comment
cnnc: 1
layers:
  - relu
  - kind: conv2d
    kernel_size: [3, 5]
loss: { kind: nll }
`;

describe('source map', () => {
  const { map, doc, diagnostics } = parse(SOURCE, 'm.yaml');

  it('parses to plain data', () => {
    expect(diagnostics).toEqual([]);
    expect(doc).toEqual({ cnnc: 1, layers: ['relu', { kind: 'conv2d', kernel_size: [3, 5] }], loss: { kind: 'nll' } });
  });

  it('spans values and keys, 1-based', () => {
    expect(map.value(['cnnc'])).toMatchObject({ file: 'm.yaml', line: 2, col: 7, endLine: 2, endCol: 8 });
    expect(map.key(['cnnc'])).toMatchObject({ line: 2, col: 1, endCol: 5 });
    expect(map.value(['layers', 1, 'kernel_size', 1])).toMatchObject({ line: 6, col: 22, endCol: 23 });
    expect(map.value(['loss', 'kind'])).toMatchObject({ line: 7, col: 15, endCol: 18 });
  });

  it('gives an array item as its own key', () => {
    expect(map.key(['layers', 0])).toMatchObject({ line: 4, col: 5, endCol: 9 });
  });

  it('falls back to the nearest existing ancestor', () => {
    expect(map.value(['layers', 1, 'out_channels'])).toEqual(map.value(['layers', 1]));
    expect(map.key(['layers', 1, 'out_channels'])).toEqual(map.key(['layers', 1]));
    expect(map.value(['layers', 9])).toEqual(map.value(['layers']));
    expect(map.value(['nothing', 'here'])).toMatchObject({ line: 2, col: 1 });
  });

  it('trims the newline a block collection ends with', () => {
    expect(map.value(['layers', 1])).toMatchObject({ line: 5, col: 5, endLine: 6, endCol: 24 });
  });

  it('points through aliases at the anchor', () => {
    const p = parse('a: &k { x: 1 }\nb: *k\n', 'a.yaml');
    expect(p.map.value(['b', 'x'])).toMatchObject({ line: 1, col: 12 });
  });
});

describe('reader limits', () => {
  it('refuses a file larger than 1 MiB without parsing it', () => {
    const { doc, diagnostics } = parse(`# ${'x'.repeat(MAX_SOURCE_BYTES)}\n`, 'big.yaml');
    expect(doc).toBeNull();
    expect(diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([['E0106', 1, 1]]);
  });

  it('refuses absurd nesting before the YAML parser sees it, in linear time', () => {
    const cases = {
      flow: `a: ${'['.repeat(300_000)}`,
      // A quote inside a plain word does not hide the brackets after it.
      quoteTrick: `a: [x' ${'['.repeat(100)}`,
      compactDashes: `${'- '.repeat(100_000)}x`,
      indentation: Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'),
    };
    for (const [name, source] of Object.entries(cases)) {
      const t = performance.now();
      const { doc, diagnostics } = parse(source, 'deep.yaml');
      expect(performance.now() - t, name).toBeLessThan(2000);
      expect(doc, name).toBeNull();
      expect(diagnostics.map((d) => d.code), name).toEqual(['E0105']);
    }
  });

  it('allows the nesting real specs use, brackets in strings and comments included', () => {
    const { diagnostics } = parse(`a: { b: [[1, 2], [3, 4]] }  # ${'['.repeat(100)}\nc: "${'{'.repeat(100)}"\nd: '${'['.repeat(100)}'\n`, 'ok.yaml');
    expect(diagnostics).toEqual([]);
  });

  it('finds duplicate keys in a large mapping quickly, and `1` next to `"1"`', () => {
    const source = Array.from({ length: 40_000 }, (_, i) => `k${i}: 1`).join('\n') + '\nk7: 2\n1: a\n"1": b\n';
    const t = performance.now();
    const { diagnostics } = parse(source, 'keys.yaml');
    expect(performance.now() - t).toBeLessThan(5000);
    expect(diagnostics.map((d) => `${d.code} ${d.line}:${d.col}`)).toEqual(['E0103 40001:1', 'E0103 40003:1']);
  });

  it('allows a few aliases', () => {
    const { doc, diagnostics } = parse('k: &k 3\na: *k\nb: *k\n', 'a.yaml');
    expect(diagnostics).toEqual([]);
    expect(doc).toEqual({ k: 3, a: 3, b: 3 });
  });

  it('refuses core tags too: a spec is plain data', () => {
    expect(parse('a: !!str 3\n', 't.yaml').diagnostics.map((d) => d.code)).toEqual(['E0107']);
  });

  it('reports every YAML error at once, in source order', () => {
    const { diagnostics } = parse('a: 1\na: 2\nb: {x: 1, x: 2}\n', 'd.yaml');
    expect(diagnostics.map((d) => `${d.code} ${d.line}:${d.col}`)).toEqual(['E0103 2:1', 'E0103 3:11']);
  });

  it('does not let __proto__ reach an object prototype; the schema refuses the key', () => {
    const { doc, map } = parse('__proto__: { polluted: true }\ncnnc: 1\n', 'p.yaml');
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const { diagnostics } = validate(doc, map);
    expect(diagnostics.find((d) => d.code === 'E0201')).toMatchObject({ line: 1, col: 1, message: 'unknown key `__proto__` at the top level of the spec' });
  });
});

describe('validate', () => {
  it('reports every problem of a spec at once, in source order', () => {
    const source = `cnnc: 2
name: 1net
input: { shape: [1, 28, 28] }
layers:
  - { kind: conv2, out_channels: 32, kernel_size: 3 }
  - { kind: conv2d, kernal_size: 3, out_channels: "32", padding: sam }
  - rleu
  - kind: dropout
    p: 1.5
  - 5
loss: {}
optimizer: { kind: adam, lr: -1, betas: [0.9, 1] }
train: { batch_size: 0, epochs: 1 }
data: { source: imagenet }
`;
    const p = parse(source, 'many.yaml');
    const { spec, diagnostics } = validate(p.doc, p.map);
    expect(spec).toBeNull();
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([
      '1:7 E0206 `cnnc: 2` is not a spec format version this cnnc reads (it reads 1)',
      '2:7 E0208 `1net` is not an identifier',
      '5:13 E0202 unknown layer kind `conv2`',
      '6:21 E0201 unknown key `kernal_size` in this conv2d layer',
      '6:51 E0203 `out_channels` must be an integer, got the string "32"',
      '6:66 E0207 `padding` must be an integer, a pair [h, w], `valid` or `same`, got `sam`',
      '7:5 E0202 unknown layer kind `rleu`',
      '9:8 E0205 `p` must be in [0, 1), got 1.5',
      '10:5 E0203 `layers[4]` must be a layer kind (`- relu`) or a mapping with `kind`, got 5',
      '11:1 E0204 `loss` is missing `kind`',
      '12:30 E0205 `lr` must be > 0, got -1',
      '12:47 E0205 `betas[1]` must be in [0, 1), got 1',
      '13:22 E0205 `batch_size` must be ≥ 1, got 0',
      '14:17 E0202 unknown data source `imagenet`',
    ]);
  });

  it('reports only the chosen kind\'s problems, not every branch of the union', () => {
    const p = parse('cnnc: 1\nname: n\ninput: { shape: [4] }\nlayers: [{ kind: linear, out_features: 0 }]\nloss: { kind: nll }\noptimizer: { kind: adam }\n', 'u.yaml');
    expect(validate(p.doc, p.map).diagnostics.map((d) => d.message)).toEqual(['`out_features` must be ≥ 1, got 0']);
  });

  it('suggests nothing when no allowed word is close', () => {
    const p = parse('cnnc: 1\nname: n\ninput: { shape: [4] }\nlayers: [transformer]\nloss: { kind: nll }\noptimizer: { kind: adam }\n', 'u.yaml');
    const [d] = validate(p.doc, p.map).diagnostics;
    expect(d).toMatchObject({ code: 'E0202', line: 4, col: 10 });
    expect(d!.hint).toMatch(/^one of `relu`, /);
  });
});

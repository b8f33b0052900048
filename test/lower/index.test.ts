// The recipe end to end: checkSource / checkFile on the shipped specs and on broken ones.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkFile, checkSource, specHash } from '../../compiler/index.js';
import type { Spec } from '../../compiler/spec/types.js';
import { brief, pos } from './helpers.js';

const mnistPath = new URL('../../specs/mnist.yaml', import.meta.url).pathname;
const mnist = readFileSync(mnistPath, 'utf8');

describe('checkSource', () => {
  it('compiles both shipped specs without a diagnostic', () => {
    for (const f of ['mnist.yaml', 'conv-features.yaml']) {
      const r = checkFile(new URL(`../../specs/${f}`, import.meta.url).pathname);
      expect(brief(r.diagnostics), f).toEqual([]);
      expect(r.ir, f).not.toBeNull();
    }
  });

  it("warns, sorted by position, on the seed's cross_entropy after log_softmax", () => {
    const src = mnist.replace('loss: { kind: nll }', 'loss: { kind: cross_entropy }').replace('p: 0.5 }', 'p: 0 }');
    const r = checkSource(src, 'mnist.yaml');
    expect(r.ir).not.toBeNull();
    expect(r.diagnostics.map((d) => `${d.line} ${d.code}`)).toEqual(['21 W0606', '23 W0602']);
    expect(r.diagnostics[1]!.frame).toContain('> 23 |   - log_softmax\n     |     ^^^^^^^^^^^');
  });

  it('stops at validation errors: no shape errors echo them', () => {
    const r = checkSource(mnist.replace('out_channels: 32', 'out_channels: -1'), 'mnist.yaml');
    expect(r.ir).toBeNull();
    expect(r.diagnostics.every((d) => d.code.startsWith('E02'))).toBe(true);
    expect(r.diagnostics.length).toBeGreaterThan(0);
  });

  it('reports shape errors at the YAML position', () => {
    const src = mnist.replace('kind: linear, name: fc1, out_features: 128', 'kind: linear, name: fc1, in_features: 9000, out_features: 128');
    const r = checkSource(src, 'm.yaml');
    expect(brief(r.diagnostics)).toEqual([`${pos(src, '9000')} E0406 fc1: in_features is 9000, but its input has 9216 features`]);
    expect(r.diagnostics[0]!.file).toBe('m.yaml');
  });

  it('a missing file is an error result, not a throw or a diagnostic', () => {
    const r = checkFile('/no/such/spec.yaml');
    expect(r).toEqual({ ir: null, diagnostics: [], error: 'cannot read /no/such/spec.yaml: no such file' });
  });
});

describe('specHash', () => {
  it('is sha256 of the canonical JSON: key order, comments and whitespace do not change it', () => {
    const a = checkSource(mnist, 'a.yaml').ir!;
    const b = checkSource(`# another comment\n${mnist.replace('{ kind: adam, lr: 0.001 }', '{ lr: 0.001,   kind: adam }')}`, 'b.yaml').ir!;
    expect(a.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.specHash).toBe(a.specHash);
    const c = checkSource(mnist.replace('lr: 0.001', 'lr: 0.002'), 'c.yaml').ir!;
    expect(c.specHash).not.toBe(a.specHash);
  });

  it('hashes keys sorted at every depth', () => {
    const x = { cnnc: 1, name: 'A', input: { shape: [1, 2, 2] } } as unknown as Spec;
    const y = { input: { shape: [1, 2, 2] }, name: 'A', cnnc: 1 } as unknown as Spec;
    expect(specHash(x)).toBe(specHash(y));
    // sha256 of '{"cnnc":1,"input":{"shape":[1,2,2]},"name":"A"}'
    expect(specHash(x)).toBe('47a4a1964726e9e6b878c7dc900df739cc82b08d9f8853fff32c236dacbeb96b'); // from sha256sum
  });
});

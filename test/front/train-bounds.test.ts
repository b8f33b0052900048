// train.seed and train.epochs values that once passed `check` and then crashed `train` (issue 14,
// item 2) are refused by the schema, at the value, with the range the runtime can honour.
import { describe, expect, it } from 'vitest';
import { parse } from '../../compiler/1-parse/parse.js';
import { validate } from '../../compiler/2-validate/validate.js';
import { underlined } from './frame.js';

const spec = (train: string) =>
  `cnnc: 1\nname: T\ninput: { shape: [1, 8, 8] }\nlayers:\n  - flatten\n  - { kind: linear, out_features: 10 }\n  - log_softmax\n` +
  `loss: { kind: nll }\noptimizer: { kind: adam }\ntrain: { ${train} }\n`;

function errors(train: string) {
  const p = parse(spec(train), 'spec.yaml');
  expect(p.diagnostics).toEqual([]);
  return validate(p.doc, p.map).diagnostics.filter((d) => d.severity === 'error');
}

describe('train settings the runtime cannot run are refused by check', () => {
  it.each([
    ['seed: 1e300', 'about 1.000e+300', '1e300'],
    // read rounded to 9007199254740992: the message must not quote that number as if the user wrote it
    ['seed: 9007199254740993', 'about 9.007e+15', '9007199254740993'],
    ['seed: 4294967296', '4294967296', '4294967296'],
    ['seed: -1', '-1', '-1'],
  ])('%s: E0205 at the value, with the 32-bit range', (train, shown, text) => {
    const [d, ...rest] = errors(train);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ code: 'E0205', line: 10, col: 16, message: `\`seed\` must be in [0, 4294967295], got ${shown}` });
    expect(underlined(d!.frame)).toBe(text);
  });

  it('epochs: 2^53 + 1 is refused (at most 1,000,000)', () => {
    const [d, ...rest] = errors('epochs: 9007199254740993');
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ code: 'E0205', line: 10, col: 18, message: '`epochs` must be in [1, 1000000], got about 9.007e+15' });
    expect(underlined(d!.frame)).toBe('9007199254740993');
  });

  it('the largest accepted values still pass', () => {
    expect(errors('seed: 4294967295, epochs: 1000000')).toEqual([]);
  });
});

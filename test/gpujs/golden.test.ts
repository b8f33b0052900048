// Golden generated code for the gpu.js target, as test/codegen/golden.test.ts has for the TypeScript
// target: every change to its kernels shows up in review. Refresh on purpose with
// `npx vitest run test/gpujs/golden.test.ts -u`. And its index math is folded: a kernel written for
// shapes known at compile time reads `x[cc]`, not `x[0 * 1 + cc]` inside `if (true)`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../compiler/index.js';
import { SPECS } from '../codegen/helpers.js';

const GOLDEN = ['mnist.yaml', 'conv-features.yaml'];

function gpujs(spec: string): string {
  const r = build(readFileSync(join(SPECS, spec), 'utf8'), spec, { target: 'gpujs' });
  if (r.code === null) throw new Error(`${spec} does not build for gpujs: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.code;
}

describe('gpu.js golden generated code', () => {
  for (const spec of GOLDEN) {
    it(`${spec} → __golden__/${spec.replace(/\.yaml$/, '')}.gpujs.ts`, async () => {
      await expect(gpujs(spec)).toMatchFileSnapshot(`__golden__/${spec.replace(/\.yaml$/, '')}.gpujs.ts`);
    });
  }
});

/** What constant folding leaves out, with an example of each. */
const UNFOLDED: readonly (readonly [string, RegExp])[] = [
  ['a condition that always holds: if (true)', /if \(true\)/],
  ['a product with a zero: 0 * 32', /(^|[^\w.])0 \* /],
  ['a product with one: s * 1, 1 * c', /(\w \* 1(?![\w.])|(^|[^\w.])1 \* )/],
  ['a division by one: Math.floor(r0 / 1)', /\/ 1\)/],
  ['a sum with zero: x + 0', /[+-] 0(?![\w.])/],
  ['a weight decay of zero: G[i] + 0.0 * P[i]', /0\.0 \* /],
  ['a factor of one: * 1.0 *', /\* 1\.0 \*/],
];

describe('gpu.js kernels have their constants folded', () => {
  const specs = readdirSync(SPECS).filter((f) => f.endsWith('.yaml')).sort();
  it.each(specs)('%s', (spec) => {
    const found: string[] = [];
    gpujs(spec).split('\n').forEach((line, i) => {
      for (const [what, re] of UNFOLDED) if (re.test(line)) found.push(`line ${i + 1}: ${what}: ${line.trim()}`);
    });
    expect(found, found.join('\n')).toEqual([]);
  });
});

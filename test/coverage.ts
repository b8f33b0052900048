// Coverage tables keyed by the IR's node kinds, for the suites that claim "every layer kind": the
// finite-difference checks (test/codegen/fd.ts), the PyTorch parity (test/reference/pytorch.test.ts)
// and the gpu.js parity (test/gpujs/helpers.ts). A table is a Record<NodeKind, …>, so a kind added to
// the Node union of compiler/ir/types.ts does not type-check until each table says which cases check
// it (or why none can); coverageProblems() holds each entry to the cases that really run.
import { checkSource } from '../compiler/index.js';
import { ACTIVATION_KINDS } from '../compiler/ir/activations.js';
import type { ActivationKind, NodeKind } from '../compiler/ir/types.js';

/** A case of a suite: `<file> › <title>`, as vitest prints a test (the title is the case's, not the `it`'s). */
export type CaseRef<F extends string> = `${F} › ${string}`;

/** The cases that check a kind (each must contain a node of that kind), or why the suite checks none. */
export type Coverage<F extends string> = readonly [CaseRef<F>, ...CaseRef<F>[]] | { readonly none: string };

export type CoverageTable<F extends string> = Readonly<Record<NodeKind, Coverage<F>>>;

/** One case as a file runs it: its title and the spec it builds. */
export interface RunCase {
  readonly title: string;
  readonly yaml: string;
}

/** The node kinds a spec lowers to. Throws on a spec the compiler refuses (a case that cannot run). */
export function nodeKinds(yaml: string, file = 'case.yaml'): ReadonlySet<NodeKind> {
  const { ir, diagnostics } = checkSource(yaml, file);
  if (ir === null) throw new Error(`${file} does not lower:\n${diagnostics.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  return new Set(ir.nodes.map((n) => n.kind));
}

/**
 * What is wrong with the entries of `table` that concern `file`, whose cases are `cases`: a reference
 * to a title that is no case there, a referenced case without a node of the kind, and a kind the table
 * says has no case although one of these cases contains it. Empty when the table tells the truth.
 */
export function coverageProblems<F extends string>(table: CoverageTable<F>, file: F, cases: readonly RunCase[]): string[] {
  const kinds = new Map(cases.map((c) => [c.title, nodeKinds(c.yaml, `${file} › ${c.title}`)] as const));
  const prefix = `${file} › `;
  const problems: string[] = [];
  for (const [kind, coverage] of Object.entries(table) as [NodeKind, Coverage<F>][]) {
    if ('none' in coverage) {
      const holders = [...kinds].filter(([, k]) => k.has(kind)).map(([title]) => title);
      if (holders.length > 0) problems.push(`${kind}: the table says no case checks it ("${coverage.none}"), but ${holders.map((t) => `"${t}"`).join(', ')} in ${file} contain it`);
      continue;
    }
    for (const ref of coverage) {
      if (!ref.startsWith(prefix)) continue;
      const title = ref.slice(prefix.length);
      const has = kinds.get(title);
      if (has === undefined) problems.push(`${kind}: "${ref}" is no case of ${file}`);
      else if (!has.has(kind)) problems.push(`${kind}: "${ref}" has no ${kind} node (it has ${[...has].join(', ')})`);
    }
  }
  return problems;
}

/** The activations' entries of a table: every kind of compiler/ir/activations.ts is checked by the case
 *  `ref`, which each suite builds from that table (everyActivation) or, for PyTorch, the fixture spec that
 *  lists them; coverageProblems() still holds the case to containing each kind. A new activation thus
 *  needs no entry of its own, and cannot go unchecked. */
export function activationCoverage<F extends string>(ref: CaseRef<F>): Readonly<Record<ActivationKind, Coverage<F>>> {
  return Object.fromEntries(ACTIVATION_KINDS.map((k) => [k, [ref]])) as unknown as Record<ActivationKind, Coverage<F>>;
}

/** A case's layers with every activation of the table, each after its own 3×3 convolution of the input (so
 *  its input has both signs and its gradient reaches a weight), side by side: the branches are concatenated
 *  into a linear head. Side by side, not in a chain: through nine activations in a row (sigmoid's slope is at
 *  most 1/4, hardsigmoid's 1/6) the first convolutions' gradients fell to ~1e-6, under finite differences'
 *  noise floor (~1e-10 absolute), and each new activation would have made it worse. */
export function everyActivation(channels: number): string[] {
  // A gpu.js kernel reads at most 7 tensors (E0701): past 6 branches, concatenated in groups of nearly
  // equal size (at least 2 each, as concat needs), then the groups.
  const acts = ACTIVATION_KINDS.map((_, i) => `act${i + 1}`);
  const k = Math.ceil(acts.length / 6);
  const groups = Array.from({ length: k }, (_, j) => acts.slice(Math.floor((j * acts.length) / k), Math.floor(((j + 1) * acts.length) / k)));
  const joins = k === 1
    ? [`{ kind: concat, name: cat, inputs: [${acts.join(', ')}] }`]
    : [...groups.map((g, j) => `{ kind: concat, name: cat${j + 1}, inputs: [${g.join(', ')}] }`), `{ kind: concat, name: cat, inputs: [${groups.map((_, j) => `cat${j + 1}`).join(', ')}] }`];
  return [
    ...ACTIVATION_KINDS.flatMap((kind, i) => [
      `{ kind: conv2d, name: a${i + 1}, inputs: [input], out_channels: ${channels}, kernel_size: 3 }`,
      `{ kind: ${kind}, name: act${i + 1} }`,
    ]),
    ...joins,
    'flatten',
    '{ kind: linear, name: fc, out_features: 3 }',
  ];
}

// The layer kinds of the JSON schema are exactly the IR's node kinds, and tools/pytorch/spec_to_torch.py
// (the PyTorch side of every reference fixture and of the checkpoint test) builds, for each of them, the
// torch.nn module it is named after. Python is asked itself: torch_layer_kinds.py calls make_layer once
// per kind. That half skips where Debian's PyTorch (/usr/bin/python3 with torch) is absent.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_KINDS, ACTIVATIONS } from '../../compiler/ir/activations.js';
import type { ActivationKind, NodeKind } from '../../compiler/ir/types.js';
import schema from '../../compiler/spec/cnnc.schema.json' with { type: 'json' };
import { PY, skipWithoutTorch } from '../torch.js';

const PROBE = fileURLToPath(new URL('./torch_layer_kinds.py', import.meta.url));

/** The module make_layer returns for each kind (add and concat are spec_to_torch's own): a Record keyed by
 *  NodeKind, so a kind added to the IR does not type-check until it names its PyTorch module here. */
const TORCH_MODULE: Record<NodeKind, string> = {
  // The activations name their module in their rule (compiler/ir/activations.ts: `torch`).
  ...(Object.fromEntries(ACTIVATION_KINDS.map((k) => [k, ACTIVATIONS[k].torch.replace(/^nn\./, '')])) as Record<ActivationKind, string>),
  conv2d: 'Conv2d', maxpool2d: 'MaxPool2d', avgpool2d: 'AvgPool2d', batchnorm2d: 'BatchNorm2d', dropout: 'Dropout', dropout2d: 'Dropout2d',
  flatten: 'Flatten', linear: 'Linear', softmax: 'Softmax', log_softmax: 'LogSoftmax',
  conv_transpose2d: 'ConvTranspose2d', upsample: 'Upsample', global_avgpool2d: 'AdaptiveAvgPool2d',
  adaptive_avgpool2d: 'AdaptiveAvgPool2d', adaptive_maxpool2d: 'AdaptiveMaxPool2d', add: 'Add',
  concat: 'Concat',
};
const MODULE_OF: ReadonlyMap<string, string> = new Map(Object.entries(TORCH_MODULE));
const NODE_KINDS: readonly string[] = [...MODULE_OF.keys()];

/** The kinds a layer mapping may have, and those a bare word may be (compiler/spec/cnnc.schema.json). */
const SCHEMA_KINDS: readonly string[] = schema.$defs.layer.else.properties.kind.enum;
const BARE_WORD_KINDS: readonly string[] = schema.$defs.layer.then.enum;

const skip = skipWithoutTorch("test/reference/spec-to-torch.test.ts, spec_to_torch's modules");

describe('the layer kinds of cnnc.schema.json', () => {
  it("are the IR's node kinds: none without a node type, no node type without a schema kind", () => {
    expect(SCHEMA_KINDS.filter((k) => !NODE_KINDS.includes(k)), 'schema kinds with no IR node').toEqual([]);
    expect(NODE_KINDS.filter((k) => !SCHEMA_KINDS.includes(k)), 'IR node kinds the schema does not admit').toEqual([]);
    expect(new Set(SCHEMA_KINDS).size, 'schema kinds listed once').toBe(SCHEMA_KINDS.length);
  });

  it('admit as bare words only kinds it has as mappings', () => {
    expect(BARE_WORD_KINDS.filter((k) => !SCHEMA_KINDS.includes(k))).toEqual([]);
  });
});

describe.skipIf(skip)('tools/pytorch/spec_to_torch.py (PyTorch via /usr/bin/python3)', () => {
  it("builds, for every layer kind of the schema, the torch.nn module it is named after", () => {
    const built = JSON.parse(execFileSync(PY, [PROBE, ...SCHEMA_KINDS], { encoding: 'utf8' })) as Record<string, { module?: string; error?: string }>;
    console.log(`spec_to_torch.make_layer:\n${SCHEMA_KINDS.map((k) => `  ${k.padEnd(18)} ${built[k]?.module ?? built[k]?.error}`).join('\n')}`);
    const want = Object.fromEntries(SCHEMA_KINDS.map((k) => [k, { module: MODULE_OF.get(k) }]));
    expect(built).toEqual(want);
  });
});

// The elementwise activations (compiler/ir/activations.ts): same shape as the input, any shape, no
// parameters; the kind's rule resolves its attributes (nn.LeakyReLU's negative_slope 0.01, …).
import { ACTIVATIONS, type ActivationRule, type SpecOf } from '../../ir/activations.js';
import type { ActivationKind, ActivationNode } from '../../ir/types.js';
import { sameShape, type LayerCtx, type LayerResult } from './common.js';

export function lowerActivation(spec: SpecOf<ActivationKind>, ctx: LayerCtx): LayerResult<ActivationNode> {
  // The table is keyed by kind, so this is the spec's own rule: TypeScript cannot follow that
  // correlation through the union of kinds, hence the widening casts.
  const rule = ACTIVATIONS[spec.kind] as ActivationRule<ActivationKind>;
  return { kind: spec.kind, ...rule.lower(spec), ...sameShape(ctx.x) } as LayerResult<ActivationNode>;
}

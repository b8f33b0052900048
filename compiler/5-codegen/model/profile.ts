// The profiling timers (GenerateOptions.profile, for `cnnc profile`): a performance.now() pair around
// each layer's forward and backward call, the loss and the optimizer step, adding milliseconds into a
// slot of the class's public `profileTimes` (slots: runtime/profile.ts). With profiling off (the
// default) none of this is emitted, so every other module's bytes are unchanged.
import { Scope, type OptionalKind, type PropertyDeclarationStructure } from 'ts-morph';
import { lossSlot, optimizerSlot, profileSlots } from '../../../runtime/profile.js';
import type { ModelParts } from './parts.js';

export function profileField(m: ModelParts): OptionalKind<PropertyDeclarationStructure>[] {
  if (!m.profile) return [];
  const n = m.planned.nodes.length;
  return [{
    name: 'profileTimes',
    isReadonly: true,
    scope: Scope.Public,
    type: 'Float64Array',
    initializer: `new Float64Array(${profileSlots(n)})`,
    docs: [`Profiling: ms added up per slot since zeroed; node i's forward in slot 2i, its backward in 2i + 1, the loss in ${lossSlot(n)}, the optimizer step in ${optimizerSlot(n)} (cnnc/runtime's profile.ts).`],
  }];
}

const START = 't = performance.now();';

/** `lines` timed into `slot`, or as they are when profiling is off; `t` is declared by withTimer. */
export function timed(m: ModelParts, slot: number, lines: readonly string[]): string[] {
  if (!m.profile || lines.length === 0) return [...lines];
  return [START, ...lines, `this.profileTimes[${slot}] += performance.now() - t;`];
}

/** A method's statements, with the timer's local declared first where they time anything. */
export function withTimer(lines: readonly string[]): string[] {
  return lines.includes(START) ? ['let t = 0;', ...lines] : [...lines];
}

/** The slots of the loss and of the optimizer step, for methods.ts. */
export const lossAndOptimizerSlots = (m: ModelParts): { loss: number; optimizer: number } =>
  ({ loss: lossSlot(m.planned.nodes.length), optimizer: optimizerSlot(m.planned.nodes.length) });

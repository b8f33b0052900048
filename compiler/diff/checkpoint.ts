// Do yesterday's weights load into today's model? PyTorch's load_state_dict matches tensors by
// name and refuses a shape mismatch ("size mismatch for conv1.weight"); cnnc's loadWeights does the
// same. So what loads is decided by name and shape alone; the layer alignment adds what a name
// cannot say: that a tensor was renamed (it will not load under the old name) or that a name now
// belongs to another layer (it loads, into the wrong place).
import type { ModelIR, ParamInfo, Shape } from '../ir/types.js';
import type { AlignedPair } from './align.js';
import type { CheckpointDiff, CheckpointVerdict, TensorDiff } from './types.js';

export function diffCheckpoint(a: ModelIR, b: ModelIR, rows: readonly AlignedPair[]): CheckpointDiff {
  const oldByName = new Map<string, ParamInfo>();
  for (const n of a.nodes) for (const p of n.params) oldByName.set(p.name, p);
  const newNames = new Set(b.nodes.flatMap((n) => n.params.map((p) => p.name)));

  const tensors: TensorDiff[] = [];
  const takenOld = new Set<string>(); // old tensors accounted for by a new tensor's row
  for (const row of rows) {
    const oldParams = row.old === null ? [] : a.nodes[row.old]!.params;
    const newParams = row.new === null ? [] : b.nodes[row.new]!.params;
    for (const p of newParams) {
      const counterpart = oldParams.find((q) => q.role === p.role) ?? null;
      const sameName = oldByName.get(p.name);
      if (sameName !== undefined) {
        takenOld.add(p.name);
        const status = !sameShape(sameName.shape, p.shape) ? 'reshaped' : counterpart?.name === p.name ? 'kept' : 'misplaced';
        tensors.push(entry(status, p.name, null, sameName.shape, p.shape));
      } else if (counterpart !== null) {
        takenOld.add(counterpart.name);
        tensors.push(entry('renamed', p.name, counterpart.name, counterpart.shape, p.shape));
      } else {
        tensors.push(entry('added', p.name, null, null, p.shape));
      }
    }
    for (const q of oldParams) {
      if (!newNames.has(q.name) && !takenOld.has(q.name)) tensors.push(entry('removed', q.name, null, q.shape, null));
    }
  }
  return { tensors, verdict: verdict(tensors, [...oldByName.keys()]) };
}

function verdict(tensors: readonly TensorDiff[], oldNames: readonly string[]): CheckpointVerdict {
  const names = (pred: (t: TensorDiff) => boolean): string[] => tensors.filter(pred).map((t) => t.name);
  const loaded = names((t) => t.status === 'kept' || t.status === 'misplaced');
  const notLoaded = names((t) => t.status === 'reshaped' || t.status === 'renamed' || t.status === 'added');
  // An old tensor is used only when a new tensor takes it by name with its shape.
  const taken = new Set(loaded);
  const unused = oldNames.filter((n) => !taken.has(n));
  const misplaced = names((t) => t.status === 'misplaced');
  const kind = notLoaded.length === 0 && unused.length === 0 ? 'full' : loaded.length > 0 ? 'partial' : 'none';
  return { kind, loaded, notLoaded, unused, misplaced };
}

function entry(status: TensorDiff['status'], name: string, oldName: string | null, oldShape: Shape | null, newShape: Shape | null): TensorDiff {
  return { status, name, oldName, oldShape: oldShape && [...oldShape], newShape: newShape && [...newShape] };
}

function sameShape(x: Shape, y: Shape): boolean {
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

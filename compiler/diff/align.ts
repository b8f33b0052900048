// Which layer of the old model is which layer of the new one.
//
// Layers the user named are matched by name first: the name is the user's statement of identity
// (and of the PyTorch parameter names). The rest are aligned as sequences (Needleman–Wunsch with a
// zero gap cost, i.e. a weighted longest common subsequence): two layers may pair only when their
// kinds agree, and a pair scores more the more of its attributes agree. So inserting one layer
// costs one gap and every later layer still pairs with itself, and a named layer whose name is gone
// pairs with the same-kind layer where it stood — a rename.
import type { Node } from '../ir/types.js';
import { attrSimilarity, layerAttrs, type LayerAttrs } from './attrs.js';

/** One row of the alignment: indices into the old and new node lists; null on the missing side. */
export interface AlignedPair {
  readonly old: number | null;
  readonly new: number | null;
}

/** Score of a by-name match: above any number of attribute-based pairs it could displace. */
const NAME_MATCH = 1e6;
/** Breaks ties between equal-looking unnamed layers in favour of the same generated name (relu_2 ↔ relu_2). */
const SAME_GENERATED_NAME = 0.01;

export function alignLayers(a: readonly Node[], b: readonly Node[]): AlignedPair[] {
  const byNameA = new Map(a.filter((n) => n.named).map((n) => [n.name, n]));
  const byNameB = new Map(b.filter((n) => n.named).map((n) => [n.name, n]));
  // A named layer whose name exists on the other side (with the same kind) may pair only with it.
  const partnerOf = (n: Node, other: Map<string, Node>): Node | null => {
    const p = n.named ? other.get(n.name) : undefined;
    return p !== undefined && p.kind === n.kind ? p : null;
  };
  const attrsA = a.map((n) => layerAttrs(n, a));
  const attrsB = b.map((n) => layerAttrs(n, b));
  const score = (i: number, j: number): number => pairScore(a[i]!, b[j]!, attrsA[i]!, attrsB[j]!, partnerOf(a[i]!, byNameB), partnerOf(b[j]!, byNameA));

  // best[i][j]: best score aligning a[i..] with b[j..].
  const n = a.length;
  const m = b.length;
  const best: Float64Array[] = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const s = score(i, j);
      const diag = s === -Infinity ? -Infinity : s + best[i + 1]![j + 1]!;
      best[i]![j] = Math.max(diag, best[i + 1]![j]!, best[i]![j + 1]!);
    }
  }

  // Walk forward: pair when pairing is optimal, else drop an old layer first (removed before added,
  // as a line diff prints them).
  const rows: AlignedPair[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m) {
      const s = score(i, j);
      if (s !== -Infinity && s + best[i + 1]![j + 1]! === best[i]![j]!) {
        rows.push({ old: i++, new: j++ });
        continue;
      }
      if (best[i + 1]![j]! === best[i]![j]!) rows.push({ old: i++, new: null });
      else rows.push({ old: null, new: j++ });
    } else if (i < n) {
      rows.push({ old: i++, new: null });
    } else {
      rows.push({ old: null, new: j++ });
    }
  }
  return rows;
}

function pairScore(x: Node, y: Node, ax: LayerAttrs, ay: LayerAttrs, partnerX: Node | null, partnerY: Node | null): number {
  if (x.kind !== y.kind) return -Infinity;
  if (partnerX !== null || partnerY !== null) return partnerX === y && partnerY === x ? NAME_MATCH : -Infinity;
  const tie = !x.named && !y.named && x.name === y.name ? SAME_GENERATED_NAME : 0;
  return 1 + attrSimilarity(ax, ay) + tie;
}

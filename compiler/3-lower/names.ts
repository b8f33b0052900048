// Node names: the spec's `name`, else `<kind>_<k>` where k counts that kind from 1 among all
// layers (named ones included), so naming one layer never renames another's parameters.
// Parameter names derive from node names (`conv1.weight`), so they must be unique.
import type { DocPath, SourceMap } from '../1-parse/source-map.js';
import type { LayerSpec } from '../spec/types.js';
import type { Report } from './report.js';

export interface LayerName {
  readonly name: string;
  readonly named: boolean;
}

/** Each layer's name: its own, else `<kind>_<k>`. */
export function layerNames(layers: readonly LayerSpec[]): LayerName[] {
  const counts = new Map<string, number>();
  return layers.map((l) => {
    const k = (counts.get(l.kind) ?? 0) + 1;
    counts.set(l.kind, k);
    return l.name !== undefined ? { name: l.name, named: true } : { name: `${l.kind}_${k}`, named: false };
  });
}

/** layerNames, after reporting a reserved or duplicate name; `pathOf(i)` is where layer i is written. */
export function nameLayers(layers: readonly LayerSpec[], pathOf: (i: number) => DocPath, map: SourceMap, report: Report): LayerName[] {
  const names = layerNames(layers);
  const nameAt = (i: number) => map.value([...pathOf(i), 'name']);
  const kindAt = (i: number) => map.value([...pathOf(i), 'kind']);
  const first = new Map<string, number>();
  names.forEach(({ name, named }, i) => {
    if (named && name === 'input') {
      report('E0303', 'the name `input` is reserved for the model input', nameAt(i), 'pick another name');
    }
    const j = first.get(name);
    if (j === undefined) {
      first.set(name, i);
      return;
    }
    const earlier = names[j]!;
    if (named && earlier.named) {
      report('E0301', `duplicate layer name \`${name}\`: line ${nameAt(j).line} already uses it`, nameAt(i),
        `names must be unique: parameters are named after them (\`${name}.weight\`)`);
    } else {
      // One of the two is generated; point at the name the user wrote.
      const [user, gen] = named ? [i, j] : [j, i];
      report('E0302',
        `\`${name}\` is also the generated name of the unnamed ${layers[gen]!.kind} on line ${kindAt(gen).line}`,
        nameAt(user), 'pick another name, or name that layer too');
    }
  });
  return names;
}

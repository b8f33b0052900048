// The graph: which nodes each layer reads. A layer reads the previous layer unless it names its
// `inputs` (earlier layers, or `input` for the model input); add and concat name two or more. Only
// earlier layers may be named, so the order written is a topological order and no cycle can be
// written. The model output is the last layer, so every other layer's output must be read by some
// later layer: a dead end would be computed for nothing and is refused.
import type { DocPath, SourceMap } from '../1-parse/source-map.js';
import { closest } from '../2-validate/suggest.js';
import type { LayerSpec } from '../spec/types.js';
import type { LayerName } from './names.js';
import type { Report } from './report.js';

/** Per layer, the names it reads (`input` for the model input), or null after reporting why not. */
export function resolveGraph(layers: readonly LayerSpec[], names: readonly LayerName[], pathOf: (i: number) => DocPath, map: SourceMap, report: Report): (readonly string[] | null)[] {
  const firstIndex = new Map<string, number>();
  names.forEach(({ name }, i) => {
    if (!firstIndex.has(name)) firstIndex.set(name, i);
  });
  const resolved = layers.map((layer, i): readonly string[] | null => {
    if (layer.inputs === undefined) return [i === 0 ? 'input' : names[i - 1]!.name];
    const self = names[i]!.name;
    let ok = true;
    layer.inputs.forEach((ref, j) => {
      if (ref === 'input') return;
      const span = map.value([...pathOf(i), 'inputs', j]);
      const k = firstIndex.get(ref);
      if (k === undefined) {
        const earlier = ['input', ...names.slice(0, i).map((n) => n.name)];
        const guess = closest(ref, earlier);
        report('E0304', `${self}: no layer is named \`${ref}\``, span,
          guess !== undefined ? `did you mean \`${guess}\`?` : `a layer reads \`input\` or an earlier layer: ${listed(earlier)}`);
        ok = false;
      } else if (k >= i) {
        report('E0305',
          k === i ? `${self} reads itself` : `${self} reads \`${ref}\`, which comes later (line ${map.value(pathOf(k)).line})`,
          span, 'a layer reads only earlier layers (or `input`), so the order written is the order computed: move the layers, or read another one');
        ok = false;
      }
    });
    return ok ? [...layer.inputs] : null;
  });

  if (resolved.every((r) => r !== null)) {
    const read = new Set(resolved.flatMap((r) => r ?? []));
    names.forEach(({ name }, i) => {
      if (i === names.length - 1 || read.has(name)) return;
      report('E0306', `the output of ${name} is never used: no later layer reads it, and the model output is the last layer`,
        map.value([...pathOf(i), 'kind']), `read it in a later layer's \`inputs\` (e.g. \`{ kind: add, inputs: [${name}, …] }\`), or remove it`);
    });
  }
  return resolved;
}

/** `input, conv1, relu_1` — at most 8 names, the nearest last. */
function listed(names: readonly string[]): string {
  const shown = names.length > 8 ? ['…', ...names.slice(-7)] : names;
  return shown.map((n) => (n === '…' ? n : `\`${n}\``)).join(', ');
}

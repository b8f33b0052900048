// What the PyTorch export cannot express, as positioned diagnostics (E0720–E0722) instead of broken Python.
// Every layer kind, graph, loss, optimizer and scheduler has a PyTorch form (layers.ts's table says which);
// what is left are names torch.nn refuses to register, the transforms that need torchvision to match
// cnnc's (this export depends on torch alone, and PIL for decoding), and fakes drawn from cnnc's own RNG.
import { parse } from '../1-parse/parse.js';
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import type { ModelIR } from '../ir/types.js';
import { NN_MODULE_ATTRIBUTES, PY_KEYWORDS } from './python.js';

const TARGET = 'the pytorch export';
/** nn.ModuleDict's methods that nn.Module lacks. */
const MODULE_DICT_ONLY = new Set(['clear', 'items', 'keys', 'pop', 'update', 'values']);

export function unsupportedByPytorch(ir: ModelIR, source: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const map = parse(source, ir.file).map;
  const said = new Set<string>();
  for (const n of ir.nodes) {
    // Top level: an attribute of the model (self.<name>); inside a block, keys of nn.ModuleDicts.
    const path = n.module === undefined ? [n.name] : n.module.split('.');
    path.forEach((seg, i) => {
      const where = path.slice(0, i + 1).join('.');
      if (said.has(where)) return;
      // The model's own attributes are nn.Module's; a key inside a block is an nn.ModuleDict's, which has a few more.
      const attr = NN_MODULE_ATTRIBUTES.has(seg) && (i > 0 || !MODULE_DICT_ONLY.has(seg));
      const keyword = i === 0 && PY_KEYWORDS.has(seg);
      if (!attr && !keyword) return;
      said.add(where);
      const why = attr
        ? `${seg} is an attribute of torch.nn.${i > 0 ? 'ModuleDict' : 'Module'}, so add_module refuses a submodule of that name`
        : `${seg} is a Python keyword, so self.${seg} cannot be written`;
      const what = i === path.length - 1 ? `layer ${where}` : `block ${where} (holding layer ${n.module ?? n.name})`;
      // At the name where the spec writes it (a block's layer: in the block's definition).
      const at = n.at ?? (ir.containers === undefined ? ['layers', n.index] : undefined); // no blocks: node i is layer i
      const span = n.named && at !== undefined && i === path.length - 1 ? map.value([...at, 'name']) : n.span;
      if (said.has(`${span.offset}:${seg}`)) return; // one block definition, several instances
      said.add(`${span.offset}:${seg}`);
      out.push(diagnostic('E0720', `${what} cannot be expressed by ${TARGET}: ${why}`, span, source,
        `rename it (e.g. ${seg}_1); cnnc's own targets accept the name`));
    });
  }
  const d = ir.data;
  if (d.source === 'folder' || d.source === 'csv') {
    const lists = [['transforms', d.transforms.eval], ['train_transforms', d.transforms.train]] as const;
    for (const [key, list] of lists) {
      list.forEach((t, i) => {
        const mode = t.kind === 'random_crop' ? t.padding_mode : undefined;
        if (t.kind !== 'color_jitter' && mode !== 'symmetric') return;
        const span = map.value(['data', key, i]);
        if (said.has(`${key}.${i}`) || span.offset === map.value(['data']).offset) return; // a list cnnc filled in, not written
        said.add(`${key}.${i}`);
        const what = t.kind === 'color_jitter' ? 'color_jitter (torchvision\'s adjust_hue and friends, which this export does not copy)' : "random_crop's padding_mode symmetric (torch.nn.functional.pad has no symmetric mode)";
        out.push(diagnostic('E0721', `data.${key}[${i}]: ${what} cannot be expressed by ${TARGET}, whose generated code needs only torch`, span, source,
          'remove it for the export, or train with cnnc train'));
      });
    }
  }
  if (d.source === 'idx' && d.task === 'real-vs-fake') {
    out.push(diagnostic('E0722', `task real-vs-fake on IDX files cannot be expressed by ${TARGET}: its fakes are drawn from cnnc's own random generator, and only for the embedded digits (data: mnist) does the export write them out`,
      map.value(['data', 'task']), source, 'export with data: { source: mnist, task: real-vs-fake }, or train with cnnc train'));
  }
  return out;
}

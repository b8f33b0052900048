#!/usr/bin/env node
// Process replay (tinygrad's name for it): build every spec in the tree with every target and dtype
// through a checkout's dist/, and write what each generated into one folder. Two checkouts' folders
// compared with `diff -r` show whether a refactor changed any generated code, and where.
//
//   node scripts/process-replay.mjs OUT_DIR [--root CHECKOUT]     (CHECKOUT default: this one; run `npm run build` first)
//   diff -r /tmp/replay-before /tmp/replay-after
//
// Specs: specs/**.yaml and every test/**.yaml that builds without errors (error fixtures are skipped).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const out = args[0];
if (out === undefined || out.startsWith('--')) {
  console.error('usage: node scripts/process-replay.mjs OUT_DIR [--root CHECKOUT]');
  process.exit(2);
}
const rootAt = args.indexOf('--root');
const root = resolve(rootAt >= 0 ? args[rootAt + 1] : new URL('..', import.meta.url).pathname);
const cnnc = await import(pathToFileURL(join(root, 'dist/compiler/index.js')).href);

const specs = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) specs.push(p);
  }
};
// Always this checkout's specs, so both sides build the same files.
const here = resolve(new URL('..', import.meta.url).pathname);
walk(join(here, 'specs'));
walk(join(here, 'test'));

mkdirSync(out, { recursive: true });
let built = 0;
for (const file of specs) {
  const source = readFileSync(file, 'utf8');
  const rel = relative(here, file);
  const variants = [
    ['ts-float32.ts', { dtype: 'float32' }],
    ['ts-float64.ts', { dtype: 'float64' }],
    ['gpujs.ts', { target: 'gpujs' }],
  ];
  for (const [suffix, options] of variants) {
    let r;
    try {
      r = cnnc.build(source, rel, options);
    } catch (e) {
      writeFileSync(join(out, `${rel.replaceAll('/', '__')}.${suffix}`), `// threw: ${e instanceof Error ? e.message : String(e)}\n`);
      continue;
    }
    if (r.code === null) continue;
    writeFileSync(join(out, `${rel.replaceAll('/', '__')}.${suffix}`), r.code);
    built++;
  }
  // The PyTorch export's model.py (train.py is the same template for every spec), where the checkout has it.
  if (typeof cnnc.exportPytorch === 'function') {
    const { ir } = cnnc.checkSource(source, rel);
    if (ir !== null) {
      const d = ir.data;
      const data = d.source === 'mnist' ? { source: 'mnist', path: 'data', val: d.valSplit !== null }
        : d.source === 'csv' ? { source: 'csv', train: d.train, test: d.test, val: d.val } : { source: d.source, path: d.path };
      try {
        const { files, diagnostics } = cnnc.exportPytorch(ir, source, data);
        writeFileSync(join(out, `${rel.replaceAll('/', '__')}.pytorch.py`), files === null ? `# refused: ${diagnostics.map((x) => x.code).join(' ')}\n` : files['model.py']);
        built++;
      } catch (e) {
        writeFileSync(join(out, `${rel.replaceAll('/', '__')}.pytorch.py`), `# threw: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
  }
}
console.log(`process replay: ${built} modules from ${specs.length} spec files → ${out}`);

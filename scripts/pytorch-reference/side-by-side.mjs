// The table of scripts/compare-accuracy.sh: PyTorch's and cnnc's test accuracy per seed and epoch.
//   node side-by-side.mjs PYTORCH_JSON OUT DATA EPOCHS SEEDS
// PYTORCH_JSON is mnist10k.py's --json output, or results.json (a list of those under `results`).
// cnnc's side is OUT/cnnc-seed<S>/metrics.jsonl (one JSON object per epoch: epoch, test_accuracy, seconds, ...).
// Writes OUT/compare.json; exits 1 when, at some epoch, the mean over seeds differs by more than 1.0 point.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [pytorchJson, out, data, epochsArg, seedsArg] = process.argv.slice(2);
const epochs = Number(epochsArg);
const seeds = seedsArg.split(',').map(Number);
const THRESHOLD = 1.0; // percentage points (issue 4)

const recorded = JSON.parse(readFileSync(pytorchJson, 'utf8'));
const pytorchResults = Array.isArray(recorded.results) ? recorded.results : [recorded];
const trim = (d) => d.replace(/\/+$/, ''); // `DIR/` and `DIR` are the same data
/** PyTorch's per-epoch rows for a seed on this data, from the first run long enough. */
function pytorchRun(seed) {
  for (const r of pytorchResults) {
    if (trim(r.data) !== trim(data)) continue;
    const run = r.runs.find((x) => x.seed === seed && x.per_epoch.length >= epochs);
    if (run) return run.per_epoch.slice(0, epochs);
  }
  return null;
}
function cnncRun(seed) {
  try {
    const text = readFileSync(join(out, `cnnc-seed${seed}`, 'metrics.jsonl'), 'utf8');
    return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)).slice(0, epochs);
  } catch {
    return null;
  }
}

const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const pct = (x) => (x === undefined ? '    —   ' : `${(100 * x).toFixed(2).padStart(6)}% `);
const rows = [];
for (const seed of seeds) {
  const p = pytorchRun(seed);
  const c = cnncRun(seed);
  for (let e = 1; e <= epochs; e++) {
    rows.push({ seed, epoch: e, pytorch: p?.[e - 1]?.test_accuracy, cnnc: c?.[e - 1]?.test_accuracy,
      pytorch_s: p?.slice(0, e).reduce((s, r) => s + r.seconds, 0), cnnc_s: c?.slice(0, e).reduce((s, r) => s + r.seconds, 0) });
  }
}

const source = pytorchResults === recorded.results ? `recorded ${recorded.date} on ${recorded.machine?.cpu}` : 'this run';
console.log(`\n${data}: test accuracy after each epoch (PyTorch: ${source})`);
console.log('seed  epoch   PyTorch     cnnc     Δ points   PyTorch s   cnnc s');
for (const r of rows) {
  const delta = r.pytorch !== undefined && r.cnnc !== undefined ? signed(100 * (r.cnnc - r.pytorch)).padStart(7) : '     — ';
  const sec = (s) => (s === undefined ? '—' : s.toFixed(0)).padStart(9);
  console.log(`${String(r.seed).padStart(4)}  ${String(r.epoch).padStart(5)}  ${pct(r.pytorch)} ${pct(r.cnnc)}  ${delta}  ${sec(r.pytorch_s)}  ${sec(r.cnnc_s)}`);
}

const summary = [];
let within = true;
console.log('\nmean over seeds (min–max)');
for (let e = 1; e <= epochs; e++) {
  const at = rows.filter((r) => r.epoch === e);
  const stats = (key) => {
    const xs = at.map((r) => r[key]).filter((x) => x !== undefined);
    return xs.length === 0 ? null : { mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
  };
  const p = stats('pytorch');
  const c = stats('cnnc');
  const delta = p && c ? 100 * (c.mean - p.mean) : null;
  if (delta === null || p.n !== seeds.length || c.n !== seeds.length || Math.abs(delta) > THRESHOLD) within = false;
  const fmt = (s) => (s ? `${(100 * s.mean).toFixed(2)}% (${(100 * s.min).toFixed(2)}–${(100 * s.max).toFixed(2)}, ${s.n} seeds)` : 'missing');
  console.log(`  epoch ${e}: PyTorch ${fmt(p)}   cnnc ${fmt(c)}   Δ ${delta === null ? '—' : signed(delta)} points`);
  summary.push({ epoch: e, pytorch: p, cnnc: c, delta_points: delta });
}
console.log(within ? `\ncnnc is within ${THRESHOLD} point of PyTorch at every epoch.` : `\nNOT within ${THRESHOLD} point of PyTorch at every epoch (or a seed is missing on one side).`);
writeFileSync(join(out, 'compare.json'), JSON.stringify({ data, epochs, seeds, pytorch_source: source, rows, summary, within }, null, 2) + '\n');
process.exitCode = within ? 0 : 1;

// The suite's tables (bench/suite.mjs): cnnc against PyTorch per model at 1 and 2 threads with the geometric mean
// of the ratios, then inference against onnxruntime-web and onnxruntime-node. Pure formatting over `results.suite`.

const fmt = (v, digits) => (typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—');
const num = (v) => (typeof v !== 'number' ? '—' : fmt(v, v >= 100 ? 0 : v >= 10 ? 1 : 2));
const ratioOf = (a, b) => (typeof a === 'number' && typeof b === 'number' && a > 0 && b > 0 ? a / b : undefined);
const x = (r) => (r === undefined ? '—' : `${fmt(r, 2)}×`);

/** The geometric mean of the ratios that exist, and how many there were. */
export function geomean(ratios) {
  const rs = ratios.filter((r) => r !== undefined);
  return { value: rs.length ? Math.exp(rs.reduce((s, r) => s + Math.log(r), 0) / rs.length) : undefined, n: rs.length };
}

function title(m) {
  const shape = m.input ? m.input.join('×') : '?';
  return `${m.label} (${shape}${m.batch === 32 ? '' : `, batch ${m.batch}`})`;
}

/** A child that did not give a figure: its reason, shortened for a table cell. */
function why(r) {
  if (r === undefined) return 'not run';
  const s = r.skipped ?? (r.error ? `failed: ${r.error.split('\n').find((l) => /Error|error/.test(l)) ?? r.error.split('\n')[0]}` : '');
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

export function formatSuite(suite) {
  const lines = [`Suite: batch ${suite.batch}, synthetic inputs (the same file for every system), ${suite.seconds} s time box per figure, medians; ratio = cnnc / PyTorch (> 1: cnnc is faster).`];
  for (const t of [1, 2]) {
    lines.push('', `| ${t} thread${t > 1 ? 's' : ''}: spec (input, batch) | cnnc train img/s | PyTorch train | ratio | cnnc infer | PyTorch infer | ratio | note |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    const train = [];
    const infer = [];
    for (const m of suite.models) {
      const c = m[`cnnc_t${t}`] ?? {};
      const p = m[`pytorch_t${t}`] ?? {};
      const rt = ratioOf(c.train_img_s, p.train_img_s);
      const ri = ratioOf(c.infer_img_s, p.infer_img_s);
      train.push(rt);
      infer.push(ri);
      const note = [m.error, c.train_img_s === undefined ? `cnnc ${why(c)}` : '', p.train_img_s === undefined ? `PyTorch ${why(p)}` : ''].filter(Boolean).join('; ');
      lines.push(`| ${title(m)} | ${num(c.train_img_s)} | ${num(p.train_img_s)} | ${x(rt)} | ${num(c.infer_img_s)} | ${num(p.infer_img_s)} | ${x(ri)} | ${note} |`);
    }
    const gt = geomean(train);
    const gi = geomean(infer);
    lines.push(`| **geometric mean** (${gt.n} / ${gi.n} models) | | | **${x(gt.value)}** | | | **${x(gi.value)}** | |`);
  }
  lines.push('', formatPeers(suite));
  return lines.join('\n');
}

/** Inference only: cnnc against onnxruntime-web (wasm, 1 thread) and onnxruntime-node (1, 2 threads) on PyTorch's export. */
function formatPeers(suite) {
  const lines = [`Inference peers: ${suite.peers}; the ONNX model is PyTorch's torch.onnx.export of the same model (opset 17, dynamic batch), or cnnc's own export where the note says so.`,
    '',
    '| inference img/s (batch) | cnnc 1 t | ort-web 1 t | ort-node 1 t | cnnc 2 t | ort-node 2 t | latency b1 ms: cnnc 1 t | ort-web | ort-node 1 t | cnnc / ort-web, taking turns: img/s | latency | note |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |'];
  const vs = { web: [], node1: [], node2: [], paired: [], pairedLatency: [] };
  for (const m of suite.models) {
    const [c1, c2, w, n1, n2, p] = ['cnnc_t1', 'cnnc_t2', 'ort_web', 'ort_node_t1', 'ort_node_t2', 'paired_web'].map((k) => m[k] ?? {});
    const note = [m.onnx_source?.startsWith('cnnc export') ? `ONNX from ${m.onnx_source}` : '', w.infer_img_s === undefined ? `ort-web ${why(w)}` : '', n1.infer_img_s === undefined && n1.skipped !== w.skipped ? `ort-node ${why(n1)}` : '', p.ratio_infer === undefined && p.skipped !== w.skipped ? `taking turns ${why(p)}` : ''].filter(Boolean).join('; ');
    vs.web.push(ratioOf(c1.infer_img_s, w.infer_img_s));
    vs.node1.push(ratioOf(c1.infer_img_s, n1.infer_img_s));
    vs.node2.push(ratioOf(c2.infer_img_s, n2.infer_img_s));
    vs.paired.push(p.ratio_infer);
    vs.pairedLatency.push(p.ratio_latency_b1);
    lines.push(`| ${title(m)} | ${num(c1.infer_img_s)} | ${num(w.infer_img_s)} | ${num(n1.infer_img_s)} | ${num(c2.infer_img_s)} | ${num(n2.infer_img_s)} | ${fmt(c1.latency_b1_ms, 2)} | ${fmt(w.latency_b1_ms, 2)} | ${fmt(n1.latency_b1_ms, 2)} | ${x(p.ratio_infer)} | ${x(p.ratio_latency_b1)} | ${note} |`);
    for (const b of Object.keys(c1.infer_at ?? {})) {
      const at = (r) => r.infer_at?.[b]?.img_s;
      lines.push(`| ${m.label}, batch ${b} | ${num(at(c1))} | ${num(at(w))} | ${num(at(n1))} | ${num(at(c2))} | ${num(at(n2))} | | | | | | |`);
    }
  }
  const g = (rs) => geomean(rs);
  const below = (rs, floor) => suite.models.flatMap((m, i) => (rs[i] !== undefined && rs[i] < floor ? [`${m.id} ${x(rs[i])}`] : []));
  lines.push('', `Geometric mean of cnnc / peer inference img/s at batch ${suite.batch}: onnxruntime-web ${x(g(vs.web).value)} (${g(vs.web).n} models), ` +
    `onnxruntime-node 1 thread ${x(g(vs.node1).value)} (${g(vs.node1).n}), 2 threads ${x(g(vs.node2).value)} (${g(vs.node2).n}).`,
  '', `Taking turns with onnxruntime-web in one process (bench/paired-child.mjs; the median over rounds of each round's ratio): ` +
    `geometric mean ${x(g(vs.paired).value)} in img/s (${g(vs.paired).n} models; under 1.5×: ${below(vs.paired, 1.5).join(', ') || 'none'}), ` +
    `${x(g(vs.pairedLatency).value)} in batch-1 latency (> 1: cnnc's is lower; under 1: ${below(vs.pairedLatency, 1).join(', ') || 'none'}).`);
  return lines.join('\n');
}

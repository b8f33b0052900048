// `cnnc profile SPEC`: where a training step's (or a forward pass's) time goes, layer by layer, as
// torch.profiler's key_averages table. The spec is compiled (float32, TypeScript target) with the
// profiling timers (GenerateOptions.profile; slots in runtime/profile.ts), trained on synthetic inputs
// for warm-up steps and then for --steps timed ones; each row is the median over the timed steps.
//
// MACs per row: the IR's forward MACs per sample × the batch. Backward, for a layer with MACs: one
// forward's worth for the weights' gradient (layers with weights: conv2d, conv_transpose2d, linear)
// plus one for the input's gradient where one is computed (not for the first layer), so 2× forward
// for a conv or linear inside the network. GFLOP/s counts 2 flops a MAC, and % peak is against the
// WebAssembly SIMD multiply-add peak measured at start-up (runtime/profile.ts) × the threads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { build, formatDiagnostics, planModel, TS_TARGET } from '../../compiler/index.js';
import { decodeSpec } from '../../compiler/1-parse/decode.js';
import { readSpecBytes } from '../../compiler/1-parse/read.js';
import { batchSizeLimits } from '../../compiler/3-lower/totals.js';
import { loadModule } from '../../compiler/load-generated.js';
import type { ModelIR } from '../../compiler/ir/types.js';
import type { PlannedModel } from '../../compiler/ir/plan.js';
import { withThreads } from '../../runtime/node/threads.js';
import type { CompiledModel } from '../../runtime/model.js';
import {
  backwardSlot, forwardSlot, isProfiled, lossSlot, measureFmaPeak, medians, optimizerSlot, syntheticInputs, syntheticLabels, timeSteps,
  type FmaPeak,
} from '../../runtime/profile.js';
import type { Exit } from '../main.js';
import { noColor } from '../no-color.js';
import { numberFlag, processIo, UsageError, type Io } from './compile-model.js';
import { threadsFlag } from './train.js';
import { reportUserErrors } from './user-error.js';

interface Flags {
  batchSize?: string;
  threads?: string;
  steps?: string;
  warmup?: string;
  mode?: string;
  json?: boolean;
}

/** One row of the table: a layer (in forward order), the loss, the optimizer step, or what no slot timed. */
export interface ProfileRow {
  /** A layer of the spec, or a row of its own. */
  readonly part: 'layer' | 'loss' | 'optimizer' | 'other';
  readonly name: string;
  readonly kind: string;
  /** Why a layer has no time of its own: fused into another layer or the loss, or an alias (flatten). */
  readonly note: string | null;
  readonly forwardMs: number;
  readonly backwardMs: number;
  readonly ms: number;
  /** Share of the total, in percent. */
  readonly percent: number;
  /** Multiply-accumulates in a step (forward + backward), the whole batch. */
  readonly macs: number;
  /** 2 × macs / ms; null where the row has no MACs. */
  readonly gflops: number | null;
  /** gflops as a percent of the peak × threads; null where the row has no MACs. */
  readonly peakPercent: number | null;
}

export interface ProfileReport {
  readonly spec: string;
  readonly model: string;
  readonly mode: 'train' | 'infer';
  readonly batchSize: number;
  readonly threads: number;
  readonly steps: number;
  readonly warmup: number;
  readonly peak: { readonly gflopsPerThread: number; readonly op: FmaPeak['op']; readonly gflops: number };
  /** The measured step (or forward pass), wall time around the whole call. */
  readonly stepMs: { readonly median: number; readonly min: number; readonly max: number };
  readonly rows: readonly ProfileRow[];
  /** The sum of the rows (each a median), so the percentages add up to 100. */
  readonly total: { readonly ms: number; readonly macs: number; readonly gflops: number; readonly peakPercent: number };
  /** The single largest layer time (one direction), or the loss or optimizer when they are. */
  readonly top: { readonly name: string; readonly direction: 'forward' | 'backward' | null; readonly percent: number } | null;
}

const DEFAULT_STEPS = 10;
const DEFAULT_WARMUP = 2;
/** Without --warmup: warm-up steps (at least DEFAULT_WARMUP) until this much time has passed, at most
 *  AUTO_WARMUP_STEPS. V8 runs a wasm function first as Liftoff's baseline code and compiles its optimized tier
 *  once the function has run a while: after 2 steps the strided suite model's forward at batch 1 measured 2.28 ms
 *  (its convs at 14 GFLOP/s), after 300 steps 1.00 ms (30), the figure a running app sees (2-core AMD EPYC). */
const WARMUP_MS = 1000;
const AUTO_WARMUP_STEPS = 1000;
const MAX_STEPS = 100_000;

export function registerProfile(program: Command, exit: Exit, io: Io = processIo): void {
  program
    .command('profile')
    .description('time every layer of SPEC forward and backward on synthetic inputs, with its MACs, GFLOP/s and share of the wasm SIMD peak')
    .argument('<spec>', 'the model spec (YAML)')
    .option('--batch-size <n>', 'batch size (default train.batch_size)')
    .option('--threads <n>', 'threads for convolutions and matrix products (default: every core, up to 8)')
    .option('--steps <s>', `timed steps (default ${DEFAULT_STEPS}); each row is the median over them`)
    .option('--warmup <w>', `untimed steps first (default: at least ${DEFAULT_WARMUP}, for ${WARMUP_MS / 1000} s, until V8 has optimized the kernels)`)
    .option('--mode <mode>', 'train (forward, loss, backward, optimizer step; default) or infer (forward passes in eval mode)')
    .option('--json', 'print the report as one JSON object')
    .action(async (spec: string, flags: Flags) => {
      exit.code = await reportUserErrors(io, async () => {
        const batch = numberFlag('--batch-size', flags.batchSize, 'positive-int');
        const threads = threadsFlag(flags.threads);
        const steps = numberFlag('--steps', flags.steps, 'positive-int') ?? DEFAULT_STEPS;
        const warmup = numberFlag('--warmup', flags.warmup, 'int') ?? null;
        if (steps > MAX_STEPS || (warmup ?? 0) > MAX_STEPS) throw new UsageError(`--steps and --warmup expect at most ${MAX_STEPS}`);
        const mode = flags.mode ?? 'train';
        if (mode !== 'train' && mode !== 'infer') throw new UsageError(`--mode expects train or infer, got "${mode}"`);
        const loaded = await compileProfiled(spec, io);
        if (loaded === null) return 1;
        const n = batch ?? loaded.ir.train.batchSize;
        const refused = batchSizeLimits(loaded.ir, n);
        if (refused.length > 0) throw new UsageError(`--batch-size ${n}: ${refused[0]}; use a smaller --batch-size`);
        const peak = measureFmaPeak();
        const report = await withThreads(threads, async () => profile({ spec, ir: loaded.ir, createModel: loaded.createModel, mode, n, threads, steps, warmup, peak }));
        io.stdout.write(flags.json === true ? `${JSON.stringify(report)}\n` : formatReport(report));
        return 0;
      });
    });
}

/** The spec compiled with the timers on and loaded; diagnostics printed, null on errors (as compileSpec). */
async function compileProfiled(file: string, io: Io): Promise<{ ir: ModelIR; createModel: () => CompiledModel } | null> {
  const read = readSpecBytes(file);
  if ('error' in read) {
    io.stderr.write(`error: ${read.error}\n`);
    return null;
  }
  const decoded = decodeSpec(read.bytes, file);
  const { code, diagnostics, ir } = decoded.diagnostics.length > 0 ? { code: null, diagnostics: decoded.diagnostics, ir: null } : build(decoded.source, file, { dtype: 'float32', target: 'ts', profile: true });
  if (diagnostics.length > 0) io.stderr.write(formatDiagnostics(diagnostics, { color: io.stderr.isTTY === true && !noColor() }) + '\n');
  if (ir === null || code === null || diagnostics.some((d) => d.severity === 'error')) return null;
  const workDir = mkdtempSync(join(tmpdir(), 'cnnc-profile-'));
  try {
    const mod = await loadModule(code, workDir);
    return { ir, createModel: () => mod.createModel() };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

interface ProfileInput {
  readonly spec: string;
  readonly ir: ModelIR;
  readonly createModel: () => CompiledModel;
  readonly mode: 'train' | 'infer';
  readonly n: number;
  readonly threads: number;
  readonly steps: number;
  /** Warm-up steps; null: for WARMUP_MS (at least DEFAULT_WARMUP). */
  readonly warmup: number | null;
  readonly peak: FmaPeak;
}

/** A bn's (or relu's) row in infer mode: folded into its conv, or, on a batch under the fold's, run unfolded in the conv's row. */
function foldNote(planned: PlannedModel, conv: string, n: number): string {
  const from = planned.nodes.find((np) => np.node.name === conv)?.evalFold?.from ?? 1;
  return n >= from ? `folded into ${conv}` : `in ${conv}'s row, unfolded at this batch (folds from ${from})`;
}

/** Runs the steps and builds the report. */
export function profile(p: ProfileInput): ProfileReport {
  const { ir, n, mode } = p;
  const model = p.createModel();
  if (!isProfiled(model)) throw new Error('cnnc internal error: the profiled module has no profileTimes');
  const x = syntheticInputs(new Float32Array(n * ir.input.shape.reduce((a, b) => a * b, 1)), 1);
  const out = ir.nodes.find((node) => node.name === ir.output);
  const classes = out?.outShape[0] ?? 1;
  const y = syntheticLabels(n * ir.loss.labelShape.reduce((a, b) => a * b, 1), ir.loss.targets, classes, 2);
  const step = mode === 'train' ? () => void model.trainStep(x, y, n) : () => void model.forward(x, n);
  if (mode === 'train') model.train();
  else model.eval();
  let warmup = 0;
  if (p.warmup !== null) for (; warmup < p.warmup; warmup++) step();
  else for (const t0 = performance.now(); warmup < AUTO_WARMUP_STEPS && (warmup < DEFAULT_WARMUP || performance.now() - t0 < WARMUP_MS); warmup++) step();
  const m = medians(timeSteps(model, p.steps, step));

  const planned = planModel(ir, TS_TARGET);
  const peakAll = p.peak.gflops * p.threads;
  const rows: Omit<ProfileRow, 'percent'>[] = [];
  const row = (part: ProfileRow['part'], name: string, kind: string, note: string | null, forwardMs: number, backwardMs: number, macs: number): void => {
    const ms = forwardMs + backwardMs;
    const gflops = macs > 0 && ms > 0 ? (2 * macs) / (ms * 1e6) : null;
    rows.push({ part, name, kind, note, forwardMs, backwardMs, ms, macs, gflops, peakPercent: gflops === null || peakAll <= 0 ? null : (100 * gflops) / peakAll });
  };
  planned.nodes.forEach((np, i) => {
    const node = np.node;
    const base = np.fusedInto !== null ? `fused into ${np.fusedInto}`
      : mode !== 'train' && np.evalFoldedInto !== null ? foldNote(planned, np.evalFoldedInto, n)
      : np.io.alias ? 'an alias, no copy'
      : mode !== 'train' ? null
      : np.fusedIntoLoss ? 'backward fused into the loss'
      : !np.io.backward ? 'no backward'
      : node.macs > 0 && np.io.dXs.every((d) => d === null) ? 'no input gradient'
      : null;
    // Winograd does fewer multiply-adds than MACs counts (direct convolution's): its GFLOP/s and % peak are effective rates.
    // Under its winogradFrom, a Winograd layer runs im2col on this batch.
    const conv = np.geometry.kind === 'conv' ? np.geometry.conv : null;
    const winograd = conv === null || !conv.algorithm.startsWith('winograd') ? null
      : n < conv.winogradFrom ? `im2col at this batch (winograd from ${conv.winogradFrom})` : 'winograd: GFLOP/s of the direct count';
    const note = base === null ? winograd : winograd === null ? base : `${base}; ${winograd}`;
    const fwd = node.macs * n;
    const weights = node.params.some((q) => q.trainable);
    const bwd = mode === 'train' && np.io.backward ? (weights ? fwd : 0) + (np.io.dXs.some((d) => d !== null) ? fwd : 0) : 0;
    row('layer', node.module ?? node.name, node.kind, note, m.slots[forwardSlot(i)]!, mode === 'train' ? m.slots[backwardSlot(i)]! : 0, fwd + bwd);
  });
  if (mode === 'train') {
    row('loss', 'loss', ir.loss.terms.map((t) => t.kind).join(' + '), null, m.slots[lossSlot(ir.nodes.length)]!, 0, 0);
    row('optimizer', 'optimizer', ir.optimizer.kind, null, m.slots[optimizerSlot(ir.nodes.length)]!, 0, 0);
  }
  row('other', 'other', '-', 'checks, zeroing the gradients, the timers', m.otherMs, 0, 0);
  const totalMs = rows.reduce((a, r) => a + r.ms, 0);
  const totalMacs = rows.reduce((a, r) => a + r.macs, 0);
  const pct = (ms: number): number => (totalMs > 0 ? (100 * ms) / totalMs : 0);
  const totalGflops = totalMs > 0 ? (2 * totalMacs) / (totalMs * 1e6) : 0;

  // The closing line names the single largest piece: one layer's one direction, the loss or the optimizer.
  type Piece = { readonly name: string; readonly direction: 'forward' | 'backward' | null; readonly ms: number };
  const pieces = rows.filter((r) => r.part !== 'other').flatMap((r): Piece[] =>
    r.part === 'layer' ? [{ name: r.name, direction: 'forward', ms: r.forwardMs }, { name: r.name, direction: 'backward', ms: r.backwardMs }] : [{ name: r.name, direction: null, ms: r.ms }]);
  const top = pieces.reduce<Piece | null>((a, b) => (a === null || b.ms > a.ms ? b : a), null);
  return {
    spec: p.spec, model: ir.name, mode, batchSize: n, threads: p.threads, steps: p.steps, warmup,
    peak: { gflopsPerThread: p.peak.gflops, op: p.peak.op, gflops: peakAll },
    stepMs: m.stepMs,
    rows: rows.map((r) => ({ ...r, percent: pct(r.ms) })),
    total: { ms: totalMs, macs: totalMacs, gflops: totalGflops, peakPercent: peakAll > 0 ? (100 * totalGflops) / peakAll : 0 },
    top: top === null || top.ms <= 0 ? null : { name: top.name, direction: top.direction, percent: pct(top.ms) },
  };
}

/** The report as a table, torch.profiler's key_averages style, then the closing line. */
export function formatReport(r: ProfileReport): string {
  const train = r.mode === 'train';
  const head = ['layer', 'kind', 'forward ms', ...(train ? ['backward ms'] : []), 'total ms', '% step', 'MACs', 'GFLOP/s', '% peak'];
  const ms = (v: number): string => v.toFixed(3);
  const opt = (v: number | null, d: number): string => (v === null ? '' : v.toFixed(d));
  const cells = r.rows.map((row) => row.note !== null && row.ms === 0
    ? [row.name, row.kind, `(${row.note})`]
    : [row.name, row.kind, ms(row.forwardMs), ...(train ? [row.part !== 'layer' ? '' : ms(row.backwardMs)] : []), ms(row.ms), `${row.percent.toFixed(1)}%`, metric(row.macs), opt(row.gflops, 1), row.peakPercent === null ? '' : `${row.peakPercent.toFixed(1)}%`, ...(row.note === null ? [] : [row.note])]);
  cells.push(['total', '', '', ...(train ? [''] : []), ms(r.total.ms), '100.0%', metric(r.total.macs), r.total.gflops.toFixed(1), `${r.total.peakPercent.toFixed(1)}%`]);
  const widths = head.map((h, k) => Math.max(h.length, ...cells.filter((c) => c.length >= head.length).map((c) => c[k]!.length)));
  const right = (k: number): boolean => k >= 2;
  const line = (c: readonly string[]): string => {
    if (c.length < head.length) return `${c[0]!.padEnd(widths[0]!)}  ${c[1]!.padEnd(widths[1]!)}  ${c[2]!}`.trimEnd();
    return c.slice(0, head.length).map((v, k) => (right(k) ? v.padStart(widths[k]!) : v.padEnd(widths[k]!))).join('  ').concat(c.length > head.length ? `  ${c[head.length]!}` : '').trimEnd();
  };
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [
    `${r.model} (${r.spec}): ${train ? 'training steps' : 'forward passes (eval mode)'}, batch ${r.batchSize}, ${r.threads} thread${r.threads === 1 ? '' : 's'}, median of ${r.steps} after ${r.warmup} warm-up`,
    `wasm SIMD peak: ${r.peak.gflopsPerThread.toFixed(1)} GFLOP/s a thread (${r.peak.op}) × ${r.threads} = ${r.peak.gflops.toFixed(1)} GFLOP/s`,
    '',
    line(head), rule, ...cells.slice(0, -1).map(line), rule, line(cells[cells.length - 1]!),
    '',
    `${r.top === null ? 'most time: nothing measurable' : `most time: ${r.top.name}${r.top.direction === null ? '' : ` ${r.top.direction}`}, ${r.top.percent.toFixed(0)}%`}; step ${ms(r.stepMs.median)} ms median (min ${ms(r.stepMs.min)}, max ${ms(r.stepMs.max)})`,
  ];
  return `${out.join('\n')}\n`;
}

/** 28.3M, 1.20G: MACs at a glance. */
function metric(v: number): string {
  if (v === 0) return '';
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)}G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}K`;
  return String(v);
}

// The cnnc compiler API. `compile` is the recipe: one line per phase folder, in order
// (../shared/DESIGN.md, "The pipeline"):
//   1-parse → 2-validate → 3-lower → 4-passes (lints, then the plan) → 5-codegen* (render the plan)
// Each phase returns diagnostics; the recipe stops at the first phase with errors, since the next one
// would only report their echoes. `checkSource` is the front half (through the lints), for `cnnc check`.
import { createHash } from 'node:crypto';
import { readSpecBytes } from './1-parse/read.js';
import { decodeSpec } from './1-parse/decode.js';
import { parse } from './1-parse/parse.js';
import { validate } from './2-validate/validate.js';
import { lower } from './3-lower/lower.js';
import { lint } from './4-passes/lint.js';
import { GPUJS_TARGET, planModel, PYTORCH_TARGET, TS_TARGET } from './4-passes/plan.js';
import { renderTypeScript, type GenerateOptions } from './5-codegen/generate.js';
import { renderGpujs } from './5-codegen-gpujs/generate.js';
import { unsupportedByGpujs } from './5-codegen-gpujs/support.js';
import { renderPytorch, type ExportData, type PytorchExport } from './5-codegen-pytorch/generate.js';
import { unsupportedByPytorch } from './5-codegen-pytorch/support.js';
import type { Diagnostic } from './diagnostics/types.js';
import type { ModelIR } from './ir/types.js';
import type { Spec } from './spec/types.js';

export type * from './ir/types.js';
export type * from './ir/plan.js';
export { planModel, verifyPlan, TS_TARGET, GPUJS_TARGET, PYTORCH_TARGET } from './4-passes/plan.js';
export type { ExportData, PytorchExport } from './5-codegen-pytorch/generate.js';
export { assertNever } from './ir/types.js';
export type { Diagnostic, Severity } from './diagnostics/types.js';
export { CODES, type Code } from './diagnostics/codes.js';
export { formatDiagnostic, formatDiagnostics } from './diagnostics/render.js';
export type { Spec } from './spec/types.js';
export { VERSION } from './version.js';
export { formatSummary, summarize, type Summary, type SummaryRow } from './3-lower/summary.js';
export { loadModule, type GeneratedModule } from './load-generated.js';
export { loadOnnxProto, onnxModel, OnnxProtoMissing, ONNX_PROTO_MISSING, renderOnnx, ONNX_OPSET, type Weights } from './5-codegen-onnx/generate.js';
export { unsupportedByOnnx } from './5-codegen-onnx/support.js';

export interface CheckResult {
  /** The model, or null when there are errors. */
  readonly ir: ModelIR | null;
  /** Errors and warnings, sorted by position. */
  readonly diagnostics: readonly Diagnostic[];
  /** Set when the file itself could not be read (no diagnostic: there is no source to point into). */
  readonly error?: string;
}

/** parse → validate → hash → lower → lint. */
export function checkSource(source: string, file: string): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const clean = (ds: readonly Diagnostic[]) => (diagnostics.push(...ds), !ds.some((d) => d.severity === 'error'));
  const result = (ir: ModelIR | null): CheckResult => ({ ir, diagnostics: byPosition(diagnostics) });

  const { doc, map, diagnostics: parsed } = parse(source, file);
  if (!clean(parsed) || doc === null) return result(null);
  const { spec, diagnostics: validated } = validate(doc, map);
  if (!clean(validated) || spec === null) return result(null);
  const { ir, diagnostics: lowered } = lower(spec, map, specHash(spec));
  if (!clean(lowered) || ir === null) return result(null);
  clean(lint(ir, map));
  return result(ir);
}

/** checkSource on a file; an unreadable file gives `error`, never a throw. */
export function checkFile(path: string): CheckResult {
  const read = readSpecBytes(path);
  if ('error' in read) return { ir: null, diagnostics: [], error: read.error };
  const bytes = read.bytes;
  const { source, diagnostics } = decodeSpec(bytes, path); // not UTF-8: E0111 at the first bad byte
  return diagnostics.length > 0 ? { ir: null, diagnostics } : checkSource(source, path);
}

export { readSpecBytes, SPEC_MAX_BYTES } from './1-parse/read.js';
export { RUNTIME_IMPORTS, type GenerateOptions, type RuntimeImport } from './5-codegen/generate.js';

/** Which renderer: the TypeScript kernels (default) or gpu.js kernels (compiler/5-codegen-gpujs, float32 only). */
export type Target = 'ts' | 'gpujs';

export interface CompileOptions extends GenerateOptions {
  readonly target?: Target;
}

export interface BuildResult {
  /** The generated module, or null when the spec has errors (see diagnostics). */
  readonly code: string | null;
  readonly diagnostics: readonly Diagnostic[];
  readonly ir: ModelIR | null;
}

/** The whole pipeline: source → the generated module, or code null with the spec's diagnostics. */
export function compile(source: string, file: string, options: CompileOptions = {}): BuildResult {
  const { ir, diagnostics } = checkSource(source, file); //    1-parse, 2-validate, 3-lower, 4-passes (lints)
  if (ir === null || diagnostics.some((d) => d.severity === 'error')) return { code: null, diagnostics, ir: null };
  if (options.target === 'gpujs') {
    const refused = unsupportedByGpujs(ir, source); //        what GL cannot hold, as positioned errors
    if (refused.length > 0) return { code: null, diagnostics: [...diagnostics, ...refused], ir: null };
    return { code: renderGpujs(planModel(ir, GPUJS_TARGET)), diagnostics, ir }; // 4-passes (plan) → 5-codegen-gpujs
  }
  return { code: renderTypeScript(planModel(ir, TS_TARGET), options), diagnostics, ir }; // 4-passes (plan) → 5-codegen
}

/** compile, under the name the CLI and tests have used. */
export const build = compile;

/** A checked model's TypeScript module (plan + render). Same IR → same bytes. */
export function generate(ir: ModelIR, options: GenerateOptions = {}): string {
  return renderTypeScript(planModel(ir, TS_TARGET), options);
}

/** A checked model's gpu.js module (plan + render), for a model unsupportedByGpujs accepts. */
export function generateGpujs(ir: ModelIR): string {
  return renderGpujs(planModel(ir, GPUJS_TARGET));
}

/** The PyTorch export of a checked model (plan + render): model.py, train.py and README.md, or the positioned
 *  diagnostics (E0720–E0722) of what PyTorch cannot express. `data` says where train.py finds the spec's data. */
export function exportPytorch(ir: ModelIR, source: string, data: ExportData): { files: PytorchExport | null; diagnostics: readonly Diagnostic[] } {
  const refused = unsupportedByPytorch(ir, source);
  if (refused.length > 0) return { files: null, diagnostics: refused };
  return { files: renderPytorch(planModel(ir, PYTORCH_TARGET), data), diagnostics: [] };
}

/** sha256 (hex) of the spec's canonical JSON: keys sorted, so comments, whitespace and key order
 *  in the YAML do not change it. */
export function specHash(spec: Spec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function byPosition(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.line - b.line || a.col - b.col);
}


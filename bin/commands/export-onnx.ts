// `cnnc export SPEC --to onnx -o model.onnx`: the spec's model as ONNX (compiler/5-codegen-onnx), with the
// weights of --weights (the errors `cnnc eval --weights` gives for a bad file) or the initial ones. A spec
// the onnx target cannot express gets its positioned diagnostics and no file; an existing file is kept
// unless --force; the file is written atomically (a temp file, then rename).
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatDiagnostics, loadOnnxProto, ONNX_OPSET, OnnxProtoMissing, planModel, renderOnnx, TS_TARGET, unsupportedByOnnx } from '../../compiler/index.js';
import { makeDirectory, writeFile } from '../fs-errors.js';
import { noColor } from '../no-color.js';
import { compileSpec, UsageError, type Io } from './compile-model.js';
import type { ExportFlags } from './export.js';
import { reportUserErrors } from './user-error.js';
import { loadWeightsFile } from './weights.js';

export async function exportOnnx(spec: string, flags: ExportFlags, io: Io): Promise<number> {
  return reportUserErrors(io, async () => {
    const out = flags.output;
    refuseOutput(out, flags.force === true);
    // onnx-proto is an optional peer (package.json): asked for before the spec is compiled.
    try {
      await loadOnnxProto();
    } catch (e) {
      if (!(e instanceof OnnxProtoMissing)) throw e;
      io.stderr.write(`cnnc export: ${e.message}\n`);
      return 1;
    }
    const loaded = await compileSpec(spec, io);
    if (loaded === null) return 1;
    // The fusions the TypeScript plan chooses change no value: the onnx renderer reads its geometry and comments.
    const plan = planModel(loaded.ir, TS_TARGET);
    const refused = unsupportedByOnnx(plan, loaded.source);
    if (refused.length > 0) {
      io.stderr.write(formatDiagnostics(refused, { color: io.stderr.isTTY === true && !noColor() }) + '\n');
      return 1;
    }
    const model = loaded.createModel({ seed: loaded.ir.train.seed });
    if (flags.weights !== undefined) loadWeightsFile(model, flags.weights);
    model.eval();
    const params = new Map(model.parameters().map((p) => [p.name, p.data]));
    const bytes = await renderOnnx(plan, (name) => {
      const data = params.get(name);
      if (data === undefined) throw new Error(`cnnc internal error: the model has no parameter ${name}`);
      return data;
    });
    makeDirectory(dirname(out), 'the output folder');
    writeFile(out, bytes);
    const weights = flags.weights ?? `initial weights, seed ${loaded.ir.train.seed}`;
    // Written to a device or a pipe (-o /dev/stdout --force): the model is the output, the note goes to stderr.
    (isRegular(out) ? io.stdout : io.stderr).write(`wrote ${out} (ONNX opset ${ONNX_OPSET}, ${bytes.byteLength.toLocaleString('en-US')} bytes, ${weights})\n`);
    return 0;
  });
}

/** Before any work: an output that exists is kept without --force, and a directory always. */
function refuseOutput(out: string, force: boolean): void {
  if (out === '' || out === '-') throw new UsageError(`-o needs a file name, got ${out === '' ? 'an empty one' : '"-"'} (an ONNX model is a binary file, not printed on stdout)`);
  let kind: 'dir' | 'file' | null = null;
  try {
    kind = lstatSync(out).isDirectory() ? 'dir' : 'file';
  } catch {
    return; // a new file (a path that cannot be written is reported by the write)
  }
  if (kind === 'dir') throw new UsageError(`cannot write ${out}: it is a directory; give a file name, e.g. -o ${out.replace(/\/+$/, '')}/model.onnx`);
  if (!force) throw new UsageError(`${out} exists; pass --force to overwrite it`);
}

function isRegular(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return true;
  }
}

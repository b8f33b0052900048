// `cnnc export SPEC --to pytorch -o DIR`: model.py, train.py and README.md (compiler/5-codegen-pytorch), a copy of the
// spec, and for `data: mnist` the embedded digits as IDX files under DIR/data (the task derived and val_split held out
// as cnnc train does, images float32 so that PyTorch sees the very numbers cnnc does). Everything is written into a
// fresh folder beside DIR and renamed into place at the end, so DIR is never left half-written; an existing DIR is
// replaced only with --force.
import { existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { decodeSpec } from '../../compiler/1-parse/decode.js';
import { readSpecBytes } from '../../compiler/1-parse/read.js';
import { checkSource, exportPytorch, formatDiagnostics, type ExportData, type ModelIR } from '../../compiler/index.js';
import type { LabeledImages } from '../../runtime/data/idx.js';
import { loadDataAsync } from '../../runtime/node/data/load.js';
import { fileError, FileError, makeDirectory } from '../fs-errors.js';
import { noColor } from '../no-color.js';
import { UsageError, type Io } from './compile-model.js';
import type { ExportFlags } from './export.js';

export async function exportToPytorch(specFile: string, flags: ExportFlags, io: Io): Promise<number> {
  const out = resolve(flags.output);
  if (flags.output === '') throw new UsageError('-o needs a folder name, got an empty one');
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new UsageError(`${flags.output} exists and is not a folder; choose another -o`);
    if (flags.force !== true) throw new UsageError(`${flags.output} exists; pass --force to replace it, or choose another -o`);
  }
  const read = readSpecBytes(specFile);
  if ('error' in read) throw new UsageError(read.error);
  const decoded = decodeSpec(read.bytes, specFile);
  const checked = decoded.diagnostics.length > 0 ? { ir: null, diagnostics: decoded.diagnostics } : checkSource(decoded.source, specFile);
  const print = (ds: Parameters<typeof formatDiagnostics>[0]) => {
    if (ds.length > 0) io.stderr.write(formatDiagnostics(ds, { color: io.stderr.isTTY === true && !noColor() }) + '\n');
  };
  print(checked.diagnostics);
  const ir = checked.ir;
  if (ir === null || checked.diagnostics.some((d) => d.severity === 'error')) return 1;
  const data = exportData(ir, specFile, out);
  const { files, diagnostics } = exportPytorch(ir, decoded.source, data);
  print(diagnostics);
  if (files === null) return 1;

  const parent = dirname(out);
  makeDirectory(parent, 'the output folder');
  let tmp: string;
  try {
    tmp = mkdtempSync(join(parent, `.${basename(out)}.tmp-`));
  } catch (e) {
    throw fileError('write into', parent, e);
  }
  try {
    const write = (name: string, bytes: string | Uint8Array): void => {
      try {
        writeFileSync(join(tmp, name), bytes);
      } catch (e) {
        throw fileError('write', join(out, name), e);
      }
    };
    for (const [name, text] of Object.entries(files)) write(name, text);
    write('spec.yaml', decoded.source);
    if (data.source === 'mnist') {
      makeDirectory(join(tmp, data.path), 'the data folder');
      for (const [split, images] of Object.entries(await embeddedSplits(ir, specFile))) {
        write(join(data.path, `${split}-images.idx`), idxFloat32(images));
        write(join(data.path, `${split}-labels.idx`), idxLabels(images));
      }
    }
    if (existsSync(out)) {
      const old = `${tmp}-old`;
      renameSync(out, old);
      renameSync(tmp, out);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof FileError) throw e;
    throw fileError('write', out, e);
  }
  io.stdout.write(`wrote ${flags.output}: model.py, train.py, README.md, spec.yaml${data.source === 'mnist' ? `, ${data.path}/ (the embedded digits as IDX files)` : ''}\n`);
  return 0;
}

/** Where train.py (in DIR) finds the data: the embedded digits under DIR/data; a path of the spec's, relative to
 *  the spec's folder, made relative to DIR (absolute ones stay as they are). */
function exportData(ir: ModelIR, specFile: string, out: string): ExportData {
  const at = (p: string): string => (isAbsolute(p) ? p : relative(out, resolve(dirname(specFile), p)) || '.');
  const d = ir.data;
  switch (d.source) {
    case 'mnist':
      return { source: 'mnist', path: 'data', val: d.valSplit !== null && d.task === 'classification' };
    case 'idx':
    case 'folder':
      return { source: d.source, path: at(d.path) };
    case 'csv':
      return { source: 'csv', train: at(d.train), test: at(d.test), val: d.val === null ? null : at(d.val) };
  }
}

/** The splits cnnc train uses for `data: mnist` (mnist10k, the task derived, val_split held out), before normalize:
 *  model.py's TRANSFORMS carry it, and train.py applies it. */
async function embeddedSplits(ir: ModelIR, specFile: string): Promise<Record<string, LabeledImages>> {
  const out = ir.nodes.find((n) => n.name === ir.output)!.outShape;
  const classes = ir.loss.targets === 'binary' ? 2 : out[0]!;
  const source = ir.data.task === 'classification' ? 'mnist10k' : `${ir.data.task}+mnist10k`;
  const data = { ...ir.data, transforms: { eval: [], train: [] } };
  const splits = await loadDataAsync(source, classes, undefined, { data, specFile, shape: ir.input.shape, seed: ir.train.seed });
  return { train: splits.train, test: splits.test, ...(splits.val === undefined ? {} : { val: splits.val }) };
}

function idxHeader(code: number, dims: readonly number[]): Uint8Array {
  const h = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(h.buffer);
  h[2] = code;
  h[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  return h;
}

/** [n, H, W] (one channel) or [n, C, H, W] float32, big-endian (IDX type 0x0D). */
function idxFloat32(s: LabeledImages): Uint8Array {
  const [c = 1, h = 0, w = 0] = s.shape;
  const dims = c === 1 ? [s.n, h, w] : [s.n, c, h, w];
  const head = idxHeader(0x0d, dims);
  const bytes = new Uint8Array(head.length + 4 * s.images.length);
  bytes.set(head);
  const v = new DataView(bytes.buffer);
  for (let i = 0; i < s.images.length; i++) v.setFloat32(head.length + 4 * i, s.images[i]!, false);
  return bytes;
}

/** [n, ...labelShape] ubyte (IDX type 0x08): class indices, 0/1 targets or label maps. */
function idxLabels(s: LabeledImages): Uint8Array {
  const per = s.labels.length / s.n;
  const shape = s.labelShape ?? [];
  if (shape.reduce((a, b) => a * b, 1) !== per) throw new Error(`cnnc internal error: ${per} labels per sample for label shape [${shape.join(', ')}]`);
  const head = idxHeader(0x08, [s.n, ...shape]);
  const bytes = new Uint8Array(head.length + s.labels.length);
  bytes.set(head);
  s.labels.forEach((y, i) => {
    if (y < 0 || y > 255) throw new Error(`cnnc internal error: label ${y} does not fit a ubyte`);
    bytes[head.length + i] = y;
  });
  return bytes;
}

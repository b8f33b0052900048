// Which image files make up a user's data set, and each one's class: torchvision's ImageFolder layout
// (DIR/train/<class>/…, DIR/test/<class>/…, optionally DIR/val/<class>/…) or CSV manifests (`path,label`
// lines, paths relative to the CSV). Only the listing: decoding is runtime/data/decode/, the
// preprocessing runtime/data/transforms/, and load.ts puts them together.
//
// Like torchvision 0.14's ImageFolder: classes are the train split's folder names in sorted order (code
// point order, as Python's sorted()); files are walked recursively, following symbolic links, in the
// order of sorted(os.walk()): by folder path, then name. Unlike it, nothing is skipped silently: a file
// that is not a PNG or JPEG is an error naming it, except hidden files and folders (a leading `.`:
// .DS_Store, .ipynb_checkpoints), which are ignored. A symbolic-link loop, a broken link, a name that is
// not UTF-8 or holds a control character, an empty class, a class of test or val missing from train: each
// an error naming the path.
import { readdirSync, readFileSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { epochPermutation } from '../../train/shuffle.js';
import { DataFileError } from './read-maybe-gzip.js';

/** The files cnnc decodes (by their signature; the extension only picks the files). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];
/** Image formats torchvision's ImageFolder would pick up that cnnc does not decode: named in the error. */
const OTHER_IMAGE_EXTENSIONS: readonly string[] = ['.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp', '.gif', '.heic', '.avif'];

export interface ImageList {
  /** Absolute paths, in the split's order. */
  readonly files: readonly string[];
  /** Each file's class index. */
  readonly labels: Int32Array;
}

export interface ImageSplits {
  /** Class names in index order. */
  readonly classes: readonly string[];
  readonly train: ImageList;
  readonly test: ImageList;
  readonly val: ImageList | null;
}

/** Python's sorted() on str: by code point (JavaScript's < compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done === true || y.done === true) return x.done === true ? (y.done === true ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function escapeControls(text: string): string {
  return text.replace(new RegExp(CONTROL.source, 'g'), (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The entries of `dir`, their names checked to be UTF-8 without control characters; hidden ones left out. */
function entries(dir: string): Array<{ name: string; dirent: Dirent<Buffer> }> {
  let list: Dirent<Buffer>[];
  try {
    list = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
  } catch (e) {
    throw new DataFileError(`${dir}: cannot read the directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const out: Array<{ name: string; dirent: Dirent<Buffer> }> = [];
  for (const dirent of list) {
    let name: string;
    try {
      name = utf8.decode(dirent.name);
    } catch {
      const shown = [...dirent.name].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
      throw new DataFileError(`${join(dir, shown)}: the file name is not UTF-8; rename it`);
    }
    // A control character (a newline, an ESC) would reach the terminal raw in every message naming the file.
    if (CONTROL.test(name)) throw new DataFileError(`${join(dir, escapeControls(name))}: the file name holds a control character; rename it`);
    if (!name.startsWith('.')) out.push({ name, dirent });
  }
  return out.sort((a, b) => compareCodePoints(a.name, b.name));
}

/** What `path` is, following symbolic links; a broken link is an error. */
function kindOf(path: string, dirent: Dirent<Buffer>): 'dir' | 'file' | 'other' {
  if (dirent.isDirectory()) return 'dir';
  if (dirent.isFile()) return 'file';
  if (!dirent.isSymbolicLink()) return 'other';
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch (e) {
    throw new DataFileError(`${path}: a broken symbolic link (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function checkImageName(path: string): void {
  const ext = extname(path).toLowerCase();
  if (IMAGE_EXTENSIONS.includes(ext)) return;
  if (OTHER_IMAGE_EXTENSIONS.includes(ext)) throw new DataFileError(`${path}: ${ext.slice(1).toUpperCase()} images are not read by cnnc (it reads PNG and JPEG); convert it, or move it out of the data folder`);
  throw new DataFileError(`${path}: not an image file (cnnc reads ${IMAGE_EXTENSIONS.join(', ')}); move it out of the data folder`);
}

/** Every image under `dir`, recursively, following links, in torchvision's order: `sorted(os.walk(dir))`
 *  sorts the folders by their whole path (so `c/sub-x` comes before `c/sub/deep`, '-' < '/'), each
 *  folder's files by name. */
function walkImages(dir: string): string[] {
  const folders: Array<{ dir: string; files: string[] }> = [];
  walkInto(dir, [], folders);
  return folders.sort((a, b) => compareCodePoints(a.dir, b.dir)).flatMap((f) => f.files);
}

function walkInto(dir: string, stack: readonly string[], folders: Array<{ dir: string; files: string[] }>): void {
  const real = realpathSync(dir);
  if (stack.includes(real)) throw new DataFileError(`${dir}: a symbolic-link loop (it leads back to ${real})`);
  const here: string[] = [];
  folders.push({ dir, files: here });
  for (const { name, dirent } of entries(dir)) {
    const path = join(dir, name);
    const kind = kindOf(path, dirent);
    if (kind === 'dir') walkInto(path, [...stack, real], folders);
    else if (kind === 'file') {
      checkImageName(path);
      here.push(path);
    } else throw new DataFileError(`${path}: not a regular file or directory`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The class folders of one split: name → its files. Files directly in the split folder are an error. */
function classFolders(split: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { name, dirent } of entries(split)) {
    const path = join(split, name);
    const kind = kindOf(path, dirent);
    if (kind !== 'dir') throw new DataFileError(`${path}: not in a class folder (the layout is ${split}/<class>/<image>)`);
    const files = walkImages(path);
    if (files.length === 0) throw new DataFileError(`${path}: an empty class folder (no .png or .jpg files)`);
    out.set(name, files);
  }
  // An empty test/ or val/ would train and report NaN accuracy on no images.
  if (out.size === 0) throw new DataFileError(`${split}: no class folders, so no images (the layout is ${split}/<class>/<image>)`);
  return out;
}

/** The class order: the spec's `classes` if given (every class found must be among them), else the train
 *  split's names sorted. Every class must have training images. */
function classOrder(found: readonly string[], where: string, given: readonly string[] | undefined): string[] {
  if (given === undefined) return [...found].sort(compareCodePoints);
  const unknown = found.filter((c) => !given.includes(c));
  if (unknown.length > 0) throw new DataFileError(`${where}: class ${JSON.stringify(unknown[0])} is not among the spec's data.classes (${given.map((c) => JSON.stringify(c)).join(', ')})`);
  const missing = given.filter((c) => !found.includes(c));
  if (missing.length > 0) throw new DataFileError(`${where}: no training images for class ${JSON.stringify(missing[0])} of the spec's data.classes`);
  return [...given];
}

function listOf(byClass: ReadonlyMap<string, readonly string[]>, classes: readonly string[], split: string): ImageList {
  const files: string[] = [];
  const labels: number[] = [];
  for (const [name, list] of byClass) { // in folder-name order already: classFolders reads entries() sorted
    const index = classes.indexOf(name);
    if (index < 0) throw new DataFileError(`${join(split, name)}: class ${JSON.stringify(name)} has no folder in train (its classes: ${classes.join(', ')})`);
    for (const f of list) {
      files.push(f);
      labels.push(index);
    }
  }
  return { files, labels: Int32Array.from(labels) };
}

/** DIR/train, DIR/test and, if present, DIR/val, as torchvision's ImageFolder reads each. */
export function listImageFolder(dir: string, classes?: readonly string[]): ImageSplits {
  const root = resolve(dir);
  if (!isDirectory(root)) throw new DataFileError(`${root}: no such directory (expected ${join(root, 'train')}/<class>/<image> and ${join(root, 'test')}/…)`);
  const splitDir = (name: string, required: boolean): string | null => {
    const path = join(root, name);
    if (isDirectory(path)) return path;
    if (required) throw new DataFileError(`${path}: missing (an image folder holds train/<class>/<image> and test/<class>/<image>)`);
    return null;
  };
  const trainDir = splitDir('train', true)!;
  const testDir = splitDir('test', true)!;
  const valDir = splitDir('val', false);
  const train = classFolders(trainDir);
  const order = classOrder([...train.keys()], trainDir, classes);
  return {
    classes: order,
    train: listOf(train, order, trainDir),
    test: listOf(classFolders(testDir), order, testDir),
    val: valDir === null ? null : listOf(classFolders(valDir), order, valDir),
  };
}

/** The rows of a CSV manifest (RFC 4180: quoted fields may hold commas, "" is a quote), with line numbers. */
export function parseCsv(text: string, file: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let fieldStarted = false;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '' && !fieldStarted)) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new DataFileError(`${file}:${rowLine}: a quoted field is not closed`);
  if (field !== '' || fields.length > 0 || fieldStarted) endRow();
  return rows;
}

interface ManifestRow {
  readonly file: string;
  readonly label: string;
  readonly where: string;
}

function readManifest(csv: string): ManifestRow[] {
  let text: string;
  try {
    text = utf8.decode(readFileSync(csv));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataFileError(code === undefined ? `${csv}: not UTF-8 text` : `${csv}: cannot read the manifest (${code})`);
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const rows = parseCsv(text, csv);
  const out: ManifestRow[] = [];
  rows.forEach((row, i) => {
    const where = `${csv}:${row.line}`;
    if (i === 0 && row.fields.length === 2 && row.fields[0]!.trim() === 'path' && row.fields[1]!.trim() === 'label') return;
    if (row.fields.length !== 2) throw new DataFileError(`${where}: expected 2 fields (path,label), got ${row.fields.length}`);
    const [path, label] = [row.fields[0]!.trim(), row.fields[1]!.trim()];
    if (path === '') throw new DataFileError(`${where}: the path is empty`);
    if (CONTROL.test(path)) throw new DataFileError(`${where}: the path ${JSON.stringify(path)} holds a control character`);
    if (label === '') throw new DataFileError(`${where}: the label is empty`);
    const file = resolve(dirname(csv), path);
    let st;
    try {
      st = statSync(file);
    } catch {
      throw new DataFileError(`${where}: ${file}: no such file`);
    }
    if (!st.isFile()) throw new DataFileError(`${where}: ${file}: not a regular file`);
    checkImageName(file);
    out.push({ file, label, where });
  });
  if (out.length === 0) throw new DataFileError(`${csv}: no images listed (each line is path,label)`);
  return out;
}

function manifestList(rows: readonly ManifestRow[], classes: readonly string[]): ImageList {
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    const index = classes.indexOf(r.label);
    if (index < 0) throw new DataFileError(`${r.where}: unknown label ${JSON.stringify(r.label)} (the train manifest's classes: ${classes.join(', ')})`);
    labels[i] = index;
  });
  return { files: rows.map((r) => r.file), labels };
}

/** CSV manifests, one a split; rows keep the manifest's order. Paths are absolute or resolved already. */
export function listCsvManifests(paths: { readonly train: string; readonly test: string; readonly val?: string | null }, classes?: readonly string[]): ImageSplits {
  const train = readManifest(paths.train);
  const order = classOrder([...new Set(train.map((r) => r.label))], paths.train, classes);
  return {
    classes: order,
    train: manifestList(train, order),
    test: manifestList(readManifest(paths.test), order),
    val: paths.val === undefined || paths.val === null ? null : manifestList(readManifest(paths.val), order),
  };
}

/** A stratified, seeded validation split of train, as scikit-learn's train_test_split(stratify=labels):
 *  round(fraction · count) images of each class (at least one where a class has two or more), picked by
 *  a shuffle seeded from the run's seed; both parts keep the listing's order. */
export function splitValidation(train: ImageList, fraction: number, seed: number, where: string): { train: ImageList; val: ImageList } {
  const held = heldOut(train.labels, fraction, seed, where);
  const pick = (keep: boolean): ImageList => {
    const idx = train.files.map((_, i) => i).filter((i) => held.has(i) !== keep);
    return { files: idx.map((i) => train.files[i]!), labels: Int32Array.from(idx, (i) => train.labels[i]!) };
  };
  return { train: pick(true), val: pick(false) };
}

/** The indices splitValidation holds out of samples with these labels (the embedded digits and IDX files use it too). */
export function heldOut(labels: Int32Array, fraction: number, seed: number, where: string): Set<number> {
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => {
    const list = byClass.get(y);
    if (list === undefined) byClass.set(y, [i]);
    else list.push(i);
  });
  const held = new Set<number>();
  for (const [y, indices] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const count = indices.length;
    const take = Math.min(count - 1, Math.max(count >= 2 ? 1 : 0, Math.round(fraction * count)));
    const perm = epochPermutation(seed, 0x76616c00 + y, count); // "val\0" + class: its own stream
    for (let j = 0; j < take; j++) held.add(indices[perm[j]!]!);
  }
  if (held.size === 0) throw new DataFileError(`${where}: val_split ${fraction} holds out no images (every class needs two or more)`);
  return held;
}

/** One CSV manifest as a test split (`cnnc eval --data FILE.csv`): its labels must be among `classes` (the
 *  model's, from its weights or spec), which need not all appear; without them, its own labels sorted. */
export function listCsvTestManifest(path: string, classes?: readonly string[]): ImageSplits {
  const rows = readManifest(path);
  const order = classes !== undefined ? [...classes] : [...new Set(rows.map((r) => r.label))].sort(compareCodePoints);
  const test = manifestList(rows, order);
  return { classes: order, train: { files: [], labels: new Int32Array(0) }, test, val: null };
}

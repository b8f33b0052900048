// The listing of a user's images (runtime/node/data/image-files.ts): which files an image folder or a CSV
// manifest holds, in which order, with which class, and every refusal as one line naming the path. The
// trees are made in a temp directory; listing reads names only, so the "images" here are a few bytes.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareCodePoints, listCsvManifests, listImageFolder, parseCsv, splitValidation, type ImageList } from '../../runtime/node/data/image-files.js';
import { DataFileError } from '../../runtime/node/data/read-maybe-gzip.js';

const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnc-imgfiles-'));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Writes each relative path (a trailing `/` makes an empty folder) under a new temp root. */
function tree(paths: readonly string[], root = tmp()): string {
  for (const p of paths) {
    const full = join(root, p);
    if (p.endsWith('/')) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, 'x');
    }
  }
  return root;
}

/** The error a listing throws: a DataFileError of one line. */
function refusal(f: () => unknown): string {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DataFileError);
  const message = (caught as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

const rel = (root: string, files: readonly string[]) => files.map((f) => f.slice(root.length + 1));

describe('image folders: classes and order', () => {
  it('classes are the train folders in code point order (not UTF-16 order, not locale order), labels their positions', () => {
    // U+FF61 sorts before U+1F600 by code point, after it in UTF-16 units (0xD83D < 0xFF61); 'B' < 'a' < 'é'.
    const names = ['a', 'B', 'é', '\u{1F600}', '\uFF61', 'b'];
    const root = tree([...names.map((n) => `train/${n}/1.png`), 'test/a/1.png']);
    const s = listImageFolder(root);
    expect(s.classes).toEqual(['B', 'a', 'b', 'é', '\uFF61', '\u{1F600}']);
    expect(rel(root, s.train.files)).toEqual(s.classes.map((c) => `train/${c}/1.png`));
    expect([...s.train.labels]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...s.test.labels]).toEqual([1]);
    expect(s.val).toBeNull();
    // the comparison itself, against the UTF-16 order JavaScript's sort would give
    expect(['\u{1F600}', '\uFF61'].sort()).toEqual(['\u{1F600}', '\uFF61']);
    expect(['\u{1F600}', '\uFF61'].sort(compareCodePoints)).toEqual(['\uFF61', '\u{1F600}']);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('x', 'x')).toBe(0);
  });

  it("walks a class recursively in torchvision's order: sorted(os.walk(...)) by directory path, then names", () => {
    // sorted() on the walk's roots compares whole paths: 'c/sub-x' < 'c/sub/deep' since '-' < '/'.
    const root = tree([
      'train/c/z.png', 'train/c/a.jpg', 'train/c/sub/b.png', 'train/c/sub/deep/a.png', 'train/c/sub-x/a.png', 'train/c/B.JPEG',
      'test/c/1.png',
    ]);
    const s = listImageFolder(root);
    expect(rel(root, s.train.files)).toEqual([
      'train/c/B.JPEG', 'train/c/a.jpg', 'train/c/z.png', 'train/c/sub/b.png', 'train/c/sub-x/a.png', 'train/c/sub/deep/a.png',
    ]);
  });

  it('ignores hidden files and folders (.DS_Store, .ipynb_checkpoints) at every level, and a hidden class folder', () => {
    const root = tree([
      'train/cat/1.png', 'train/cat/.DS_Store', 'train/cat/.ipynb_checkpoints/notes.txt', 'train/cat/.hidden.png',
      'train/.Trash/whatever.txt', 'train/dog/2.jpg', 'test/cat/3.png', 'test/.DS_Store', '.DS_Store',
    ]);
    const s = listImageFolder(root);
    expect(s.classes).toEqual(['cat', 'dog']);
    expect(rel(root, s.train.files)).toEqual(['train/cat/1.png', 'train/dog/2.jpg']);
    expect(rel(root, s.test.files)).toEqual(['test/cat/3.png']);
  });

  it('reads val/ when present, with the train classes, and a test split may lack a class', () => {
    const root = tree(['train/a/1.png', 'train/b/2.png', 'test/b/3.png', 'val/b/4.png', 'val/a/5.png']);
    const s = listImageFolder(root);
    expect(rel(root, s.test.files)).toEqual(['test/b/3.png']);
    expect([...s.test.labels]).toEqual([1]);
    expect(rel(root, s.val!.files)).toEqual(['val/a/5.png', 'val/b/4.png']);
    expect([...s.val!.labels]).toEqual([0, 1]);
  });

  it("follows a symbolic link to a folder of images outside the tree, and to a file", () => {
    const elsewhere = tree(['x.png', 'y.png']);
    const root = tree(['train/a/1.png', 'test/a/1.png']);
    symlinkSync(elsewhere, join(root, 'train/a/linked'));
    symlinkSync(join(elsewhere, 'x.png'), join(root, 'train/a/2.png'));
    const s = listImageFolder(root);
    expect(rel(root, s.train.files)).toEqual(['train/a/1.png', 'train/a/2.png', 'train/a/linked/x.png', 'train/a/linked/y.png']);
  });

  it("keeps the spec's classes in its order (labels follow it), and refuses a folder not among them or a class without training images", () => {
    const root = tree(['train/cat/1.png', 'train/dog/2.png', 'test/dog/3.png']);
    const s = listImageFolder(root, ['dog', 'cat']);
    expect(s.classes).toEqual(['dog', 'cat']);
    expect(rel(root, s.train.files)).toEqual(['train/cat/1.png', 'train/dog/2.png']);
    expect([...s.train.labels]).toEqual([1, 0]);
    expect([...s.test.labels]).toEqual([0]);
    expect(refusal(() => listImageFolder(root, ['dog']))).toBe(`${root}/train: class "cat" is not among the spec's data.classes ("dog")`);
    expect(refusal(() => listImageFolder(root, ['dog', 'cat', 'bird']))).toBe(`${root}/train: no training images for class "bird" of the spec's data.classes`);
  });
});

describe('image folders: refusals name the path', () => {
  it('a non-image file in a class folder', () => {
    const root = tree(['train/a/1.png', 'train/a/sub/notes.txt', 'test/a/1.png']);
    expect(refusal(() => listImageFolder(root))).toBe(`${root}/train/a/sub/notes.txt: not an image file (cnnc reads .png, .jpg, .jpeg); move it out of the data folder`);
    const none = tree(['train/a/1.png', 'train/a/README', 'test/a/1.png']);
    expect(refusal(() => listImageFolder(none))).toContain(`${none}/train/a/README: not an image file`);
  });

  it('an image format cnnc does not decode, named by its extension', () => {
    const root = tree(['train/a/1.png', 'train/a/2.webp', 'test/a/1.png']);
    expect(refusal(() => listImageFolder(root))).toBe(`${root}/train/a/2.webp: WEBP images are not read by cnnc (it reads PNG and JPEG); convert it, or move it out of the data folder`);
  });

  it('an empty class folder, also one holding only hidden files, in train or test', () => {
    const root = tree(['train/a/1.png', 'train/b/', 'test/a/1.png']);
    expect(refusal(() => listImageFolder(root))).toBe(`${root}/train/b: an empty class folder (no .png or .jpg files)`);
    const hidden = tree(['train/a/1.png', 'train/b/.DS_Store', 'train/b/sub/', 'test/a/1.png']);
    expect(refusal(() => listImageFolder(hidden))).toBe(`${hidden}/train/b: an empty class folder (no .png or .jpg files)`);
    const test = tree(['train/a/1.png', 'test/a/']);
    expect(refusal(() => listImageFolder(test))).toBe(`${test}/test/a: an empty class folder (no .png or .jpg files)`);
  });

  it('a split folder with no class folders (nothing, or only hidden ones): train, test and val alike', () => {
    for (const split of ['train', 'test', 'val']) {
      const root = tree(['train/a/1.png', 'test/a/1.png', 'val/a/1.png'].filter((p) => !p.startsWith(split)).concat([`${split}/.cache/`]));
      expect(refusal(() => listImageFolder(root))).toBe(`${root}/${split}: no class folders, so no images (the layout is ${root}/${split}/<class>/<image>)`);
    }
  });

  it('a file directly in train/ (not in a class folder)', () => {
    const root = tree(['train/a/1.png', 'train/stray.png', 'test/a/1.png']);
    expect(refusal(() => listImageFolder(root))).toBe(`${root}/train/stray.png: not in a class folder (the layout is ${root}/train/<class>/<image>)`);
  });

  it('a class in test (or val) that train does not have', () => {
    const root = tree(['train/a/1.png', 'test/a/1.png', 'test/zebra/2.png']);
    expect(refusal(() => listImageFolder(root))).toBe(`${root}/test/zebra: class "zebra" has no folder in train (its classes: a)`);
    const val = tree(['train/a/1.png', 'test/a/1.png', 'val/b/2.png']);
    expect(refusal(() => listImageFolder(val))).toContain(`${val}/val/b: class "b" has no folder in train`);
  });

  it('a missing test/ or train/, and a missing folder', () => {
    const root = tree(['train/a/1.png']);
    expect(refusal(() => listImageFolder(root))).toBe(`${root}/test: missing (an image folder holds train/<class>/<image> and test/<class>/<image>)`);
    const noTrain = tree(['test/a/1.png']);
    expect(refusal(() => listImageFolder(noTrain))).toContain(`${noTrain}/train: missing`);
    expect(refusal(() => listImageFolder(join(root, 'nope')))).toMatch(new RegExp(`^${root}/nope: no such directory`));
  });

  it('a symbolic-link loop (a folder linking to itself, or to the split above it)', () => {
    const root = tree(['train/a/1.png', 'test/a/1.png']);
    symlinkSync('..', join(root, 'train/a/up'));
    // up/ is train/ itself, a folder not yet walked; up/a is where the walk came from.
    expect(refusal(() => listImageFolder(root))).toBe(`${root}/train/a/up/a: a symbolic-link loop (it leads back to ${root}/train/a)`);
    const self = tree(['train/a/1.png', 'test/a/1.png']);
    symlinkSync('.', join(self, 'train/a/me'));
    expect(refusal(() => listImageFolder(self))).toBe(`${self}/train/a/me: a symbolic-link loop (it leads back to ${self}/train/a)`);
  });

  it('a broken symbolic link, to a file or as a class folder', () => {
    const root = tree(['train/a/1.png', 'test/a/1.png']);
    symlinkSync(join(root, 'gone.png'), join(root, 'train/a/2.png'));
    expect(refusal(() => listImageFolder(root))).toBe(`${root}/train/a/2.png: a broken symbolic link (ENOENT)`);
    const cls = tree(['train/a/1.png', 'test/a/1.png']);
    symlinkSync(join(cls, 'gone'), join(cls, 'train/b'));
    expect(refusal(() => listImageFolder(cls))).toBe(`${cls}/train/b: a broken symbolic link (ENOENT)`);
  });

  it('a file name that is not UTF-8, shown with its bytes escaped', () => {
    const root = tree(['train/a/1.png', 'test/a/1.png']);
    // 'caf\xe9.png' in Latin-1: a lone 0xE9 is not UTF-8
    writeFileSync(Buffer.concat([Buffer.from(`${root}/train/a/`), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x70, 0x6e, 0x67])]), 'x');
    expect(refusal(() => listImageFolder(root))).toBe(`${root}/train/a/caf\\xe9.png: the file name is not UTF-8; rename it`);
    const cls = tree(['train/a/1.png', 'test/a/1.png']);
    mkdirSync(Buffer.concat([Buffer.from(`${cls}/train/`), Buffer.from([0xff, 0x62])]));
    expect(refusal(() => listImageFolder(cls))).toBe(`${cls}/train/\\xffb: the file name is not UTF-8; rename it`);
  });

  it('a file or class name holding a control character (an ESC, a newline), shown escaped: no raw control byte reaches the terminal', () => {
    const root = tree(['train/a/1.png', 'test/a/1.png', 'train/a/x\x1b[31mred.png']);
    expect(refusal(() => listImageFolder(root))).toBe(`${root}/train/a/x\\x1b[31mred.png: the file name holds a control character; rename it`);
    const cls = tree(['train/a/1.png', 'test/a/1.png', 'train/b\nc/1.png']);
    expect(refusal(() => listImageFolder(cls))).toBe(`${cls}/train/b\\x0ac: the file name holds a control character; rename it`);
  });
});

describe('CSV manifests', () => {
  /** Writes the named files (a manifest's text, or an image's placeholder bytes) into a temp dir. */
  function files(entries: Record<string, string>): string {
    const root = tmp();
    for (const [name, text] of Object.entries(entries)) {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), text);
    }
    return root;
  }

  it('paths are relative to the CSV, labels in first-seen order sorted, the header optional, rows kept in order', () => {
    const root = files({ 'img/1.png': 'x', 'img/2.png': 'x', 'img/3.jpg': 'x', 'm/train.csv': 'path,label\n../img/2.png,dog\n../img/1.png,cat\n', 'm/test.csv': '../img/3.jpg,dog\n' });
    const s = listCsvManifests({ train: join(root, 'm/train.csv'), test: join(root, 'm/test.csv') });
    expect(s.classes).toEqual(['cat', 'dog']);
    expect(s.train.files).toEqual([join(root, 'img/2.png'), join(root, 'img/1.png')]);
    expect([...s.train.labels]).toEqual([1, 0]);
    expect(s.test.files).toEqual([join(root, 'img/3.jpg')]);
    expect([...s.test.labels]).toEqual([1]);
    expect(s.val).toBeNull();
  });

  it("the spec's classes give the order; a label not among them is refused at its line", () => {
    const root = files({ 'a.png': 'x', 'b.png': 'x', 'train.csv': 'a.png,zebra\nb.png,ant\n', 'test.csv': 'a.png,ant\n' });
    const s = listCsvManifests({ train: join(root, 'train.csv'), test: join(root, 'test.csv') }, ['zebra', 'ant']);
    expect([...s.train.labels]).toEqual([0, 1]);
    expect(refusal(() => listCsvManifests({ train: join(root, 'train.csv'), test: join(root, 'test.csv') }, ['ant']))).toBe(`${root}/train.csv: class "zebra" is not among the spec's data.classes ("ant")`);
  });

  it('quoted fields hold commas and doubled quotes; CRLF line ends and a BOM are read', () => {
    const root = files({ 'a, b.png': 'x', 'say "hi".png': 'x', 'train.csv': '\uFEFFpath,label\r\n"a, b.png","x, y"\r\n"say ""hi"".png",z\r\n', 'test.csv': '"a, b.png",z' });
    const s = listCsvManifests({ train: join(root, 'train.csv'), test: join(root, 'test.csv') });
    expect(s.classes).toEqual(['x, y', 'z']);
    expect(s.train.files).toEqual([join(root, 'a, b.png'), join(root, 'say "hi".png')]);
    expect([...s.train.labels]).toEqual([0, 1]);
    expect([...s.test.labels]).toEqual([1]);
    // the parser alone: line numbers count the lines a quoted field spans, blank lines are skipped
    expect(parseCsv('a,b\r\n\r\n"multi\nline",c\nlast,"q""uote"', 'm.csv')).toEqual([
      { line: 1, fields: ['a', 'b'] }, { line: 3, fields: ['multi\nline', 'c'] }, { line: 5, fields: ['last', 'q"uote'] }]);
    expect(refusal(() => parseCsv('a,b\n"open,c\n', 'm.csv'))).toBe('m.csv:2: a quoted field is not closed');
  });

  it('a val manifest is read with the train classes; an unknown label in it is refused at its line', () => {
    const root = files({ 'a.png': 'x', 'train.csv': 'a.png,cat\na.png,dog\n', 'test.csv': 'a.png,cat\n', 'val.csv': 'a.png,dog\na.png,cat\n', 'bad-val.csv': 'a.png,cat\na.png,cow\n' });
    const s = listCsvManifests({ train: join(root, 'train.csv'), test: join(root, 'test.csv'), val: join(root, 'val.csv') });
    expect([...s.val!.labels]).toEqual([1, 0]);
    expect(refusal(() => listCsvManifests({ train: join(root, 'train.csv'), test: join(root, 'test.csv'), val: join(root, 'bad-val.csv') }))).toBe(`${root}/bad-val.csv:2: unknown label "cow" (the train manifest's classes: cat, dog)`);
  });

  it('a row whose file is missing is refused as file:line, naming the file', () => {
    const root = files({ 'a.png': 'x', 'train.csv': 'path,label\na.png,cat\r\nmissing.png,cat\n', 'test.csv': 'a.png,cat\n' });
    expect(refusal(() => listCsvManifests({ train: join(root, 'train.csv'), test: join(root, 'test.csv') }))).toBe(`${root}/train.csv:3: ${root}/missing.png: no such file`);
  });

  it('an unknown label in test is refused at its line, naming the label and the classes', () => {
    const root = files({ 'a.png': 'x', 'train.csv': 'a.png,cat\na.png,dog\n', 'test.csv': 'a.png,cat\n\na.png,emu\n' });
    expect(refusal(() => listCsvManifests({ train: join(root, 'train.csv'), test: join(root, 'test.csv') }))).toBe(`${root}/test.csv:3: unknown label "emu" (the train manifest's classes: cat, dog)`);
  });

  it('a row with the wrong number of fields, an empty label, a non-image path, a missing manifest', () => {
    const at = (train: string, extra: Record<string, string> = {}) => {
      const root = files({ 'a.png': 'x', 'notes.txt': 'x', 'train.csv': train, 'test.csv': 'a.png,cat\n', ...extra });
      return { root, message: refusal(() => listCsvManifests({ train: join(root, 'train.csv'), test: join(root, 'test.csv') })) };
    };
    let r = at('a.png,cat\na.png,cat,extra\n');
    expect(r.message).toBe(`${r.root}/train.csv:2: expected 2 fields (path,label), got 3`);
    r = at('a.png\n');
    expect(r.message).toBe(`${r.root}/train.csv:1: expected 2 fields (path,label), got 1`);
    r = at('a.png,\n');
    expect(r.message).toBe(`${r.root}/train.csv:1: the label is empty`);
    r = at('notes.txt,cat\n');
    expect(r.message).toBe(`${r.root}/notes.txt: not an image file (cnnc reads .png, .jpg, .jpeg); move it out of the data folder`);
    r = at('"x\x1b[2J.png",cat\n');
    expect(r.message).toBe(`${r.root}/train.csv:1: the path "x\\u001b[2J.png" holds a control character`);
    r = at('path,label\n');
    expect(r.message).toBe(`${r.root}/train.csv: no images listed (each line is path,label)`);
    const root = files({ 'a.png': 'x', 'train.csv': 'a.png,cat\n' });
    expect(refusal(() => listCsvManifests({ train: join(root, 'train.csv'), test: join(root, 'nope.csv') }))).toBe(`${root}/nope.csv: cannot read the manifest (ENOENT)`);
  });
});

describe('splitValidation', () => {
  /** 3 classes of 40, 20 and 10 images, interleaved, each file named by its index. */
  const train: ImageList = (() => {
    const labels: number[] = [];
    for (let i = 0; i < 70; i++) labels.push(i % 7 < 4 ? 0 : i % 7 < 6 ? 1 : 2);
    return { files: labels.map((_, i) => `f${i}`), labels: Int32Array.from(labels) };
  })();
  const count = (l: ImageList, y: number) => [...l.labels].filter((v) => v === y).length;

  it("is stratified: round(fraction × each class's count) of each class held out", () => {
    const { train: t, val } = splitValidation(train, 0.25, 1, 'here');
    expect([0, 1, 2].map((y) => count(val, y))).toEqual([10, 5, 3]); // 40·0.25, 20·0.25, round(2.5) = 3 (JS rounds half up)
    expect([0, 1, 2].map((y) => count(t, y))).toEqual([30, 15, 7]);
  });

  it('is disjoint and complete, each part in the listing order, labels kept with their files', () => {
    const { train: t, val } = splitValidation(train, 0.3, 5, 'here');
    const all = [...t.files, ...val.files];
    expect(new Set(all).size).toBe(70);
    expect([...all].sort()).toEqual([...train.files].sort());
    const index = (f: string) => Number(f.slice(1));
    for (const part of [t, val]) {
      expect(part.files.map(index)).toEqual([...part.files.map(index)].sort((a, b) => a - b));
      part.files.forEach((f, i) => expect(part.labels[i]).toBe(train.labels[index(f)]));
    }
  });

  it('is seeded: the same seed holds out the same images, another seed others', () => {
    const a = splitValidation(train, 0.2, 7, 'here').val.files;
    expect(splitValidation(train, 0.2, 7, 'here').val.files).toEqual(a);
    expect(splitValidation(train, 0.2, 8, 'here').val.files).not.toEqual(a);
  });

  it('holds out at least one of a class of two or more, none of a class of one; refuses a split that holds out nothing', () => {
    const small: ImageList = { files: ['a', 'b', 'c'], labels: Int32Array.from([0, 0, 1]) };
    const { train: t, val } = splitValidation(small, 0.01, 1, 'here');
    expect([...val.labels]).toEqual([0]);
    expect([...t.labels].sort()).toEqual([0, 1]);
    const singles: ImageList = { files: ['a', 'b'], labels: Int32Array.from([0, 1]) };
    expect(refusal(() => splitValidation(singles, 0.5, 1, '/data'))).toBe('/data: val_split 0.5 holds out no images (every class needs two or more)');
  });
});

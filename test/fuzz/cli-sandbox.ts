// The CLI flags fuzz suite's world: the commands and flags read from `cnnc --help` (so a new flag is
// fuzzed without editing the suite), a sandbox directory that is the working directory and TMPDIR
// during the run, and a listing of what a command wrote.
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { cnnc } from '../cli.js';
import { idxBytes } from '../train/idx-bytes.js';

export interface Flag {
  /** `--batch-size` */
  readonly long: string;
  /** `-o`, where there is one */
  readonly short?: string;
  readonly takesValue: boolean;
  /** `n` for `--epochs <n>`: what the value is. */
  readonly metavar?: string;
}

export interface CommandShape {
  readonly name: string;
  /** From the usage line: `<spec>`, `<images...>`, `[new]`. */
  readonly positionals: readonly { readonly name: string; readonly required: boolean; readonly variadic: boolean }[];
  readonly flags: readonly Flag[];
}

/** Every command `cnnc --help` lists (but help), with its positionals and flags from `cnnc CMD --help`. */
export async function commandShapes(): Promise<CommandShape[]> {
  const top = (await cnnc('--help')).out;
  const names = [...top.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  const shapes: CommandShape[] = [];
  for (const name of names) {
    const help = (await cnnc(name, '--help')).out;
    const usage = /^Usage: cnnc \S+ (.*)$/m.exec(help)?.[1] ?? '';
    const positionals = [...usage.replace('[options]', '').matchAll(/([<[])([a-z-]+)(\.\.\.)?[>\]]/g)].map((m) => ({ name: m[2]!, required: m[1] === '<', variadic: m[3] !== undefined }));
    const options = help.slice(help.indexOf('Options:'));
    const flags = [...options.matchAll(/^ {2}(?:(-[a-zA-Z]), )?(--[a-z][a-z-]*)(?: [<[]([^>\]]+)[>\]])?/gm)]
      .map((m) => ({ long: m[2]!, ...(m[1] === undefined ? {} : { short: m[1] }), takesValue: m[3] !== undefined, ...(m[3] === undefined ? {} : { metavar: m[3] }) }))
      .filter((f) => f.long !== '--help');
    shapes.push({ name, positionals, flags });
  }
  return shapes;
}

/** A scratch world: a spec, weights, a PNG, an IDX data folder, a finished run, odd files and folders. */
export interface Sandbox {
  readonly root: string;
  readonly spec: string;
  readonly weights: string;
  readonly image: string;
  readonly idx: string;
  readonly run: string;
  readonly emptyDir: string;
  readonly textFile: string;
}

export async function makeSandbox(specSource: string, weights: Uint8Array, png: Uint8Array): Promise<Sandbox> {
  const root = mkdtempSync(join(tmpdir(), 'cnnc-fuzz-flags-'));
  const at = (...p: string[]): string => join(root, ...p);
  mkdirSync(at('specs'));
  mkdirSync(at('tmp'));
  mkdirSync(at('empty'));
  mkdirSync(at('idx'));
  writeFileSync(at('specs', 'tiny.yaml'), specSource);
  writeFileSync(at('tiny.safetensors'), weights);
  writeFileSync(at('digit.png'), png);
  writeFileSync(at('notes.txt'), 'not a spec, not weights\n');
  const n = 16;
  const pixels = Array.from({ length: n * 28 * 28 }, (_, k) => (k * 13) % 256);
  const labels = Array.from({ length: n }, (_, i) => i % 10);
  for (const split of ['train', 't10k']) {
    writeFileSync(at('idx', `${split}-images-idx3-ubyte`), idxBytes([n, 28, 28], pixels));
    writeFileSync(at('idx', `${split}-labels-idx1-ubyte`), idxBytes([n], labels, 0x08));
  }
  const s: Sandbox = {
    root,
    spec: at('specs', 'tiny.yaml'),
    weights: at('tiny.safetensors'),
    image: at('digit.png'),
    idx: at('idx'),
    run: at('run-done'),
    emptyDir: at('empty'),
    textFile: at('notes.txt'),
  };
  const r = await cnnc('train', s.spec, '--out', s.run, '--limit', '8', '--epochs', '1', '--threads', '1');
  if (r.code !== 0) throw new Error(`the sandbox's run failed: ${r.err}`);
  return s;
}

export function copySpec(s: Sandbox, name: string): string {
  const to = join(s.root, 'specs', name);
  copyFileSync(s.spec, to);
  return to;
}

/** path → size and mtime of every file under `dir`. */
export function listing(dir: string, recursive = true): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out.set(p + sep, 'dir');
        if (recursive) walk(p);
      } else {
        try {
          const st = statSync(p);
          out.set(p, `${st.size}:${st.mtimeMs}`);
        } catch {
          out.set(p, 'dangling');
        }
      }
    }
  };
  walk(dir);
  return out;
}

/** Paths new or changed in `after`. */
export function written(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([p, v]) => before.get(p) !== v).map(([p]) => p);
}

/** Whether `path` is `root` or lies under it. */
export function inside(path: string, root: string): boolean {
  const r = relative(resolve(root), resolve(path));
  return r === '' || (!r.startsWith('..') && !r.startsWith(sep) && r !== '..');
}

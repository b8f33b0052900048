// Property-based (issue 14): any value for any flag of any cnnc command — numbers out of range,
// negative, NaN, 1e309, hex, empty, unicode, very long strings, paths that do not exist, folders,
// /dev/null — ends in a documented exit code (0, 1 a user error, 2 usage; 3 for a diverged train),
// never 70 (a bug in cnnc); stderr holds no stack trace; and nothing is written outside what the
// command was told to write (--out / -o / --resume, or its documented default). The commands and
// flags are read from `cnnc --help`, so a new flag is fuzzed without editing this file.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cnnc } from '../cli.js';
import { tinyModel, tinySpec } from './model.js';
import { commandShapes, inside, listing, makeSandbox, written, type CommandShape, type Flag, type Sandbox } from './cli-sandbox.js';

/** Fixed, so CI replays the same cases; fast-check prints the seed and the path of a failure. */
const SEED = 14_2027;
/** Runs per command; a train run is ~0.2 s on 8 images. */
const RUNS: Record<string, number> = { train: 40, eval: 30, predict: 30, build: 40, check: 40, inspect: 40, diff: 40 };
const DEFAULT_RUNS = 30;

let s: Sandbox;
let shapes: CommandShape[];
let home: string;
let savedTmp: string | undefined;
/** Outside the sandbox: where a careless default would write (the repo's root, runs/, specs/). */
const REPO_DIRS = ['.', 'runs', 'specs', 'test/train/fixtures'].map((d) => resolve(d));
let repoBefore: string[];

function repoListing(): string[] {
  return REPO_DIRS.flatMap((d) => {
    try {
      return [...listing(d, false).keys()];
    } catch {
      return [`${d} (absent)`];
    }
  });
}

beforeAll(async () => {
  const png = new PNG({ width: 28, height: 28 });
  for (let p = 0; p < 28 * 28; p++) png.data[4 * p + 3] = 255;
  const { weights } = await tinyModel(0);
  s = await makeSandbox((await tinySpec()).source, weights, PNG.sync.write(png));
  shapes = await commandShapes();
  repoBefore = repoListing();
  // The sandbox is the working directory (relative paths and runs/<name> land in it) and TMPDIR
  // (so a leaked temp folder is seen).
  home = process.cwd();
  savedTmp = process.env['TMPDIR'];
  process.chdir(s.root);
  process.env['TMPDIR'] = join(s.root, 'tmp');
  expect(tmpdir()).toBe(join(s.root, 'tmp'));
});

afterAll(() => {
  process.chdir(home);
  if (savedTmp === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = savedTmp;
  rmSync(s.root, { recursive: true, force: true });
});

/** Values that break flag parsers and path handling. Paths are the sandbox's or special files. */
function values(): fc.Arbitrary<string> {
  const numbers = fc.constantFrom(
    '0', '1', '2', '8', '-1', '-0', '1.5', '1e3', '1e309', '-1e309', 'NaN', 'Infinity', '-Infinity', '0x10', '0b11', '0o7',
    ' 8', '8 ', '+8', '08', '9007199254740991', '9007199254740993', '4294967295', '4294967296', '1000000', '１２', '٣', '1_000', '', ' ',
  );
  const strings = fc.constantFrom('abc', 'ünï©ødé 🚀', '\u202e', 'x'.repeat(300), 'y'.repeat(5000), '-', '--', '--epochs', '-o', '%s', '$(touch pwned)', '\u0000', 'a\u0000b', '.', 'con');
  const choices = fc.constantFrom('ts', 'js', 'gpujs', 'float32', 'float64', 'text', 'markdown', 'json', 'cpu', 'webasm', 'gpu', 'headlessgl', 'webgpu', 'TS', 'Float32');
  const paths = fc.constantFrom(
    join(s.root, 'nonexistent'), join(s.root, 'nonexistent', 'deeper', 'x'), s.emptyDir, s.textFile, '/dev/null', s.spec, s.weights, s.idx, s.run,
    s.image, '/proc/cnnc-fuzz', join(s.root, 'fresh', 'new'), 'relative/out', `${s.idx}/t10k-images-idx3-ubyte:3`, `${s.idx}/t10k-images-idx3-ubyte:99999`,
  );
  return fc.oneof(numbers, strings, choices, paths, fc.string({ maxLength: 12 }));
}

/** A value of the kind the flag's metavar names (`<n>`, `<x>`, `<dir>`, `<file>`, `<target>`…), so that runs get past their flags to the work. */
function plausible(metavar: string | undefined): fc.Arbitrary<string> {
  const fresh = fc.nat({ max: 1e6 }).map((n) => join(s.root, 'fresh', `p${n}`));
  switch (metavar) {
    case 'n': case 'k': return fc.constantFrom('1', '2', '3', '8');
    case 'x': return fc.constantFrom('0.01', '0.1', '1e-3');
    case 'dir': return fc.oneof(fc.constantFrom(s.idx, s.emptyDir, s.run), fresh);
    case 'file': return fc.oneof(fc.constant(s.weights), fresh.map((p) => `${p}.model.ts`), fresh.map((p) => `${p}.model.js`));
    case 'target': return fc.constantFrom('ts', 'gpujs');
    case 'mode': return fc.constantFrom('cpu', 'webasm', 'gpu', 'headlessgl', 'webgpu');
    case 'dtype': return fc.constantFrom('float32', 'float64');
    case 'kind': return fc.constantFrom('ts', 'js');
    case 'format': return fc.constantFrom('text', 'markdown', 'json');
    default: return values();
  }
}

/** Half plausible, half hostile. */
function flagValue(f: Flag): fc.Arbitrary<string> {
  return fc.oneof(plausible(f.metavar), values());
}

/** A positional's value: mostly what it asks for, sometimes anything. */
function positional(command: string, name: string): fc.Arbitrary<string> {
  const idx = `${s.idx}/t10k-images-idx3-ubyte`;
  const usual = /spec|old|new/.test(name) ? fc.constant(s.spec)
    : /image/.test(name) ? fc.constantFrom(s.image, `${idx}:1`, `${idx}:15`, `${idx}:16`, `${idx}:-1`, `${idx}:0x1`, `${idx}:`, `${idx}:1e309`, `${idx}:1:2`, s.weights)
    : /weights|file/.test(name) ? fc.constant(s.weights) : fc.constant(s.textFile);
  // `cnnc check -` reads stdin, which is the terminal of whoever runs the tests: it would wait for them.
  const any = command === 'check' ? values().filter((v) => v !== '-') : values();
  return fc.oneof({ weight: 4, arbitrary: usual }, { weight: 1, arbitrary: any });
}

interface Case {
  readonly args: string[];
  readonly positionals: string[];
  /** The fuzzed flags, as given. */
  readonly flags: readonly { readonly flag: string; readonly value?: string }[];
  readonly unknownFlag: boolean;
}

interface FlagChoice {
  readonly flag: string;
  readonly value?: string;
  /** `--flag=value` instead of `--flag value` */
  readonly equals: boolean;
}

function cases(c: CommandShape): fc.Arbitrary<Case> {
  const flagChoice = c.flags.map((f): fc.Arbitrary<FlagChoice> => (f.takesValue
    ? fc.record({ flag: fc.constantFrom(f.long, ...(f.short === undefined ? [] : [f.short])), value: flagValue(f), equals: fc.boolean() })
    : fc.constant({ flag: f.long, equals: false })));
  const positionals = c.positionals.map((p) => (p.required || p.variadic
    ? positional(c.name, p.name).map((v) => [v])
    : fc.option(positional(c.name, p.name), { nil: undefined }).map((v) => (v === undefined ? [] : [v]))));
  return fc.record({
    pos: fc.tuple(...positionals),
    flags: fc.array(fc.oneof(...flagChoice), { minLength: 1, maxLength: 4 }),
    // One case in ten adds a flag the command does not have.
    unknown: fc.integer({ min: 0, max: 9 }),
  }).map(({ pos, flags, unknown }): Case => {
    const flagArgs = flags.flatMap((f) => (f.value === undefined ? [f.flag] : f.equals && f.flag.startsWith('--') ? [`${f.flag}=${f.value}`] : [f.flag, f.value]));
    const unknownFlag = unknown === 0;
    return {
      args: [c.name, ...pos.flat(), ...flagArgs, ...(unknownFlag ? ['--fuzz-no-such-flag'] : [])],
      positionals: pos.flat(),
      flags: flags.map((f) => (f.value === undefined ? { flag: f.flag } : { flag: f.flag, value: f.value })),
      unknownFlag,
    };
  });
}

let runNo = 0;

/** Small and fresh for every run: 8 images, one epoch at most two steps, one thread, a new --out. */
function withDefaults(command: string, fuzzed: readonly string[]): { before: string[]; after: string[] } {
  const k = runNo++;
  const has = (f: string): boolean => fuzzed.includes(f);
  switch (command) {
    case 'train':
      return { before: ['--out', join(s.root, 'runs', `r${k}`), '--limit', '8', '--epochs', '1', '--threads', '1'], after: has('--max-steps') ? ['--epochs', '1'] : ['--max-steps', '2'] };
    case 'eval':
      return { before: ['--weights', s.weights, '--limit', '8', '--threads', '1'], after: [] };
    case 'predict':
      return { before: ['--weights', s.weights], after: [] };
    case 'build':
      return { before: ['-o', join(s.root, 'builds', `b${k}`, 'tiny.model.ts')], after: [] };
    default:
      return { before: [], after: [] };
  }
}

/** The last value given for a flag (commander keeps the last). */
function last(args: readonly string[], ...names: string[]): string | undefined {
  let v: string | undefined;
  args.forEach((a, i) => {
    for (const n of names) {
      if (a === n && i + 1 < args.length) v = args[i + 1];
      else if (a.startsWith(`${n}=`)) v = a.slice(n.length + 1);
    }
  });
  return v;
}

/** What `args` allows the command to write: its run folder, its output file(s). */
function allowedWrites(command: string, args: readonly string[], positionals: readonly string[]): string[] {
  switch (command) {
    case 'train': {
      const out = last(args, '--out') ?? last(args, '--resume') ?? join('runs', basename(positionals[0] ?? '', '.yaml').replace(/\.[^.]*$/, ''));
      return [resolve(out)];
    }
    case 'build': {
      const o = last(args, '-o', '--output');
      if (o === '-') return [];
      if (o !== undefined) return [resolve(o), resolve(o.replace(/\.(m?js)$/, '') + '.d.ts')];
      const spec = positionals[0] ?? '';
      const base = basename(spec).replace(/\.ya?ml$/i, '');
      return ['.model.ts', '.model.js', '.model.d.ts', '.gpujs.model.ts', '.gpujs.model.js', '.gpujs.model.d.ts'].map((e) => resolve(dirname(spec), base + e));
    }
    case 'init': { // -o, or <template>.yaml in the working directory
      const o = last(args, '-o', '--output');
      return [resolve(o ?? `${positionals[0] ?? 'mnist'}.yaml`)];
    }
    default:
      return [];
  }
}

const STACK = /^\s+at /m;

/** Exit codes seen, per command: the suite must reach both work done (0) and refusals (1, 2). */
const tally = new Map<string, Map<number, number>>();

async function runCase(c: CommandShape, kase: Case): Promise<void> {
  const fuzzedNames = kase.flags.map((f) => f.flag);
  const d = withDefaults(c.name, fuzzedNames);
  const args = [kase.args[0]!, ...d.before, ...kase.args.slice(1), ...d.after];
  const positionals = kase.positionals;
  const before = listing(s.root);
  const r = await cnnc(...args);
  const after = listing(s.root);
  const shown = `cnnc ${args.map((a) => (a.length > 40 ? `${JSON.stringify(a.slice(0, 20))}…(${a.length})` : JSON.stringify(a))).join(' ')}\n→ exit ${r.code}\n${r.err.slice(0, 2000)}`;
  const seen = tally.get(c.name) ?? new Map<number, number>();
  tally.set(c.name, seen.set(r.code, (seen.get(r.code) ?? 0) + 1));
  const codes = c.name === 'train' ? [0, 1, 2, 3] : [0, 1, 2];
  expect(codes, shown).toContain(r.code);
  expect(r.err, shown).not.toMatch(STACK);
  expect(r.err, shown).not.toMatch(/internal error/);
  // A failure says why: on stderr, or with --json in the JSON on stdout.
  if (r.code !== 0) expect(r.err.trim() + (fuzzedNames.includes('--json') ? r.out.trim() : ''), `${shown}\na failure says why`).not.toBe('');
  if (kase.unknownFlag) expect(r.code, `${shown}\nan unknown flag is a usage error`).toBe(2);
  const allowed = allowedWrites(c.name, args, positionals);
  // A new folder on the way to an allowed path is the `mkdir -p` of --out.
  const stray = written(before, after).filter((p) => !allowed.some((a) => inside(p, a) || (p.endsWith(sep) && inside(a, p))));
  expect(stray, `${shown}\nwritten outside ${JSON.stringify(allowed)}`).toEqual([]);
}

describe('fuzzing every flag of every command', () => {
  it('finds the commands and flags the brief names in --help', () => {
    const names = shapes.map((c) => c.name);
    for (const n of ['train', 'eval', 'predict', 'build', 'check', 'inspect', 'diff']) expect(names).toContain(n);
    const train = shapes.find((c) => c.name === 'train')!;
    expect(train.flags.map((f) => f.long)).toEqual(expect.arrayContaining(['--epochs', '--batch-size', '--lr', '--seed', '--data', '--out', '--resume', '--max-steps', '--limit', '--threads']));
    expect(shapes.find((c) => c.name === 'build')!.flags).toContainEqual({ long: '--output', short: '-o', takesValue: true, metavar: 'file' });
    expect(shapes.find((c) => c.name === 'predict')!.positionals).toEqual([{ name: 'spec', required: true, variadic: false }, { name: 'images', required: true, variadic: true }]);
  });

  it.each(['train', 'eval', 'predict', 'build', 'check', 'inspect', 'diff'])('cnnc %s: exit 0, 1 or 2 (3: diverged), no stack trace, nothing written outside --out / -o', async (name) => {
    const c = shapes.find((x) => x.name === name)!;
    await fc.assert(
      fc.asyncProperty(cases(c), async (kase) => runCase(c, kase)),
      { seed: SEED + name.length * 31 + name.charCodeAt(0), numRuns: RUNS[name] ?? DEFAULT_RUNS, timeout: 30_000 },
    );
    const seen = tally.get(name)!;
    console.log(`cnnc ${name}: exit codes ${JSON.stringify(Object.fromEntries(seen))}`);
    expect(seen.get(0) ?? 0, 'runs that did their work (exit 0)').toBeGreaterThan(0);
    expect((seen.get(1) ?? 0) + (seen.get(2) ?? 0), 'runs refused (exit 1 or 2)').toBeGreaterThan(0);
  });

  it('a command that --help lists beyond these seven is fuzzed too (profile, export, init today)', async () => {
    const fuzzed = new Set(Object.keys(RUNS));
    const others = shapes.filter((c) => !fuzzed.has(c.name));
    for (const c of others) {
      await fc.assert(fc.asyncProperty(cases(c), async (kase) => runCase(c, kase)), { seed: SEED, numRuns: DEFAULT_RUNS, timeout: 30_000 });
    }
  });

  it('a NUL byte in any argument is a usage error, one line (Node\'s fs threw a TypeError on it: exit 70 from build -o and train --out)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...shapes), fc.nat(), async (c, k) => {
        const args = [c.name, s.spec, ...withDefaults(c.name, []).before];
        const at = 1 + (k % (args.length - 1));
        args[at] = `${args[at]}\u0000x`;
        const r = await cnnc(...args);
        expect(r.code).toBe(2);
        expect(r.err).toBe(`cnnc: argument ${at + 1} holds a NUL byte, which no file name or flag value can hold\n`);
      }),
      { seed: SEED + 1, numRuns: 20 },
    );
  });

  it('nothing was written into the repository', () => {
    expect(repoListing()).toEqual(repoBefore);
  });
});

/** Number flags and what they accept. */
const NUMBER_FLAGS: readonly { command: 'train' | 'eval' | 'inspect'; flag: string; kind: 'int' | 'positive-int' | 'positive' }[] = [
  { command: 'train', flag: '--epochs', kind: 'positive-int' },
  { command: 'train', flag: '--batch-size', kind: 'positive-int' },
  { command: 'train', flag: '--lr', kind: 'positive' },
  { command: 'train', flag: '--seed', kind: 'int' },
  { command: 'train', flag: '--max-steps', kind: 'int' },
  { command: 'train', flag: '--limit', kind: 'positive-int' },
  { command: 'train', flag: '--threads', kind: 'positive-int' },
  { command: 'eval', flag: '--limit', kind: 'positive-int' },
  { command: 'eval', flag: '--threads', kind: 'positive-int' },
  { command: 'inspect', flag: '--batch-size', kind: 'positive-int' },
];

/** Not a number in any notation a user means: refused today. */
const NOT_NUMBERS = ['abc', 'NaN', 'Infinity', '-Infinity', '1e309', '-1', '-1e309', '１２', '٣', '1,000', '8x', '--'];
/** Read by Number() as 16, 3, 7 and 0: accepted today (bin/commands/compile-model.ts numberFlag). */
const NUMBER_NOTATIONS = ['0x10', '0b11', '0o7', '', ' '];

/** `cnnc COMMAND … FLAG value`: exit 1, one line on stderr naming the flag and the value, and nothing written. */
async function refusesNumber(command: 'train' | 'eval' | 'inspect', flag: string, value: string): Promise<void> {
  const out = join(s.root, 'runs', `number-${runNo++}`);
  const args = command === 'train'
    ? ['train', s.spec, '--out', out, '--limit', '8', '--epochs', '1', '--max-steps', '0', '--threads', '1', flag, value]
    : command === 'eval' ? ['eval', s.spec, '--weights', s.weights, '--limit', '8', '--threads', '1', flag, value] : ['inspect', s.spec, flag, value];
  const r = await cnnc(...args);
  const shown = `cnnc ${args.map((a) => JSON.stringify(a)).join(' ')} → exit ${r.code}\n${r.err}`;
  expect(r.code, shown).toBe(1);
  expect(r.err.split('\n'), shown).toEqual([expect.stringContaining(`${flag} expects`), '']);
  expect(r.err, shown).toContain(JSON.stringify(value));
  expect(r.out, shown).toBe('');
  expect(existsSync(out), `${shown}\nno run directory for a refused flag`).toBe(false);
}

describe('number flags', () => {
  it('a value that is no number (NaN, 1e309, -1, abc, full-width digits…) is exit 1, one line naming the flag, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...NUMBER_FLAGS), fc.constantFrom(...NOT_NUMBERS, ...(['1.5', '0.5'])), async (f, value) => {
        if (f.kind === 'positive' && /^\d*\.\d+$/.test(value)) return; // 1.5 is a learning rate
        await refusesNumber(f.command, f.flag, value);
      }),
      { seed: SEED + 2, numRuns: 40 },
    );
  });

  it('inspect --batch-size refuses hex, binary, octal and empty values too (Number() read 0x10 as 16 and " " as 0)', async () => {
    for (const value of NUMBER_NOTATIONS) await refusesNumber('inspect', '--batch-size', value);
  });

  // Number(value) accepted 0x10 (16), 0b11 (3), 0o7 (7), and '' and ' ' (0): `cnnc train --epochs 0x10`
  // trained 16 epochs and `--seed ''` was seed 0. numberFlag now takes decimal numbers only.
  it('train and eval number flags refuse 0x10, 0b11, 0o7, "" and " "', async () => {
    for (const f of NUMBER_FLAGS.filter((x) => x.command !== 'inspect')) {
      for (const value of NUMBER_NOTATIONS) await refusesNumber(f.command, f.flag, value);
    }
  });
});

/**
 * /dev/full reads as zeros forever, and readFileSync on it never returns; these spawn the built CLI
 * (dist/, as npm test builds it) with a time limit, since an in-process read cannot be interrupted.
 */
function cliWithin(seconds: number, args: readonly string[]): { status: number | null; stderr: string; timedOut: boolean } {
  const r = spawnSync(process.execPath, [join(home, 'bin', 'cnnc.js'), ...args], { cwd: s.root, encoding: 'utf8', timeout: seconds * 1000, killSignal: 'SIGKILL' });
  return { status: r.status, stderr: r.stderr, timedOut: r.error !== undefined || r.signal !== null };
}

describe('an endless device as a file argument', () => {
  const hasFull = existsSync('/dev/full');

  // One process for both (a start costs seconds on a busy machine): build reads a spec, eval a weights
  // file (bin/commands/weights.ts, which predict shares), each bounded by runtime/node/read-bounded.ts.
  it.skipIf(!hasFull)('cnnc build /dev/full and cnnc eval --weights /dev/full are refused in seconds, exit 1, one line each (they read forever)', () => {
    const script = `const { run } = await import(${JSON.stringify(pathToFileURL(join(home, 'dist', 'bin', 'main.js')).href)});
      const codes = [];
      codes.push(await run(['node', 'cnnc', 'build', '/dev/full', '-o', ${JSON.stringify(join(s.root, 'endless.model.ts'))}]));
      codes.push(await run(['node', 'cnnc', 'eval', ${JSON.stringify(s.spec)}, '--weights', '/dev/full', '--limit', '8']));
      process.stdout.write(JSON.stringify(codes));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: s.root, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    expect(r.signal, `killed: it read forever\n${r.stderr}`).toBe(null);
    expect(r.stdout).toBe('[1,1]');
    expect(r.stderr.split('\n')).toEqual([
      'cnnc build: cannot read /dev/full: it is not a regular file and goes on past 64 MiB, which no spec does',
      expect.stringMatching(/^error: cannot read \/dev\/full: it is not a regular file and goes on past 96 MiB, more than any weights file of TinyNet \(byte \d+\)$/),
      '',
    ]);
  });

  it('a weights file from a pipe still loads (cnnc eval --weights FIFO, written by cat)', async () => {
    const fifo = join(s.root, 'weights.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', 'exec cat "$0" > "$1"', s.weights, fifo]); // exec: a kill ends the writer, even one still waiting for a reader
    const r = await cnnc('eval', s.spec, '--weights', fifo, '--limit', '8', '--threads', '1');
    writer.kill();
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^data: .*\ntest loss: \d+\.\d{4}\n/);
  });

  // Each read the spec (compiler/1-parse/read.ts readSpecBytes) or predict's image with readFileSync, which on
  // /dev/full never returns (`timeout 10 npx cnnc check /dev/full` gave 124); both reads are bounded now.
  it.skipIf(!hasFull)('check, inspect, diff, train, eval and predict refuse /dev/full as the spec, and predict as an image', () => {
    for (const args of [['check', '/dev/full'], ['inspect', '/dev/full'], ['diff', '/dev/full', s.spec], ['train', '/dev/full'], ['eval', '/dev/full', '--weights', s.weights], ['predict', s.spec, '/dev/full', '--weights', s.weights]]) {
      const r = cliWithin(20, args);
      expect(r.timedOut, args.join(' ')).toBe(false);
      // diff's errors are 2, as for a missing file: its 1 means "the models differ" under --exit-code.
      expect(r.status, args.join(' ')).toBe(args[0] === 'diff' ? 2 : 1);
    }
  });
});

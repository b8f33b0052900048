// Property-based (issue 14): whatever bytes a user hands cnnc as weights, the answer is a correct load
// or a SafetensorsError that names the tensor or the byte offset, with the model unchanged; and
// `cnnc eval --weights` / `cnnc predict --weights` exit 0 or 1 (never 70) with one line and no stack.
// The files start as real weights (tiny.yaml compiled as the CLI compiles it, saveWeights()) and are
// mutated: bit flips, truncation, spliced bytes, header edits (dtype, shape, data_offsets, huge and
// negative numbers, duplicate and reserved names, metadata), a wrong header length, NaN/Inf in the data.
// An independent reader (reference-safetensors.ts) says which files should load, and with what.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { SafetensorsError, decodeSafetensors, encodeSafetensors, loadNamedTensors, readTensor, withMetadata } from '../../runtime/safetensors.js';
import type { CompiledModel } from '../../runtime/model.js';
import { cnnc } from '../cli.js';
import { TINY_SPEC, tinyModel } from './model.js';
import { referenceRead, type Param } from './reference-safetensors.js';
import { applyMutations, describeMutations, join, mutation, split, tensorMutation, type Mutation } from './weights-bytes.js';

/** Fixed, so CI replays the same cases; fast-check prints the seed and the path of a failure. */
const SEED = 14_2026;
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

let model: CompiledModel;
let original: Uint8Array;
let params: Param[];
const dir = mkdtempSync(joinPath(tmpdir(), 'cnnc-fuzz-weights-'));

beforeAll(async () => {
  ({ model, weights: original } = await tinyModel(0));
  params = model.parameters().map((p) => ({ name: p.name, shape: p.shape }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function snapshot(m: CompiledModel): Float32Array[] {
  return m.parameters().map((p) => Float32Array.from(p.data as Float32Array));
}

/** The same values, bit for bit (NaN-safe, -0 ≠ 0). */
function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  return a.length === b.length && a.constructor === b.constructor && a.every((v, i) => Object.is(v, b[i]));
}

/** A refusal of the documented kind: a SafetensorsError whose message names a tensor (in quotes) or a byte. */
function expectDocumentedRefusal(e: unknown, bytes: Uint8Array): SafetensorsError {
  expect(e, `threw ${String(e)}`).toBeInstanceOf(SafetensorsError);
  const s = e as SafetensorsError;
  expect(s.message).toMatch(/^cannot load weights: /);
  const namesTensor = s.tensor !== undefined && s.message.includes(`"${s.tensor}"`);
  const namesByte = /\bbytes? \d+/.test(s.message);
  expect(namesTensor || namesByte, `names a tensor or a byte: ${s.message}`).toBe(true);
  if (s.offset !== undefined) {
    expect(Number.isSafeInteger(s.offset) && s.offset >= 0 && s.offset <= bytes.length, `offset ${s.offset} inside the file`).toBe(true);
  }
  expect(s.message, 'one line').not.toMatch(/\n/);
  return s;
}

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: SafetensorsError };

/** model.loadWeights(bytes), checked against the reference reader; the model reset to `original` first. */
function loadChecked(bytes: Uint8Array): Outcome {
  model.loadWeights(original);
  const before = snapshot(model);
  const ref = referenceRead(bytes, params);
  let thrown: unknown;
  try {
    model.loadWeights(bytes);
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) {
    // Loaded: the reference agrees that it should, and the model holds the file's values exactly.
    expect(ref, 'loaded a file the reference refuses').toMatchObject({ ok: true });
    if (!ref.ok) throw new Error('unreachable');
    model.parameters().forEach((p) => expect(sameBits(p.data as Float32Array, ref.values.get(p.name)!), `${p.name} holds the file's values`).toBe(true));
    return { ok: true };
  }
  const error = expectDocumentedRefusal(thrown, bytes);
  snapshot(model).forEach((a, i) => expect(sameBits(a, before[i]!), `${params[i]!.name} unchanged after a refusal`).toBe(true));
  // Refused: the reference refuses it too, or the file breaks one of the two rules that JSON.parse
  // cannot see (reference-safetensors.ts): a duplicate key, or an integer not written as digits.
  if (ref.ok) expect(error.message).toMatch(/duplicate key|must hold non-negative integers, found/);
  return { ok: false, error };
}

describe('fuzzing the weights loader with mutated real weights', () => {
  it('the unmutated weights load, and the reference reads the same values', () => {
    expect(loadChecked(original)).toEqual({ ok: true });
  });

  it('model.loadWeights: a correct load or a SafetensorsError naming the tensor or byte; the model unchanged when refused', () => {
    let refused = 0;
    fc.assert(
      fc.property(mutations, (ms: Mutation[]) => {
        const r = loadChecked(applyMutations(original, ms));
        if (!r.ok) refused++;
      }),
      { seed: SEED, numRuns: 1500, examples: [] },
    );
    // The mutations reach the loader's refusals, not only files that still load.
    expect(refused).toBeGreaterThan(1000);
  });

  it('loadNamedTensors into float64 targets (a --dtype float64 module): F64, or F32 widened; the targets unchanged when refused', () => {
    // Two starting files: the model's F32 weights, and the same values written as F64.
    const f64 = encodeSafetensors(model.parameters().map((p) => ({ name: p.name, shape: p.shape, data: Float64Array.from(p.data) })));
    fc.assert(
      fc.property(fc.boolean(), fc.array(mutation, { minLength: 0, maxLength: 3 }), (wide, ms: Mutation[]) => {
        const bytes = applyMutations(wide ? f64 : original, ms);
        const into = params.map((p) => ({ name: p.name, shape: p.shape, data: new Float64Array(p.shape.reduce((a, d) => a * d, 1)).fill(-7) }));
        const ref = referenceRead(bytes, params, 'F64');
        let thrown: unknown;
        try {
          loadNamedTensors(bytes, into, 'weights');
        } catch (e) {
          thrown = e;
        }
        if (thrown === undefined) {
          expect(ref, 'loaded a file the reference refuses').toMatchObject({ ok: true });
          if (ref.ok) into.forEach((t) => expect(sameBits(t.data, ref.values.get(t.name)!), `${t.name} holds the file's values`).toBe(true));
          return;
        }
        const error = expectDocumentedRefusal(thrown, bytes);
        into.forEach((t) => expect(t.data.every((v) => v === -7), `${t.name} unchanged after a refusal`).toBe(true));
        if (ref.ok) expect(error.message).toMatch(/duplicate key|must hold non-negative integers, found/);
      }),
      { seed: SEED + 10, numRuns: 600 },
    );
  });

  it('an F64 file into the float32 model is refused by name (it would silently lose precision)', () => {
    const f64 = encodeSafetensors(model.parameters().map((p) => ({ name: p.name, shape: p.shape, data: Float64Array.from(p.data) })));
    const r = loadChecked(f64);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/^cannot load weights: tensor "conv1\.weight" has dtype F64, expected F32; /);
  });

  it('decodeSafetensors and readTensor (the checkpoint reader\'s path): a layout or a SafetensorsError, every readable tensor its shape\'s length', () => {
    fc.assert(
      fc.property(mutations, (ms: Mutation[]) => {
        const bytes = applyMutations(original, ms);
        let file: ReturnType<typeof decodeSafetensors>;
        try {
          file = decodeSafetensors(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(SafetensorsError);
          return;
        }
        for (const entry of file.tensors.values()) {
          expect(entry.begin).toBeGreaterThanOrEqual(8);
          expect(entry.end).toBeLessThanOrEqual(bytes.length);
          try {
            const a = readTensor(bytes, entry);
            expect(a.length).toBe(entry.shape.reduce((x, d) => x * d, 1));
          } catch (e) {
            expect(e).toBeInstanceOf(SafetensorsError);
            expect((e as Error).message).toMatch(/cnnc reads F32 and F64/);
          }
        }
      }),
      { seed: SEED + 1, numRuns: 800 },
    );
  });

  it('valid files always load exactly: any finite values, header entries in any order, any metadata, padding', () => {
    const file = fc.record({
      values: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 64 }),
      order: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      metadata: fc.option(fc.dictionary(fc.string({ maxLength: 8, unit: 'grapheme' }), fc.string({ maxLength: 8, unit: 'grapheme' }), { maxKeys: 4 }), { nil: undefined }),
      pad: fc.nat({ max: 16 }),
    });
    fc.assert(
      fc.property(file, ({ values, order, metadata, pad }) => {
        const tensors = model.parameters().map((p, i) => {
          const data = Float32Array.from({ length: p.data.length }, (_, k) => values[(k * 7 + i) % values.length]!);
          return { name: p.name, shape: p.shape, data };
        });
        // Shuffle the tensors' order in the file (the header's order is the data's order).
        const shuffled = [...tensors];
        order.forEach((o, i) => {
          const j = o % shuffled.length;
          [shuffled[i % shuffled.length], shuffled[j]] = [shuffled[j]!, shuffled[i % shuffled.length]!];
        });
        const encoded = encodeSafetensors(shuffled, metadata);
        const { headerText, data } = split(encoded);
        const bytes = join(headerText + ' '.repeat(pad), data);
        expect(loadChecked(bytes)).toEqual({ ok: true });
        model.parameters().forEach((p, i) => expect(sameBits(p.data as Float32Array, tensors[i]!.data)).toBe(true));
      }),
      { seed: SEED + 2, numRuns: 150 },
    );
  });

  it('a NaN or ±Infinity anywhere is refused, naming its tensor, index and byte; allowNonFinite loads it', () => {
    const { tensors } = decodeSafetensors(original);
    const entries = [...tensors.values()];
    fc.assert(
      fc.property(fc.nat({ max: entries.length - 1 }), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity), (t, i, value) => {
        const entry = entries[t]!;
        const count = (entry.end - entry.begin) / 4;
        const index = i % count;
        const bytes = original.slice();
        new DataView(bytes.buffer).setFloat32(entry.begin + 4 * index, value, true);
        const r = loadChecked(bytes);
        expect(r.ok).toBe(false);
        if (r.ok) return;
        const what = Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
        expect(r.error.message).toContain(`tensor "${entry.name}" holds ${what} at index ${index}`);
        expect(r.error.message).toContain(`(byte ${entry.begin + 4 * index} of the file)`);
        expect(r.error.tensor).toBe(entry.name);
        const into = model.parameters().map((p) => ({ name: p.name, shape: p.shape, data: new Float32Array(p.data.length) }));
        loadNamedTensors(bytes, into, 'weights', { allowNonFinite: true });
        expect(Object.is(into[t]!.data[index], Math.fround(value))).toBe(true);
      }),
      { seed: SEED + 3, numRuns: 100 },
    );
  });
});

/** A white-on-black 28×28 PNG for predict. */
function digit(): string {
  const png = new PNG({ width: 28, height: 28 });
  png.data.fill(0);
  for (let p = 0; p < 28 * 28; p++) png.data[4 * p + 3] = 255;
  const file = joinPath(dir, 'digit.png');
  writeFileSync(file, PNG.sync.write(png));
  return file;
}

describe('fuzzing cnnc eval --weights and cnnc predict --weights with mutated weights', () => {
  let image: string;
  beforeAll(() => {
    image = digit();
  });

  /** The CLI's answer agrees with the loader's: exit 0 on a correct load, else 1 and exactly one line naming the file. */
  async function cliChecked(command: 'eval' | 'predict', ms: Mutation[], k: number): Promise<void> {
    const bytes = applyMutations(original, ms);
    const direct = loadChecked(bytes);
    const file = joinPath(dir, `${command}-${k}.safetensors`);
    writeFileSync(file, bytes);
    const args = command === 'eval' ? ['eval', TINY_SPEC, '--weights', file, '--limit', '8', '--threads', '1'] : ['predict', TINY_SPEC, image, '--weights', file];
    const r = await cnnc(...args);
    const context = `cnnc ${args.join(' ')} (mutations: ${describeMutations(ms)})\n${r.err}`;
    expect(r.err, context).not.toMatch(/^\s+at /m);
    if (direct.ok) {
      expect(r.code, context).toBe(0);
      expect(r.out, context).toMatch(command === 'eval' ? /^data: .*\ntest loss: \d+\.\d{4}\n/ : /: class \d \(/);
    } else {
      expect(r.code, context).toBe(1);
      expect(r.out, context).toBe('');
      expect(r.err, context).toBe(`error: ${file}: ${direct.error.message}\n`);
    }
  }

  it.each([
    ['eval', 16],
    ['predict', 16],
  ] as const)('cnnc %s: exit 0 with a result when the weights load, else exit 1 and the loader\'s one line (never 70, no stack)', async (command, numRuns) => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(mutations, async (ms: Mutation[]) => cliChecked(command, ms, k++)),
      { seed: SEED + (command === 'eval' ? 4 : 5), numRuns },
    );
  });
});

/** Control characters a terminal acts on (ESC starts a sequence that can retitle, recolour or clear it). */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('fuzzing the class names a weights file carries (__metadata__ "classes", read by eval and predict)', () => {
  const names = fc.array(fc.oneof(fc.string({ maxLength: 6, unit: 'binary' }), fc.constantFrom('\u001b[2J', '\u001b]0;pwned\u0007', '\r', '\u009b31m', 'ok')), { minLength: 9, maxLength: 11 });
  beforeAll(() => {
    digit();
  });
  const classes = fc.oneof({ weight: 4, arbitrary: names.map((n) => JSON.stringify(n)) }, { weight: 1, arbitrary: fc.constantFrom('null', '{}', '"x"', '[1,2]', 'not json', '[]') });

  /** stdout of `cnnc COMMAND` with weights carrying `classes`: exit 0 (the names are only labels), no control character. */
  async function printsSafely(command: 'eval' | 'predict', value: string, k: number): Promise<void> {
    const file = joinPath(dir, `classes-${command}-${k}.safetensors`);
    writeFileSync(file, withMetadata(original, { classes: value }));
    const args = command === 'eval' ? ['eval', TINY_SPEC, '--weights', file, '--limit', '8', '--threads', '1'] : ['predict', TINY_SPEC, joinPath(dir, 'digit.png'), '--weights', file];
    const r = await cnnc(...args);
    const shown = `cnnc ${args.join(' ')} with classes ${JSON.stringify(value)} → exit ${r.code}\n${r.err}`;
    expect(r.code, shown).toBe(0);
    expect(r.out, `${shown}\nstdout: ${JSON.stringify(r.out)}`).not.toMatch(CONTROL);
  }

  it('cnnc predict: any names, any count, exit 0 and no control character reaches the terminal', async () => {
    let k = 0;
    await fc.assert(fc.asyncProperty(classes, async (value) => printsSafely('predict', value, k++)), { seed: SEED + 8, numRuns: 12 });
  });

  // eval printed each class name raw after its row, so a weights file whose metadata said classes: ["\u001b[2J", …]
  // cleared the user's terminal; it escapes them now, as predict does (printableName, runtime/class-names.ts).
  it('cnnc eval prints no control character from the class names of the weights', async () => {
    let k = 0;
    await fc.assert(fc.asyncProperty(classes, async (value) => printsSafely('eval', value, k++)), { seed: SEED + 9, numRuns: 20 });
  });
});

/** A hostile value for one metadata entry of a checkpoint (its values are JSON or numbers as text). */
const metadataValue = fc.record({
  key: fc.constantFrom('settings', 'metrics', 'rng_state', 'optimizer_step', 'epoch', 'step_in_epoch', 'global_step', 'epoch_loss_sum', 'epoch_loss_count'),
  value: fc.constantFrom('null', '{}', '[]', '[1]', '-1', '1e309', '"x"', 'NaN', '', '{"seed":1e300,"batchSize":-1,"epochs":0,"lr":"x","data":5}', '9007199254740993'),
});

describe('fuzzing cnnc train --resume with mutated checkpoints', () => {
  let run: string;
  let checkpoint: Uint8Array;
  beforeAll(async () => {
    run = joinPath(dir, 'run');
    const r = await cnnc('train', TINY_SPEC, '--out', run, '--limit', '8', '--max-steps', '1', '--threads', '1');
    expect(r.code, r.err).toBe(0);
    checkpoint = new Uint8Array(readFileSync(joinPath(run, 'checkpoint.safetensors')));
  });

  /** `cnnc train --resume` on a copy of the run whose checkpoint is `bytes`: exit 0, or 1 and one line naming it. */
  async function resumes(bytes: Uint8Array, k: number, context: string): Promise<void> {
    const copy = joinPath(dir, `resume-${k}`);
    cpSync(run, copy, { recursive: true });
    writeFileSync(joinPath(copy, 'checkpoint.safetensors'), bytes);
    const r = await cnnc('train', TINY_SPEC, '--resume', copy, '--limit', '8', '--max-steps', '2', '--threads', '1');
    const shown = `cnnc train ${TINY_SPEC} --resume ${copy} … (${context}) → exit ${r.code}\n${r.err}`;
    expect([0, 1], shown).toContain(r.code);
    expect(r.err, shown).not.toMatch(/^\s+at |internal error/m);
    if (r.code === 1) expect(r.err, shown).toMatch(new RegExp(`^error: .*${joinPath(copy, 'checkpoint.safetensors').replace(/[.]/g, '\\.')}`, 'm'));
  }

  it('tensors mutated (data, entries, length, end): the run resumes, or exit 1 naming the checkpoint; never 70', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(tensorMutation, { minLength: 1, maxLength: 3 }), async (ms) => resumes(applyMutations(checkpoint, ms), k++, describeMutations(ms))),
      { seed: SEED + 6, numRuns: 12 },
    );
  });

  // A checkpoint's metadata values were JSON.parse'd and used unchecked, so a damaged one was a TypeError or
  // RangeError, exit 70 (settings null or {}, metrics {}, rng_state [], optimizer_step -1), and epoch_loss_sum "x"
  // resumed with loss NaN; readCheckpointInfo and restoreCheckpoint check each value's shape now.
  it('a damaged checkpoint metadata value: the run resumes, or exit 1 naming the checkpoint; never 70', async () => {
    const file = decodeSafetensors(checkpoint);
    const tensors = [...file.tensors.values()].map((e) => ({ name: e.name, shape: e.shape, data: readTensor(checkpoint, e) }));
    let k = 1000;
    await fc.assert(
      fc.asyncProperty(metadataValue, async ({ key, value }) => resumes(encodeSafetensors(tensors, { ...file.metadata, [key]: value }), k++, `${key}: ${value}`)),
      { seed: SEED + 7, numRuns: 30 },
    );
  });
});

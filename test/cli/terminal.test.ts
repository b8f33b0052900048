// Terminal conventions (issue 14, item 8): NO_COLOR means no ANSI escape in anything train, eval or
// predict print; the progress bar fits the terminal's width (a line as wide as the terminal wraps, and
// every redraw then floods the screen); --json gives train's events as JSON lines and eval's result
// as one JSON object, with errors still one line on stderr.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Progress, type ProgressSink } from '../../bin/train/progress.js';
import type { StepInfo } from '../../runtime/train/loop.js';
import { cnnc } from '../cli.js';

const SPEC = 'test/train/fixtures/tiny.yaml';
const BROKEN = 'test/train/fixtures/broken.yaml';
const tmp = () => mkdtempSync(join(tmpdir(), 'cnnc-term-'));
const ESC = '\x1b';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Runs `f` with process.stderr looking like a terminal `columns` wide. */
async function asTerminal<T>(columns: number, f: () => Promise<T>): Promise<T> {
  const saved = { isTTY: Object.getOwnPropertyDescriptor(process.stderr, 'isTTY'), columns: Object.getOwnPropertyDescriptor(process.stderr, 'columns') };
  Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
  Object.defineProperty(process.stderr, 'columns', { value: columns, configurable: true });
  try {
    return await f();
  } finally {
    for (const key of ['isTTY', 'columns'] as const) {
      const d = saved[key];
      if (d) Object.defineProperty(process.stderr, key, d);
      else delete (process.stderr as unknown as Record<string, unknown>)[key];
    }
  }
}

/** A terminal `columns` wide that records what was written. */
function terminal(columns: number, noColor = false): ProgressSink & { text: string } {
  return {
    text: '',
    isTTY: true,
    columns,
    noColor,
    write(t: string) {
      this.text += t;
    },
  };
}

function steps(p: Progress, stepsPerEpoch: number, epochs: number): void {
  for (let e = 0; e < epochs; e++) {
    for (let s = 1; s <= stepsPerEpoch; s++) {
      const info: StepInfo = { position: { epoch: e, stepInEpoch: s, globalStep: e * stepsPerEpoch + s, lossSum: 2.3 * s * 64, lossCount: s * 64 }, stepsPerEpoch, imagesPerSecond: 1234.5 };
      p.step(info);
      if (s === stepsPerEpoch) p.clear();
    }
  }
}

/** Each redraw: what lies between one \r and the next, escapes removed. */
const redraws = (text: string) => text.split('\r').map((l) => l.replace(/\x1b\[K/g, '')).filter((l) => l.trim() !== '');

describe('the progress bar fits the terminal', () => {
  it.each([100, 80, 50, 20, 12])('at %i columns no redraw reaches the last column or holds a newline', (columns) => {
    const t = terminal(columns);
    steps(new Progress(t, 10), 1875, 2);
    const lines = redraws(t.text);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) {
      expect(l).not.toContain('\n');
      expect(l.length).toBeLessThanOrEqual(columns - 1);
    }
  });

  it('shows every field when there is room, and the epoch and the bar at 20 columns', () => {
    const wide = terminal(120);
    steps(new Progress(wide, 10), 100, 1);
    expect(redraws(wide.text).at(-1)).toMatch(/^\[=+\] epoch 1\/10  step 100\/100  loss 2\.3000  1235 img\/s  ETA 0s$/);
    const mid = terminal(50);
    steps(new Progress(mid, 10), 100, 1);
    expect(redraws(mid.text).at(-1)).toMatch(/^\[=+\] epoch 1\/10  loss 2\.3000  ETA 0s$/);
    const narrow = terminal(20);
    steps(new Progress(narrow, 10), 100, 1);
    expect(redraws(narrow.text).at(-1)).toBe('[======] epoch 1/10');
  });

  it('reads the width at every redraw: a resized terminal gets a narrower line', () => {
    const t = terminal(120);
    const p = new Progress(t, 3);
    steps(p, 10, 1);
    (t as { columns: number }).columns = 30;
    steps(p, 10, 1);
    expect(redraws(t.text).at(-1)!.length).toBeLessThanOrEqual(29);
  });

  it('with NO_COLOR: no escape sequence; the line is erased with spaces', () => {
    const t = terminal(80, true);
    steps(new Progress(t, 2), 30, 2);
    expect(t.text).not.toContain(ESC);
    expect(t.text).toMatch(/\r {20,}\r/); // clear(): spaces over the last line
    const colored = terminal(80);
    steps(new Progress(colored, 2), 30, 2);
    expect(colored.text).toContain(`${ESC}[K`); // without NO_COLOR it does erase with ESC [K
  });
});

describe('NO_COLOR in train, eval and predict', () => {
  it('train on a terminal: no escape anywhere with NO_COLOR=1; ESC [K and coloured diagnostics without it', async () => {
    const plain = await asTerminal(80, async () => {
      vi.stubEnv('NO_COLOR', '1');
      return cnnc('train', SPEC, '--out', tmp(), '--limit', '64', '--epochs', '1');
    });
    expect(plain.code).toBe(0);
    expect(plain.err).toMatch(/epoch 1\/1/);
    expect(plain.out + plain.err).not.toContain(ESC);
    vi.unstubAllEnvs();
    vi.stubEnv('NO_COLOR', '');
    const colored = await asTerminal(80, () => cnnc('train', SPEC, '--out', tmp(), '--limit', '64', '--epochs', '1'));
    expect(colored.err).toContain(`${ESC}[K`); // NO_COLOR empty is unset, as no-color.org says
  });

  it.each([
    ['train', ['train', BROKEN, '--out', '/nonexistent']],
    ['eval', ['eval', BROKEN, '--weights', 'none.safetensors']],
    ['predict', ['predict', BROKEN, '--weights', 'none.safetensors', 'x.png']],
  ])('%s: a spec\'s diagnostics on a terminal are plain with NO_COLOR, coloured without', async (_, args) => {
    vi.stubEnv('NO_COLOR', '1');
    const plain = await asTerminal(80, () => cnnc(...args));
    expect(plain.code).toBe(1);
    expect(plain.err).toMatch(/broken\.yaml:5:\d+/);
    expect(plain.err).not.toContain(ESC);
    vi.unstubAllEnvs();
    vi.stubEnv('NO_COLOR', '');
    const colored = await asTerminal(80, () => cnnc(...args));
    expect(colored.err).toContain(ESC);
  });
});

interface Event {
  readonly event: string;
  readonly [k: string]: unknown;
}
const events = (out: string): Event[] => out.trim().split('\n').map((l) => JSON.parse(l) as Event);

describe('--json', () => {
  it('train: JSON lines on stdout (start, checkpoints, epochs, done) and nothing on stderr', async () => {
    const out = tmp();
    const r = await cnnc('train', SPEC, '--out', out, '--limit', '64', '--epochs', '2', '--json');
    expect(r.code).toBe(0);
    expect(r.err).toBe(''); // no progress lines, though stderr is not a terminal
    const ev = events(r.out);
    expect(ev.map((e) => e.event)).toEqual(['start', 'checkpoint', 'checkpoint', 'epoch', 'checkpoint', 'epoch', 'done']);
    expect(ev[0]).toMatchObject({ model: 'TinyNet', spec: SPEC, data: 'mnist10k', train_images: 64, test_images: 64, batch_size: 32, lr: 0.01, seed: 0, epochs: 2, limit: 64, out, resumed: null });
    expect(ev[1]).toMatchObject({ path: join(out, 'checkpoint.safetensors'), weights: join(out, 'model.safetensors'), epoch: 0, step: 0, global_step: 0 });
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ev.filter((e) => e.event === 'epoch')).toEqual(metrics.map((m) => ({ event: 'epoch', epochs: 2, ...m })));
    expect(ev[6]).toEqual({ event: 'done', test_accuracy: metrics[1]!['test_accuracy'], test_miou: null, accuracy: 'class', test_images: 64, data: 'mnist10k', weights: join(out, 'model.safetensors'), early_stopping: null });
  });

  it('train: a stopped run ends with a stopped event; a user error is one line on stderr and no event', async () => {
    const out = tmp();
    const stopped = await cnnc('train', SPEC, '--out', out, '--limit', '64', '--max-steps', '1', '--json');
    expect(stopped.code).toBe(0);
    expect(events(stopped.out).at(-1)).toEqual({ event: 'stopped', reason: 'max-steps', max_steps: 1, epoch: 1, step: 1, checkpoint: join(out, 'checkpoint.safetensors'), resume: `--resume ${out}` });
    const resumed = await cnnc('train', SPEC, '--resume', out, '--epochs', '1', '--json');
    expect(events(resumed.out)[0]).toMatchObject({ event: 'start', resumed: { epoch: 0, step: 1 } });
    const refused = await cnnc('train', SPEC, '--out', out, '--json');
    expect(refused).toMatchObject({ code: 1, out: '' });
    expect(refused.err).toMatch(/^error: .* already holds a run .*\n$/);
  });

  it('train: a diverged run prints its error on stderr and ends with a diverged event, exit 3', async () => {
    const out = tmp();
    const r = await cnnc('train', SPEC, '--out', out, '--limit', '64', '--lr', '1e30', '--json');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^error: loss became (NaN|Inf) at epoch 1/);
    expect(events(r.out).at(-1)).toMatchObject({ event: 'diverged', epoch: 1, checkpoint: join(out, 'checkpoint.safetensors') });
  });

  it('train --target gpujs: stdout stays JSON lines, the backend lines go to stderr', async () => {
    const r = await cnnc('train', SPEC, '--out', tmp(), '--limit', '64', '--max-steps', '1', '--target', 'gpujs', '--backend', 'cpu', '--json');
    expect(r.code, r.err).toBe(0);
    expect(events(r.out).map((e) => e.event)).toEqual(['start', 'checkpoint', 'checkpoint', 'stopped']);
    expect(r.err).toMatch(/^gpu\.js: requested cpu, mode cpu \(kernels compile on the first step\)\ngpu\.js: requested cpu, mode cpu, kernels .*\n$/);
  });

  it('eval: one JSON object with the numbers of the text output', async () => {
    const out = tmp();
    expect((await cnnc('train', SPEC, '--out', out, '--limit', '64', '--epochs', '1')).code).toBe(0);
    const weights = join(out, 'model.safetensors');
    const text = await cnnc('eval', SPEC, '--weights', weights, '--limit', '64');
    const json = await cnnc('eval', SPEC, '--weights', weights, '--limit', '64', '--json');
    expect(json.code).toBe(0);
    expect(json.out.trim().split('\n')).toHaveLength(1);
    const e = JSON.parse(json.out) as { test_loss: number; test_accuracy: number; correct: number; positions: number; test_images: number; confusion: number[][]; per_class_accuracy: (number | null)[]; test_miou: null; data: string };
    expect(text.out).toContain(`test loss: ${e.test_loss.toFixed(4)}`);
    expect(text.out).toContain(`test accuracy: ${(e.test_accuracy * 100).toFixed(2)}% (${e.correct}/${e.positions})`);
    expect(e).toMatchObject({ test_images: 64, positions: 64, test_miou: null, data: 'mnist10k' });
    expect(e.confusion.flat().reduce((a, b) => a + b, 0)).toBe(64);
    expect(e.per_class_accuracy).toHaveLength(10);
    const bad = await cnnc('eval', SPEC, '--weights', join(out, 'nope.safetensors'), '--json');
    expect(bad).toMatchObject({ code: 1, out: '' });
    expect(bad.err.split('\n')).toHaveLength(2);
  });
});

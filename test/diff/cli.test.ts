// `cnnc diff` end to end on fixture pairs: golden text (no color), markdown and JSON, the exit codes,
// invalid sides, and `REV:path` against a throwaway git repository.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDiff, type DiffIo } from '../../bin/commands/diff.js';

const FIXTURES = 'test/fixtures/diff';
const CASES = readdirSync(FIXTURES).filter((c) => c !== 'invalid-new').sort();

interface Ran { code: number; stdout: string; stderr: string }

function diff(old: string, now: string | undefined, opts: Partial<Parameters<typeof runDiff>[2]> = {}, cwd = process.cwd()): Ran {
  let stdout = '';
  let stderr = '';
  const io: DiffIo = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    cwd,
    env: {},
  };
  const code = runDiff(old, now, { format: 'text', ...opts }, io);
  return { code, stdout, stderr };
}

const pair = (c: string): [string, string] => [`${FIXTURES}/${c}/old.yaml`, `${FIXTURES}/${c}/new.yaml`];

describe('cnnc diff: goldens', () => {
  it('has the eight required cases, a renumbering one, and a recipe one (scheduler, clipping, early stopping)', () => {
    expect(CASES).toEqual(['formatting', 'insert-layer', 'insert-unnamed', 'loss', 'optimizer', 'padding', 'recipe', 'remove-layer', 'rename', 'widen-conv']);
  });

  for (const c of CASES) {
    it(`${c}: text, markdown and json`, async () => {
      const text = diff(...pair(c), { color: false });
      expect(text.stderr).toBe('');
      expect(text.code).toBe(0);
      await expect(text.stdout).toMatchFileSnapshot(`golden/${c}.txt`);
      await expect(diff(...pair(c), { format: 'markdown' }).stdout).toMatchFileSnapshot(`golden/${c}.md`);
      await expect(diff(...pair(c), { format: 'json' }).stdout).toMatchFileSnapshot(`golden/${c}.json`);
    });
  }
});

describe('cnnc diff: meaning', () => {
  const json = (c: string) => JSON.parse(diff(...pair(c), { format: 'json' }).stdout);

  it('diffs a spec against itself written differently as identical, and --exit-code says 0', () => {
    expect(json('formatting').identical).toBe(true);
    expect(diff(...pair('formatting'), { exitCode: true }).code).toBe(0);
    expect(diff(...pair('formatting')).stdout).toContain('no semantic change');
  });

  it('exits 1 with --exit-code when the models differ, 0 without', () => {
    expect(diff(...pair('widen-conv'), { exitCode: true }).code).toBe(1);
    expect(diff(...pair('widen-conv')).code).toBe(0);
  });

  it('shows one inserted layer as one insertion and nothing else changed but names and positions', () => {
    const d = json('insert-layer');
    const moved = d.layers.filter((l: { status: string; rename: unknown }) => l.status !== 'unchanged' || l.rename);
    expect(moved.map((l: { status: string; kind: string }) => `${l.status} ${l.kind}`)).toEqual(['added batchnorm2d']);
    expect(d.checkpoint.verdict.kind).toBe('partial');
    expect(d.checkpoint.verdict.notLoaded).toEqual(['batchnorm2d_1.weight', 'batchnorm2d_1.bias', 'batchnorm2d_1.running_mean', 'batchnorm2d_1.running_var', 'batchnorm2d_1.num_batches_tracked']);
  });

  it('follows a padding change through every later shape and to fc1, whose weight no longer loads', () => {
    const d = json('padding');
    const byName = Object.fromEntries(d.layers.map((l: { new: { name: string }; status: string }) => [l.new.name, l.status]));
    expect(byName).toMatchObject({ conv1: 'changed', relu_1: 'affected', conv2: 'affected', maxpool2d_1: 'affected', fc1: 'affected', fc2: 'unchanged' });
    const tensors = Object.fromEntries(d.checkpoint.tensors.map((t: { name: string; status: string }) => [t.name, t.status]));
    expect(tensors).toMatchObject({ 'conv1.weight': 'kept', 'conv2.weight': 'kept', 'fc1.weight': 'reshaped', 'fc1.bias': 'kept' });
  });

  it('says a rename makes the layer\'s tensors not load under their old names', () => {
    const d = json('rename');
    expect(d.checkpoint.tensors.filter((t: { status: string }) => t.status === 'renamed').map((t: { oldName: string; name: string }) => `${t.oldName} → ${t.name}`))
      .toEqual(['fc1.weight → hidden.weight', 'fc1.bias → hidden.bias']);
    expect(diff(...pair('rename')).stdout).toContain('does not load under the old name');
  });

  it('explains a loss change, label smoothing and the lints it removes', () => {
    const d = json('loss');
    expect(d.settings.map((s: { key: string }) => s.key)).toEqual(['kind', 'label_smoothing']);
    expect(d.settings[0].note).toContain('raw scores (logits)');
    expect(d.settings[1].note).toContain('label smoothing added');
  });

  it('reports the lint a change introduces, at its layer, and none for a clean change', () => {
    expect(json('insert-layer').lints).toEqual({
      introduced: [expect.objectContaining({ code: 'W0608', layer: 'conv2' })],
      removed: [],
    });
    expect(json('widen-conv').lints).toEqual({ introduced: [], removed: [] });
    const [old, now] = pair('insert-layer');
    const back = JSON.parse(diff(now, old, { format: 'json' }).stdout);
    expect(back.lints).toEqual({ introduced: [], removed: [expect.objectContaining({ code: 'W0608', layer: 'conv2' })] });
  });

  it('notes adam → sgd, lr ×10 and the batch size', () => {
    const notes = json('optimizer').settings.map((s: { key: string; note: string | null }) => `${s.key}: ${s.note}`);
    expect(notes).toContain('lr: lr ×10: each step moves the weights further');
    expect(notes.find((n: string) => n.startsWith('kind:'))).toContain('sgd steps along the raw gradient');
    expect(notes.find((n: string) => n.startsWith('batch_size:'))).toContain('÷2 the optimizer steps per epoch');
  });
});

describe('cnnc diff: errors', () => {
  it('prints the positioned diagnostics of an invalid new side, naming it, and exits 1', async () => {
    const r = diff(...pair('invalid-new'), { color: false });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`the new side (${FIXTURES}/invalid-new/new.yaml) is not a valid spec`);
    expect(r.stderr).not.toContain('the old side');
    expect(r.stderr).toMatch(new RegExp(`${FIXTURES}/invalid-new/new.yaml:9:\\d+: error E02`));
    await expect(r.stderr).toMatchFileSnapshot('golden/invalid-new.stderr.txt');
  });

  it('names the old side when it is the invalid one', () => {
    const [old, now] = pair('invalid-new');
    const r = diff(now, old);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the old side');
  });

  it('reports an invalid side as JSON with --format json', () => {
    const r = diff(...pair('invalid-new'), { format: 'json' });
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.invalid.map((s: { side: string }) => s.side)).toEqual(['new']);
    expect(out.invalid[0].diagnostics.length).toBeGreaterThan(0);
  });

  it('exits 2 for a missing file or a missing new side', () => {
    const r = diff('nope.yaml', pair('rename')[1]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('cnnc diff: cannot read nope.yaml: no such file\n');
    expect(diff(pair('rename')[0], undefined).code).toBe(2);
  });
});

describe('cnnc diff: REV:path and textconv', () => {
  const repo = mkdtempSync(join(tmpdir(), 'cnnc-diff-'));
  afterAll(() => rmSync(repo, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  const [old, now] = pair('widen-conv');
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'x.yaml'), readFileSync(old));
  git('add', 'x.yaml');
  git('commit', '-qm', 'old');
  writeFileSync(join(repo, 'x.yaml'), readFileSync(now));

  it('reads a side from git and diffs it like the file it was', () => {
    const fromGit = diff('main:x.yaml', 'x.yaml', { format: 'json' }, repo);
    const fromFiles = diff(join(process.cwd(), old), join(process.cwd(), now), { format: 'json' });
    expect(fromGit.code).toBe(0);
    const strip = (s: string) => { const d = JSON.parse(s); delete d.old; delete d.new; return d; };
    expect(strip(fromGit.stdout)).toEqual(strip(fromFiles.stdout));
    expect(JSON.parse(fromGit.stdout).old.file).toBe('main:x.yaml');
  });

  it('says which revision or path git could not find, exit 2', () => {
    const r = diff('nobranch:x.yaml', 'x.yaml', {}, repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cnnc diff: cannot read nobranch:x\.yaml from git: fatal: .*nobranch/);
    expect(diff('main:missing.yaml', 'x.yaml', {}, repo).stderr).toMatch(/cannot read main:missing\.yaml from git: fatal: .*missing\.yaml/);
  });

  it('prints a canonical summary for textconv that is equal for specs written differently', async () => {
    const a = diff(`${FIXTURES}/formatting/old.yaml`, undefined, { textconv: true });
    const b = diff(`${FIXTURES}/formatting/new.yaml`, undefined, { textconv: true });
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    await expect(a.stdout).toMatchFileSnapshot('golden/textconv-mnist.txt');
  });

  it('textconv of an invalid spec still prints (git needs output), with the errors first', () => {
    const r = diff(`${FIXTURES}/invalid-new/new.yaml`, undefined, { textconv: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^invalid spec \(\d+ errors?\):\nerror E02\d\d at line 9:/);
    expect(r.stdout).toContain('--- as written ---\ncnnc: 1');
  });
});

// `cnnc init` (issue 20, item 6): each template is written where asked, validates and builds; the mnist one is
// the seed's model and trains, the image-folder one trains on a folder of PNGs; the `$schema` line resolves
// from where the spec is written (a project's node_modules/cnnc, else this cnnc's own schema); an existing
// file is kept without --force, an unknown template is a usage error that lists the templates. And the
// papercut (item 2): `cnnc check` never reads the `$schema` line, so a shipped spec copied anywhere checks.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { TEMPLATES } from '../../bin/commands/init.js';
import { cnnc } from '../cli.js';

const ROOT = resolve(__dirname, '..', '..');
const OWN_SCHEMA = join(ROOT, 'compiler', 'spec', 'cnnc.schema.json');
const dir = mkdtempSync(join(tmpdir(), 'cnnc-init-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The file the spec's first line points at, resolved from the spec's folder as an editor does. */
function schemaTarget(spec: string): string {
  const m = /^# yaml-language-server: \$schema=(.+)$/.exec(readFileSync(spec, 'utf8').split('\n')[0]!);
  expect(m).not.toBeNull();
  return resolve(dirname(spec), m![1]!);
}

function losses(out: string): number[] {
  return [...out.matchAll(/step \d+\/\d+ +loss (\S+)/g)].map((m) => Number(m[1]));
}

describe('cnnc init', () => {
  it.each(Object.keys(TEMPLATES))('%s: written as the template file with its $schema line rewritten; it checks and builds', async (name) => {
    const file = join(dir, 'each', `${name}.yaml`);
    const r = await cnnc('init', name, '-o', file);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(`wrote ${file}`);
    const [first, ...rest] = readFileSync(file, 'utf8').split('\n');
    expect(first).toMatch(/^# yaml-language-server: \$schema=/);
    expect(rest).toEqual(readFileSync(join(ROOT, 'templates', `${name}.yaml`), 'utf8').split('\n').slice(1));
    expect(schemaTarget(file)).toBe(OWN_SCHEMA); // no node_modules/cnnc above the temp folder
    const check = await cnnc('check', file);
    expect(check.code).toBe(0);
    expect(check.err).toBe(''); // no warnings either
    const build = await cnnc('build', file, '-o', join(dir, 'each', `${name}.model.ts`));
    expect(build.code).toBe(0);
    expect(readFileSync(join(dir, 'each', `${name}.model.ts`), 'utf8')).toContain('export function createModel');
  });

  it("mnist is the seed's model: the same input, layers, loss, optimizer and training settings as specs/mnist.yaml", () => {
    const pick = (f: string): unknown => {
      const { input, layers, loss, optimizer, train, data } = parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
      return { input, layers, loss, optimizer, train, data };
    };
    expect(pick(join(ROOT, 'templates', 'mnist.yaml'))).toEqual(pick(join(ROOT, 'specs', 'mnist.yaml')));
  });

  it('the mnist template trains: 3 steps on a subset, finite losses, weights written', async () => {
    const file = join(dir, 'train', 'mnist.yaml');
    expect((await cnnc('init', '-o', file)).code).toBe(0); // mnist is the default
    const run = join(dir, 'train', 'run');
    const r = await cnnc('train', file, '--out', run, '--max-steps', '3', '--batch-size', '16', '--limit', '64', '--threads', '1');
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const l = losses(`${r.out}\n${r.err}`);
    expect(l).toHaveLength(3);
    expect(l.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    expect(existsSync(join(run, 'model.safetensors'))).toBe(true);
  }, 120_000);

  it('the image-folder template trains on a folder of PNGs (2 classes, --data), and its placeholder path is named in the error when left as is', async () => {
    const file = join(dir, 'folder', 'classifier.yaml');
    expect((await cnnc('init', 'image-folder', '-o', file)).code).toBe(0);
    const images = join(dir, 'folder', 'shapes');
    // Two classes a model can tell apart: dark and bright RGB images of an odd size (the transforms resize them).
    for (const split of ['train', 'test']) {
      for (const [k, cls] of ['dark', 'bright'].entries()) {
        mkdirSync(join(images, split, cls), { recursive: true });
        for (let i = 0; i < 4; i++) {
          const data = new Uint8Array(50 * 40 * 3).map((_, p) => (k === 0 ? 20 : 200) + ((p * 7 + i * 13) % 40));
          writeFileSync(join(images, split, cls, `${i}.png`), encodePng({ width: 50, height: 40, data, channels: 3, depth: 8 }));
        }
      }
    }
    const r = await cnnc('train', file, '--data', images, '--out', join(dir, 'folder', 'run'), '--max-steps', '2', '--batch-size', '4', '--threads', '1');
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(losses(`${r.out}\n${r.err}`)).toHaveLength(2);

    const placeholder = await cnnc('train', file, '--out', join(dir, 'folder', 'run2'), '--max-steps', '1');
    expect(placeholder.code).toBe(1);
    expect(placeholder.err).toContain('my-images');
    expect(placeholder.err).not.toMatch(/\n\s+at /);
  }, 120_000);

  it("$schema: a project's node_modules/cnnc schema, in the spec's folder or above it, as a relative path", async () => {
    const project = join(dir, 'project');
    const installed = join(project, 'node_modules', 'cnnc', 'compiler', 'spec', 'cnnc.schema.json');
    mkdirSync(dirname(installed), { recursive: true });
    copyFileSync(OWN_SCHEMA, installed);
    for (const [out, expected] of [
      [join(project, 'model.yaml'), 'node_modules/cnnc/compiler/spec/cnnc.schema.json'],
      [join(project, 'models', 'deep', 'model.yaml'), '../../node_modules/cnnc/compiler/spec/cnnc.schema.json'],
    ] as const) {
      expect((await cnnc('init', 'resnet', '-o', out)).code).toBe(0);
      expect(readFileSync(out, 'utf8').split('\n')[0]).toBe(`# yaml-language-server: $schema=${expected}`);
      expect(schemaTarget(out)).toBe(installed);
    }
  });

  it('with no -o it writes <template>.yaml in the current folder', async () => {
    const cwd = join(dir, 'cwd');
    mkdirSync(cwd);
    const was = process.cwd();
    process.chdir(cwd);
    try {
      expect((await cnnc('init', 'resnet')).code).toBe(0);
    } finally {
      process.chdir(was);
    }
    expect(existsSync(join(cwd, 'resnet.yaml'))).toBe(true);
    expect(schemaTarget(join(cwd, 'resnet.yaml'))).toBe(OWN_SCHEMA);
  });

  it('keeps an existing file without --force (exit 1, one line), replaces it with --force', async () => {
    const file = join(dir, 'mine.yaml');
    writeFileSync(file, 'my own spec\n');
    const r = await cnnc('init', '-o', file);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${file} exists; pass --force to overwrite it\n`);
    expect(readFileSync(file, 'utf8')).toBe('my own spec\n');
    expect((await cnnc('init', '-o', file, '--force')).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('name: MnistNet');
  });

  it('refuses a directory as -o, naming it (exit 1)', async () => {
    const r = await cnnc('init', '-o', dir, '--force');
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: cannot write ${dir}: it is a directory; give a file name, e.g. -o ${join(dir, 'model.yaml')}\n`);
  });

  it('an unknown template is a usage error (exit 2) that lists the templates; nothing is written', async () => {
    const file = join(dir, 'nope.yaml');
    const r = await cnnc('init', 'resnet50', '-o', file);
    expect(r.code).toBe(2);
    expect(r.err).toBe('cnnc init: unknown template "resnet50"; the templates are: mnist, image-folder, resnet\n');
    expect(existsSync(file)).toBe(false);
  });
});

describe('the $schema papercut for shipped specs (item 2)', () => {
  it('cnnc check never reads the $schema line: specs/*.yaml copied out of the package, their reference dangling, check', async () => {
    const out = join(dir, 'copied');
    mkdirSync(out);
    for (const name of ['mnist.yaml', 'resnet-mini.yaml']) {
      copyFileSync(join(ROOT, 'specs', name), join(out, name));
      expect(existsSync(schemaTarget(join(out, name)))).toBe(false);
      const r = await cnnc('check', join(out, name));
      expect(r.code).toBe(0);
    }
  });
});

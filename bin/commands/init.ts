// `cnnc init [template] [-o FILE] [--force]`: write a starter spec from one of the YAML files in templates/
// (shipped in the package, so a user can read them there too). The spec's first line, the editor's
// `# yaml-language-server: $schema=...`, is rewritten to a path that resolves from where the file is written.
// Written atomically; an existing file is kept unless --force.
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { EXIT } from '../exit.js';
import type { Exit } from '../main.js';
import { makeDirectory, writeFile } from '../fs-errors.js';
import { UsageError, processIo, type Io } from './compile-model.js';
import { reportUserErrors } from './user-error.js';

/** The templates, by name: each is templates/<name>.yaml. */
export const TEMPLATES = {
  mnist: 'the seed\'s MNIST CNN (conv-conv-pool-dropout-linear), on the embedded digits',
  'image-folder': 'a small CNN for your own images in class folders (train/<class>/*, test/<class>/*), with augmentation',
  resnet: 'a small residual network written with a block (BasicBlock), on the embedded digits',
} as const;
export type TemplateName = keyof typeof TEMPLATES;

/** The cnnc package's root: this file is bin/commands/init.ts, or dist/bin/commands/init.js once built. */
export function packageRoot(self: string = import.meta.url): string {
  return fileURLToPath(new URL(self.endsWith('.ts') ? '../../' : '../../../', self));
}

const SCHEMA_IN_PACKAGE = join('compiler', 'spec', 'cnnc.schema.json');
const SCHEMA_LINE = /^# yaml-language-server: \$schema=.*$/m;

interface InitFlags {
  readonly output?: string;
  readonly force?: boolean;
}

export function registerInit(program: Command, exit: Exit, io: Io = processIo): void {
  program
    .command('init')
    .description('write a starter spec from a template (default: mnist)')
    .argument('[template]', `one of: ${Object.keys(TEMPLATES).join(', ')}`, 'mnist')
    .option('-o, --output <file>', 'the spec to write (default: <template>.yaml in the current folder); refused if it exists, unless --force')
    .option('--force', 'replace the file if it exists')
    .addHelpText('after', `
Templates:
${Object.entries(TEMPLATES).map(([name, what]) => `  ${name.padEnd(14)}${what}`).join('\n')}

The spec's first line tells editors (the YAML language server: VS Code's YAML extension, ...) where cnnc's schema
is, for completion and checks as you type. It points at node_modules/cnnc/compiler/spec/cnnc.schema.json in the
spec's folder or the nearest folder above it that has one (a project that installed cnnc), else at the schema of
the cnnc that ran this command; both as a path relative to the spec. cnnc check never reads that line.`)
    .action(async (template: string, flags: InitFlags) => {
      exit.code = await runInit(template, flags, io);
    });
}

export async function runInit(template: string, flags: InitFlags, io: Io): Promise<number> {
  if (!Object.hasOwn(TEMPLATES, template)) {
    io.stderr.write(`cnnc init: unknown template "${template}"; the templates are: ${Object.keys(TEMPLATES).join(', ')}\n`);
    return EXIT.usage;
  }
  return reportUserErrors(io, async () => {
    const out = flags.output ?? `${template}.yaml`;
    if (out === '' || out === '-') throw new UsageError(`-o needs a file name, got ${out === '' ? 'an empty one' : '"-"'}`);
    refuseOutput(out, flags.force === true);
    const root = packageRoot();
    const text = readFileSync(join(root, 'templates', `${template}.yaml`), 'utf8');
    makeDirectory(dirname(resolve(out)), 'the output folder');
    writeFile(out, withSchemaLine(text, schemaReference(dirname(resolve(out)), join(root, SCHEMA_IN_PACKAGE))));
    io.stdout.write(`wrote ${out} (template ${template}); next: npx cnnc check ${out}\n`);
    return EXIT.ok;
  });
}

/** An output that exists is kept without --force, and a directory always. */
function refuseOutput(out: string, force: boolean): void {
  let dir: boolean;
  try {
    dir = lstatSync(out).isDirectory();
  } catch {
    return; // a new file (a path that cannot be written is reported by the write)
  }
  if (dir) throw new UsageError(`cannot write ${out}: it is a directory; give a file name, e.g. -o ${join(out, 'model.yaml')}`);
  if (!force) throw new UsageError(`${out} exists; pass --force to overwrite it`);
}

/**
 * The `$schema` path for a spec written in `specDir`: node_modules/cnnc's schema in specDir or the nearest
 * ancestor that has one (what the project installed, so the reference survives moving the project), else
 * `ownSchema` (the schema of the cnnc running). Relative to specDir, with forward slashes (a URI reference).
 */
export function schemaReference(specDir: string, ownSchema: string, exists: (path: string) => boolean = existsSync): string {
  let target = ownSchema;
  for (let at = resolve(specDir); ; at = dirname(at)) {
    const installed = join(at, 'node_modules', 'cnnc', SCHEMA_IN_PACKAGE);
    if (exists(installed)) {
      target = installed;
      break;
    }
    if (dirname(at) === at) break;
  }
  const rel = relative(resolve(specDir), target);
  // On Windows another drive has no relative path: relative() returns it absolute.
  return rel.split(sep).join('/');
}

/** The template with its first-line `$schema` reference replaced (a template without one gets it added). */
export function withSchemaLine(text: string, reference: string): string {
  const line = `# yaml-language-server: $schema=${reference}`;
  if (/[\r\n]/.test(reference)) throw new UsageError(`cannot write the $schema line: the path ${JSON.stringify(reference)} holds a line break`);
  return SCHEMA_LINE.test(text) ? text.replace(SCHEMA_LINE, () => line) : `${line}\n${text}`;
}

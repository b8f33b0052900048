// Reads one side of `cnnc diff`: a file, or `REV:path` from git (`git show REV:path`, as
// `git diff main:specs/x.yaml specs/x.yaml` names a blob). A file that exists wins over the git
// reading, so a path with a colon in it still works. Node-only.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readSpecBytes } from '../1-parse/read.js';
import type { SideSource } from './index.js';

export type ReadSide = { readonly ok: true; readonly side: SideSource } | { readonly ok: false; readonly error: string };

const REV_PATH = /^([^:]+):(.+)$/;

export function readSide(spec: string, cwd: string = process.cwd()): ReadSide {
  const path = resolve(cwd, spec);
  if (existsSync(path) || !REV_PATH.test(spec)) {
    const read = readSpecBytes(path);
    if ('error' in read) return { ok: false, error: read.error.replace(path, spec) };
    return { ok: true, side: { source: new TextDecoder().decode(read.bytes), file: spec } };
  }
  try {
    // An argument array, never a shell string: the revision and path reach git verbatim.
    const source = execFileSync('git', ['show', spec], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    return { ok: true, side: { source, file: spec } };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') return { ok: false, error: `cannot read ${spec}: git is not installed (or not on PATH), and there is no such file` };
    const said = (err.stderr ?? '').trim().split('\n')[0] ?? '';
    return { ok: false, error: `cannot read ${spec} from git${said ? `: ${said}` : ''}` };
  }
}

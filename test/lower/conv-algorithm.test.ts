// A conv2d's algorithm on the float32 wasm path is plan data: 4-passes/geometry.ts's convAlgorithm
// chooses it from the shapes (or takes the spec's `algorithm:`), ConvGeometry.algorithm carries it to
// the renderers, the layer's comment and `cnnc inspect` print it, and an override the layer cannot
// use is E0416 at the value's line:col.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource, compile } from '../../compiler/index.js';
import { convAlgorithmLines } from '../../compiler/4-passes/geometry.js';
import { planModel, TS_TARGET } from '../../compiler/4-passes/plan.js';
import { convOf } from '../../compiler/ir/plan.js';
import { cnnc } from '../cli.js';
import { brief, lowerYaml, ok, pos, spec } from './helpers.js';

const algorithms = (src: string) => Object.fromEntries(planModel(ok(src), TS_TARGET).nodes.filter((np) => np.geometry.kind === 'conv').map((np) => [np.node.name, convOf(np).algorithm]));
const backwards = (src: string) => Object.fromEntries(planModel(ok(src), TS_TARGET).nodes.filter((np) => np.geometry.kind === 'conv').map((np) => [np.node.name, convOf(np).backward]));

describe('conv2d algorithm: chosen once, in the plan', () => {
  it('auto: winograd (F(4×4) at 16×16) for 3×3 stride 1 with ≥ 8 channels both ways; direct for few channels, stride 2, dilation, groups, 5×5 (its backward im2col above 4→8 channels a group); im2col for 1×1, transposed', () => {
    const src = spec([
      '{ kind: conv2d, name: few, out_channels: 16, kernel_size: 3, padding: 1 }', // 1 → 16: too few input channels
      '{ kind: conv2d, name: wide, out_channels: 16, kernel_size: 3, padding: 1 }', // 16 → 16
      '{ kind: conv2d, name: narrow, out_channels: 7, kernel_size: 3, padding: 1 }', // 16 → 7: too few output channels
      '{ kind: conv2d, name: strided, out_channels: 16, kernel_size: 3, stride: 2, padding: 1 }',
      '{ kind: conv2d, name: dilated, out_channels: 16, kernel_size: 3, dilation: 2, padding: 2 }',
      '{ kind: conv2d, name: grouped, out_channels: 16, kernel_size: 3, groups: 2, padding: 1 }',
      '{ kind: conv2d, name: five, out_channels: 16, kernel_size: 5, padding: 2 }',
      '{ kind: conv2d, name: point, out_channels: 16, kernel_size: 1 }',
      '{ kind: conv_transpose2d, name: up, out_channels: 16, kernel_size: 3, padding: 1 }',
      'flatten',
    ], { input: '[1, 16, 16]' });
    expect(algorithms(src)).toEqual({ few: 'direct', narrow: 'direct', wide: 'winograd4', strided: 'direct', dilated: 'direct', grouped: 'direct', five: 'direct', point: 'im2col', up: 'im2col' });
    expect(backwards(src)).toEqual({ few: 'im2col', narrow: 'im2col', wide: 'winograd4', strided: 'im2col', dilated: 'im2col', grouped: 'im2col', five: 'im2col', point: 'im2col', up: 'im2col' });
  });

  it('auto picks the tile from the output: F(4×4) from 12×12 on where its cut tiles waste little, F(2×2) below or where they waste more', () => {
    const at = (side: number) => algorithms(spec([`{ kind: conv2d, name: c, out_channels: 8, kernel_size: 3, padding: 1 }`, 'flatten'], { input: `[8, ${side}, ${side}]` })).c;
    // Products of F(4×4) over F(2×2)'s (cut tiles whole): 8×8 0.56 but under 12; 10×10 0.81; 12×12 0.56; 14×14 0.73; 18×18 0.69; 22×22 0.67.
    expect([8, 10, 12, 14, 18, 22, 28].map(at)).toEqual(['winograd', 'winograd', 'winograd4', 'winograd4', 'winograd4', 'winograd4', 'winograd4']);
  });

  it('auto: depthwise for one filter a channel; direct both ways for few channels a group (4 groups of 4→4, 1→8, a channel multiplier), im2col over 8192 channel pairs a group', () => {
    const src = spec([
      '{ kind: conv2d, name: first, out_channels: 8, kernel_size: 5, padding: 2 }', // 1 → 8
      '{ kind: conv2d, name: depthwise, out_channels: 8, kernel_size: 3, padding: 1, groups: 8 }',
      '{ kind: conv2d, name: multiplier, out_channels: 16, kernel_size: 3, padding: 1, groups: 8 }', // 1 → 2 a group
      '{ kind: conv2d, name: grouped, out_channels: 16, kernel_size: 3, stride: 2, groups: 4 }', // 4 → 4 a group
      '{ kind: conv2d, name: wide, out_channels: 160, kernel_size: 2 }', // 16 → 160: 2,560 pairs
      '{ kind: conv2d, name: huge, out_channels: 64, kernel_size: 2 }', // 160 → 64: 10,240 pairs
      'flatten',
    ], { input: '[1, 16, 16]' });
    expect(algorithms(src)).toEqual({ first: 'direct', depthwise: 'depthwise', multiplier: 'direct', grouped: 'direct', wide: 'direct', huge: 'im2col' });
    expect(backwards(src)).toEqual({ first: 'direct', depthwise: 'depthwise', multiplier: 'direct', grouped: 'direct', wide: 'im2col', huge: 'im2col' });
    expect(convAlgorithmLines(ok(src).nodes)).toEqual([
      'Conv algorithms:   first: direct (auto: 1→8 channels, its kernel is 5×5, not 3×3)',
      '                   depthwise: depthwise (auto: 8 channels, one filter each)',
      '                   multiplier: direct (auto: 8→16 channels, 1→2 a group, it has 8 groups, not 1)',
      '                   grouped: direct (auto: 16→16 channels, 4→4 a group, its stride is 2×2, not 1)',
      '                   wide: direct, backward im2col + gemm (auto: 16→160 channels, its kernel is 2×2, not 3×3; backward im2col: over 4→8 channels a group for direct)',
      '                   huge: im2col + gemm (auto: 160→64 channels, its kernel is 2×2, not 3×3; over 8192 channel pairs a group for direct)',
    ]);
  });

  it('auto: winograd runs from the batch where its products save more than the filter transform costs (winogradFrom), im2col below; never where the tiles do more products than im2col', () => {
    const at = (channels: number, side: number) => {
      const src = spec([`{ kind: conv2d, name: c, out_channels: ${channels}, kernel_size: 3, padding: 1 }`, 'flatten'], { input: `[${channels}, ${side}, ${side}]` });
      const np = planModel(ok(src), TS_TARGET).nodes.find((p) => p.node.name === 'c')!;
      return { algorithm: convOf(np).algorithm, from: convOf(np).winogradFrom, code: compile(src, 'spec.yaml').code ?? '' };
    };
    // Saved multiply-adds a filter and sample (9·P − 16·tiles): 8×8 320, 4×4 80, 2×2 20; the transform WINOGRAD_FILTER_MACS[2] = 160.
    expect([8, 4, 2].map((side) => at(512, side)).map(({ algorithm, from }) => [algorithm, from])).toEqual([['winograd', 1], ['winograd', 2], ['winograd', 8]]);
    expect(at(32, 28)).toMatchObject({ algorithm: 'winograd4', from: 1 });
    // A 1×1 output: one 4×4 tile's 16 products against im2col's 9.
    expect(at(64, 1).algorithm).toBe('im2col');
    const small = at(512, 2);
    expect(small.code).toMatch(/\/\/ wasm: winograd F\(2×2,3×3\) \(auto: 3×3, stride 1, 512→512 channels, 2×2 out, under 12 for 4×4 tiles; im2col below batch 8, where the filter transform costs more than it saves\)\nconst c_geometry: rt\.Conv2dGeometry = \{[^}]*algorithm: 'winograd', winogradFrom: 8 \};/);
    expect(at(512, 8).code).not.toContain('winogradFrom');
  });

  it("the seed's MNIST model: conv1 (1→32) direct with an im2col backward, conv2 (32→64) winograd F(4×4), in the geometry literal and its comment, under the layer's", () => {
    const src = readFileSync('specs/mnist.yaml', 'utf8');
    expect(algorithms(src)).toEqual({ conv1: 'direct', conv2: 'winograd4' });
    expect(backwards(src)).toEqual({ conv1: 'im2col', conv2: 'winograd4' });
    const { code } = compile(src, 'specs/mnist.yaml');
    expect(code).toMatch(/\/\/ conv2: conv2d 32→64, .*\n\/\/ wasm: winograd F\(4×4,3×3\) \(auto: 3×3, stride 1, 32→64 channels, 24×24 out \(4×4 tiles: 0\.56 of 2×2's products\)\)\nconst conv2_geometry: rt\.Conv2dGeometry = \{[^}]*algorithm: 'winograd4' \};\n/);
    expect(code).toMatch(/\/\/ wasm: direct, backward im2col \+ gemm \(auto: 1→32 channels, fewer than 8 for winograd; backward im2col: over 4→8 channels a group for direct\)\nconst conv1_geometry: rt\.Conv2dGeometry = \{[^}]*algorithm: 'direct', backward: 'im2col' \};\n/);
  });

  it('an override wins where it fits, and says so: im2col on a winograd layer, winograd on a few-channel one, F(4×4) on a small output, direct (both passes) on either', () => {
    const src = spec([
      '{ kind: conv2d, name: a, out_channels: 16, kernel_size: 3, algorithm: winograd }',
      '{ kind: conv2d, name: b, out_channels: 16, kernel_size: 3, algorithm: im2col }',
      '{ kind: conv2d, name: c, out_channels: 16, kernel_size: 3, algorithm: auto }',
      '{ kind: conv2d, name: d, out_channels: 16, kernel_size: 3, algorithm: winograd4 }',
      '{ kind: conv2d, name: e, out_channels: 16, kernel_size: 3, algorithm: auto }',
      '{ kind: conv2d, name: f, out_channels: 16, kernel_size: 3, algorithm: direct }',
      '{ kind: conv2d, name: g, out_channels: 64, kernel_size: 1, algorithm: direct }',
      'flatten',
    ], { input: '[2, 14, 14]' });
    expect(algorithms(src)).toEqual({ a: 'winograd', b: 'im2col', c: 'winograd', d: 'winograd4', e: 'winograd', f: 'direct', g: 'direct' });
    expect(backwards(src)).toEqual({ a: 'winograd', b: 'im2col', c: 'winograd', d: 'winograd4', e: 'winograd', f: 'direct', g: 'direct' });
    expect(convAlgorithmLines(ok(src).nodes)).toEqual([
      'Conv algorithms:   a: winograd F(2×2,3×3) (set in the spec)',
      '                   b: im2col + gemm (set in the spec)',
      '                   c: winograd F(2×2,3×3) (auto: 3×3, stride 1, 16→16 channels, 8×8 out, under 12 for 4×4 tiles)',
      '                   d: winograd F(4×4,3×3) (set in the spec)',
      '                   e: winograd F(2×2,3×3) (auto: 3×3, stride 1, 16→16 channels, 4×4 out, under 12 for 4×4 tiles; im2col below batch 2, where the filter transform costs more than it saves)',
      '                   f: direct (set in the spec)',
      '                   g: direct (set in the spec)',
    ]);
  });

  it('E0416: winograd forced on a layer it cannot compute, at the value, naming what does not fit', () => {
    const src = spec([
      '{ kind: conv2d, name: s2, out_channels: 16, kernel_size: 3, stride: 2, algorithm: winograd }',
      '{ kind: conv2d, name: k5, out_channels: 16, kernel_size: 5, algorithm: winograd }',
      '{ kind: conv2d, name: g2, out_channels: 16, kernel_size: 3, groups: 2, algorithm: winograd4 }',
      'flatten',
    ], { input: '[16, 28, 28]' });
    const { ir, diagnostics } = lowerYaml(src);
    expect(ir).toBeNull();
    expect(brief(diagnostics)).toEqual([
      `${pos(src, 'algorithm: winograd', 'winograd')} E0416 s2: algorithm winograd (F(2×2,3×3)) needs a 3×3 kernel, stride 1, dilation 1 and groups 1, but its stride is 2×2, not 1`,
      `${pos(src, 'algorithm: winograd', 'winograd', 1)} E0416 k5: algorithm winograd (F(2×2,3×3)) needs a 3×3 kernel, stride 1, dilation 1 and groups 1, but its kernel is 5×5, not 3×3`,
      `${pos(src, 'algorithm: winograd4', 'winograd4')} E0416 g2: algorithm winograd4 (F(4×4,3×3)) needs a 3×3 kernel, stride 1, dilation 1 and groups 1, but it has 2 groups, not 1`,
    ]);
  });

  it('E0416: depthwise forced on a layer that is not one filter a channel, at the value; forced on one that is, it wins', () => {
    const src = spec([
      '{ kind: conv2d, name: dense, out_channels: 16, kernel_size: 3, algorithm: depthwise }',
      '{ kind: conv2d, name: multiplier, out_channels: 32, kernel_size: 3, groups: 16, algorithm: depthwise }',
      'flatten',
    ], { input: '[16, 28, 28]' });
    const { ir, diagnostics } = lowerYaml(src);
    expect(ir).toBeNull();
    expect(brief(diagnostics)).toEqual([
      `${pos(src, 'algorithm: depthwise', 'depthwise')} E0416 dense: algorithm depthwise needs one filter a channel (groups = in_channels = out_channels), but it has 1 groups for 16 input channels`,
      `${pos(src, 'algorithm: depthwise', 'depthwise', 1)} E0416 multiplier: algorithm depthwise needs one filter a channel (groups = in_channels = out_channels), but it has 32 output channels for 16 input ones (a channel multiplier)`,
    ]);
    const fits = spec(['{ kind: conv2d, name: dw, out_channels: 16, kernel_size: 3, groups: 16, algorithm: depthwise }', '{ kind: conv2d, name: forced, out_channels: 16, kernel_size: 3, groups: 16, algorithm: direct }', 'flatten'], { input: '[16, 28, 28]' });
    expect(algorithms(fits)).toEqual({ dw: 'depthwise', forced: 'direct' });
  });

  it('cnnc check and cnnc build: E0416 at file:line:col, exit 1, no file written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnc-algorithm-'));
    try {
      const file = join(dir, 'model.yaml'), out = join(dir, 'model.ts');
      const src = spec(['{ kind: conv2d, name: d2, out_channels: 16, kernel_size: 3, dilation: 2, algorithm: winograd }', 'flatten'], { input: '[16, 12, 12]' });
      writeFileSync(file, src);
      const check = await cnnc('check', file);
      expect(check.code).toBe(1);
      expect(check.err).toContain(`${file}:${pos(src, 'algorithm: winograd', 'winograd')}: error E0416: d2: algorithm winograd (F(2×2,3×3)) needs a 3×3 kernel, stride 1, dilation 1 and groups 1, but its dilation is 2×2, not 1`);
      const build = await cnnc('build', file, '-o', out);
      expect(build.code).toBe(1);
      expect(() => readFileSync(out)).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the schema refuses an unknown algorithm word (validation, before lowering)', () => {
    const src = spec(['{ kind: conv2d, out_channels: 16, kernel_size: 3, algorithm: fft }', 'flatten'], { input: '[1, 8, 8]' });
    const { ir, diagnostics } = checkSource(src, 'model.yaml');
    expect(ir).toBeNull();
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.severity}`)).toEqual([`${pos(src, 'algorithm: fft', 'fft')} error`]);
    expect(diagnostics[0]!.message).toContain('algorithm');
  });

  it('cnnc inspect prints each conv2d\'s algorithm, and --json lists them', async () => {
    const text = await cnnc('inspect', 'specs/mnist.yaml');
    expect(text.code).toBe(0);
    expect(text.out).toContain('Conv algorithms:   conv1: direct, backward im2col + gemm (auto: 1→32 channels, fewer than 8 for winograd; backward im2col: over 4→8 channels a group for direct)\n                   conv2: winograd F(4×4,3×3) (auto: 3×3, stride 1, 32→64 channels, 24×24 out (4×4 tiles: 0.56 of 2×2\'s products))\n');
    const json = JSON.parse((await cnnc('inspect', 'specs/mnist.yaml', '--json')).out) as { algorithms: unknown };
    expect(json.algorithms).toEqual([
      { name: 'conv1', algorithm: 'direct', backward: 'im2col', winogradFrom: 1, why: 'auto: 1→32 channels, fewer than 8 for winograd; backward im2col: over 4→8 channels a group for direct' },
      { name: 'conv2', algorithm: 'winograd4', backward: 'winograd4', winogradFrom: 1, why: "auto: 3×3, stride 1, 32→64 channels, 24×24 out (4×4 tiles: 0.56 of 2×2's products)" },
    ]);
  });
});

// The plan (compiler/4-passes/plan.ts) is the one place the passes' decisions live: both renderers read
// it and import no pass, and verifyPlan catches a plan that breaks its invariants before a renderer sees it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource, GPUJS_TARGET, planModel, TS_TARGET, verifyPlan, type ModelIR, type PlannedModel } from '../../compiler/index.js';
import { SPECS } from './helpers.js';

const ROOT = join(SPECS, '..');

function irOf(spec: string): ModelIR {
  const { ir, diagnostics } = checkSource(readFileSync(join(SPECS, spec), 'utf8'), spec);
  if (ir === null) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return ir;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the plan', () => {
  it('no renderer imports a pass: compiler/5-codegen* read the plan (compiler/ir/plan.ts), never compiler/4-passes', () => {
    const offenders: string[] = [];
    for (const dir of ['compiler/5-codegen', 'compiler/5-codegen-gpujs']) {
      for (const file of filesUnder(join(ROOT, dir))) {
        for (const m of readFileSync(file, 'utf8').matchAll(/^import[^;]*from '([^']+)'/gm)) {
          if (m[1]!.includes('4-passes')) offenders.push(`${file.slice(ROOT.length + 1)} imports ${m[1]}`);
        }
      }
    }
    expect(offenders, offenders.join('\n')).toEqual([]);
  });

  it('fuses a conv2d\'s relu for the TypeScript target only: a gpu.js kernel writes one tensor', () => {
    const ir = irOf('mnist.yaml');
    const fused = (p: PlannedModel) => p.nodes.filter((n) => n.fusedRelu !== null).map((n) => `${n.node.name}+${n.fusedRelu}`);
    expect(fused(planModel(ir, TS_TARGET))).toEqual(['conv1+relu_1', 'conv2+relu_2']);
    expect(fused(planModel(ir, GPUJS_TARGET))).toEqual([]);
  });

  it('gives every node its readers: resnet-mini\'s block inputs are read by the block and its add', () => {
    const plan = planModel(irOf('resnet-mini.yaml'), TS_TARGET);
    const multi = plan.nodes.filter((n) => new Set(n.readers.map((r) => r.reader)).size > 1).map((n) => `${n.node.name} ← ${n.readers.map((r) => r.reader).join(', ')}`);
    expect(multi.length).toBeGreaterThan(0);
    for (const n of plan.nodes) for (const r of n.readers) expect(plan.ir.nodes.find((m) => m.name === r.reader)?.inputs[r.input]).toBe(n.node.name);
  });

  it('verifyPlan accepts every shipped spec\'s plan, for both targets', () => {
    for (const spec of readdirSync(SPECS).filter((f) => f.endsWith('.yaml'))) {
      for (const target of [TS_TARGET, GPUJS_TARGET]) expect(() => planModel(irOf(spec), target), `${spec} on ${target.name}`).not.toThrow();
    }
  });

  describe('verifyPlan refuses a broken plan, naming what is wrong', () => {
    const good = planModel(irOf('mnist.yaml'), TS_TARGET);
    const broken: readonly (readonly [string, PlannedModel, RegExp])[] = [
      ['a buffer planned twice', { ...good, memory: { ...good.memory, buffers: [...good.memory.buffers, good.memory.buffers[0]!] } }, /planned twice/],
      ['a buffer past its arena', { ...good, memory: { ...good.memory, perSample: { ...good.memory.perSample, values: 1 } } }, /ends past its arena/],
      ['a relu fused on gpu.js', { ...good, target: GPUJS_TARGET }, /whose kernels write one tensor/],
      ['parameters with a gap', { ...good, memory: { ...good.memory, paramSize: good.memory.paramSize + 1 } }, /add up to/],
      ['a reader edge that does not read', { ...good, nodes: good.nodes.map((n, i) => (i === 0 ? { ...n, readers: [{ reader: 'fc2', input: 0 }] } : n)) }, /does not read it/],
      ['a node with the wrong geometry', { ...good, nodes: good.nodes.map((n, i) => (i === 0 ? { ...n, geometry: { kind: 'none' } } : n)) }, /has none geometry/],
    ];
    it.each(broken)('%s', (_, plan, message) => {
      expect(() => verifyPlan(plan)).toThrow(message);
    });
  });
});

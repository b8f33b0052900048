// runtime/train/schedule.ts against torch.optim.lr_scheduler 1.13: fixtures recorded from a real torch.optim.SGD/Adam
// (tools/pytorch/make_schedule_fixtures.py) give the lr (and one_cycle_lr's momentum/beta1) after every step over a
// whole schedule; they must match exactly in float64 (toBe, not toBeCloseTo).
// The one allowed difference is libm's cos: schedule.ts's cos is correctly rounded, glibc's (behind Python's
// math.cos) misrounds now and then. A case where that happened also carries PyTorch's run with a correctly rounded
// math.cos (lr_cr / momentum_cr) and the misrounded calls; it must equal that run exactly, and the real one within
// a few ulp.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cos, createSchedule, oneCycleTotalSteps, type ScheduleSpec } from '../../runtime/train/schedule.js';

interface Case {
  name: string;
  spec: ScheduleSpec;
  optimizer: 'sgd' | 'adam';
  base_lr: number;
  lr: number[];
  momentum?: number[];
  metrics?: number[];
  lr_cr?: number[];
  momentum_cr?: number[];
  libm_cos_misrounded?: [x: number, libm: number, correct: number][];
}
const KINDS = ['step_lr', 'multistep_lr', 'exponential_lr', 'cosine_annealing_lr', 'linear_lr', 'sequential_lr', 'one_cycle_lr', 'reduce_lr_on_plateau'] as const;
const fixture = (kind: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/schedules/${kind}.json`, import.meta.url), 'utf8')) as { torch: string; cases: Case[] };

/** Steps a fresh schedule through the case; the lr (and momentum) after construction and after every step. */
function replay(c: Case, from?: { at: number }) {
  let s = createSchedule(c.spec, c.base_lr);
  const lrs = [s.lr()];
  const moms = [s.momentum()];
  for (let t = 0; t < c.lr.length - 1; t++) {
    if (from && t === from.at) {
      const saved = JSON.parse(JSON.stringify(s.getState())) as ReturnType<typeof s.getState>;
      s = createSchedule(c.spec, c.base_lr);
      s.setState(saved);
      expect(s.getState(), 'the state read back after setState').toEqual(saved);
    }
    s.step(c.metrics?.[t]);
    lrs.push(s.lr());
    moms.push(s.momentum());
  }
  return { lrs, moms };
}

for (const kind of KINDS) {
  describe(`${kind} equals PyTorch 1.13's after every step`, () => {
    const { torch, cases } = fixture(kind);
    it('the fixture comes from torch 1.13 and has several argument sets', () => {
      expect(torch).toMatch(/^1\.13/);
      expect(cases.length).toBeGreaterThanOrEqual(3);
    });
    for (const c of cases) {
      const lrWant = c.lr_cr ?? c.lr;
      const momWant = c.momentum_cr ?? c.momentum;
      it(`${c.name} (${c.optimizer}, lr ${c.base_lr}, ${c.lr.length - 1} steps)${c.lr_cr ? ', against torch with a correctly rounded cos' : ''}`, () => {
        const { lrs, moms } = replay(c);
        lrs.forEach((lr, t) => expect(lr, `lr after step ${t}`).toBe(lrWant[t]));
        if (momWant) moms.forEach((m, t) => expect(m, `momentum after step ${t}`).toBe(momWant[t]));
        else expect(moms.every((m) => m === null)).toBe(true);
      });
      if (c.libm_cos_misrounded) {
        it(`${c.name}: the real torch run differs only through libm's misrounded cos, by at most 4 ulp`, () => {
          for (const [x, libm, correct] of c.libm_cos_misrounded!) {
            expect(libm).not.toBe(correct);
            expect(cos(x)).toBe(correct);
          }
          const { lrs, moms } = replay(c);
          lrs.forEach((lr, t) => expect(Math.abs(lr - c.lr[t]!), `lr after step ${t}`).toBeLessThanOrEqual(4 * Number.EPSILON * c.lr[t]!));
          if (c.momentum) moms.forEach((m, t) => expect(Math.abs(m! - c.momentum![t]!)).toBeLessThanOrEqual(4 * Number.EPSILON));
        });
      }
      it(`${c.name}: getState/setState through JSON mid-schedule continues identically`, () => {
        const at = Math.floor((c.lr.length - 1) / 2) + 1;
        const { lrs, moms } = replay(c, { at });
        expect(lrs).toEqual(lrWant);
        if (momWant) expect(moms).toEqual(momWant);
      });
    }
  });
}

describe('cos is correctly rounded (Python math.cos is glibc, Math.cos is fdlibm)', () => {
  const { cases } = JSON.parse(readFileSync(new URL('../fixtures/schedules/cos.json', import.meta.url), 'utf8')) as { cases: [number, number, number][] };
  it(`equals mpmath's correctly rounded cos on all ${cases.length} arguments, where Math.cos does not`, () => {
    for (const [x, correct] of cases) expect(cos(x), `cos(${x})`).toBe(correct);
    expect(cases.filter(([x, correct]) => Math.cos(x) !== correct).length).toBeGreaterThan(0);
  });
  it('agrees with glibc wherever glibc is correctly rounded', () => {
    for (const [x, correct, libm] of cases) if (libm === correct) expect(cos(x)).toBe(libm);
  });
});

describe('schedule behaviour beyond the fixtures', () => {
  it('the chainable StepLR differs from the closed form somewhere, and the fixture follows the chainable one', () => {
    const c = fixture('step_lr').cases[0]!; // step 1, gamma 0.7, lr 1: lr * 0.7 each step, not 0.7 ** t
    const closed = c.lr.map((_, t) => c.base_lr * 0.7 ** t);
    expect(closed.some((v, t) => v !== c.lr[t])).toBe(true);
  });

  it('one_cycle_lr refuses a step past total_steps, as PyTorch does', () => {
    const s = createSchedule({ kind: 'one_cycle_lr', max_lr: 0.1, total_steps: 4 }, 0.1);
    for (let i = 0; i < 4; i++) s.step();
    expect(() => s.step()).toThrow(/tried to step 6 times.*total steps is 4/);
  });

  it('one_cycle_lr is per batch, the epoch kinds are not; total steps from epochs × steps_per_epoch', () => {
    expect(createSchedule({ kind: 'one_cycle_lr', max_lr: 1, total_steps: 9 }, 0.1).perBatch).toBe(true);
    expect(createSchedule({ kind: 'step_lr', step_size: 2 }, 0.1).perBatch).toBe(false);
    expect(oneCycleTotalSteps({ kind: 'one_cycle_lr', max_lr: 1, epochs: 3, steps_per_epoch: 7 })).toBe(21);
  });

  it('reduce_lr_on_plateau needs the metric, and its infinite best survives JSON', () => {
    const s = createSchedule({ kind: 'reduce_lr_on_plateau', mode: 'max' }, 0.1);
    expect(() => s.step()).toThrow(TypeError);
    const st = s.getState();
    expect(st.plateau!.best).toBe('-inf');
    const t = createSchedule({ kind: 'reduce_lr_on_plateau', mode: 'max' }, 0.1);
    t.setState(JSON.parse(JSON.stringify(st)));
    expect(t.getState()).toEqual(st);
  });

  it('setState refuses a state of another kind or a damaged one, leaving the schedule as it was', () => {
    const s = createSchedule({ kind: 'step_lr', step_size: 2 }, 0.1);
    const other = createSchedule({ kind: 'exponential_lr', gamma: 0.9 }, 0.1).getState();
    expect(() => s.setState(other)).toThrow(/kind/);
    expect(() => s.setState({ ...s.getState(), lr: Number.NaN })).toThrow(/lr/);
    expect(() => s.setState({ ...s.getState(), last_epoch: 1.5 })).toThrow(/last_epoch/);
    expect(() => s.setState({ ...s.getState(), momentum: 0.9 })).toThrow(/momentum must be null/);
    const oc = createSchedule({ kind: 'one_cycle_lr', max_lr: 0.1, total_steps: 10 }, 0.1);
    expect(() => oc.setState({ ...oc.getState(), momentum: null })).toThrow(/momentum must be a finite number/);
    expect(s.getState()).toEqual(createSchedule({ kind: 'step_lr', step_size: 2 }, 0.1).getState());
  });

  const bad: [string, ScheduleSpec, RegExp][] = [
    ['gamma 0', { kind: 'step_lr', step_size: 1, gamma: 0 }, /step_lr: gamma must be a number > 0, got 0/],
    ['gamma < 0', { kind: 'exponential_lr', gamma: -0.5 }, /exponential_lr: gamma/],
    ['multistep gamma 0', { kind: 'multistep_lr', milestones: [2], gamma: 0 }, /multistep_lr: gamma/],
    ['step_size 0', { kind: 'step_lr', step_size: 0 }, /step_lr: step_size/],
    ['T_max 0', { kind: 'cosine_annealing_lr', T_max: 0 }, /cosine_annealing_lr: T_max must be an integer ≥ 1, got 0/],
    ['milestones not increasing', { kind: 'multistep_lr', milestones: [5, 3] }, /multistep_lr: milestones must be a list of increasing/],
    ['milestones repeated', { kind: 'multistep_lr', milestones: [3, 3] }, /milestones/],
    ['sequential milestones not increasing', {
      kind: 'sequential_lr', milestones: [6, 2],
      schedulers: [{ kind: 'linear_lr' }, { kind: 'step_lr', step_size: 1 }, { kind: 'exponential_lr', gamma: 0.9 }],
    }, /sequential_lr: milestones/],
    ['sequential milestones count', { kind: 'sequential_lr', milestones: [], schedulers: [{ kind: 'linear_lr' }, { kind: 'linear_lr' }] }, /sequential_lr: milestones must be one fewer/],
    ['a bad child names its place', {
      kind: 'sequential_lr', milestones: [3], schedulers: [{ kind: 'linear_lr' }, { kind: 'cosine_annealing_lr', T_max: 0 }],
    }, /sequential_lr\.schedulers\[1\]: cosine_annealing_lr: T_max/],
    ['one_cycle_lr total_steps 0', { kind: 'one_cycle_lr', max_lr: 0.1, total_steps: 0 }, /one_cycle_lr: total_steps must be an integer ≥ 1/],
    ['one_cycle_lr epochs 0', { kind: 'one_cycle_lr', max_lr: 0.1, epochs: 0, steps_per_epoch: 10 }, /one_cycle_lr: epochs/],
    ['one_cycle_lr no total', { kind: 'one_cycle_lr', max_lr: 0.1 }, /one_cycle_lr: total_steps/],
    ['one_cycle_lr pct_start 1.5', { kind: 'one_cycle_lr', max_lr: 0.1, total_steps: 10, pct_start: 1.5 }, /pct_start/],
    ['linear_lr start_factor 0', { kind: 'linear_lr', start_factor: 0 }, /linear_lr: start_factor/],
    ['a one_cycle_lr inside sequential_lr', {
      kind: 'sequential_lr', milestones: [3], schedulers: [{ kind: 'linear_lr' }, { kind: 'one_cycle_lr', max_lr: 1, total_steps: 9 }],
    }, /sequential_lr: schedulers\[1\] must be an epoch scheduler/],
    ['an unknown kind', { kind: 'cyclic_lr' } as unknown as ScheduleSpec, /scheduler: kind must be a known scheduler kind, got "cyclic_lr"/],
    ['plateau factor 1', { kind: 'reduce_lr_on_plateau', factor: 1 }, /reduce_lr_on_plateau: factor/],
    ['plateau mode', { kind: 'reduce_lr_on_plateau', mode: 'up' as 'min' }, /reduce_lr_on_plateau: mode must be 'min' or 'max'/],
  ];
  for (const [what, spec, message] of bad) {
    it(`refuses ${what} with a RangeError naming the argument`, () => {
      expect(() => createSchedule(spec, 0.1)).toThrow(RangeError);
      expect(() => createSchedule(spec, 0.1)).toThrow(message);
    });
  }
});

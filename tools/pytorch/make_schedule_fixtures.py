#!/usr/bin/python3
"""Learning-rate schedule fixtures: torch.optim.lr_scheduler 1.13 driven by a real torch.optim.SGD or Adam.

    /usr/bin/python3 tools/pytorch/make_schedule_fixtures.py     (Debian's python3-torch 1.13)

Writes test/fixtures/schedules/<kind>.json. Each case gives the spec as cnnc names it (kind plus PyTorch's argument
names), the optimizer and its base lr, and the lr after construction and after every scheduler.step() (index 0 is
the lr of the first epoch or batch). one_cycle_lr cases also give the momentum (SGD) or beta1 (Adam) after each
step; reduce_lr_on_plateau cases give the metric passed to each step. Each step follows an optimizer.step(), as
PyTorch's usual loop does. test/train/schedule.test.ts replays them with runtime/train/schedule.ts (no Python).

CosineAnnealingLR and OneCycleLR call math.cos, which is the C library's: glibc's is correctly rounded in nearly every
case but not all (about 1 argument in 700 here), and schedule.ts uses a correctly rounded cos (V8's Math.cos is
fdlibm's, which misrounds far more often). So each case is run twice: with the real math.cos ("lr", "momentum"), and
with math.cos replaced by a correctly rounded one from mpmath ("lr_cr", "momentum_cr", written only where they
differ). "libm_cos_misrounded" lists [x, libm cos(x), correctly rounded cos(x)] for each misrounded call, so a test
can tell a libm rounding from a difference in the schedule's code path. cos.json: arguments the schedules use and
random ones, with the correctly rounded cos and libm's.
"""
import json
import math
import os

import mpmath
import torch
from torch.optim import lr_scheduler as S

mpmath.mp.prec = 300
LIBM_COS = math.cos


def cos_cr(x):
    """cos(x) correctly rounded to float64 (300-bit mpmath, then one rounding)."""
    return float(mpmath.cos(mpmath.mpf(x)))

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "schedules")

CLASSES = {
    "step_lr": S.StepLR, "multistep_lr": S.MultiStepLR, "exponential_lr": S.ExponentialLR,
    "cosine_annealing_lr": S.CosineAnnealingLR, "linear_lr": S.LinearLR, "one_cycle_lr": S.OneCycleLR,
}


def build(spec, opt):
    args = {k: v for k, v in spec.items() if k != "kind"}
    if spec["kind"] == "sequential_lr":
        children = [build(s, opt) for s in args["schedulers"]]
        return S.SequentialLR(opt, children, milestones=args["milestones"])
    if spec["kind"] == "reduce_lr_on_plateau":
        return S.ReduceLROnPlateau(opt, **args)
    return CLASSES[spec["kind"]](opt, **args)


def run(name, spec, steps, optimizer="sgd", lr=0.1, metrics=None):
    calls = []

    def recording_cos(x):
        calls.append(x)
        return LIBM_COS(x)

    math.cos = recording_cos
    try:
        case = run_once(name, spec, steps, optimizer, lr, metrics)
        math.cos = cos_cr
        cr = run_once(name, spec, steps, optimizer, lr, metrics)
    finally:
        math.cos = LIBM_COS
    misrounded = [[x, LIBM_COS(x), cos_cr(x)] for x in calls if LIBM_COS(x) != cos_cr(x)]
    if cr["lr"] != case["lr"]:
        case["lr_cr"] = cr["lr"]
    if "momentum" in case and cr["momentum"] != case["momentum"]:
        case["momentum_cr"] = cr["momentum"]
    assert misrounded or ("lr_cr" not in case and "momentum_cr" not in case), name  # only libm can differ
    if misrounded:
        case["libm_cos_misrounded"] = misrounded
    return case


def run_once(name, spec, steps, optimizer, lr, metrics):
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr, momentum=0.9) if optimizer == "sgd" else torch.optim.Adam([p], lr=lr)
    sched = build(spec, opt)
    group = opt.param_groups[0]
    mom = lambda: group["momentum"] if optimizer == "sgd" else group["betas"][0]
    lrs, moms = [group["lr"]], [mom()]
    for t in range(steps):
        p.grad = torch.ones_like(p)
        opt.step()
        if metrics is not None:
            sched.step(metrics[t])
        else:
            sched.step()
        lrs.append(group["lr"])
        moms.append(mom())
    case = dict(name=name, spec=spec, optimizer=optimizer, base_lr=lr, lr=lrs)
    if spec["kind"] == "one_cycle_lr" and spec.get("cycle_momentum", True):
        case["momentum"] = moms
    if metrics is not None:
        case["metrics"] = metrics
    return case


def plateau_metrics(n, seed):
    """A loss that falls, then wobbles on plateaus, with values right at the rel/abs thresholds."""
    g = torch.Generator().manual_seed(seed)
    out, v = [], 1.0
    for t in range(n):
        if t % 17 < 6:
            v = v * 0.9
        out.append(float(v + 1e-3 * torch.rand((), generator=g, dtype=torch.float64)))
    out[10] = out[9] * (1 - 1e-4)  # exactly at the rel threshold: not better in PyTorch
    return out


def cases():
    c = {k: [] for k in list(CLASSES) + ["sequential_lr", "reduce_lr_on_plateau"]}
    c["step_lr"] += [
        run("step 1, gamma 0.7 (pytorch/examples mnist)", dict(kind="step_lr", step_size=1, gamma=0.7), 60, "adam", 1.0),
        run("step 3, default gamma", dict(kind="step_lr", step_size=3), 40),
        run("step 7, gamma 0.5, sgd lr 0.05", dict(kind="step_lr", step_size=7, gamma=0.5), 60, "sgd", 0.05),
        run("step 2, gamma 0.93", dict(kind="step_lr", step_size=2, gamma=0.93), 100, "adam", 3e-4),
    ]
    c["multistep_lr"] += [
        run("milestones 30, 80", dict(kind="multistep_lr", milestones=[30, 80], gamma=0.1), 100),
        run("milestones 1..5, gamma 0.7", dict(kind="multistep_lr", milestones=[1, 2, 3, 4, 5], gamma=0.7), 30, "adam", 1e-3),
        run("milestone 0 and 10, default gamma", dict(kind="multistep_lr", milestones=[0, 10]), 30, "sgd", 0.3),
    ]
    c["exponential_lr"] += [
        run("gamma 0.95", dict(kind="exponential_lr", gamma=0.95), 100),
        run("gamma 0.7, adam lr 1", dict(kind="exponential_lr", gamma=0.7), 60, "adam", 1.0),
        run("gamma 0.999, lr 3e-4", dict(kind="exponential_lr", gamma=0.999), 100, "adam", 3e-4),
    ]
    c["cosine_annealing_lr"] += [
        run("T_max 10 stepped 45 times (past T_max: the cosine rises again)", dict(kind="cosine_annealing_lr", T_max=10), 45),
        run("T_max 50, eta_min 1e-5", dict(kind="cosine_annealing_lr", T_max=50, eta_min=1e-5), 100, "adam", 1e-3),
        run("T_max 1", dict(kind="cosine_annealing_lr", T_max=1), 12, "sgd", 0.5),
        run("T_max 30, eta_min 0.01, lr 0.1", dict(kind="cosine_annealing_lr", T_max=30, eta_min=0.01), 95, "sgd", 0.1),
    ]
    c["linear_lr"] += [
        run("defaults", dict(kind="linear_lr"), 30),
        run("warm-up 0.01 to 1 over 10", dict(kind="linear_lr", start_factor=0.01, end_factor=1.0, total_iters=10), 40, "adam", 1e-3),
        run("decay 1 to 0.05 over 37", dict(kind="linear_lr", start_factor=1.0, end_factor=0.05, total_iters=37), 60, "sgd", 0.2),
        run("0.25 to 0.75 over 1", dict(kind="linear_lr", start_factor=0.25, end_factor=0.75, total_iters=1), 10),
    ]
    c["sequential_lr"] += [
        run("linear warm-up 5, then cosine T_max 45", dict(kind="sequential_lr", schedulers=[
            dict(kind="linear_lr", start_factor=0.1, total_iters=5),
            dict(kind="cosine_annealing_lr", T_max=45)], milestones=[5]), 60, "adam", 1e-3),
        run("constant-ish exponential, step, cosine with eta_min", dict(kind="sequential_lr", schedulers=[
            dict(kind="exponential_lr", gamma=0.9),
            dict(kind="step_lr", step_size=4, gamma=0.5),
            dict(kind="cosine_annealing_lr", T_max=20, eta_min=1e-3)], milestones=[8, 20]), 50, "sgd", 0.1),
        run("multistep then linear", dict(kind="sequential_lr", schedulers=[
            dict(kind="multistep_lr", milestones=[2, 4], gamma=0.5),
            dict(kind="linear_lr", start_factor=0.5, end_factor=0.1, total_iters=10)], milestones=[6]), 30, "sgd", 0.4),
        run("one scheduler, no milestones", dict(kind="sequential_lr", schedulers=[
            dict(kind="step_lr", step_size=2, gamma=0.8)], milestones=[]), 20),
    ]
    c["one_cycle_lr"] += [
        run("max_lr 0.1, 100 steps, sgd", dict(kind="one_cycle_lr", max_lr=0.1, total_steps=100), 100),
        run("linear, three phase, adam", dict(kind="one_cycle_lr", max_lr=0.01, total_steps=90, anneal_strategy="linear",
                                             three_phase=True), 90, "adam", 1e-3),
        run("epochs 6 x steps_per_epoch 7, pct_start 0.25, div 10, final_div 100", dict(
            kind="one_cycle_lr", max_lr=1.0, epochs=6, steps_per_epoch=7, pct_start=0.25, div_factor=10.0,
            final_div_factor=100.0), 42, "adam", 1.0),
        run("three phase cos, momentum 0.8-0.9", dict(kind="one_cycle_lr", max_lr=0.5, total_steps=61, three_phase=True,
                                                     base_momentum=0.8, max_momentum=0.9), 61),
        run("no momentum cycling", dict(kind="one_cycle_lr", max_lr=0.05, total_steps=33, cycle_momentum=False,
                                        pct_start=0.5), 33),
    ]
    m1, m2 = plateau_metrics(80, 1), plateau_metrics(80, 2)
    acc = [1 - x for x in m2]
    c["reduce_lr_on_plateau"] += [
        run("defaults except patience 2", dict(kind="reduce_lr_on_plateau", patience=2), 80, "sgd", 0.1, m1),
        run("max mode, abs threshold 1e-3, cooldown 3, factor 0.5", dict(
            kind="reduce_lr_on_plateau", mode="max", threshold=1e-3, threshold_mode="abs", cooldown=3, factor=0.5,
            patience=1), 80, "adam", 1e-3, acc),
        run("min_lr 1e-3 and eps stop the decay", dict(
            kind="reduce_lr_on_plateau", patience=0, factor=0.5, min_lr=1e-3, eps=1e-3), 80, "sgd", 0.1, m2),
        run("max rel, patience 4, cooldown 1", dict(
            kind="reduce_lr_on_plateau", mode="max", patience=4, cooldown=1, factor=0.3), 80, "adam", 0.01,
            [-x for x in m1]),
    ]
    return c


def cos_table():
    g = torch.Generator().manual_seed(16)
    xs = [math.pi * e / t for t in (1, 3, 7, 10, 30, 45, 50, 100) for e in range(0, 3 * t + 2, max(1, t // 10))]
    xs += [math.pi * (k / 70.0) for k in range(71)]
    xs += [float(v) for v in (torch.rand(200, generator=g, dtype=torch.float64) * 200 - 100)]
    # near multiples of pi/2 (the reduction's hard case), tiny, signed zero and large arguments
    xs += [k * (math.pi / 2) for k in range(-40, 41)] + [1e-8, 1e-300, 5e-324, 0.0, -0.0, 1e6 + 0.5, -12345.678, 1e9]
    return dict(torch=torch.__version__, cases=[[x, cos_cr(x), LIBM_COS(x)] for x in xs])


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "cos.json"), "w") as f:
        json.dump(cos_table(), f, separators=(",", ":"))
        f.write("\n")
    for kind, cs in cases().items():
        for case in cs:
            assert all(math.isfinite(v) for v in case["lr"]), case["name"]
        with open(os.path.join(OUT, kind + ".json"), "w") as f:
            json.dump(dict(torch=torch.__version__, kind=kind, cases=cs), f, indent=None, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()

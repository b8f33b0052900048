#!/usr/bin/env python3
"""Fixtures for test/train/optim-more.test.ts: torch.optim 1.13's RMSprop, Adagrad, Adadelta and Adam/AdamW with
amsgrad, single-tensor path (foreach=False, maximize=False), 20 steps on two small parameters, in float64 and float32.

Run with Debian's torch 1.13:  /usr/bin/python3 tools/pytorch/make_optim_fixtures.py
Writes test/fixtures/optim/more-<case>.json (and more-pow.json, Adam's bias corrections). Every number is a Python float: float32 values are exact (a float32
converts to a double exactly, and JSON's shortest repr reads back to the same double).
"""
import json
import math
import os

import torch

STEPS = 20
SHAPES = [("layer.weight", (4, 5)), ("layer.bias", (3,))]

CASES = [
    ("rmsprop", "rmsprop", {}),
    ("rmsprop_momentum_wd", "rmsprop", {"lr": 3e-3, "momentum": 0.9, "weight_decay": 0.01}),
    ("rmsprop_centered", "rmsprop", {"alpha": 0.9, "centered": True}),
    ("rmsprop_centered_momentum_wd", "rmsprop", {"lr": 1e-3, "alpha": 0.95, "eps": 1e-6, "momentum": 0.5,
                                                 "centered": True, "weight_decay": 0.1}),
    ("adagrad", "adagrad", {}),
    ("adagrad_lr_decay_wd", "adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01}),
    ("adagrad_initial_acc", "adagrad", {"initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("adadelta", "adadelta", {}),
    ("adadelta_rho_wd", "adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-5, "weight_decay": 0.01}),
    ("adam_amsgrad", "adam", {"lr": 1e-2, "amsgrad": True}),
    ("adam_amsgrad_wd", "adam", {"lr": 3e-3, "betas": (0.8, 0.99), "weight_decay": 0.05, "amsgrad": True}),
    ("adamw_amsgrad", "adamw", {"lr": 1e-2, "weight_decay": 0.01, "amsgrad": True}),
    ("adamw_amsgrad_betas", "adamw", {"lr": 2e-3, "betas": (0.5, 0.95), "eps": 1e-6, "weight_decay": 0.1,
                                      "amsgrad": True}),
]

OPTIMIZERS = {"rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad, "adadelta": torch.optim.Adadelta,
              "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def inputs(seed):
    """Initial values and STEPS gradients per parameter, drawn in float64 (cast per dtype later).
    Gradient scales vary over 4 decades step to step, and about 1 in 6 entries is exactly 0."""
    g = torch.Generator().manual_seed(seed)
    initial = [torch.randn(shape, generator=g, dtype=torch.float64) for _, shape in SHAPES]
    grads = []
    for _ in range(STEPS):
        scale = 10 ** (torch.rand((), generator=g, dtype=torch.float64).item() * 4 - 3)
        step = []
        for _, shape in SHAPES:
            x = torch.randn(shape, generator=g, dtype=torch.float64) * scale
            x[torch.rand(shape, generator=g) < 1 / 6] = 0
            step.append(x)
        grads.append(step)
    return initial, grads


def run(kind, args, initial, grads, dtype):
    params = [torch.nn.Parameter(t.to(dtype).clone()) for t in initial]
    opt = OPTIMIZERS[kind](params, foreach=False, maximize=False, **args)
    out = {"initial": [p.detach().flatten().tolist() for p in params], "grads": [], "after": []}
    for step in grads:
        for p, gr in zip(params, step):
            p.grad = gr.to(dtype).clone()
        opt.step()
        out["grads"].append([p.grad.flatten().tolist() for p in params])
        out["after"].append([p.detach().flatten().tolist() for p in params])
    slots = {}
    for (name, _), p in zip(SHAPES, params):
        for key, value in opt.state[p].items():
            if key == "step":
                continue
            slots[f"{name}.{key}"] = value.flatten().tolist()
    out["slots"] = slots
    out["step"] = int(float(opt.state[params[0]]["step"]))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = os.path.join(here, "..", "..", "test", "fixtures", "optim")
    os.makedirs(outdir, exist_ok=True)
    for i, (name, kind, args) in enumerate(CASES):
        initial, grads = inputs(1000 + i)
        fixture = {
            "torch": torch.__version__,
            "cpu_capability": torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else None,
            "kind": kind,
            "args": {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()},
            "params": [{"name": n, "shape": list(s)} for n, s in SHAPES],
            "steps": STEPS,
            "float64": run(kind, args, initial, grads, torch.float64),
            "float32": run(kind, args, initial, grads, torch.float32),
        }
        for dt in ("float64", "float32"):
            for row in fixture[dt]["after"]:
                for vals in row:
                    assert all(math.isfinite(v) for v in vals), name
        with open(os.path.join(outdir, f"more-{name}.json"), "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
            f.write("\n")
        print(f"more-{name}.json")
    # Adam's bias corrections as Python computes them (1 - beta ** step: the C library's pow, here glibc's), for
    # steps 1..1000 and 100 more up to 30000.
    ts = list(range(1, 1001)) + [1000 + 290 * k for k in range(1, 101)]
    pow_fixture = {"steps": ts, "one_minus_pow": {str(b): [1 - b ** float(t) for t in ts] for b in (0.9, 0.99, 0.999, 0.95, 0.8, 0.5)}}
    with open(os.path.join(outdir, "more-pow.json"), "w") as f:
        json.dump(pow_fixture, f, separators=(",", ":"))
        f.write("\n")
    print("more-pow.json")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Fixtures for test/runtime/clip-grad.test.ts: torch.nn.utils 1.13's clip_grad_norm_ and clip_grad_value_ on the
gradients of three parameters, in float64 and float32, for norm types 2, 1 and inf, with a max_norm that clips and one
that does not.

Run with Debian's torch 1.13:  /usr/bin/python3 tools/pytorch/make_clip_fixtures.py
Writes test/fixtures/clip/clip.json. Every number is a Python float (float32 values convert to doubles exactly).
"""
import json
import math
import os

import torch

SHAPES = [(8, 9), (8,), (5, 20)]
CASES = [
    ("norm2_clips", "norm", {"max_norm": 0.5, "norm_type": 2.0}),
    ("norm2_no_clip", "norm", {"max_norm": 1e6, "norm_type": 2.0}),
    ("norm1_clips", "norm", {"max_norm": 3.0, "norm_type": 1.0}),
    ("norminf_clips", "norm", {"max_norm": 0.01, "norm_type": math.inf}),
    ("value", "value", {"clip_value": 0.02}),
]


def main():
    out = {"torch": torch.__version__, "cases": []}
    for dtype_name, dtype in (("float64", torch.float64), ("float32", torch.float32)):
        for name, kind, args in CASES:
            g = torch.Generator().manual_seed(7)
            params = []
            for k, shape in enumerate(SHAPES):
                p = torch.zeros(shape, dtype=dtype, requires_grad=True)
                p.grad = (torch.randn(shape, generator=g, dtype=torch.float64) * (0.01 * (k + 1))).to(dtype)
                params.append(p)
            before = [p.grad.clone().flatten().tolist() for p in params]
            total = None
            if kind == "norm":
                total = torch.nn.utils.clip_grad_norm_(params, **args).item()
            else:
                torch.nn.utils.clip_grad_value_(params, **args)
            out["cases"].append({
                "name": f"{name}_{dtype_name}", "dtype": dtype_name, "kind": kind,
                "args": {k: ("inf" if v == math.inf else v) for k, v in args.items()},
                "grads": before, "clipped": [p.grad.flatten().tolist() for p in params], "total_norm": total,
            })
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "clip", "clip.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The checkpoint verdict of `cnnc diff`, checked against PyTorch itself.

For each (old, new) spec pair given as arguments: build both models as torch.nn modules
(tools/pytorch/spec_to_torch.py), save the old state_dict, and load it into the new model the way
PyTorch does. Prints one JSON object per pair: which tensors of the new model received the old
values (checked by value), which PyTorch refused for their size, which it reported missing and
unexpected, and whether a strict load succeeds. Run with Debian's PyTorch 1.13: /usr/bin/python3.
"""
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))
from tools.pytorch.spec_to_torch import build_model, load_spec  # noqa: E402


def check(old_path, new_path):
    torch.manual_seed(0)
    old = build_model(load_spec(old_path))
    torch.manual_seed(1)  # different values, so a tensor that did not load is visible
    new = build_model(load_spec(new_path))
    saved = {k: v.clone() for k, v in old.state_dict().items()}

    try:
        new.load_state_dict(saved, strict=True)
        strict_ok = True
    except RuntimeError:
        strict_ok = False

    # strict=False still raises on a size mismatch; PyTorch's message names each such tensor.
    size_mismatch = []
    try:
        build_model(load_spec(new_path)).load_state_dict(saved, strict=False)
    except RuntimeError as e:
        size_mismatch = re.findall(r'size mismatch for ([^:]+):', str(e))
    loadable = {k: v for k, v in saved.items() if k not in size_mismatch}
    torch.manual_seed(1)
    new = build_model(load_spec(new_path))
    result = new.load_state_dict(loadable, strict=False)
    now = new.state_dict()
    loaded = [k for k in now if k in loadable and torch.equal(now[k], loadable[k])]
    return {
        'strict_ok': strict_ok,
        'loaded': loaded,
        'size_mismatch': size_mismatch,
        'missing': list(result.missing_keys),
        'unexpected': list(result.unexpected_keys),
    }


if __name__ == '__main__':
    args = sys.argv[1:]
    print(json.dumps([check(args[i], args[i + 1]) for i in range(0, len(args), 2)]))

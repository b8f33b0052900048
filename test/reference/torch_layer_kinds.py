#!/usr/bin/python3
"""Which torch.nn module tools/pytorch/spec_to_torch.py builds for each layer kind named as an argument.

Asks spec_to_torch itself: make_layer() dispatches on `kind` (an if-chain), so each kind is built from a
layer that has every required attribute of any kind (make_layer reads only those of the kind it builds).
Prints one JSON object, kind -> {"module": class name} or {"error": what make_layer raised}; a kind it
does not map raises its "unknown layer kind" ValueError. test/reference/spec-to-torch.test.ts runs this
with Debian's PyTorch 1.13 (/usr/bin/python3).
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))
from tools.pytorch.spec_to_torch import make_layer  # noqa: E402

# conv2d / conv_transpose2d need out_channels and kernel_size, the pools kernel_size, linear out_features,
# upsample a size or a scale_factor, the adaptive pools output_size; the input is [C, H, W] for the image layers and is read as [F] by linear.
PROBE = {'out_channels': 2, 'kernel_size': 1, 'out_features': 2, 'scale_factor': 2, 'output_size': 2}
IN_SHAPE = [2, 4, 4]


def built(kind):
    try:
        return {'module': type(make_layer({'kind': kind, **PROBE}, IN_SHAPE)).__name__}
    except Exception as e:  # noqa: BLE001 -- reported to the test, which names the kind
        return {'error': f'{type(e).__name__}: {e}'}


print(json.dumps({kind: built(kind) for kind in sys.argv[1:]}))

#!/usr/bin/python3
"""PyTorch peer of the bench suite (bench/suite.mjs): one suite spec, one thread count per process, printed as one
JSON line after BENCH_RESULT. The model, loss and optimizer are the spec's, built by tools/pytorch/spec_to_torch.py;
a zoo spec (blocks and sequentials, which spec_to_torch does not expand) is torchvision's model of that name
instead, which test/zoo proves equal to the spec (same state_dict, outputs and gradients). --onnx PATH also
exports the model (eval mode, opset 17, dynamic batch axis) for the onnxruntime peers, after the timing.

Run as: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_suite.py --spec FILE --inputs BASE --threads T
        [--torchvision NAME] [--batch 32] [--infer-batches 64] [--seconds S] [--onnx PATH]
BASE.f32 / BASE.i32 / BASE.json: the synthetic inputs and labels cnnc is given too (bench/suite.mjs writes them).
"""
import argparse
import json
import os
import resource
import sys

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, '..', 'tools', 'pytorch'))
from pytorch_bench import time_box  # noqa: E402  (the same protocol as bench/measure.mjs timeBox)
from spec_to_torch import build_loss, build_model, build_optimizer, load_spec  # noqa: E402


def load_inputs(base):
    about = json.load(open(base + '.json'))
    n = about['n']
    images = np.fromfile(base + '.f32', dtype='<f4').reshape(n, *about['input_shape'])
    labels = np.fromfile(base + '.i32', dtype='<i4').astype(np.int64).reshape(n, *about['label_shape'])
    return torch.from_numpy(images.copy()), torch.from_numpy(labels), about['source']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--spec', required=True)
    ap.add_argument('--inputs', required=True)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seconds', type=float, default=10)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--infer-batches', default='')
    ap.add_argument('--torchvision', default=None)
    ap.add_argument('--onnx', default=None)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    spec = load_spec(a.spec)
    if a.torchvision:
        import torchvision
        model = getattr(torchvision.models, a.torchvision)()
    else:
        model = build_model(spec)
    loss_fn = build_loss(spec)
    opt = build_optimizer(spec, model.parameters())
    images, labels, source = load_inputs(a.inputs)
    n = len(labels)
    k = [0]

    def next_batch(size):
        i = k[0] % (n // size)
        k[0] += 1
        return images[i * size:(i + 1) * size], labels[i * size:(i + 1) * size]

    def train_step():
        x, y = next_batch(a.batch)
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        if loss.dim() > 0:
            loss = loss.mean()  # reduction 'none': cnnc's training back-propagates the mean
        loss.backward()
        opt.step()
        loss.item()  # the loss read back, as cnnc's trainStep returns it

    # Inference first, then training, as in every bench child.
    model.eval()
    infer_at = {}
    with torch.no_grad():
        infer = time_box(lambda: model(next_batch(a.batch)[0]), 2, a.seconds, 3)
        for b in [int(s) for s in a.infer_batches.split(',') if s]:
            t = time_box(lambda: model(next_batch(b)[0]), 2, a.seconds, 3)
            infer_at[str(b)] = {'img_s': b * 1000 / t['median_ms'], 'detail': t}
        x1 = images[:1]
        latency = time_box(lambda: model(x1), 10, min(a.seconds, 5), 20)
    model.train()
    train = time_box(train_step, 2, a.seconds, 3)

    result = {
        'system': f'pytorch_t{a.threads}',
        'spec': a.spec,
        'model': f'torchvision.models.{a.torchvision}()' if a.torchvision else 'spec_to_torch.build_model',
        'inputs': source,
        'batch': a.batch,
        'threads': a.threads,
        'torch': torch.__version__,
        'openblas_num_threads': os.environ.get('OPENBLAS_NUM_THREADS'),
        'train_img_s': a.batch * 1000 / train['median_ms'],
        'infer_img_s': a.batch * 1000 / infer['median_ms'],
        'latency_b1_ms': latency['median_ms'],
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        'detail': {'train': train, 'infer': infer, 'latency': latency},
    }
    if infer_at:
        result['infer_at'] = infer_at
    if a.onnx:
        result['onnx'] = export_onnx(model, images[:1], a.onnx)
    print('BENCH_RESULT ' + json.dumps(result), flush=True)


def export_onnx(model, x1, path):
    """The model in eval mode as ONNX (opset 17, batch axis dynamic) for the onnxruntime peers; an export that
    torch 1.13 refuses (e.g. an adaptive pool whose output size does not divide its input) is reported, not fatal."""
    model.eval()
    try:
        with torch.no_grad():
            torch.onnx.export(model, x1, path, opset_version=17, input_names=['input'], output_names=['output'],
                              dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}})
        return {'path': path, 'opset': 17}
    except Exception as e:  # noqa: BLE001  (any exporter failure only drops the onnxruntime rows of this model)
        return {'error': f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'[:300]}


if __name__ == '__main__':
    main()

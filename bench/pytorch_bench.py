#!/usr/bin/python3
"""PyTorch peer for `npm run bench`: the seed's CNN (../shared/seed, class CNN), one thread count
per process, printed as one JSON line after BENCH_RESULT for bench/bench.mjs to collect.

Run as: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_bench.py --threads T [--seconds S]
        [--inputs BASE]   (BASE.f32 / BASE.i32: the images and labels every system is given)
OPENBLAS_NUM_THREADS=1 keeps OpenBLAS's own pool from fighting torch's intra-op pool; T is then
torch.set_num_threads(T).
"""
import argparse
import json
import os
import resource
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class CNN(nn.Module):
    """The seed's model, layer for layer. Its dropout2 is nn.Dropout2d(0.5) on a flat [N, 128]
    tensor, which PyTorch 1.13 runs as element dropout (with a warning): nn.Dropout here, as in
    specs/mnist.yaml. The seed's CrossEntropyLoss on log_softmax equals nll_loss on it."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.dropout1(F.max_pool2d(x, 2))
        x = torch.flatten(x, 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def time_box(fn, warmup, seconds, min_samples, max_samples=float("inf")):
    """Same protocol as bench/measure.mjs timeBox: untimed warm-up, then single timed calls until
    `seconds` have passed and at least `min_samples` were taken. Returns the median in ms."""
    for _ in range(warmup):
        fn()
    samples = []
    start = time.perf_counter()
    cpu0 = time.process_time()
    while len(samples) < max_samples and (len(samples) < min_samples or time.perf_counter() - start < seconds):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    # CPU time of all our threads / wall time: ~T when undisturbed, lower when others hold the cores.
    cpu_per_wall = (time.process_time() - cpu0) / (time.perf_counter() - start)
    samples.sort()
    return {"median_ms": statistics.median(samples), "min_ms": samples[0], "max_ms": samples[-1],
            "samples": len(samples), "warmup": warmup, "cpu_per_wall": cpu_per_wall}


def load_inputs(base, n=1024):
    if base:
        images = np.fromfile(base + ".f32", dtype="<f4").reshape(-1, 1, 28, 28)
        labels = np.fromfile(base + ".i32", dtype="<i4").astype(np.int64)
        return torch.from_numpy(images.copy()), torch.from_numpy(labels), "mnist10k"
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 10, "random"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--inputs", default=None)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    images, labels, source = load_inputs(a.inputs)
    batches = [(images[i:i + a.batch], labels[i:i + a.batch]) for i in range(0, len(labels) - a.batch + 1, a.batch)]
    k = [0]

    def next_batch():
        b = batches[k[0] % len(batches)]
        k[0] += 1
        return b

    model = CNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_step():
        x, y = next_batch()
        opt.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        opt.step()
        loss.item()  # the loss read back, as cnnc's trainStep returns it

    # Inference first, then training, in every child (tfjs `cpu` needs that order: a training
    # step takes minutes). Speed does not depend on the weights' values, so the order loses nothing.
    model.eval()
    with torch.no_grad():
        infer = time_box(lambda: model(next_batch()[0]), 2, a.seconds, 3)
        x1 = images[:1]
        latency = time_box(lambda: model(x1), 10, min(a.seconds, 5), 20)
    model.train()
    train = time_box(train_step, 2, a.seconds, 3)

    result = {
        "system": f"pytorch_t{a.threads}",
        "inputs": source,
        "batch": a.batch,
        "threads": a.threads,
        "torch": torch.__version__,
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        # Debian picks the BLAS through alternatives; the reference BLAS is ~2.7x slower than OpenBLAS.
        "blas": os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"),
        "train_img_s": a.batch * 1000 / train["median_ms"],
        "infer_img_s": a.batch * 1000 / infer["median_ms"],
        "latency_b1_ms": latency["median_ms"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        "detail": {"train": train, "infer": infer, "latency": latency},
    }
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

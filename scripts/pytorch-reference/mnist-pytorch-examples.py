#!/usr/bin/python3
"""pytorch/examples' MNIST recipe (mnist/main.py) on cnnc's mnist10k splits: the reference for
specs/mnist-pytorch-examples.yaml.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/pytorch-reference/mnist-pytorch-examples.py \
        --epochs 3 --seeds 0,1,2 --json scripts/pytorch-reference/mnist-pytorch-examples.json

The recipe, as main.py writes it: Net (conv 1→32 3×3, relu, conv 32→64 3×3, relu, max_pool2d 2, Dropout(0.25),
flatten, fc 9216→128, relu, Dropout(0.5), fc 128→10, log_softmax), F.nll_loss, Adadelta(lr=1.0), StepLR(step_size=1,
gamma=0.7) stepped once after each epoch's test, batch 64, test batch 1000, Normalize((0.1307,), (0.3081,)),
torch.manual_seed(seed) before the model and loaders are made. Two differences, both on purpose:
  - the data is cnnc's embedded mnist10k (8,004 train / 1,996 test, read by mnist10k.py's load_mnist10k exactly as
    cnnc splits it), not torchvision's 60,000 / 10,000;
  - the train loader shuffles. main.py passes shuffle=True only in its cuda_kwargs, so on a CPU it trains in the
    dataset's order; mnist10k is stored digit by digit (all 0s, then all 1s, ...), where that order would be a
    different experiment, and the recipe as everyone runs it (on a GPU) shuffles.
One thread (torch.set_num_threads), as the other reference runs. Evaluation draws no randomness and StepLR is
stepped per epoch, so epoch 1 of a 3-epoch run is the 1-epoch run of that seed.
"""
import argparse
import json
import sys
import time
from datetime import datetime, timezone

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

from mnist10k import load_mnist10k, machine  # this directory: cnnc's splits, the machine record

MEAN, STD = 0.1307, 0.3081  # transforms.Normalize((0.1307,), (0.3081,))


class Net(nn.Module):
    """pytorch/examples mnist/main.py's Net, attribute names and all."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def dataset(split):
    images, labels = split
    return TensorDataset((torch.from_numpy(images) - MEAN) / STD, torch.from_numpy(labels))


def test(model, loader):
    """main.py's test(): summed nll over the test set, argmax accuracy."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            output = model(data)
            loss_sum += F.nll_loss(output, target, reduction='sum').item()
            correct += (output.argmax(1) == target).sum().item()
    n = len(loader.dataset)
    return correct / n, loss_sum / n


def run(data, seed, epochs, args):
    torch.manual_seed(seed)
    train_loader = DataLoader(dataset(data['train']), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(dataset(data['test']), batch_size=args.test_batch_size)
    model = Net()
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    per_epoch = []
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        lr = optimizer.param_groups[0]['lr']
        model.train()
        loss_sum, seen = 0.0, 0
        for data_, target in train_loader:
            optimizer.zero_grad()
            loss = F.nll_loss(model(data_), target)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * target.size(0)
            seen += target.size(0)
        train_seconds = time.perf_counter() - t0
        accuracy, test_loss = test(model, test_loader)
        scheduler.step()
        row = {'epoch': epoch, 'lr': lr, 'loss': loss_sum / seen, 'test_loss': test_loss, 'test_accuracy': accuracy,
               'images_per_s': seen / train_seconds, 'seconds': time.perf_counter() - t0}
        per_epoch.append(row)
        print(f'seed {seed} epoch {epoch}/{epochs}: lr {lr:.4g}  loss {row["loss"]:.4f}  test loss {test_loss:.4f}  '
              f'test accuracy {100 * accuracy:.2f}%  {row["images_per_s"]:.0f} img/s  {row["seconds"]:.1f} s',
              flush=True)
    return {'seed': seed, 'epochs': epochs, 'per_epoch': per_epoch, 'wall_s': time.perf_counter() - started}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--seeds', default='0,1,2', help='comma-separated (default 0,1,2)')
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads (default 1)')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--test-batch-size', type=int, default=1000)
    p.add_argument('--lr', type=float, default=1.0)
    p.add_argument('--gamma', type=float, default=0.7)
    p.add_argument('--json', help='write the results here (JSON)')
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    data = load_mnist10k()
    print(f'mnist10k: {len(data["train"][1])} train, {len(data["test"][1])} test; '
          f'torch {torch.__version__}, {args.threads} thread(s)', flush=True)
    runs = [run(data, int(s), args.epochs, args) for s in args.seeds.split(',')]
    result = {
        'framework': 'pytorch',
        'recipe': 'pytorch/examples mnist/main.py: Adadelta(lr=1.0), StepLR(step_size=1, gamma=0.7) per epoch, '
                  'batch 64, test batch 1000, Normalize((0.1307,), (0.3081,)), shuffle=True',
        'data': 'mnist10k',
        'train_size': int(len(data['train'][1])),
        'test_size': int(len(data['test'][1])),
        'batch_size': args.batch_size,
        'test_batch_size': args.test_batch_size,
        'lr': args.lr,
        'gamma': args.gamma,
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

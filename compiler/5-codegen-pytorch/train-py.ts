// train.py: the same script for every spec (what differs lives in model.py), so it is a template with only the
// header filled in. It trains model.py's Model under torchrun with DistributedDataParallel (gloo on CPU, nccl on
// GPUs), sharding the training split with DistributedSampler, and follows the spec's recipe: epochs, global batch
// size, optimizer, schedule, clipping, early stopping and seed. Rank 0 reports each epoch, checkpoints (atomic
// renames) and at the end writes model.safetensors with cnnc's names, which `cnnc eval SPEC --weights` reads.
const BODY = String.raw`"""Trains model.py's network with torch.nn.parallel.DistributedDataParallel, following the spec's recipe.

One machine, two processes on CPU (gloo):   torchrun --standalone --nproc_per_node 2 train.py
GPUs (nccl, one process per GPU):           torchrun --standalone --nproc_per_node 8 train.py --device cuda
Several machines: the same command on each, with --nnodes N --rdzv_backend c10d --rdzv_endpoint HOST:PORT --rdzv_id RUN.
(torch 1.13 under Python 3.11, as Debian 12 ships it: add --redirects 1 --tee 1 to torchrun, whose default fails there.)
Without torchrun, "python3 train.py" trains in one process. See README.md; "python3 train.py --help" lists the flags.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time
from array import array

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model as spec  # noqa: E402  (model.py beside this file)


class DataError(Exception):
    """A missing or malformed data file: reported as one line naming the file, exit status 1."""


# --- flags ---

def _int(lo):
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'expected an integer, got {text!r}')
        if v < lo:
            raise argparse.ArgumentTypeError(f'expected an integer >= {lo}, got {v}')
        return v
    return parse


def _positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a number, got {text!r}')
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f'expected a positive number, got {text}')
    return v


def parse_args(argv):
    t = spec.TRAIN
    p = argparse.ArgumentParser(prog='train.py', description=f'Train {spec.SPEC_NAME} (from {spec.SPEC_FILE}) with DistributedDataParallel; run it under torchrun.')
    p.add_argument('--epochs', type=_int(1), default=t['epochs'], help=f'epochs to train (spec: {t["epochs"]})')
    p.add_argument('--batch-size', type=_int(1), default=t['batch_size'], help=f'the global batch, split evenly over the processes (spec: {t["batch_size"]})')
    p.add_argument('--lr', type=_positive_float, default=None, help='the base learning rate (default: the spec\'s)')
    p.add_argument('--seed', type=_int(0), default=t['seed'], help=f'initialization and data order (spec: {t["seed"]})')
    p.add_argument('--out', default=os.path.join('runs', spec.SPEC_NAME), help='folder for model.safetensors, checkpoint.pt, metrics.jsonl (default: runs/<name>)')
    p.add_argument('--data', default=None, help='the data instead of the spec\'s: a folder of IDX files, or of image folders train/<class>/, test/<class>/')
    p.add_argument('--resume', action='store_true', help='continue from OUT/checkpoint.pt (refused if it is another spec\'s)')
    p.add_argument('--max-steps', type=_int(1), default=None, help='stop after this many optimizer steps in all (then evaluate and write the weights)')
    p.add_argument('--limit', type=_int(1), default=None, help='use an evenly spaced subset of N images of each split')
    p.add_argument('--checkpoint-every', type=_int(1), default=None, help='also checkpoint every N steps (default: after each epoch)')
    p.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto', help='auto: cuda where available, else cpu')
    p.add_argument('--workers', type=_int(0), default=0, help='DataLoader worker processes per rank (default 0)')
    p.add_argument('--sync-bn', action='store_true', help='batchnorm statistics over the global batch (nn.SyncBatchNorm); by default each process normalizes its own share')
    return p.parse_args(argv)


# --- data ---

_IDX_TYPES = {0x08: ('B', torch.uint8, 1), 0x0D: ('f', torch.float32, 4)}


def read_idx(path):
    """An IDX file (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"), gzipped or not, as a tensor: ubyte or float."""
    try:
        with (gzip.open if path.endswith('.gz') else open)(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise DataError(f'{path}: cannot read it ({e.strerror or e})')
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DataError(f'{path}: not an IDX file of ubyte or float elements (bytes 0-2 must be 0, 0, 0x08 or 0x0D)')
    code, ndim = data[2], data[3]
    if len(data) < 4 + 4 * ndim:
        raise DataError(f'{path}: truncated in its header')
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    kind, dtype, size = _IDX_TYPES[code]
    count = math.prod(dims)
    start = 4 + 4 * ndim
    if len(data) != start + count * size:
        raise DataError(f'{path}: the header announces {dims} ({start + count * size} bytes), the file has {len(data)}')
    values = array(kind, data[start:])
    if size > 1 and sys.byteorder == 'little':
        values.byteswap()
    return torch.frombuffer(values, dtype=dtype).clone().reshape(dims) if count else torch.zeros(dims, dtype=dtype)


def _idx_file(folder, name):
    for candidate in (name, name + '.gz'):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    raise DataError(f'{folder}: missing {name} (or {name}.gz)')


def _as_images(t):
    """[n, H, W] or [n, C, H, W] pixels as float32 in [0, 1] (ubyte / 255, as torchvision's ToTensor), or floats as they are."""
    x = t.to(torch.float32) / 255 if t.dtype == torch.uint8 else t.to(torch.float32)
    return x.unsqueeze(1) if x.dim() == 3 else x


def _check_labels(labels, path):
    bad = (labels < 0) | (labels >= spec.DATA['num_classes'])
    if bool(bad.any()):
        i = int(bad.nonzero()[0][0])
        raise DataError(f'{path}: label {int(labels.flatten()[i])} is out of range: the model has {spec.DATA["num_classes"]} classes')


def _derive(images, labels, task):
    """data.task on IDX files: segmentation labels each pixel with its image's class where the ink is above 0.5, else
    the background class (the last one), as cnnc's runtime/data/tasks.ts."""
    if task == 'segmentation':
        background = spec.DATA['num_classes'] - 1
        return images, torch.where(images[:, 0] > 0.5, labels.view(-1, 1, 1).expand_as(images[:, 0]), torch.full_like(images[:, 0], background, dtype=torch.int64))
    return images, labels


def _val_split(images, labels, fraction, seed):
    """A stratified, seeded fraction of each class held out for validation."""
    g = torch.Generator().manual_seed(seed)
    val = []
    for c in labels.unique().tolist():
        idx = (labels == c).nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        val.append(idx[:round(fraction * len(idx))])
    val = torch.cat(val).sort().values
    keep = torch.ones(len(labels), dtype=torch.bool)
    keep[val] = False
    return (images[keep], labels[keep]), (images[val], labels[val])


class Tensors(Dataset):
    """Images in memory, [n, C, H, W] float32, with the spec's normalize (the only transform IDX data takes)."""

    def __init__(self, images, labels, train):
        self.images = normalize(images, spec.TRANSFORMS['train' if train else 'eval'])
        # One sample's labels as the loss reads them: a class index, a label map, or 0/1 targets of the output's shape.
        self.labels = labels.to(torch.int64).reshape(len(labels), *spec.LABEL_SHAPE)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


def normalize(x, steps):
    for s in steps:
        if s['kind'] == 'normalize':
            shape = (-1, 1, 1)
            mean = torch.tensor(s['mean'], dtype=x.dtype).view(shape)
            std = torch.tensor(s['std'], dtype=x.dtype).view(shape)
            x = (x - mean) / std
    return x


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise DataError('this spec reads image files, which needs PIL (Pillow) to decode them: pip install pillow, or apt install python3-pil')
    return Image


class ImageFiles(Dataset):
    """Image files (PNG, JPEG, ...) decoded with PIL, as gray or RGB per the input's channels, then the spec's transforms:
    TRANSFORMS['train'] with a fresh draw per epoch and index (train), TRANSFORMS['eval'] otherwise."""

    def __init__(self, files, labels, train, seed):
        self.files, self.labels, self.train, self.seed, self.epoch = files, labels.to(torch.int64), train, seed, 0

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        Image = _pil()
        try:
            with Image.open(self.files[i]) as im:
                im = im.convert('L' if spec.INPUT_SHAPE[0] == 1 else 'RGB')
                c = 1 if im.mode == 'L' else 3
                x = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).reshape(im.size[1], im.size[0], c).permute(2, 0, 1)
        except OSError as e:
            raise DataError(f'{self.files[i]}: cannot decode the image ({e})')
        steps = spec.TRANSFORMS['train' if self.train else 'eval']
        g = torch.Generator().manual_seed(((self.seed * 1000003) + self.epoch) * 1000003 + i)
        x = apply_transforms(x, steps, g)
        return normalize(x.to(torch.float32) / 255, steps), self.labels[i]


def _size(s):
    return (s, s) if isinstance(s, int) else tuple(s)


def _resize(x, h, w):
    """Bilinear with antialias as PIL's Image.resize(BILINEAR), which torchvision's Resize calls on PIL images."""
    Image = _pil()
    c = x.shape[0]
    im = Image.frombytes('L' if c == 1 else 'RGB', (x.shape[2], x.shape[1]), bytes(x.permute(1, 2, 0).contiguous().flatten().tolist()))
    im = im.resize((w, h), Image.BILINEAR)
    return torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).reshape(h, w, c).permute(2, 0, 1)


def _pad(x, left, top, right, bottom, fill=0, mode='constant'):
    if mode == 'constant':
        fills = fill if isinstance(fill, list) else [fill] * x.shape[0]
        out = torch.stack([torch.nn.functional.pad(x[k], (left, right, top, bottom), value=fills[k % len(fills)]) for k in range(x.shape[0])])
        return out.to(torch.uint8)
    return torch.nn.functional.pad(x.unsqueeze(0).to(torch.float32), (left, right, top, bottom), mode={'edge': 'replicate', 'reflect': 'reflect'}[mode]).squeeze(0).to(torch.uint8)


def _randint(g, lo, hi):
    """An integer in [lo, hi]."""
    return int(torch.randint(lo, hi + 1, (1,), generator=g))


def apply_transforms(x, steps, g):
    """torchvision.transforms 0.14's semantics on a uint8 [C, H, W] tensor (normalize comes last, on the float tensor)."""
    for s in steps:
        kind = s['kind']
        h, w = x.shape[1], x.shape[2]
        if kind == 'resize':
            if isinstance(s['size'], int):
                short, long = (w, h) if w <= h else (h, w)
                new_long = int(s['size'] * long / short)
                th, tw = (new_long, s['size']) if w <= h else (s['size'], new_long)
            else:
                th, tw = s['size']
            x = _resize(x, th, tw)
        elif kind == 'center_crop':
            th, tw = _size(s['size'])
            if tw > w or th > h:
                x = _pad(x, (tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0, (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0)
                h, w = x.shape[1], x.shape[2]
            top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
            x = x[:, top:top + th, left:left + tw]
        elif kind == 'random_crop':
            th, tw = _size(s['size'])
            pad = s.get('padding')
            fill, mode = s.get('fill', 0), s.get('padding_mode', 'constant')
            if pad is not None:
                pad = [pad] * 4 if isinstance(pad, int) else [pad[0], pad[1], pad[0], pad[1]] if len(pad) == 2 else pad
                x = _pad(x, pad[0], pad[1], pad[2], pad[3], fill, mode)
            if s.get('pad_if_needed', False):
                if x.shape[2] < tw:
                    x = _pad(x, tw - x.shape[2], 0, tw - x.shape[2], 0, fill, mode)
                if x.shape[1] < th:
                    x = _pad(x, 0, th - x.shape[1], 0, th - x.shape[1], fill, mode)
            h, w = x.shape[1], x.shape[2]
            top, left = _randint(g, 0, h - th), _randint(g, 0, w - tw)
            x = x[:, top:top + th, left:left + tw]
        elif kind == 'random_horizontal_flip':
            if float(torch.rand(1, generator=g)) < s.get('p', 0.5):
                x = x.flip(-1)
        elif kind == 'random_resized_crop':
            th, tw = _size(s['size'])
            scale, ratio = s.get('scale', [0.08, 1.0]), s.get('ratio', [3 / 4, 4 / 3])
            area = h * w
            box = None
            for _ in range(10):
                target = area * float(torch.empty(1).uniform_(scale[0], scale[1], generator=g))
                aspect = math.exp(float(torch.empty(1).uniform_(math.log(ratio[0]), math.log(ratio[1]), generator=g)))
                cw, ch = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
                if 0 < cw <= w and 0 < ch <= h:
                    box = (_randint(g, 0, h - ch), _randint(g, 0, w - cw), ch, cw)
                    break
            if box is None:  # torchvision's fallback: the central crop of the ratio range's nearest aspect
                in_ratio = w / h
                cw, ch = (w, int(round(w / min(ratio)))) if in_ratio < min(ratio) else (int(round(h * max(ratio))), h) if in_ratio > max(ratio) else (w, h)
                box = ((h - ch) // 2, (w - cw) // 2, ch, cw)
            top, left, ch, cw = box
            x = _resize(x[:, top:top + ch, left:left + cw], th, tw)
        elif kind == 'normalize':
            pass  # on the float tensor, after the rest: normalize()
        else:
            raise DataError(f'transform {kind} has no implementation here')
    return x


def _images_in(folder):
    if not os.path.isdir(folder):
        raise DataError(f'{folder}: no such folder')
    return sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))


def _folder_split(root, split, classes):
    files, labels = [], []
    for k, c in enumerate(classes):
        d = os.path.join(root, split, c)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.lower().endswith(('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp')):
                files.append(os.path.join(d, f))
                labels.append(k)
    if not files:
        raise DataError(f'{os.path.join(root, split)}: no images (expected {split}/<class>/<image>.png or .jpg)')
    return files, torch.tensor(labels)


def _manifest(path, classes=None):
    import csv
    try:
        with open(path, newline='', encoding='utf-8-sig') as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise DataError(f'{path}: cannot read the manifest ({e.strerror or e})')
    if rows and [r.strip() for r in rows[0]] == ['path', 'label']:
        rows = rows[1:]
    rows = [r for r in rows if r]
    for n, r in enumerate(rows, 1):
        if len(r) != 2:
            raise DataError(f'{path}: row {n}: expected 2 fields (path,label), got {len(r)}')
    names = classes or sorted({r[1].strip() for r in rows})
    files, labels = [], []
    for n, (file, label) in enumerate(rows, 1):
        if label.strip() not in names:
            raise DataError(f'{path}: row {n}: unknown label {label.strip()!r} (classes: {", ".join(names)})')
        files.append(os.path.join(os.path.dirname(os.path.abspath(path)), file.strip()))
        labels.append(names.index(label.strip()))
    if not files:
        raise DataError(f'{path}: no images listed (each line is path,label)')
    return files, torch.tensor(labels), names


def _spaced(n, limit):
    return list(range(n)) if limit is None or limit >= n else [(i * n) // limit for i in range(limit)]


def _subset(pair, limit):
    idx = _spaced(len(pair[1]), limit)
    return pair[0][idx] if torch.is_tensor(pair[0]) else [pair[0][i] for i in idx], pair[1][idx]


def _here(path):
    return path if os.path.isabs(path) else os.path.join(HERE, path)


def load_data(args):
    """(train, val or None, test, class names or None), as Datasets."""
    d = spec.DATA
    source = d['source']
    if args.data is not None:
        source = 'folder' if os.path.isdir(os.path.join(args.data, 'train')) else 'idx'
    if source == 'mnist':
        folder = _here(d['path'])
        def split(name):
            images = _as_images(read_idx(os.path.join(folder, f'{name}-images.idx')))
            labels = read_idx(os.path.join(folder, f'{name}-labels.idx')).to(torch.int64)
            return _subset((images, labels), args.limit)
        val = split('val') if d['val'] else None
        return Tensors(*split('train'), True), None if val is None else Tensors(*val, False), Tensors(*split('test'), False), None
    if source == 'idx':
        folder = args.data or _here(d['path'])
        def split(images, labels):
            path = _idx_file(folder, labels)
            y = read_idx(path).to(torch.int64)
            x = _as_images(read_idx(_idx_file(folder, images)))
            _check_labels(y, path)
            if len(y) != len(x):
                raise DataError(f'{path}: {len(y)} labels for {len(x)} images')
            return _subset(_derive(x, y, d['task']), args.limit)
        train = split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte')
        test = split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
        val = None
        if d['val_split'] is not None:
            train, val = _val_split(train[0], train[1], d['val_split'], args.seed)
        return Tensors(*train, True), None if val is None else Tensors(*val, False), Tensors(*test, False), None
    if source == 'folder':
        root = args.data or _here(d['path'])
        classes = d['classes'] or _images_in(os.path.join(root, 'train'))
        train = _subset(_folder_split(root, 'train', classes), args.limit)
        test = _subset(_folder_split(root, 'test', classes), args.limit)
        val = _subset(_folder_split(root, 'val', classes), args.limit) if os.path.isdir(os.path.join(root, 'val')) else None
    else:
        files, labels, classes = _manifest(_here(d['train']), d['classes'])
        train = _subset((files, labels), args.limit)
        test = _subset(_manifest(_here(d['test']), classes)[:2], args.limit)
        val = _subset(_manifest(_here(d['val']), classes)[:2], args.limit) if d['val'] else None
    if val is None and d['val_split'] is not None:
        order = torch.randperm(len(train[1]), generator=torch.Generator().manual_seed(args.seed))
        k = round(d['val_split'] * len(order))
        val = ([train[0][i] for i in order[:k].sort().values], train[1][order[:k].sort().values])
        rest = order[k:].sort().values
        train = ([train[0][i] for i in rest], train[1][rest])
    make = lambda pair, is_train: ImageFiles(pair[0], pair[1], is_train, args.seed)
    return make(train, True), None if val is None else make(val, False), make(test, False), list(classes)


# --- training ---

def evaluate(net, data, device, batch_size):
    """The spec's loss (the mean over samples) and accuracy's counts over a split, in eval mode."""
    was = net.training
    net.eval()
    total, right, positions = 0.0, 0, 0
    with torch.no_grad():
        for x, y in DataLoader(data, batch_size=batch_size):
            x, y = x.to(device), y.to(device)
            out = net(x)
            total += float(spec.loss_fn(out, y)) * len(y)
            c, p = spec.correct(out, y)
            right, positions = right + c, positions + p
    net.train(was)
    return {'loss': total / max(1, len(data)), 'accuracy': right / max(1, positions), 'correct': right, 'positions': positions}


def save_checkpoint(path, state):
    tmp = path + '.tmp'
    torch.save(state, tmp)
    os.replace(tmp, path)


def fail(message):
    print(f'train.py: error: {message}', file=sys.stderr)
    sys.exit(1)


def main(argv=None):
    args = parse_args(argv)
    distributed = 'WORLD_SIZE' in os.environ and 'RANK' in os.environ
    world = int(os.environ.get('WORLD_SIZE', '1'))
    rank = int(os.environ.get('RANK', '0'))
    local_rank = int(os.environ.get('LOCAL_RANK', '0'))
    use_cuda = args.device == 'cuda' or (args.device == 'auto' and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        fail('--device cuda, but torch sees no CUDA device')
    device = torch.device(f'cuda:{local_rank}' if use_cuda else 'cpu')
    if use_cuda:
        torch.cuda.set_device(device)
    if args.batch_size % world != 0:
        fail(f'--batch-size {args.batch_size} does not split evenly over {world} processes: give a multiple of {world}')
    if distributed:
        dist.init_process_group('nccl' if use_cuda else 'gloo')
    lead = rank == 0
    try:
        train(args, world, rank, lead, device, distributed, use_cuda, local_rank)
    except DataError as e:
        fail(str(e))
    finally:
        if distributed and dist.is_initialized():
            dist.destroy_process_group()


def train(args, world, rank, lead, device, distributed, use_cuda, local_rank):
    out = args.out
    os.makedirs(out, exist_ok=True)
    ckpt_path = os.path.join(out, 'checkpoint.pt')
    torch.manual_seed(args.seed)
    net = spec.Model()  # PyTorch's reset_parameters(), then the spec's init: rules
    net.to(device)
    if args.sync_bn and distributed:
        net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    ddp = DistributedDataParallel(net, device_ids=[local_rank] if use_cuda else None) if distributed else net
    optimizer = spec.build_optimizer(net.parameters())
    if args.lr is not None:
        for group in optimizer.param_groups:
            group['lr'] = args.lr
    train_set, val_set, test_set, classes = load_data(args)
    # The same initial weights on every process (DDP also broadcasts rank 0's); then each its own dropout draws.
    torch.manual_seed(args.seed + rank)
    per_rank = args.batch_size // world
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=spec.TRAIN['shuffle'], seed=args.seed)
    loader = DataLoader(train_set, batch_size=per_rank, sampler=sampler, num_workers=args.workers)
    steps_per_epoch = len(loader)
    scheduler = spec.build_scheduler(optimizer, args.epochs, steps_per_epoch)
    es = spec.TRAIN['early_stopping']
    start = {'epoch': 0, 'step': 0, 'global_step': 0, 'history': [], 'best': None, 'waited': 0, 'partial': (0.0, 0)}
    rng = None  # the random state to continue from: each process's, as the checkpoint saved it
    if args.resume:
        if not os.path.exists(ckpt_path):
            raise DataError(f'{ckpt_path}: no checkpoint to resume from (train without --resume first)')
        cp = torch.load(ckpt_path, map_location=device)
        if cp.get('spec_hash') != spec.SPEC_HASH:
            fail(f'{ckpt_path} belongs to a different spec: checkpoint spec hash {str(cp.get("spec_hash"))[:16]}..., '
                 f'this export ({spec.SPEC_FILE}) has {spec.SPEC_HASH[:16]}...; train from scratch, or resume with the export of the spec it was trained from')
        for flag, given, saved in (('--seed', args.seed, cp['seed']), ('--batch-size', args.batch_size, cp['batch_size'])):
            if given != saved:
                fail(f'{flag} {given} differs from the checkpoint\'s {saved}: a resumed run keeps its data order')
        if cp['step'] != 0 and cp['world_size'] != world:
            fail(f'the checkpoint stopped inside an epoch with {cp["world_size"]} processes; resume it with --nproc_per_node x --nnodes = {cp["world_size"]} (or from an epoch\'s end)')
        net.load_state_dict(cp['model'])
        optimizer.load_state_dict(cp['optimizer'])
        if scheduler is not None:
            scheduler.load_state_dict(cp['scheduler'])
        start = {k: cp[k] for k in start}
        rng = cp['rng'][rank] if len(cp['rng']) == world else None
        if lead:
            print(f'resumed from {ckpt_path}: epoch {start["epoch"] + 1}, step {start["step"]} of {steps_per_epoch}', flush=True)

    def checkpoint(epoch, step, global_step, history, best, waited, partial=(0.0, 0)):
        states = [torch.get_rng_state()]
        if dist.is_initialized():
            states = [None] * world
            dist.all_gather_object(states, torch.get_rng_state())
        if lead:
            save_checkpoint(ckpt_path, {
                'spec_hash': spec.SPEC_HASH, 'cnnc_version': spec.CNNC_VERSION, 'seed': args.seed, 'batch_size': args.batch_size,
                'world_size': world, 'epoch': epoch, 'step': step, 'global_step': global_step, 'history': history, 'best': best,
                'waited': waited, 'rng': states, 'partial': partial, 'model': net.state_dict(), 'optimizer': optimizer.state_dict(),
                'scheduler': None if scheduler is None else scheduler.state_dict()})
        if dist.is_initialized():
            dist.barrier()

    clip = spec.TRAIN['clip']
    history, best, waited = start['history'], start['best'], start['waited']
    global_step = start['global_step']
    stopped = False
    last_test = None
    if lead:
        print(f'{spec.SPEC_NAME}: {len(train_set)} training images, {world} process{"es" if world > 1 else ""} on {device.type} '
              f'({"nccl" if use_cuda else "gloo"}), global batch {args.batch_size} ({per_rank} per process), {steps_per_epoch} steps per epoch', flush=True)
    for epoch in range(start['epoch'], args.epochs):
        sampler.set_epoch(epoch)
        train_set.epoch = epoch
        ddp.train()
        first = start['step'] if epoch == start['epoch'] else 0
        # The epoch's loss so far: resumed inside an epoch, the checkpoint's sums of the steps before it.
        began, (loss_sum, seen) = time.time(), start['partial'] if first > 0 else (0.0, 0)
        if rng is not None and first == 0:
            torch.set_rng_state(rng)  # saved at an epoch's end, before the next epoch's loader drew its seed
            rng = None
        for step, (x, y) in enumerate(loader):
            if step < first:
                continue  # done before the checkpoint this run resumed from
            if rng is not None:
                torch.set_rng_state(rng)  # saved inside the epoch, after this loader drew its seed
                rng = None

            x, y = x.to(device), y.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = spec.loss_fn(ddp(x), y)
            loss.backward()
            if clip is not None and clip['kind'] == 'norm':
                nn.utils.clip_grad_norm_(net.parameters(), clip['max_norm'], norm_type=clip['norm_type'])
            elif clip is not None:
                nn.utils.clip_grad_value_(net.parameters(), clip['clip_value'])
            optimizer.step()
            if scheduler is not None and spec.SCHEDULER_INTERVAL == 'step':
                scheduler.step()
            loss_sum, seen = loss_sum + float(loss) * len(y), seen + len(y)
            global_step += 1
            if args.max_steps is not None and global_step >= args.max_steps:
                stopped = True
                checkpoint(epoch, step + 1, global_step, history, best, waited, (loss_sum, seen))
                break
            if args.checkpoint_every is not None and global_step % args.checkpoint_every == 0 and step + 1 < steps_per_epoch:
                checkpoint(epoch, step + 1, global_step, history, best, waited, (loss_sum, seen))
        if stopped:
            break
        # The epoch's mean training loss over every process's samples.
        totals = torch.tensor([loss_sum, float(seen)], dtype=torch.float64)
        if dist.is_initialized():
            dist.all_reduce(totals)
        row = {'epoch': epoch + 1, 'loss': float(totals[0] / max(1.0, float(totals[1]))), 'lr': optimizer.param_groups[0]['lr']}
        # Every process evaluates the whole split (the same numbers), so a metric-driven schedule steps alike on all.
        for name, data in (('val', val_set), ('test', test_set)):
            if data is not None:
                e = evaluate(net, data, device, spec.TRAIN['eval_batch_size'])
                row[f'{name}_loss'], row[f'{name}_accuracy'] = e['loss'], e['accuracy']
        last_test = e  # the test split on the weights as they now stand
        row['seconds'] = round(time.time() - began, 3)
        history.append(row)
        if scheduler is not None and spec.SCHEDULER_INTERVAL == 'epoch':
            if spec.SCHEDULER_MONITOR is not None:
                scheduler.step(row[spec.SCHEDULER_MONITOR])
            else:
                scheduler.step()
        if lead:
            metrics = '  '.join(f'{k} {v:.4f}' if 'loss' in k else f'{k} {100 * v:.2f}%' for k, v in row.items() if k.endswith(('loss', 'accuracy')))
            print(f'epoch {epoch + 1}/{args.epochs}  {metrics}  lr {row["lr"]:.6g}  {row["seconds"]:.1f} s', flush=True)
            with open(os.path.join(out, 'metrics.jsonl'), 'a', encoding='utf-8') as f:
                f.write(json.dumps(row) + '\n')
        if es is not None:
            value = row.get(es['monitor'])
            better = best is None or (value < best - es['min_delta'] if es['mode'] == 'min' else value > best + es['min_delta'])
            best, waited = (value, 0) if better else (best, waited + 1)
        checkpoint(epoch + 1, 0, global_step, history, best, waited)
        if es is not None and waited > es['patience']:
            if lead:
                print(f'early stopping: {es["monitor"]} has not improved for {waited} epochs', flush=True)
            break
    # The final weights' test figures: the last epoch's evaluation, unless steps ran after it.
    final = last_test if last_test is not None and not stopped else evaluate(net, test_set, device, spec.TRAIN['eval_batch_size'])
    if lead:
        weights = os.path.join(out, 'model.safetensors')
        metadata = {'spec_hash': spec.SPEC_HASH, 'trained_by': 'train.py (cnnc export --to pytorch)'}
        if classes is not None:
            metadata['classes'] = json.dumps(classes)
        spec.save_weights(net, weights, metadata)
        with open(os.path.join(out, 'eval.json'), 'w', encoding='utf-8') as f:
            json.dump({'test_images': len(test_set), 'test_loss': final['loss'], 'test_accuracy': final['accuracy'], 'correct': final['correct'],
                       'positions': final['positions'], 'steps': global_step}, f)
            f.write('\n')
        print(f'test loss {final["loss"]:.4f}  test accuracy {100 * final["accuracy"]:.2f}% ({final["correct"]}/{final["positions"]})', flush=True)
        print(f'wrote {weights}', flush=True)


if __name__ == '__main__':
    main()
`;

export function TRAIN_PY(header: readonly string[]): string {
  return `${header.join('\n')}\n${BODY}`;
}

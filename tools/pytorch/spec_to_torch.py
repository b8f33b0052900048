"""A cnnc spec (YAML) as a PyTorch module, loss and optimizer: the outside reference cnnc is measured against.

    from tools.pytorch.spec_to_torch import load_spec, build_model, build_loss, build_optimizer
    spec = load_spec('specs/mnist.yaml')
    model = build_model(spec)                  # nn.Sequential (a Graph when layers name `inputs`); state_dict names are cnnc's
    loss_fn = build_loss(spec)                 # f(output, labels): nn.CrossEntropyLoss, ..., focal, dice, sums
    optimizer = build_optimizer(spec, model.parameters())

Every layer kind of compiler/spec/types.ts maps to the torch.nn module it is named after, with PyTorch 1.13's
defaults (https://pytorch.org/docs/1.13/nn.html); nothing is re-implemented here, so a difference between cnnc
and this module is a difference between cnnc and PyTorch. Layers are registered under the spec's names; an
unnamed layer is `<kind>_<k>`, k counting layers of that kind from 1, named ones included
(compiler/3-lower/names.ts), so parameter names are equal in both. Parameterless layers hold no state.

The spec is trusted to be valid (run `cnnc check` first): this module does not repeat cnnc's diagnostics.
Runs on Debian's PyTorch 1.13 (`/usr/bin/python3`, package python3-torch).
"""
import re
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml


class _Yaml12Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1, where `1e-3` is a string; cnnc (npm `yaml`) reads YAML 1.2, where it is a float.
    Resolve floats by the YAML 1.2 core schema so both read the same numbers."""


_Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != 'tag:yaml.org,2002:float']
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    'tag:yaml.org,2002:float',
    re.compile(r'^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$'),
    list('-+0123456789.'),
)


def load_spec(path):
    """The spec as a dict, with bare-word layers (`- relu`) expanded to `{kind: relu}` as 2-validate does."""
    with open(path, encoding='utf-8') as f:
        spec = yaml.load(f, Loader=_Yaml12Loader)
    spec['layers'] = [{'kind': layer} if isinstance(layer, str) else dict(layer) for layer in spec['layers']]
    return spec


def layer_names(spec):
    """The spec's `name`, else `<kind>_<k>` (k counts that kind from 1 among all layers), as cnnc names nodes."""
    counts = {}
    names = []
    for layer in spec['layers']:
        kind = layer['kind']
        counts[kind] = counts.get(kind, 0) + 1
        names.append(layer.get('name', f'{kind}_{counts[kind]}'))
    return names


def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def make_layer(layer, in_shape):
    """One spec layer as a torch.nn module, given its input shape without the batch ([C, H, W] or [F])."""
    kind = layer['kind']
    if kind == 'conv2d':
        padding = layer.get('padding', 0)
        return nn.Conv2d(
            in_shape[0], layer['out_channels'], _pair(layer['kernel_size']),
            stride=_pair(layer.get('stride', 1)),
            padding=padding if isinstance(padding, str) else _pair(padding),  # 'same' / 'valid' as PyTorch has them
            dilation=_pair(layer.get('dilation', 1)),
            groups=layer.get('groups', 1),
            bias=layer.get('bias', True))
    if kind == 'maxpool2d':
        return nn.MaxPool2d(_pair(layer['kernel_size']), stride=_pair(layer.get('stride', layer['kernel_size'])),
                            padding=_pair(layer.get('padding', 0)), ceil_mode=layer.get('ceil_mode', False))
    if kind == 'avgpool2d':
        return nn.AvgPool2d(_pair(layer['kernel_size']), stride=_pair(layer.get('stride', layer['kernel_size'])),
                            padding=_pair(layer.get('padding', 0)), ceil_mode=layer.get('ceil_mode', False),
                            count_include_pad=layer.get('count_include_pad', True))
    if kind == 'batchnorm2d':
        return nn.BatchNorm2d(in_shape[0], eps=layer.get('eps', 1e-5), momentum=layer.get('momentum', 0.1),
                              affine=layer.get('affine', True))
    if kind == 'linear':
        return nn.Linear(in_shape[0], layer['out_features'], bias=layer.get('bias', True))
    if kind == 'leaky_relu':
        return nn.LeakyReLU(layer.get('negative_slope', 0.01))
    if kind == 'dropout':
        return nn.Dropout(layer.get('p', 0.5))
    if kind == 'dropout2d':
        return nn.Dropout2d(layer.get('p', 0.5))
    if kind == 'relu':
        return nn.ReLU()
    if kind == 'relu6':
        return nn.ReLU6()
    if kind == 'hardtanh':
        return nn.Hardtanh()
    if kind == 'hardswish':
        return nn.Hardswish()
    if kind == 'hardsigmoid':
        return nn.Hardsigmoid()
    if kind == 'silu':
        return nn.SiLU()
    if kind == 'sigmoid':
        return nn.Sigmoid()
    if kind == 'tanh':
        return nn.Tanh()
    if kind == 'flatten':
        return nn.Flatten()  # start_dim=1: C-major, as torch.flatten(x, 1)
    if kind == 'softmax':
        return nn.Softmax(dim=1)
    if kind == 'log_softmax':
        return nn.LogSoftmax(dim=1)
    if kind == 'conv_transpose2d':
        return nn.ConvTranspose2d(
            in_shape[0], layer['out_channels'], _pair(layer['kernel_size']),
            stride=_pair(layer.get('stride', 1)),
            padding=_pair(layer.get('padding', 0)),
            output_padding=_pair(layer.get('output_padding', 0)),
            groups=layer.get('groups', 1),
            bias=layer.get('bias', True),
            dilation=_pair(layer.get('dilation', 1)))
    if kind == 'upsample':
        size, factor = layer.get('size'), layer.get('scale_factor')
        return nn.Upsample(
            size=None if size is None else _pair(size),
            scale_factor=None if factor is None else (tuple(factor) if isinstance(factor, list) else factor),
            mode=layer.get('mode', 'nearest'),
            align_corners=layer.get('align_corners'))  # None unless written, as PyTorch's default
    if kind == 'global_avgpool2d':
        return nn.AdaptiveAvgPool2d(1)  # [C, H, W] -> [C, 1, 1]: no flatten, as PyTorch
    if kind == 'adaptive_avgpool2d':
        return nn.AdaptiveAvgPool2d(_pair(layer['output_size']))
    if kind == 'adaptive_maxpool2d':
        return nn.AdaptiveMaxPool2d(_pair(layer['output_size']))
    if kind == 'add':
        return Add()
    if kind == 'concat':
        return Concat()
    raise ValueError(f'spec_to_torch: unknown layer kind {kind!r}')  # the schema admits no other


class Add(nn.Module):
    """cnnc's `add`: the sum of its inputs (equal shapes: cnnc refuses broadcasting)."""

    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Concat(nn.Module):
    """cnnc's `concat`: torch.cat along dim 1 (channels, or features of a flat input)."""

    def forward(self, *xs):
        return torch.cat(xs, dim=1)


class Graph(nn.Module):
    """A spec whose layers name their `inputs`: forward() runs the layers in the order written, each on the
    outputs it names (`input` is the model input; no `inputs`: the previous layer). The output is the last
    layer's. Modules are registered under cnnc's names, so state_dict keys are `conv1.weight` as in a
    Sequential."""

    def __init__(self, names, modules, inputs):
        super().__init__()
        for name, module in zip(names, modules):
            self.add_module(name, module)
        self.names = list(names)
        self.inputs = [list(i) for i in inputs]

    def forward(self, x):
        values = {'input': x}
        for name, reads in zip(self.names, self.inputs):
            values[name] = getattr(self, name)(*[values[r] for r in reads])
        return values[self.names[-1]]


def apply_init(module, layer):
    """The layer's `init:` (`{weight: xavier_uniform, bias: {kind: constant, val: 0.1}}`) as the torch.nn.init
    calls it names, on the module's weight and bias, after reset_parameters(): kind `x` is nn.init.x_ with the
    rule's other keys as its keyword arguments; a gain given as a nonlinearity is nn.init.calculate_gain of it."""
    for role, rule in (layer.get('init') or {}).items():
        args = {'kind': rule} if isinstance(rule, str) else dict(rule)
        kind = args.pop('kind')
        gain = args.get('gain')
        if isinstance(gain, str):
            args['gain'] = nn.init.calculate_gain(gain)
        elif isinstance(gain, dict):
            args['gain'] = nn.init.calculate_gain(gain['nonlinearity'], gain.get('param'))
        getattr(nn.init, kind + '_')(getattr(module, role), **args)


def layer_inputs(spec):
    """What each layer reads: its `inputs`, else the previous layer (`input` for the first)."""
    names = layer_names(spec)
    return [layer.get('inputs', ['input' if i == 0 else names[i - 1]]) for i, layer in enumerate(spec['layers'])]


def is_graph(spec):
    """True when some layer reads anything but the previous one."""
    names = layer_names(spec)
    return any(reads != ['input' if i == 0 else names[i - 1]] for i, reads in enumerate(layer_inputs(spec)))


def build_model(spec):
    """nn.Sequential of the spec's layers, in order, registered under cnnc's names (a Graph when layers name their
    `inputs`). Parameters are initialized by each module's reset_parameters(), in layer order, from torch's global
    generator (seed it first), then by the layer's `init:` rules (apply_init)."""
    names = layer_names(spec)
    inputs = layer_inputs(spec)
    shapes = {'input': list(spec['input']['shape'])}
    modules = []
    for name, layer, reads in zip(names, spec['layers'], inputs):
        module = make_layer(layer, shapes[reads[0]])
        apply_init(module, layer)
        modules.append(module)
        shapes[name] = _out_shape(module, [shapes[r] for r in reads])
    if is_graph(spec):
        return Graph(names, modules, inputs)
    return nn.Sequential(OrderedDict(zip(names, modules)))


def _out_shape(module, in_shapes):
    """The module's output shape without the batch, found by running it on zeros (eval mode, no RNG drawn)."""
    was_training = module.training
    module.eval()
    with torch.no_grad():
        out = module(*[torch.zeros([1, *s]) for s in in_shapes])
    module.train(was_training)
    return list(out.shape[1:])


def build_loss(spec):
    """The spec's loss as f(output, labels) -> tensor: one term, or the sum of scale·term for a list.

    labels are the LongTensor cnnc's `y` holds: class indices ([N] or [N, H, W] label maps) for cross_entropy,
    nll and focal/dice on several channels; 0/1 targets of the output's shape for bce, bce_with_logits and
    focal/dice on one channel (converted to the output's dtype here). With reduction 'none' a term returns one
    loss per element, as PyTorch does (the caller takes .mean() to back-propagate, as cnnc's training does)."""
    loss = spec['loss']
    terms = [(t.get('scale', 1.0), _loss_term(t)) for t in (loss if isinstance(loss, list) else [loss])]
    if len(terms) == 1 and terms[0][0] == 1.0:
        return terms[0][1]
    return lambda output, labels: sum(scale * f(output, labels) for scale, f in terms)


def _loss_term(t):
    kind = t['kind']
    reduction = t.get('reduction', 'mean')
    weight = torch.tensor(t['weight'], dtype=torch.float32) if 'weight' in t else None
    if kind == 'cross_entropy':
        return nn.CrossEntropyLoss(weight=weight, ignore_index=t.get('ignore_index', -100), reduction=reduction,
                                   label_smoothing=t.get('label_smoothing', 0.0))
    if kind == 'nll':
        return nn.NLLLoss(weight=weight, ignore_index=t.get('ignore_index', -100), reduction=reduction)
    if kind == 'bce':
        return lambda output, labels: F.binary_cross_entropy(output, labels.to(output.dtype), reduction=reduction)
    if kind == 'bce_with_logits':
        pw = t.get('pos_weight')
        pos_weight = None if pw is None else torch.tensor(pw, dtype=torch.float32)
        return lambda output, labels: F.binary_cross_entropy_with_logits(
            output, labels.to(output.dtype), pos_weight=None if pos_weight is None else pos_weight.to(output.dtype),
            reduction=reduction)
    if kind == 'focal':
        return lambda output, labels: focal_loss(output, labels, t.get('gamma', 2.0), t.get('alpha', 0.25), reduction)
    if kind == 'dice':
        return lambda output, labels: dice_loss(output, labels, t.get('smooth', 1.0), t.get('from_logits', False),
                                                t.get('ignore_index', -100))
    raise ValueError(f'spec_to_torch: unknown loss kind {kind!r}')


def _reduce(loss, reduction):
    return loss.mean() if reduction == 'mean' else loss.sum() if reduction == 'sum' else loss


def focal_loss(output, labels, gamma, alpha, reduction):
    """Focal loss, in torch ops (PyTorch core has none). One channel: torchvision.ops.sigmoid_focal_loss
    (torchvision 0.14, copied: p_t, bce_with_logits, (1 − p_t)^γ, α_t). Several: −α·(1 − p_t)^γ·log p_t with
    p_t = softmax(output)[label], α = 1 when alpha < 0."""
    if output.shape[1] == 1:
        targets = labels.to(output.dtype)
        p = torch.sigmoid(output)
        ce_loss = F.binary_cross_entropy_with_logits(output, targets, reduction='none')
        p_t = p * targets + (1 - p) * (1 - targets)
        loss = ce_loss * ((1 - p_t) ** gamma)
        if alpha >= 0:
            alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
            loss = alpha_t * loss
        return _reduce(loss, reduction)
    log_pt = F.log_softmax(output, dim=1).gather(1, labels.unsqueeze(1)).squeeze(1)
    a = alpha if alpha >= 0 else 1.0
    return _reduce(-a * (1 - log_pt.exp()) ** gamma * log_pt, reduction)


def dice_loss(output, labels, smooth, from_logits, ignore_index):
    """Soft Dice, in torch ops: 1 − mean over classes of (2·Σ p·t + smooth) / (Σ p + Σ t + smooth), summed over
    the batch and every pixel (segmentation_models_pytorch's DiceLoss). One channel: p = sigmoid(output) (or the
    output), t the 0/1 target. Several: p = softmax over dim 1 (or the output), t the one-hot label; pixels
    whose label is ignore_index count in no sum."""
    if output.shape[1] == 1:
        p = torch.sigmoid(output) if from_logits else output
        t = labels.to(output.dtype)
        return 1 - (2 * (p * t).sum() + smooth) / (p.sum() + t.sum() + smooth)
    classes = output.shape[1]
    p = F.softmax(output, dim=1) if from_logits else output
    keep = (labels != ignore_index).unsqueeze(1).to(output.dtype)
    onehot = F.one_hot(torch.where(labels == ignore_index, torch.zeros_like(labels), labels), classes)
    t = onehot.movedim(-1, 1).to(output.dtype) * keep
    p = p * keep
    dims = [0] + list(range(2, output.dim()))
    dice = (2 * (p * t).sum(dims) + smooth) / (p.sum(dims) + t.sum(dims) + smooth)
    return 1 - dice.mean()


def build_optimizer(spec, params):
    """The spec's optimizer over `params`: torch.optim's class of that name with the options the spec writes.

    Only what the spec writes is passed (an option left out keeps torch's own default: adam weight_decay 0,
    adamw 0.01, rmsprop lr 0.01, adadelta lr 1.0, ...), so a test that trains this optimizer against cnnc
    checks cnnc's defaults too. SGD's lr has no default in torch 1.13, as in the spec."""
    o = dict(spec['optimizer'])
    kind = o.pop('kind')
    classes = {'sgd': torch.optim.SGD, 'adam': torch.optim.Adam, 'adamw': torch.optim.AdamW,
               'rmsprop': torch.optim.RMSprop, 'adagrad': torch.optim.Adagrad, 'adadelta': torch.optim.Adadelta}
    if kind in classes:
        if 'betas' in o:
            o['betas'] = tuple(o['betas'])
        return classes[kind](params, **o)
    raise ValueError(f'spec_to_torch: unknown optimizer kind {o["kind"]!r}')

"""torchvision 0.14's model NAME (random init, no downloads), as the zoo test compares cnnc's spec with it.

usage: torchvision_ref.py NAME C H W N DTYPE OUT_DIR

Writes OUT_DIR/weights.safetensors (the state_dict with torch's dtypes: num_batches_tracked I64) and
OUT_DIR/reference.safetensors (input; eval-mode output; train-mode output, loss and every parameter's gradient,
dropout at p = 0 so that both sides compute the same thing), and prints a JSON line with the parameter count (at
torchvision's own size, as torchinfo counts: trainable only) and the state_dict's keys in order.
Batchnorm's running statistics are set away from their init (mean 0, var 1) so that eval mode tests them.
"""
import json
import sys

import torch
import torchvision

sys.path.insert(0, 'tools/pytorch')
from safetensors_io import save  # noqa: E402

name, c, h, w, n, dtype, out = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6], sys.argv[7]
torch.manual_seed(0)
m = getattr(torchvision.models, name)()
g = torch.Generator().manual_seed(2)
for mod in m.modules():
    if isinstance(mod, torch.nn.BatchNorm2d):
        mod.running_mean.copy_(torch.rand(mod.running_mean.shape, generator=g) * 0.2 - 0.1)
        mod.running_var.copy_(torch.rand(mod.running_var.shape, generator=g) + 0.5)
        mod.num_batches_tracked.fill_(7)
m = m.to(torch.float64 if dtype == 'float64' else torch.float32)
state = m.state_dict()
save(f'{out}/weights.safetensors', [(k, v.detach().numpy()) for k, v in state.items()])

x = torch.randn(n, c, h, w, generator=g, dtype=next(m.parameters()).dtype)
m.eval()
with torch.no_grad():
    y_eval = m(x)
for mod in m.modules():
    if isinstance(mod, torch.nn.Dropout):
        mod.p = 0.0
m.train()
labels = torch.arange(n) * 37 % 1000
y_train = m(x)
loss = torch.nn.functional.cross_entropy(y_train, labels)
loss.backward()
tensors = [('input', x), ('labels', labels.to(torch.float64)), ('eval_output', y_eval), ('train_output', y_train.detach()), ('loss', loss.detach().reshape(1))]
tensors += [(f'grad/{k}', p.grad) for k, p in m.named_parameters()]
save(f'{out}/reference.safetensors', [(k, v.detach().numpy()) for k, v in tensors])
print(json.dumps({'params': sum(p.numel() for p in m.parameters()), 'keys': list(state.keys())}))

// model.py's safetensors reader and writer (https://github.com/huggingface/safetensors#format): Debian's torch 1.13 has
// no safetensors package, and the format is small. The same layout as cnnc's runtime/safetensors.ts writes: an 8-byte
// little-endian header length, the JSON header padded with spaces to a multiple of 8, then the tensors' bytes in order.
export const SAFETENSORS_PY = `
_DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'I32': torch.int32}
_ITEMSIZE = {'F32': 4, 'F64': 8, 'I64': 8, 'I32': 4}


def save_weights(model, path, metadata=None):
    """The model's state_dict as a safetensors file with cnnc's names, in cnnc's order (WEIGHTS): float32, and
    num_batches_tracked as int64, as PyTorch keeps it. Written to path + '.tmp', then renamed: never half a file."""
    state = model.state_dict()
    names = [name for name, _, _ in WEIGHTS]
    if sorted(names) != sorted(state.keys()):
        raise ValueError(f'the state_dict does not hold the spec\\'s tensors: {sorted(set(names) ^ set(state.keys()))}')
    header, chunks, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    for name, shape, dtype in WEIGHTS:
        t = state[name].detach().to('cpu', _DTYPES[dtype]).contiguous()
        if tuple(t.shape) != tuple(shape):
            raise ValueError(f'{name}: shape {list(t.shape)}, the spec\\'s is {list(shape)}')
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    tmp = f'{path}.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)
    os.replace(tmp, path)


def read_safetensors(path):
    """A safetensors file as (metadata, {name: tensor}); every offset and size is checked."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f'{path}: shorter than the 8-byte header length')
    (n,) = struct.unpack('<Q', data[:8])
    if 8 + n > len(data):
        raise ValueError(f'{path}: header length {n} runs past the end of the file ({len(data)} bytes)')
    header = json.loads(data[8:8 + n].decode('utf-8'))
    metadata = header.pop('__metadata__', None) or {}
    body = data[8 + n:]
    out = {}
    for name, entry in header.items():
        dtype = entry['dtype']
        if dtype not in _DTYPES:
            raise ValueError(f'{path}: tensor {name} has dtype {dtype}, not one of {sorted(_DTYPES)}')
        begin, end = entry['data_offsets']
        count = 1
        for s in entry['shape']:
            count *= s
        if not 0 <= begin <= end <= len(body) or end - begin != count * _ITEMSIZE[dtype]:
            raise ValueError(f'{path}: tensor {name} has bad data_offsets {entry["data_offsets"]}')
        out[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=_DTYPES[dtype]).reshape(entry['shape']) if count else torch.zeros(entry['shape'], dtype=_DTYPES[dtype])
    return metadata, out


def load_weights(model, path):
    """A cnnc (or save_weights) weights file into the model, every tensor by name: strict, as cnnc's loadWeights."""
    _, tensors = read_safetensors(path)
    state = model.state_dict()
    missing = sorted(set(state) - set(tensors))
    extra = sorted(set(tensors) - set(state))
    if missing or extra:
        raise ValueError(f'{path}: missing {missing}, unexpected {extra}')
    model.load_state_dict({name: tensors[name].to(state[name].dtype) for name in state})
`;

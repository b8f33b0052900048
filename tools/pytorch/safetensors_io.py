"""A tiny safetensors writer and reader (https://github.com/huggingface/safetensors#format), for F32 and F64.

Debian has no Python `safetensors` package, and the format is simple: an 8-byte little-endian header length N,
N bytes of JSON ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}), then the raw
little-endian tensor bytes, contiguous and in header order. We pad the header with spaces to a multiple of 8 bytes,
as cnnc's runtime/safetensors.ts does, so the data section is aligned.

Only numpy is needed here; torch tensors are converted by the caller (`t.detach().cpu().numpy()`).
"""
import json
import struct

import numpy as np

_DTYPES = {'F32': np.dtype('<f4'), 'F64': np.dtype('<f8'), 'I32': np.dtype('<i4'), 'I64': np.dtype('<i8')}
_NAMES = {v: k for k, v in _DTYPES.items()}


def encode(tensors, metadata=None):
    """tensors: list of (name, numpy array) in the order they are written. Returns bytes.

    Arrays keep their dtype (float32 -> F32, float64 -> F64, int32 -> I32, int64 -> I64); cast before calling
    when a reader (cnnc's runtime reads F32 and F64 only) needs another.
    """
    header = {}
    chunks = []
    offset = 0
    for name, array in tensors:
        if name in header or name == '__metadata__':
            raise ValueError(f'safetensors: duplicate or reserved tensor name {name!r}')
        a = np.asarray(array)  # not ascontiguousarray: it turns a 0-d scalar into shape [1]
        dtype = a.dtype.newbyteorder('<')
        if dtype not in _NAMES:
            raise ValueError(f'safetensors: tensor {name!r} has unsupported dtype {a.dtype}')
        raw = a.astype(dtype, copy=False).tobytes(order='C')
        header[name] = {'dtype': _NAMES[dtype], 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header = {'__metadata__': {str(k): str(v) for k, v in metadata.items()}, **header}
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    return struct.pack('<Q', len(text)) + text + b''.join(chunks)


def decode(data):
    """bytes -> (metadata dict, {name: numpy array}) in header order. Checks what cnnc checks: header length,
    known dtypes, shape x itemsize = byte length, contiguous offsets, no trailing bytes."""
    if len(data) < 8:
        raise ValueError('safetensors: file shorter than the 8-byte header length')
    (n,) = struct.unpack('<Q', data[:8])
    if 8 + n > len(data):
        raise ValueError(f'safetensors: header length {n} runs past the end of the file ({len(data)} bytes)')
    header = json.loads(data[8:8 + n].decode('utf-8'))
    metadata = header.pop('__metadata__', {}) or {}
    body = memoryview(data)[8 + n:]
    out = {}
    expected = 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]['data_offsets'][0]):
        dtype = _DTYPES.get(entry['dtype'])
        if dtype is None:
            raise ValueError(f'safetensors: tensor {name!r} has unsupported dtype {entry["dtype"]}')
        begin, end = entry['data_offsets']
        count = int(np.prod(entry['shape'], dtype=np.int64))
        if begin != expected or end - begin != count * dtype.itemsize or end > len(body):
            raise ValueError(f'safetensors: tensor {name!r} has bad data_offsets {entry["data_offsets"]}')
        out[name] = np.frombuffer(body[begin:end], dtype=dtype).reshape(entry['shape']).copy()
        expected = end
    if expected != len(body):
        raise ValueError(f'safetensors: {len(body) - expected} trailing bytes after the last tensor')
    return metadata, {name: out[name] for name in header}


def save(path, tensors, metadata=None):
    with open(path, 'wb') as f:
        f.write(encode(tensors, metadata))


def load(path):
    with open(path, 'rb') as f:
        return decode(f.read())

"""What the fixture scripts in tools/ share: float32 safetensors files (numpy only), and reading
the official train.py's augmentation pipelines.

The format: an 8-byte little-endian header length, a JSON header (dtype, shape and byte range of
each tensor, and an optional `__metadata__` of strings) padded with spaces to a multiple of 8
bytes, then the raw little-endian data.
"""
import ast
import json
import os
import pathlib
import struct

import numpy as np


def read_safetensors(path):
    """Every F32 tensor of the file as a numpy array, and the `__metadata__`."""
    data = pathlib.Path(path).read_bytes()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        assert info['dtype'] == 'F32', (path, name)
        a, b = info['data_offsets']
        out[name] = np.frombuffer(data[8 + n + a:8 + n + b], dtype='<f4').reshape(info['shape']).copy()
    return out, header.get('__metadata__', {})


def write_safetensors(path, tensors: dict, metadata: dict, sort=True):
    """Writes `tensors` (numpy arrays or torch tensors) as F32, sorted by name unless `sort` is
    False, to a temporary file beside `path` that is then renamed into place."""
    path = pathlib.Path(path)
    header = {'__metadata__': metadata}
    blobs, offset = [], 0
    for name in (sorted(tensors) if sort else tensors):
        arr = tensors[name]
        if hasattr(arr, 'detach'):
            arr = arr.detach().cpu().numpy()
        data = np.ascontiguousarray(arr, dtype='<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    tmp.write_bytes(struct.pack('<Q', len(text)) + text + b''.join(blobs))
    tmp.replace(path)


def augpipe_specs(official):
    """The dict `augpipe_specs` of train.py, read from its source (values are dict(k=const))."""
    tree = ast.parse((pathlib.Path(official) / 'train.py').read_text(encoding='utf-8'))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == 'augpipe_specs'):
            specs = {}
            for key, value in zip(node.value.keys, node.value.values):
                assert isinstance(value, ast.Call) and value.func.id == 'dict' and not value.args
                specs[ast.literal_eval(key)] = {kw.arg: ast.literal_eval(kw.value)
                                                for kw in value.keywords}
            return specs
    raise SystemExit('error: augpipe_specs not found in train.py')

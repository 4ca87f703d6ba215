#!/usr/bin/env python3
"""Convert official stylegan2-ada-pytorch networks, and pytorch-fid's Inception-v3
weights, to safetensors files for sgan-gpu.

Reads
  * network pickles written by NVIDIA's stylegan2-ada-pytorch training
    (network-snapshot-*.pkl: a dict with G, D, G_ema, ... whose modules were
    pickled through torch_utils.persistence), and
  * files written by torch.save: a bare state_dict (torch.save(G.state_dict(),
    path)), in the zip format (PyTorch >= 1.6) or the older stream format, or a
    dict {'G': ..., 'D': ..., 'G_ema': ...} of state_dicts,
and writes one safetensors file whose tensors are named
<module>.<official state_dict key> (module G, D or G_ema), all float32, with the
networks' constructor arguments in the header metadata.

It also converts pytorch-fid's FID Inception-v3 weights
(pt_inception-2015-12-05-6726825d.pth, the state_dict of torchvision's
Inception3(num_classes=1008, aux_logits=False) with pytorch-fid's FID blocks),
recognised by its keys (Conv2d_1a_3x3.conv.weight, Mixed_7c.*). Every tensor is
checked against that network; for each of its 94 BasicConv2d <name> it writes
<name>.conv.weight [O, I, KH, KW] and <name>.bn.weight, .bn.bias,
.bn.running_mean, .bn.running_var [O], float32, in the order of InceptionV3.convs
(Sources/Metrics/InceptionV3.swift), which folds the batch norms at load.
fc.*, AuxLogits.* and *.num_batches_tracked are left out; any other key is an
error. Metadata: format (pytorch-fid-inception-v3), format_version, source and
source_sha256. A source whose SHA-256 does not begin 6726825d (the check
torch.hub's check_hash makes) is converted with a warning: FIDs computed with it
are not comparable with published numbers. The stylegan2 options are refused.

Needs Python 3.9 or newer and nothing else: no torch, no numpy. Nothing from the
input file is imported or executed; unknown classes are replaced by inert
stand-ins.

Usage: convert_official.py SOURCE DEST.safetensors [--module G|D|G_ema] [options]
       convert_official.py pt_inception-2015-12-05-6726825d.pth inception.safetensors
Run with --help for the options.
"""

import argparse
import collections
import hashlib
import io
import itertools
import json
import os
import pickle
import re
import struct
import sys
import tarfile
import tempfile
import zipfile
from array import array

FORMAT_VERSION = "1"
MODULES = ("G", "D", "G_ema")
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # first pickle of the pre-zip torch.save format
LEGACY_PROTOCOL = 1001


class ConvertError(Exception):
    """An error with a one-line message: what happened, where, what to do."""

    def __init__(self, what, where, todo):
        super().__init__("%s, %s, %s" % (what, where, todo))


def _short(text, limit=160):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------
# The torch side: dtypes, storages, tensors, inert stand-ins for other classes.

ITEMSIZE = {
    "float32": 4, "float64": 8, "float16": 2, "bfloat16": 2,
    "int64": 8, "int32": 4, "int16": 2, "int8": 1, "uint8": 1, "bool": 1,
    "uint16": 2, "uint32": 4, "uint64": 8,
    "complex32": 4, "complex64": 8, "complex128": 16,
    "qint8": 1, "quint8": 1, "qint32": 4, "quint4x2": 1, "quint2x4": 1,
    "float8_e4m3fn": 1, "float8_e5m2": 1, "float8_e4m3fnuz": 1, "float8_e5m2fnuz": 1,
}
FLOAT_DTYPES = ("float32", "float16", "bfloat16", "float64")

STORAGE_DTYPE = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8",
    "QUInt8Storage": "quint8", "QInt32Storage": "qint32",
    "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4",
    "UntypedStorage": "uint8",
}

TORCH_DTYPE = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "bfloat16": "bfloat16",
    "int64": "int64", "long": "int64", "int32": "int32", "int": "int32",
    "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool",
    "uint16": "uint16", "uint32": "uint32", "uint64": "uint64",
    "complex32": "complex32", "chalf": "complex32", "complex64": "complex64",
    "cfloat": "complex64", "complex128": "complex128", "cdouble": "complex128",
    "qint8": "qint8", "quint8": "quint8", "qint32": "qint32",
    "quint4x2": "quint4x2", "quint2x4": "quint2x4",
    "float8_e4m3fn": "float8_e4m3fn", "float8_e5m2": "float8_e5m2",
    "float8_e4m3fnuz": "float8_e4m3fnuz", "float8_e5m2fnuz": "float8_e5m2fnuz",
}


class StorageType:
    """Stands for torch.FloatStorage and friends."""

    def __init__(self, name):
        self.name = name
        self.dtype = STORAGE_DTYPE.get(name, "unsupported (torch.%s)" % name)


class TorchDType:
    """Stands for torch.float32 and friends."""

    def __init__(self, name):
        self.name = name


class Storage:
    """Raw bytes of one torch storage, read when needed."""

    def __init__(self, dtype, nbytes, byteorder, where, fetch):
        self.dtype = dtype
        self.nbytes = nbytes
        self.byteorder = byteorder
        self.where = where
        self._fetch = fetch

    def read(self):
        data = self._fetch()
        if len(data) < self.nbytes:
            raise ConvertError(
                "a tensor storage holds %d bytes where %d are expected" % (len(data), self.nbytes),
                "in %s" % self.where,
                "the file is truncated or damaged; copy or save it again")
        return data


class Tensor:
    def __init__(self, storage, offset, size, stride, dtype):
        self.storage = storage
        self.offset = offset
        self.size = size
        self.stride = stride
        self.dtype = dtype

    @property
    def numel(self):
        n = 1
        for s in self.size:
            n *= s
        return n


class Stub(dict):
    """Inert stand-in for a class named in a pickle that this tool does not know.

    It records constructor arguments, pickled state and items instead of running
    anything. It is a dict so that dict subclasses (dnnlib.EasyDict) unpickle."""

    stub_module = ""
    stub_name = ""
    stub_args = ()
    stub_state = None

    def __init__(self, *args, **kwargs):  # pylint: disable=super-init-not-called
        self.stub_args = args

    def __setstate__(self, state):
        self.__dict__["stub_state"] = state

    def append(self, item):
        self.__dict__.setdefault("stub_items", []).append(item)

    def extend(self, items):
        self.__dict__.setdefault("stub_items", []).extend(items)

    def __repr__(self):
        return "<%s.%s>" % (self.stub_module, self.stub_name)

    __hash__ = object.__hash__


_stub_classes = {}


def _stub_class(module, name):
    cls = _stub_classes.get((module, name))
    if cls is None:
        cls = type(str(name), (Stub,), {"stub_module": module, "stub_name": name})
        _stub_classes[(module, name)] = cls
    return cls


class PersistentObject:
    """What torch_utils.persistence._reconstruct_persistent_obj(meta) stands for."""

    def __init__(self, meta):
        self.meta = meta

    @property
    def class_name(self):
        return self.meta.get("class_name", "?") if isinstance(self.meta, dict) else "?"


def _reconstruct_persistent_obj(meta):
    if not isinstance(meta, dict):
        raise ConvertError(
            "a persistent object carries a %s instead of its meta dict" % _describe(meta),
            "in the pickle", "this is not a stylegan2-ada-pytorch network pickle")
    return PersistentObject(meta)


def _describe(obj):
    if isinstance(obj, Stub):
        return "%s.%s object" % (obj.stub_module, obj.stub_name)
    if isinstance(obj, PersistentObject):
        return "persistent %s object" % obj.class_name
    if isinstance(obj, Tensor):
        return "tensor"
    return type(obj).__name__


SAFE_BUILTINS = {
    "set": set, "frozenset": frozenset, "list": list, "dict": dict, "tuple": tuple,
    "int": int, "float": float, "complex": complex, "bool": bool, "str": str,
    "bytes": bytes, "bytearray": bytearray, "slice": slice, "range": range,
    "object": object,
}


def _safe_type(cls):
    return isinstance(cls, type) and (
        issubclass(cls, Stub) or cls in SAFE_BUILTINS.values() or cls is collections.OrderedDict)


def _copyreg_reconstructor(cls, base, state):
    if not (_safe_type(cls) and _safe_type(base)):
        raise ConvertError("the pickle builds an object of an unexpected kind (%r)" % (cls,),
                           "in the pickle", "this file cannot be read without running its code")
    if base is object:
        return cls.__new__(cls)
    obj = base.__new__(cls, state)
    if base.__init__ is not object.__init__:
        base.__init__(obj, state)
    return obj


def _copyreg_newobj(cls, *args):
    if not _safe_type(cls):
        raise ConvertError("the pickle builds an object of an unexpected kind (%r)" % (cls,),
                           "in the pickle", "this file cannot be read without running its code")
    return cls.__new__(cls, *args)


def _codecs_encode(obj, encoding="utf-8", errors="strict"):
    if not isinstance(obj, str):
        raise ConvertError("the pickle encodes a %s as bytes" % type(obj).__name__,
                           "in the pickle", "the file is damaged")
    return obj.encode(encoding, errors)


def _torch_size(*args):
    return tuple(args[0]) if args else ()


def _rebuild_parameter(data, *unused):
    return data


def _rebuild_from_type_v2(func, new_type, args, state=None):
    return func(*args)


class TorchUnpickler(pickle.Unpickler):
    """Unpickles torch files and network pickles without importing anything."""

    def __init__(self, file, where, persistent=None):
        super().__init__(file, encoding="utf-8")
        self.where = where
        self._persistent = persistent

    def persistent_load(self, pid):
        if self._persistent is None:
            raise ConvertError("the pickle refers to an external object %s" % _short(repr(pid), 60),
                               "in %s" % self.where,
                               "this is not a file written by torch.save or by stylegan2-ada-pytorch")
        return self._persistent(pid)

    def find_class(self, module, name):
        if module in ("builtins", "__builtin__") and name in SAFE_BUILTINS:
            return SAFE_BUILTINS[name]
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "_codecs" and name == "encode":
            return _codecs_encode
        if module in ("copyreg", "copy_reg"):
            if name == "_reconstructor":
                return _copyreg_reconstructor
            if name == "__newobj__":
                return _copyreg_newobj
        if module in ("torch", "torch.cuda", "torch.storage") and name.endswith("Storage"):
            return StorageType(name)
        if module == "torch":
            if name in TORCH_DTYPE:
                return TorchDType(TORCH_DTYPE[name])
            if name == "Size":
                return _torch_size
        if module == "torch._utils":
            if name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
                return self._rebuild_tensor_v2
            if name == "_rebuild_tensor_v3":
                return self._rebuild_tensor_v3
            if name in ("_rebuild_parameter", "_rebuild_parameter_with_state"):
                return _rebuild_parameter
        if module in ("torch._tensor", "torch.tensor") and name == "_rebuild_from_type_v2":
            return _rebuild_from_type_v2
        if module == "torch.storage" and name == "_load_from_bytes":
            return self._load_from_bytes
        if name == "_reconstruct_persistent_obj" and module.split(".")[-1] == "persistence":
            return _reconstruct_persistent_obj
        return _stub_class(module, name)

    # torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
    # backward_hooks[, metadata]); _rebuild_tensor has only the first four.
    def _rebuild_tensor_v2(self, storage, storage_offset, size, stride, *unused):
        return self._tensor(storage, storage_offset, size, stride, None)

    # torch._utils._rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad,
    # backward_hooks, dtype[, metadata]): the storage is untyped, the dtype comes separately.
    def _rebuild_tensor_v3(self, storage, storage_offset, size, stride, requires_grad=False,
                           backward_hooks=None, dtype=None, *unused):
        if not isinstance(dtype, TorchDType):
            raise ConvertError("a tensor record has no usable dtype (%s)" % _describe(dtype),
                               "in %s" % self.where, "the file is damaged or of an unknown kind")
        return self._tensor(storage, storage_offset, size, stride, dtype.name)

    def _tensor(self, storage, offset, size, stride, dtype):
        if not isinstance(storage, Storage):
            raise ConvertError(
                "a tensor's data is a %s instead of a storage" % _describe(storage),
                "in %s" % self.where,
                "only plain dense tensors can be converted (no sparse, quantized or custom tensors)")

        def ints(value):
            return isinstance(value, (tuple, list)) and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)

        if not (isinstance(offset, int) and offset >= 0 and ints(size) and ints(stride)
                and len(size) == len(stride)):
            raise ConvertError("a tensor record is malformed (offset %s, size %s, stride %s)"
                               % (_short(offset, 20), _short(size, 40), _short(stride, 40)),
                               "in %s" % self.where, "the file is damaged")
        return Tensor(storage, offset, tuple(size), tuple(stride), dtype or storage.dtype)

    # torch.storage._load_from_bytes(b): how a storage pickles outside torch.save; b is a
    # complete torch.save file of that storage (the pre-zip format).
    def _load_from_bytes(self, data):
        if not isinstance(data, (bytes, bytearray)):
            raise ConvertError("an embedded storage is a %s instead of bytes" % _describe(data),
                               "in %s" % self.where, "the file is damaged")
        where = "a storage embedded in %s" % self.where
        if bytes(data[:4]) == b"PK\x03\x04":
            return load_zip(zipfile.ZipFile(io.BytesIO(data)), where)
        stream = io.BytesIO(data)
        if TorchUnpickler(stream, where).load() != MAGIC_NUMBER:
            raise ConvertError("an embedded storage is not in torch.save format",
                               "in %s" % self.where, "the file is damaged")
        return _load_legacy_rest(stream, where)


# ---------------------------------------------------------------------------
# File formats.

def load_zip(zf, where):
    """torch.save's zip format: <prefix>/data.pkl, <prefix>/data/<key>, <prefix>/byteorder."""
    names = set(zf.namelist())
    pkls = sorted(n for n in names if n == "data.pkl" or (n.endswith("/data.pkl") and n.count("/") == 1))
    if not pkls:
        if any(n.endswith("constants.pkl") or "/code/" in n for n in names):
            raise ConvertError("this is a TorchScript archive", "in %s" % where,
                               "save the weights with torch.save(G.state_dict(), path) instead")
        raise ConvertError("the zip archive holds no data.pkl", "in %s" % where,
                           "give a file written by torch.save or a network pickle")
    prefix = pkls[0][: -len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in names:
        byteorder = zf.read(prefix + "byteorder").decode("ascii", "replace").strip()
        if byteorder not in ("little", "big"):
            raise ConvertError("unknown byte order record %r" % _short(byteorder, 20), "in %s" % where,
                               "the file is damaged")
    storages = {}

    def persistent_load(pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] in ("storage", b"storage")):
            raise ConvertError("unknown persistent record %s" % _short(repr(pid), 60), "in %s" % where,
                               "this is not a torch.save file this tool can read")
        stype, key, numel = pid[1], pid[2], pid[4]
        if isinstance(key, bytes):
            key = key.decode("ascii", "replace")
        if not isinstance(stype, StorageType) or not isinstance(numel, int) or numel < 0:
            raise ConvertError("malformed storage record %s" % _short(repr(pid), 60), "in %s" % where,
                               "the file is damaged")
        if key in storages:
            return storages[key]
        name = "%sdata/%s" % (prefix, key)
        if name not in names:
            raise ConvertError("storage record %s is missing" % name, "in %s" % where,
                               "the file is truncated or damaged; save it again")
        nbytes = numel * ITEMSIZE.get(stype.dtype, 1)
        if zf.getinfo(name).file_size < nbytes:
            raise ConvertError("storage record %s is shorter than its %d bytes" % (name, nbytes),
                               "in %s" % where, "the file is truncated or damaged; save it again")
        storage = Storage(stype.dtype, nbytes, byteorder, "%s (%s)" % (where, name),
                          lambda: zf.read(name))
        storages[key] = storage
        return storage

    return TorchUnpickler(io.BytesIO(zf.read(pkls[0])), where, persistent_load).load()


class _LegacyRoot:
    def __init__(self, dtype, numel):
        self.dtype = dtype
        self.numel = numel
        self.data = None


def _load_legacy_rest(stream, where):
    """The pre-zip torch.save format after its magic number: protocol, sys_info, the
    object (storages as persistent ids), the list of storage keys, then each storage
    as an int64 element count followed by its bytes."""
    if TorchUnpickler(stream, where).load() != LEGACY_PROTOCOL:
        raise ConvertError("unknown torch.save protocol version", "in %s" % where,
                           "the file is damaged or from an unsupported PyTorch")
    sys_info = TorchUnpickler(stream, where).load()
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
    byteorder = "little" if little else "big"
    roots = {}
    views = {}

    def persistent_load(pid):
        if isinstance(pid, tuple) and pid and pid[0] in ("module", b"module") and len(pid) > 1:
            return pid[1]
        if not (isinstance(pid, tuple) and len(pid) >= 6 and pid[0] in ("storage", b"storage")):
            raise ConvertError("unknown persistent record %s" % _short(repr(pid), 60), "in %s" % where,
                               "this is not a torch.save file this tool can read")
        stype, key, numel, view = pid[1], pid[2], pid[4], pid[5]
        if not isinstance(stype, StorageType) or not isinstance(numel, int) or numel < 0:
            raise ConvertError("malformed storage record %s" % _short(repr(pid), 60), "in %s" % where,
                               "the file is damaged")
        root = roots.get(key)
        if root is None:
            root = roots[key] = _LegacyRoot(stype.dtype, numel)
        itemsize = ITEMSIZE.get(root.dtype, 1)
        offset, count = 0, root.numel
        if view is not None:
            if not (isinstance(view, tuple) and len(view) == 3):
                raise ConvertError("malformed storage view record", "in %s" % where, "the file is damaged")
            view_key, offset, count = view
            if view_key in views:
                return views[view_key]

        def fetch(root=root, begin=offset * itemsize, end=(offset + count) * itemsize):
            if root.data is None:
                raise ConvertError("a storage's data is missing", "in %s" % where,
                                   "the file is truncated or damaged; save it again")
            return memoryview(root.data)[begin:end]

        storage = Storage(root.dtype, count * itemsize, byteorder, where, fetch)
        if view is not None:
            views[view[0]] = storage
        return storage

    obj = TorchUnpickler(stream, where, persistent_load).load()
    keys = TorchUnpickler(stream, where).load()
    if not isinstance(keys, list):
        raise ConvertError("the storage list is malformed", "in %s" % where, "the file is damaged")
    fmt = "<q" if little else ">q"
    for key in keys:
        root = roots.get(key)
        if root is None:
            raise ConvertError("storage %s is listed but never used" % _short(key, 20), "in %s" % where,
                               "the file is damaged")
        head = stream.read(8)
        if len(head) != 8:
            raise ConvertError("the storage data ends early", "in %s" % where,
                               "the file is truncated; copy or save it again")
        count = struct.unpack(fmt, head)[0]
        nbytes = count * ITEMSIZE.get(root.dtype, 1)
        if count < 0 or count < root.numel:
            raise ConvertError("a storage holds %d elements where %d are expected" % (count, root.numel),
                               "in %s" % where, "the file is damaged")
        root.data = stream.read(nbytes)
        if len(root.data) != nbytes:
            raise ConvertError("the storage data ends early", "in %s" % where,
                               "the file is truncated; copy or save it again")
    return obj


def load_source(path):
    """Returns the unpickled top-level object of a torch.save file or a pickle."""
    if not os.path.exists(path):
        raise ConvertError("no such file", "source %s" % path, "check the path")
    if os.path.isdir(path):
        raise ConvertError("the source is a folder", "source %s" % path,
                           "give a .pkl network pickle or a .pt file written by torch.save")
    with open(path, "rb") as f:
        head = f.read(8)
    try:
        if zipfile.is_zipfile(path):
            return load_zip(zipfile.ZipFile(path), path)
        if head[:1] != b"\x80" and tarfile.is_tarfile(path):
            raise ConvertError("this is the tar-based torch.save format of PyTorch < 0.4",
                               "in %s" % path, "load it with an old PyTorch and save it again")
        with open(path, "rb") as f:
            first = TorchUnpickler(f, path).load()
            if isinstance(first, int) and not isinstance(first, bool) and first == MAGIC_NUMBER:
                return _load_legacy_rest(f, path)
            return first
    except ConvertError:
        raise
    except RecursionError:
        raise ConvertError("the pickle nests too deeply", "in %s" % path,
                           "the file is damaged or not a network") from None
    except Exception as e:  # anything the unpickler or zipfile throw at damaged input
        raise ConvertError("cannot read it as a torch.save file or a pickle (%s: %s)"
                           % (type(e).__name__, _short(e, 80)),
                           "in %s" % path,
                           "give a stylegan2-ada-pytorch .pkl or a state_dict .pt file") from None


# ---------------------------------------------------------------------------
# Modules and state dicts.

def _module_state(obj):
    if isinstance(obj, PersistentObject):
        state = obj.meta.get("state")
    elif isinstance(obj, Stub):
        state = obj.stub_state
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], dict):
            state = state[0]
    else:
        return None
    if isinstance(state, dict) and "_parameters" in state:
        return state
    return None


def _is_module(obj):
    return _module_state(obj) is not None


def collect_state_dict(obj, module, where):
    """The state_dict of a pickled torch module: parameters, persistent buffers, then
    submodules, recursively, in the order torch uses."""
    out = collections.OrderedDict()

    def add(key, value):
        if not isinstance(value, Tensor):
            raise ConvertError("%s.%s is a %s, not a tensor" % (module, key, _describe(value)),
                               "in %s" % where,
                               "only plain dense tensors can be converted")
        out[key] = value

    def walk(obj, prefix):
        state = _module_state(obj)
        if state is None:
            raise ConvertError("%s%s is a %s, not a torch module" % (module, "." + prefix[:-1] if prefix else "",
                                                                   _describe(obj)),
                               "in %s" % where, "this is not a stylegan2-ada-pytorch network")
        skip = state.get("_non_persistent_buffers_set") or ()
        for group in ("_parameters", "_buffers"):
            items = state.get(group) or {}
            if not isinstance(items, dict):
                raise ConvertError("%s.%s%s is a %s" % (module, prefix, group, _describe(items)),
                                   "in %s" % where, "the pickle is damaged")
            for name, value in items.items():
                if value is None or (group == "_buffers" and name in skip):
                    continue
                add(prefix + str(name), value)
        children = state.get("_modules") or {}
        if not isinstance(children, dict):
            raise ConvertError("%s.%s_modules is a %s" % (module, prefix, _describe(children)),
                               "in %s" % where, "the pickle is damaged")
        for name, child in children.items():
            if child is not None:
                walk(child, "%s%s." % (prefix, name))

    walk(obj, "")
    return out


def _plain(value, label, where):
    """Constructor arguments as JSON values (EasyDict -> dict, tuple -> list, numpy scalar -> number)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ConvertError("%s is %r, which JSON cannot hold" % (label, value), "in %s" % where,
                               "this network's settings cannot be written")
        return value
    if isinstance(value, Stub):
        scalar = _numpy_scalar(value)
        if scalar is not None:
            return _plain(scalar, label, where)
        if not value.stub_args and value.stub_state is None:
            return collections.OrderedDict((str(k), _plain(v, "%s.%s" % (label, k), where))
                                           for k, v in value.items())
        raise ConvertError("%s is a %s" % (label, _describe(value)), "in %s" % where,
                           "this network's settings cannot be written as JSON")
    if isinstance(value, dict):
        return collections.OrderedDict((str(k), _plain(v, "%s.%s" % (label, k), where))
                                       for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v, "%s[%d]" % (label, i), where) for i, v in enumerate(value)]
    raise ConvertError("%s is a %s" % (label, _describe(value)), "in %s" % where,
                       "this network's settings cannot be written as JSON")


_NUMPY_FORMATS = {"f8": "d", "f4": "f", "f2": "e", "i8": "q", "i4": "i", "i2": "h", "i1": "b",
                  "u8": "Q", "u4": "I", "u2": "H", "u1": "B", "b1": "?"}


def _numpy_scalar(stub):
    """numpy.core.multiarray.scalar(dtype, bytes) as a Python number, else None."""
    if not (stub.stub_module.startswith("numpy") and stub.stub_name == "scalar" and len(stub.stub_args) == 2):
        return None
    dtype, data = stub.stub_args
    if not (isinstance(dtype, Stub) and dtype.stub_name == "dtype" and dtype.stub_args
            and isinstance(data, (bytes, bytearray))):
        return None
    code = _NUMPY_FORMATS.get(str(dtype.stub_args[0]))
    if code is None:
        return None
    state = dtype.stub_state
    order = ">" if isinstance(state, tuple) and len(state) > 1 and state[1] == ">" else "<"
    try:
        return struct.unpack(order + code, bytes(data))[0]
    except struct.error:
        return None


# ---------------------------------------------------------------------------
# The stylegan2-ada architecture: settings, what the tensors say, expected shapes.

G_SIGNATURE = ["z_dim", "c_dim", "w_dim", "img_resolution", "img_channels",
               "mapping_kwargs", "synthesis_kwargs"]
D_SIGNATURE = ["c_dim", "img_resolution", "img_channels", "architecture", "channel_base",
               "channel_max", "num_fp16_res", "conv_clamp", "cmap_dim", "block_kwargs",
               "mapping_kwargs", "epilogue_kwargs"]
# Generator keywords that belong to the synthesis network (stylegan3's copy of the
# stylegan2 Generator takes them at the top level).
SYNTHESIS_KEYS = ("channel_base", "channel_max", "num_fp16_res", "architecture", "resample_filter",
                  "conv_clamp", "fp16_channels_last", "kernel_size", "use_noise", "activation")

# (setting, command-line flag, path in the constructor kwargs, default for a bare state_dict;
# a pickle must have the REQUIRED_KWARGS, which the official constructors need)
PARAMS = {
    "G": [
        ("z_dim", "--z-dim", ("z_dim",), 512),
        ("c_dim", "--c-dim", ("c_dim",), 0),
        ("w_dim", "--w-dim", ("w_dim",), 512),
        ("resolution", "--resolution", ("img_resolution",), 1024),
        ("channels", "--channels", ("img_channels",), 3),
        ("mapping_layers", "--mapping-layers", ("mapping_kwargs", "num_layers"), 8),
        ("channel_base", "--channel-base", ("synthesis_kwargs", "channel_base"), 32768),
        ("channel_max", "--channel-max", ("synthesis_kwargs", "channel_max"), 512),
        ("num_fp16_res", "--num-fp16-res", ("synthesis_kwargs", "num_fp16_res"), 0),
        ("conv_clamp", "--conv-clamp", ("synthesis_kwargs", "conv_clamp"), None),
        ("architecture", "--architecture", ("synthesis_kwargs", "architecture"), "skip"),
    ],
    "D": [
        ("c_dim", "--c-dim", ("c_dim",), 0),
        ("resolution", "--resolution", ("img_resolution",), 1024),
        ("channels", "--channels", ("img_channels",), 3),
        ("architecture", "--architecture", ("architecture",), "resnet"),
        ("channel_base", "--channel-base", ("channel_base",), 32768),
        ("channel_max", "--channel-max", ("channel_max",), 512),
        ("num_fp16_res", "--num-fp16-res", ("num_fp16_res",), 0),
        ("conv_clamp", "--conv-clamp", ("conv_clamp",), None),
        ("cmap_dim", "--cmap-dim", ("cmap_dim",), None),
        ("mapping_layers", "--mapping-layers", ("mapping_kwargs", "num_layers"), 8),
        ("mbstd_group_size", "--mbstd-group-size", ("epilogue_kwargs", "mbstd_group_size"), 4),
        ("mbstd_num_channels", "--mbstd-num-channels", ("epilogue_kwargs", "mbstd_num_channels"), 1),
    ],
}
REQUIRED_KWARGS = {"G": ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels"),
                   "D": ("c_dim", "img_resolution", "img_channels")}

_G_BLOCK = re.compile(r"^synthesis\.b(\d+)\.")
_D_BLOCK = re.compile(r"^b(\d+)\.")


def _kind(module):
    return "D" if module == "D" else "G"


def _shape(sd, key, ndim):
    t = sd.get(key)
    if isinstance(t, Tensor) and len(t.size) == ndim:
        return t.size
    return None


def _count(sd, pattern):
    n = 0
    while pattern % n in sd:
        n += 1
    return n


def infer(kind, sd, module, where):
    """What the tensor shapes say about the settings: {setting: (value, evidence)},
    plus 'channels_by_res' and the mapping's embed/layer widths."""
    inf = {}
    if kind == "G":
        if "synthesis.input.affine.weight" in sd or any(re.match(r"^synthesis\.L\d+_", k) for k in sd):
            raise ConvertError("%s is a StyleGAN3 generator" % module, "in %s" % where,
                               "only StyleGAN2 (stylegan2-ada) networks are supported")
        if "mapping.fc0.weight" not in sd or "synthesis.b4.const" not in sd:
            if "b4.out.weight" in sd:
                raise ConvertError("the tensors of %s are those of a discriminator (b4.out.weight)" % module,
                                   "in %s" % where, "pass --module D")
            raise ConvertError("%s has no stylegan2 generator tensors (mapping.fc0.weight, synthesis.b4.const)"
                               % module, "in %s" % where,
                               "give an official stylegan2-ada-pytorch network, or check --module")
        res = sorted({int(m.group(1)) for m in map(_G_BLOCK.match, sd) if m})
        top = res[-1]
        inf["resolution"] = (top, "synthesis.b%d.*" % top)
        s = _shape(sd, "synthesis.b%d.torgb.weight" % top, 4)
        if s:
            inf["channels"] = (s[0], "synthesis.b%d.torgb.weight" % top)
        s = _shape(sd, "mapping.w_avg", 1)
        if s:
            inf["w_dim"] = (s[0], "mapping.w_avg")
        else:
            s = _shape(sd, "synthesis.b4.conv1.affine.weight", 2)
            if s:
                inf["w_dim"] = (s[1], "synthesis.b4.conv1.affine.weight")
        layers = _count(sd, "mapping.fc%d.weight")
        inf["mapping_layers"] = (layers, "mapping.fc%d.weight" % (layers - 1))
        embed = _shape(sd, "mapping.embed.weight", 2)
        inf["c_dim"] = (embed[1], "mapping.embed.weight") if embed else (0, "no mapping.embed.weight")
        fc0 = _shape(sd, "mapping.fc0.weight", 2)
        if fc0:
            inf["z_dim"] = (fc0[1] - (embed[0] if embed else 0), "mapping.fc0.weight")
            inf["layer_features"] = (fc0[0] if layers > 1 else None, "mapping.fc0.weight")
        inf["embed_features"] = (embed[0] if embed else None, "mapping.embed.weight")
        chans = {}
        for r in res:
            s = _shape(sd, "synthesis.b%d.conv1.weight" % r, 4)
            if s:
                chans[r] = s[0]
        inf["channels_by_res"] = (chans, "synthesis.b*.conv1.weight")
        if top > 4:
            if any("synthesis.b%d.torgb.weight" % r in sd for r in res if r != top):
                inf["architecture"] = ("skip", "synthesis.b4.torgb.weight")
            elif any("synthesis.b%d.skip.weight" % r in sd for r in res):
                inf["architecture"] = ("resnet", "synthesis.b%d.skip.weight" % top)
            else:
                inf["architecture"] = ("orig", "no synthesis.b4.torgb or skip tensors")
        return inf

    if "b4.out.weight" not in sd or "b4.conv.weight" not in sd:
        if "mapping.fc0.weight" in sd or "synthesis.b4.const" in sd:
            raise ConvertError("the tensors of %s are those of a generator (synthesis.b4.const)" % module,
                               "in %s" % where, "pass --module G or --module G_ema")
        raise ConvertError("%s has no stylegan2 discriminator tensors (b4.conv.weight, b4.out.weight)" % module,
                           "in %s" % where, "give an official stylegan2-ada-pytorch network, or check --module")
    blocks = sorted({int(m.group(1)) for m in map(_D_BLOCK.match, sd) if m} - {4})
    top = blocks[-1] if blocks else 4
    inf["resolution"] = (top, "b%d.*" % top)
    s = _shape(sd, "b%d.fromrgb.weight" % top, 4)
    if s:
        inf["channels"] = (s[1], "b%d.fromrgb.weight" % top)
    chans = {}
    for r in blocks:
        s = _shape(sd, "b%d.conv0.weight" % r, 4)
        if s:
            chans[r] = s[0]
    conv = _shape(sd, "b4.conv.weight", 4)
    if conv:
        chans[4] = conv[0]
        inf["mbstd_num_channels"] = (conv[1] - conv[0], "b4.conv.weight")
    inf["channels_by_res"] = (chans, "b*.conv0.weight and b4.conv.weight")
    embed = _shape(sd, "mapping.embed.weight", 2)
    inf["c_dim"] = (embed[1], "mapping.embed.weight") if embed else (0, "no mapping.embed.weight")
    out = _shape(sd, "b4.out.weight", 2)
    if embed:
        layers = _count(sd, "mapping.fc%d.weight")
        inf["mapping_layers"] = (layers, "mapping.fc%d.weight" % (layers - 1))
        fc0 = _shape(sd, "mapping.fc0.weight", 2)
        inf["embed_features"] = (embed[0], "mapping.embed.weight")
        inf["layer_features"] = (fc0[0] if fc0 and layers > 1 else None, "mapping.fc0.weight")
        if out:
            inf["cmap_dim"] = (out[0], "b4.out.weight")
    else:
        inf["cmap_dim"] = (0, "no mapping.embed.weight")
    if blocks:
        if "b4.fromrgb.weight" in sd or any("b%d.fromrgb.weight" % r in sd for r in blocks if r != top):
            inf["architecture"] = ("skip", "b4.fromrgb.weight")
        elif any("b%d.skip.weight" % r in sd for r in blocks):
            inf["architecture"] = ("resnet", "b%d.skip.weight" % top)
        else:
            inf["architecture"] = ("orig", "no b*.skip or b4.fromrgb tensors")
    return inf


def _get(kwargs, path, default):
    d = kwargs
    for part in path[:-1]:
        d = d.get(part) if isinstance(d, dict) else None
    if not isinstance(d, dict) or path[-1] not in d:
        return default
    return d[path[-1]]


def _option(opts, key):
    """(given, value) of a command-line setting; --conv-clamp none is given as None."""
    value = getattr(opts, key, None)
    if value is None:
        return False, None
    return True, (None if value == "none" else value)


def _int(value, label, where, minimum=0):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConvertError("%s is %s, not an integer >= %d" % (label, _short(repr(value), 40), minimum),
                           "in %s" % where, "the network's settings are damaged")
    return value


def _fits(chans, base, cmax):
    return all(min(base // r, cmax) == c for r, c in chans.items())


def _channels_text(chans):
    return ", ".join("%d at %dx%d" % (chans[r], r, r) for r in sorted(chans))


def settings_from_kwargs(kind, kwargs, label, where):
    """The PARAMS settings of a pickled network (its _init_kwargs, defaults filled in)."""
    flat = {}
    for key, _flag, path, default in PARAMS[kind]:
        if path[-1] in REQUIRED_KWARGS[kind] and len(path) == 1:
            if path[0] not in kwargs:
                raise ConvertError("%s has no %s" % (label, path[0]), "in %s" % where,
                                   "the pickle is damaged or not a stylegan2-ada network")
        flat[key] = _get(kwargs, path, default)
    for key in ("z_dim", "c_dim", "w_dim", "resolution", "channels", "mapping_layers", "channel_base",
                "channel_max", "num_fp16_res", "mbstd_num_channels"):
        if key in flat:
            _int(flat[key], "%s: %s" % (label, key), where)
    if kind == "D" and flat["cmap_dim"] is None:
        flat["cmap_dim"] = min(flat["channel_base"] // 4, flat["channel_max"]) if flat["c_dim"] else 0
    if kind == "D" and not flat["c_dim"]:
        flat["cmap_dim"] = 0
    return flat


def kwargs_from_settings(kind, flat, inf):
    """Official constructor kwargs for a bare state_dict."""
    def extra(name, width):
        value = inf.get(name, (None, ""))[0]
        return {} if value is None or value == width else {name: value}

    if kind == "G":
        mapping = collections.OrderedDict(num_layers=flat["mapping_layers"])
        mapping.update(extra("embed_features", flat["w_dim"]))
        mapping.update(extra("layer_features", flat["w_dim"]))
        return collections.OrderedDict([
            ("z_dim", flat["z_dim"]), ("c_dim", flat["c_dim"]), ("w_dim", flat["w_dim"]),
            ("img_resolution", flat["resolution"]), ("img_channels", flat["channels"]),
            ("mapping_kwargs", mapping),
            ("synthesis_kwargs", collections.OrderedDict([
                ("channel_base", flat["channel_base"]), ("channel_max", flat["channel_max"]),
                ("num_fp16_res", flat["num_fp16_res"]), ("conv_clamp", flat["conv_clamp"]),
                ("architecture", flat["architecture"])])),
        ])
    ch4 = min(flat["channel_base"] // 4, flat["channel_max"])
    cmap = flat["cmap_dim"] if flat["c_dim"] and flat["cmap_dim"] not in (None, ch4) else None
    mapping = collections.OrderedDict()
    if flat["c_dim"]:
        mapping["num_layers"] = flat["mapping_layers"]
        width = cmap if cmap is not None else ch4
        mapping.update(extra("embed_features", width))
        mapping.update(extra("layer_features", width))
    return collections.OrderedDict([
        ("c_dim", flat["c_dim"]), ("img_resolution", flat["resolution"]), ("img_channels", flat["channels"]),
        ("architecture", flat["architecture"]), ("channel_base", flat["channel_base"]),
        ("channel_max", flat["channel_max"]), ("num_fp16_res", flat["num_fp16_res"]),
        ("conv_clamp", flat["conv_clamp"]), ("cmap_dim", cmap),
        ("block_kwargs", collections.OrderedDict()), ("mapping_kwargs", mapping),
        ("epilogue_kwargs", collections.OrderedDict([
            ("mbstd_group_size", flat["mbstd_group_size"]),
            ("mbstd_num_channels", flat["mbstd_num_channels"])])),
    ])


def normalize_kwargs(kind, init_args, init_kwargs, label, where):
    kwargs = _plain(init_kwargs if init_kwargs is not None else {}, label + "._init_kwargs", where)
    if not isinstance(kwargs, dict):
        raise ConvertError("%s._init_kwargs is a %s" % (label, type(kwargs).__name__), "in %s" % where,
                           "the pickle is damaged")
    args = _plain(list(init_args or ()), label + "._init_args", where)
    signature = G_SIGNATURE if kind == "G" else D_SIGNATURE
    if len(args) > len(signature):
        raise ConvertError("%s was built with %d positional arguments" % (label, len(args)), "in %s" % where,
                           "this is not an official stylegan2-ada network")
    merged = collections.OrderedDict(zip(signature, args))
    for key, value in kwargs.items():
        if key in merged:
            raise ConvertError("%s gets %s twice" % (label, key), "in %s" % where, "the pickle is damaged")
        merged[key] = value
    if kind == "G":
        moved = [k for k in merged if k in SYNTHESIS_KEYS]
        if moved:
            synthesis = collections.OrderedDict(merged.get("synthesis_kwargs") or {})
            for k in moved:
                synthesis.setdefault(k, merged.pop(k))
            merged["synthesis_kwargs"] = synthesis
    return merged


def _filter_shape(taps, label, where):
    if isinstance(taps, (int, float)) and not isinstance(taps, bool):
        return ()
    if not isinstance(taps, list) or not taps:
        raise ConvertError("%s resample_filter is %s" % (label, _short(repr(taps), 40)), "in %s" % where,
                           "the network's settings are unsupported")
    if isinstance(taps[0], list):
        return (len(taps), len(taps[0]))
    return (len(taps),) if len(taps) >= 8 else (len(taps), len(taps))


def expected_shapes(kind, kwargs, label, where):
    """The state_dict keys and shapes the official constructor makes from kwargs."""
    out = collections.OrderedDict()
    default_filter = (4, 4)

    def fc(prefix, n_in, n_out, bias=True):
        out[prefix + "weight"] = (n_out, n_in)
        if bias:
            out[prefix + "bias"] = (n_out,)

    def conv(prefix, n_in, n_out, k, filt=default_filter, bias=True):
        out[prefix + "resample_filter"] = filt
        out[prefix + "weight"] = (n_out, n_in, k, k)
        if bias:
            out[prefix + "bias"] = (n_out,)

    def mapping(z_dim, c_dim, w_dim, mk, track_w):
        layers = _int(mk.get("num_layers", 8), label + ": mapping num_layers", where, 1)
        embed = mk.get("embed_features") or w_dim
        if not c_dim:
            embed = 0
        width = mk.get("layer_features") or w_dim
        feats = [z_dim + embed] + [width] * (layers - 1) + [w_dim]
        if c_dim:
            fc("mapping.embed.", c_dim, embed)
        for i in range(layers):
            fc("mapping.fc%d." % i, feats[i], feats[i + 1])
        if track_w and mk.get("w_avg_beta", 0.995) is not None:
            out["mapping.w_avg"] = (w_dim,)

    flat = settings_from_kwargs(kind, kwargs, label, where)
    top = flat["resolution"]
    if top < 4 or top & (top - 1):
        raise ConvertError("%s: img_resolution %d is not a power of two >= 4" % (label, top), "in %s" % where,
                           "the network's settings are damaged")
    base, cmax = flat["channel_base"], flat["channel_max"]
    if kind == "G":
        sk = kwargs.get("synthesis_kwargs") or {}
        mk = kwargs.get("mapping_kwargs") or {}
        w_dim, colors = flat["w_dim"], flat["channels"]
        arch = flat["architecture"]
        filt = _filter_shape(sk.get("resample_filter", [1, 3, 3, 1]), label, where)
        k = _int(sk.get("kernel_size", 3), label + ": kernel_size", where, 1)
        noise = sk.get("use_noise", True)
        res = [2 ** i for i in range(2, top.bit_length())]
        ch = {r: min(base // r, cmax) for r in res}

        def layer(prefix, n_in, n_out, r, f):
            out[prefix + "weight"] = (n_out, n_in, k, k)
            if noise:
                out[prefix + "noise_strength"] = ()
            out[prefix + "bias"] = (n_out,)
            out[prefix + "resample_filter"] = f
            if noise:
                out[prefix + "noise_const"] = (r, r)
            fc(prefix + "affine.", w_dim, n_in)

        for r in res:
            p = "synthesis.b%d." % r
            n_in, n_out = (ch[r // 2] if r > 4 else 0), ch[r]
            if not n_in:
                out[p + "const"] = (n_out, r, r)
            out[p + "resample_filter"] = filt
            if n_in:
                layer(p + "conv0.", n_in, n_out, r, filt)
            layer(p + "conv1.", n_out, n_out, r, default_filter)
            if r == top or arch == "skip":
                out[p + "torgb.weight"] = (colors, n_out, 1, 1)
                out[p + "torgb.bias"] = (colors,)
                fc(p + "torgb.affine.", w_dim, n_out)
            if n_in and arch == "resnet":
                conv(p + "skip.", n_in, n_out, 1, filt, bias=False)
        mapping(flat["z_dim"], flat["c_dim"], w_dim, mk, True)
        return out

    bk = kwargs.get("block_kwargs") or {}
    mk = kwargs.get("mapping_kwargs") or {}
    colors, arch = flat["channels"], flat["architecture"]
    filt = _filter_shape(bk.get("resample_filter", [1, 3, 3, 1]), label, where)
    res = [2 ** i for i in range(top.bit_length() - 1, 2, -1)]
    ch = {r: min(base // r, cmax) for r in res + [4]}
    for r in res:
        p = "b%d." % r
        n_in, tmp, n_out = (ch[r] if r < top else 0), ch[r], ch[r // 2]
        out[p + "resample_filter"] = filt
        if not n_in or arch == "skip":
            conv(p + "fromrgb.", colors, tmp, 1)
        conv(p + "conv0.", tmp, tmp, 3)
        conv(p + "conv1.", tmp, n_out, 3, filt)
        if arch == "resnet":
            conv(p + "skip.", tmp, n_out, 1, filt, bias=False)
    if flat["c_dim"]:
        mapping(0, flat["c_dim"], flat["cmap_dim"], mk, False)
    if arch == "skip":
        conv("b4.fromrgb.", colors, ch[4], 1)
    conv("b4.conv.", ch[4] + flat["mbstd_num_channels"], ch[4], 3)
    fc("b4.fc.", ch[4] * 16, ch[4])
    fc("b4.out.", ch[4], flat["cmap_dim"] or 1)
    return out


def _fmt(value):
    return "none" if value is None else str(value)


def reconcile(module, sd, kwargs, opts, where):
    """Checks a module's tensors against its settings; returns the constructor kwargs.

    kwargs is None for a bare state_dict: then the settings come from the options,
    else from the tensor shapes, else from the official defaults."""
    kind = _kind(module)
    inf = infer(kind, sd, module, where)
    chans, chans_from = inf["channels_by_res"]
    if kwargs is None:
        flat = {}
        for key, flag, _path, default in PARAMS[kind]:
            is_given, given = _option(opts, key)
            found = inf.get(key)
            if is_given and found is not None and given != found[0]:
                raise ConvertError("%s %s disagrees with the tensors, which need %s" % (flag, _fmt(given), found[0]),
                                   "in %s (%s.%s)" % (where, module, found[1]),
                                   "pass %s %s or leave the option out" % (flag, found[0]))
            flat[key] = given if is_given else found[0] if found is not None else default
        given_base, given_max = _option(opts, "channel_base")[1], _option(opts, "channel_max")[1]
        bases = [given_base] if given_base else [32768] + sorted({c * r for r, c in chans.items()})
        maxes = [given_max] if given_max else [512] + ([max(chans.values())] if chans else [])
        fit = next(((b, m) for b in bases for m in maxes if _fits(chans, b, m)), None)
        if fit is None:
            free = [32768] + sorted({c * r for r, c in chans.items()})
            free_max = [512] + ([max(chans.values())] if chans else [])
            other = next(((b, m) for b in free for m in free_max if _fits(chans, b, m)), None)
            if other is None:
                raise ConvertError("the channel counts (%s) fit no channel_base and channel_max"
                                   % _channels_text(chans), "in %s (%s.%s)" % (where, module, chans_from),
                                   "this is not an official stylegan2 layout")
            wrong = [("--channel-base", given_base, other[0]), ("--channel-max", given_max, other[1])]
            wrong = [w for w in wrong if w[1] is not None and w[1] != w[2]]
            raise ConvertError("%s disagree%s with the tensors (%s)" % (
                " and ".join("%s %s" % (w[0], w[1]) for w in wrong), "" if len(wrong) > 1 else "s",
                _channels_text(chans)), "in %s (%s.%s)" % (where, module, chans_from),
                "pass %s or leave the option%s out" % (" ".join("%s %s" % (w[0], w[2]) for w in wrong),
                                                       "s" if len(wrong) > 1 else ""))
        flat["channel_base"], flat["channel_max"] = fit
        kwargs = kwargs_from_settings(kind, flat, inf)
        settings_text = "the settings"
        todo = "check --module and the options; is this an official stylegan2-ada-pytorch network?"
    else:
        flat = settings_from_kwargs(kind, kwargs, module + "._init_kwargs", where)
        for key, flag, path, _default in PARAMS[kind]:
            is_given, given = _option(opts, key)
            if is_given and given != flat[key]:
                raise ConvertError("%s %s disagrees with %s._init_kwargs (%s = %s)" % (
                    flag, _fmt(given), module, ".".join(path), _fmt(flat[key])), "in %s" % where,
                    "leave the option out; a network pickle carries its own settings")
            found = inf.get(key)
            if found is not None and found[0] != flat[key]:
                raise ConvertError("%s._init_kwargs say %s = %s but the tensors need %s" % (
                    module, ".".join(path), _fmt(flat[key]), found[0]),
                    "in %s (%s.%s)" % (where, module, found[1]),
                    "the pickle is inconsistent or not an official stylegan2-ada network")
        if not _fits(chans, flat["channel_base"], flat["channel_max"]):
            raise ConvertError("%s._init_kwargs (channel_base %s, channel_max %s) do not give "
                               "the tensors' channels (%s)"
                               % (module, flat["channel_base"], flat["channel_max"], _channels_text(chans)),
                               "in %s (%s.%s)" % (where, module, chans_from),
                               "the pickle is inconsistent or not an official stylegan2-ada network")
        settings_text = "%s._init_kwargs" % module
        todo = "the pickle is inconsistent or not an official stylegan2-ada network"

    expected = expected_shapes(kind, kwargs, module, where)
    missing = [k for k in expected if k not in sd]
    extra = [k for k in sd if k not in expected]
    wrong = [k for k in expected if k in sd and tuple(sd[k].size) != expected[k]]
    more = lambda items: " (and %d more)" % (len(items) - 1) if len(items) > 1 else ""
    if missing:
        raise ConvertError("tensor %s.%s is missing%s for %s" % (module, missing[0], more(missing), settings_text),
                           "in %s" % where, todo)
    if extra:
        raise ConvertError("tensor %s.%s%s is not part of the network %s describe" % (
            module, extra[0], more(extra), settings_text), "in %s" % where, todo)
    if wrong:
        k = wrong[0]
        raise ConvertError("tensor %s.%s has shape %s but %s give %s%s" % (
            module, k, list(sd[k].size), settings_text, list(expected[k]), more(wrong)), "in %s" % where, todo)
    return kwargs


# ---------------------------------------------------------------------------
# Tensor data as little-endian float32.

def _contiguous(size, stride):
    expect = 1
    for n, s in zip(reversed(size), reversed(stride)):
        if n != 1 and s != expect:
            return False
        expect *= n
    return True


def _decode(span, dtype, byteorder):
    swap = byteorder != sys.byteorder
    if dtype == "float32":
        values = array("f")
        values.frombytes(span)
        if swap:
            values.byteswap()
        return values
    if dtype == "float64":
        wide = array("d")
        wide.frombytes(span)
        if swap:
            wide.byteswap()
        return array("f", wide)
    if dtype == "float16":
        count = len(span) // 2
        return array("f", struct.unpack("%s%de" % ("<" if byteorder == "little" else ">", count), span))
    if dtype == "bfloat16":
        half = array("H")
        half.frombytes(span)
        if swap:
            half.byteswap()
        code = "I" if array("I").itemsize == 4 else "L"
        bits = array(code, (h << 16 for h in half))
        values = array("f")
        values.frombytes(bits.tobytes())
        return values
    raise AssertionError(dtype)


def tensor_f32_bytes(t, name, where):
    """The tensor's elements in row-major order as little-endian float32 bytes."""
    n = t.numel
    if n == 0:
        return b""
    itemsize = ITEMSIZE[t.dtype]
    lo = t.offset
    hi = lo + sum((s - 1) * st for s, st in zip(t.size, t.stride)) + 1
    if hi * itemsize > t.storage.nbytes:
        raise ConvertError("tensor %s reaches past the end of its storage" % name, "in %s" % where,
                           "the file is damaged")
    span = memoryview(t.storage.read())[lo * itemsize: hi * itemsize]
    contiguous = _contiguous(t.size, t.stride)
    if t.dtype == "float32" and contiguous and t.storage.byteorder == "little":
        return span
    values = _decode(span, t.dtype, t.storage.byteorder)
    if not contiguous:
        values = _gather(values, t.size, t.stride)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def _gather(values, size, stride):
    out = array("f")
    if not size:
        out.append(values[0])
        return out
    n, s = size[-1], stride[-1]
    for index in itertools.product(*(range(k) for k in size[:-1])):
        begin = sum(i * st for i, st in zip(index, stride[:-1]))
        if s == 0:
            out.extend(array("f", [values[begin]]) * n)
        else:
            out.extend(values[begin: begin + (n - 1) * s + 1: s])
    return out


# ---------------------------------------------------------------------------
# Writing.

def write_safetensors(path, tensors, metadata, where):
    """tensors: [(name, Tensor)]; writes a temporary file beside path, then renames it."""
    header = collections.OrderedDict([("__metadata__", metadata)])
    offset = 0
    for name, t in tensors:
        nbytes = 4 * t.numel
        header[name] = collections.OrderedDict([
            ("dtype", "F32"), ("shape", list(t.size)), ("data_offsets", [offset, offset + nbytes])])
        offset += nbytes
    blob = json.dumps(header, separators=(",", ":")).encode("utf-8")
    blob += b" " * (-len(blob) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(blob)))
            f.write(blob)
            for name, t in tensors:
                data = tensor_f32_bytes(t, name, where)
                if len(data) != 4 * t.numel:
                    raise ConvertError("tensor %s converts to %d bytes, not %d" % (name, len(data), 4 * t.numel),
                                       "in %s" % where, "the file is damaged")
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return 8 + len(blob) + offset


# ---------------------------------------------------------------------------
# pytorch-fid's FID Inception-v3 (pt_inception-2015-12-05-6726825d.pth).

INCEPTION_FORMAT = "pytorch-fid-inception-v3"
INCEPTION_FORMAT_VERSION = "1"
INCEPTION_FILE = "pt_inception-2015-12-05-6726825d.pth"
# The first 8 hex digits of the published file's SHA-256: what torch.hub's check_hash compares
# (load_state_dict_from_url(..., check_hash=True) takes them from the file name).
INCEPTION_SHA256_PREFIX = "6726825d"
BN_TENSORS = ("weight", "bias", "running_mean", "running_var")


def _inception_convs():
    """[(name, in channels, out channels, (KH, KW))] of every BasicConv2d: the same list, in the
    same order, as InceptionV3.convs in Sources/Metrics/InceptionV3.swift."""
    out = []

    def add(name, n_in, n_out, kernel):
        out.append((name, n_in, n_out, kernel))

    add("Conv2d_1a_3x3", 3, 32, (3, 3))
    add("Conv2d_2a_3x3", 32, 32, (3, 3))
    add("Conv2d_2b_3x3", 32, 64, (3, 3))
    add("Conv2d_3b_1x1", 64, 80, (1, 1))
    add("Conv2d_4a_3x3", 80, 192, (3, 3))
    for n, c, pool in (("Mixed_5b", 192, 32), ("Mixed_5c", 256, 64), ("Mixed_5d", 288, 64)):
        add(n + ".branch1x1", c, 64, (1, 1))
        add(n + ".branch5x5_1", c, 48, (1, 1))
        add(n + ".branch5x5_2", 48, 64, (5, 5))
        add(n + ".branch3x3dbl_1", c, 64, (1, 1))
        add(n + ".branch3x3dbl_2", 64, 96, (3, 3))
        add(n + ".branch3x3dbl_3", 96, 96, (3, 3))
        add(n + ".branch_pool", c, pool, (1, 1))
    add("Mixed_6a.branch3x3", 288, 384, (3, 3))
    add("Mixed_6a.branch3x3dbl_1", 288, 64, (1, 1))
    add("Mixed_6a.branch3x3dbl_2", 64, 96, (3, 3))
    add("Mixed_6a.branch3x3dbl_3", 96, 96, (3, 3))
    for n, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        add(n + ".branch1x1", 768, 192, (1, 1))
        add(n + ".branch7x7_1", 768, c7, (1, 1))
        add(n + ".branch7x7_2", c7, c7, (1, 7))
        add(n + ".branch7x7_3", c7, 192, (7, 1))
        add(n + ".branch7x7dbl_1", 768, c7, (1, 1))
        add(n + ".branch7x7dbl_2", c7, c7, (7, 1))
        add(n + ".branch7x7dbl_3", c7, c7, (1, 7))
        add(n + ".branch7x7dbl_4", c7, c7, (7, 1))
        add(n + ".branch7x7dbl_5", c7, 192, (1, 7))
        add(n + ".branch_pool", 768, 192, (1, 1))
    add("Mixed_7a.branch3x3_1", 768, 192, (1, 1))
    add("Mixed_7a.branch3x3_2", 192, 320, (3, 3))
    add("Mixed_7a.branch7x7x3_1", 768, 192, (1, 1))
    add("Mixed_7a.branch7x7x3_2", 192, 192, (1, 7))
    add("Mixed_7a.branch7x7x3_3", 192, 192, (7, 1))
    add("Mixed_7a.branch7x7x3_4", 192, 192, (3, 3))
    for n, c in (("Mixed_7b", 1280), ("Mixed_7c", 2048)):
        add(n + ".branch1x1", c, 320, (1, 1))
        add(n + ".branch3x3_1", c, 384, (1, 1))
        add(n + ".branch3x3_2a", 384, 384, (1, 3))
        add(n + ".branch3x3_2b", 384, 384, (3, 1))
        add(n + ".branch3x3dbl_1", c, 448, (1, 1))
        add(n + ".branch3x3dbl_2", 448, 384, (3, 3))
        add(n + ".branch3x3dbl_3a", 384, 384, (1, 3))
        add(n + ".branch3x3dbl_3b", 384, 384, (3, 1))
        add(n + ".branch_pool", c, 192, (1, 1))
    return out


INCEPTION_CONVS = _inception_convs()
INCEPTION_BLOCKS = frozenset(name.split(".")[0] for name, _i, _o, _k in INCEPTION_CONVS)


def inception_shapes():
    """The kept state_dict keys and their shapes, in the order they are written."""
    out = collections.OrderedDict()
    for name, n_in, n_out, (kh, kw) in INCEPTION_CONVS:
        out[name + ".conv.weight"] = (n_out, n_in, kh, kw)
        for part in BN_TENSORS:
            out["%s.bn.%s" % (name, part)] = (n_out,)
    return out


def _inception_dropped(key):
    """Keys of pytorch-fid's state_dict that the features do not use."""
    return key.startswith("fc.") or key.startswith("AuxLogits.") or key.endswith(".num_batches_tracked")


def is_inception_state_dict(obj):
    """A state_dict whose keys are torchvision Inception3's (Conv2d_1a_3x3.conv.weight, Mixed_7c.*)."""
    return _is_state_dict(obj) and any(str(k).split(".")[0] in INCEPTION_BLOCKS for k in obj)


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def convert_inception(source, dest, sd, opts):
    """pytorch-fid's FID Inception-v3 state_dict -> safetensors with the five tensors of every
    BasicConv2d (conv.weight, bn.weight, bn.bias, bn.running_mean, bn.running_var) under their
    state_dict names; the batch norms are folded by the reader."""
    given = ["--module"] if getattr(opts, "module", None) else []
    given += sorted({flag for kind in ("G", "D") for key, flag, _p, _d in PARAMS[kind]
                     if getattr(opts, key, None) is not None})
    if given:
        raise ConvertError("%s %s for stylegan2 networks, but the source is pytorch-fid's Inception-v3 "
                           "state_dict" % (" and ".join(given), "are" if len(given) > 1 else "is"),
                           "on the command line", "leave %s out" % " and ".join(given))
    sd = collections.OrderedDict((str(k), v) for k, v in sd.items())
    expected = inception_shapes()
    missing = [k for k in expected if k not in sd]
    extra = [k for k in sd if k not in expected and not _inception_dropped(k)]
    wrong = [k for k in expected if k in sd and tuple(sd[k].size) != expected[k]]
    more = lambda items: " (and %d more)" % (len(items) - 1) if len(items) > 1 else ""
    todo = "give pytorch-fid's %s (its FID Inception-v3 state_dict) unchanged" % INCEPTION_FILE
    if missing:
        raise ConvertError("tensor %s is missing%s for pytorch-fid's Inception-v3" % (missing[0], more(missing)),
                           "in %s" % source, todo)
    if extra:
        raise ConvertError("tensor %s%s is not part of pytorch-fid's Inception-v3" % (extra[0], more(extra)),
                           "in %s" % source, "this is another network; " + todo)
    if wrong:
        k = wrong[0]
        raise ConvertError("tensor %s has shape %s but pytorch-fid's Inception-v3 has %s%s" % (
            k, list(sd[k].size), list(expected[k]), more(wrong)), "in %s" % source, todo)
    for key in expected:
        if sd[key].dtype not in FLOAT_DTYPES:
            raise ConvertError("tensor %s has dtype %s" % (key, sd[key].dtype), "in %s" % source,
                               "only float16, bfloat16, float32 and float64 tensors can be converted")

    digest = file_sha256(source)
    metadata = collections.OrderedDict([
        ("format", INCEPTION_FORMAT), ("format_version", INCEPTION_FORMAT_VERSION),
        ("source", os.path.basename(source)), ("source_sha256", digest)])
    tensors = [(key, sd[key]) for key in expected]
    size = write_safetensors(dest, tensors, metadata, source)
    if not digest.startswith(INCEPTION_SHA256_PREFIX):
        sys.stderr.write(
            "warning: the SHA-256 of %s begins %s, not %s: these are not pytorch-fid's published weights "
            "(%s), so FIDs computed with them are not comparable with published numbers\n"
            % (source, digest[:8], INCEPTION_SHA256_PREFIX, INCEPTION_FILE))
    dropped = [k for k in sd if k not in expected]
    kinds = [label for label, test in (("fc.*", lambda k: k.startswith("fc.")),
                                       ("AuxLogits.*", lambda k: k.startswith("AuxLogits.")),
                                       ("*.num_batches_tracked", lambda k: k.endswith(".num_batches_tracked")))
             if any(test(k) for k in dropped)]
    count = sum(t.numel for _k, t in tensors)
    lines = ["wrote %s (%.1f MB): pytorch-fid Inception-v3, %d convolutions, %d tensors, %d parameters%s" % (
        dest, size / 1e6, len(INCEPTION_CONVS), len(tensors), count,
        "; %d unused tensors left out (%s)" % (len(dropped), ", ".join(kinds)) if dropped else "")]
    if digest.startswith(INCEPTION_SHA256_PREFIX):
        lines.append("the source's SHA-256 begins %s, as the published %s's does: these are pytorch-fid's "
                     "weights" % (INCEPTION_SHA256_PREFIX, INCEPTION_FILE))
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Putting it together.

def _is_state_dict(obj):
    return isinstance(obj, dict) and not isinstance(obj, Stub) and bool(obj) and all(
        isinstance(v, Tensor) for v in obj.values())


def find_modules(obj, module_opt, where):
    """[(module name, module object or state_dict)] found in the file's top-level object."""
    if isinstance(obj, dict) and not isinstance(obj, Stub) and any(k in obj for k in MODULES) \
            and not _is_state_dict(obj):
        found = [(m, obj[m]) for m in MODULES if obj.get(m) is not None]
        if module_opt:
            found = [(m, v) for m, v in found if m == module_opt]
            if not found:
                raise ConvertError("the file has no %s" % module_opt, "in %s" % where,
                                   "pass --module with one of: %s"
                                   % ", ".join(m for m in MODULES if obj.get(m) is not None))
        return found
    if _is_state_dict(obj):
        keys = [str(k) for k in obj]
        prefixed = {m: collections.OrderedDict((k[len(m) + 1:], v) for k, v in obj.items()
                                               if str(k).startswith(m + "."))
                    for m in MODULES}
        if sum(len(v) for v in prefixed.values()) == len(keys):
            found = [(m, sd) for m, sd in prefixed.items() if sd]
            if module_opt:
                found = [(m, sd) for m, sd in found if m == module_opt]
                if not found:
                    raise ConvertError("the file has no %s tensors" % module_opt, "in %s" % where,
                                       "pass another --module")
            return found
        return [(module_opt or "G_ema", obj)]
    if _is_module(obj):
        return [(module_opt or "G_ema", obj)]
    if isinstance(obj, dict) and not isinstance(obj, Stub):
        keys = sorted(str(k) for k in obj)
        if {"g_ema", "g", "d"} & set(keys):
            raise ConvertError("this looks like a rosinality stylegan2-pytorch checkpoint (keys %s)"
                               % _short(", ".join(keys), 60), "in %s" % where,
                               "only NVIDIA's stylegan2-ada-pytorch names are supported")
        raise ConvertError("the file holds a dict with keys %s but no G, D or G_ema"
                           % _short(", ".join(keys), 80) if keys else "the file holds an empty dict",
                           "in %s" % where,
                           "give a stylegan2-ada-pytorch network pickle or a state_dict")
    raise ConvertError("the file holds a %s, not a network or a state_dict" % _describe(obj), "in %s" % where,
                       "give a stylegan2-ada-pytorch network pickle or a state_dict")


def convert(source, dest, opts):
    if os.path.isdir(dest):
        raise ConvertError("the destination is a folder", "destination %s" % dest,
                           "give a file name such as %s" % os.path.join(dest, "network.safetensors"))
    folder = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(folder):
        raise ConvertError("the destination folder does not exist", "destination %s" % dest,
                           "create %s first" % folder)

    obj = load_source(source)
    if is_inception_state_dict(obj):
        return convert_inception(source, dest, obj, opts)
    found = find_modules(obj, opts.module, source)
    modules = []  # (name, state_dict, kwargs)
    for name, value in found:
        if _is_module(value):
            sd = collect_state_dict(value, name, source)
            state = _module_state(value)
            init_args, init_kwargs = state.get("_init_args"), state.get("_init_kwargs")
            if init_kwargs is None and not init_args:
                kwargs = None
            else:
                kwargs = normalize_kwargs(_kind(name), init_args, init_kwargs, name, source)
        elif _is_state_dict(value):
            sd, kwargs = value, None
        else:
            raise ConvertError("%s is a %s, not a network or a state_dict" % (name, _describe(value)),
                               "in %s" % source, "give a stylegan2-ada-pytorch network pickle or a state_dict")
        sd = collections.OrderedDict((str(k), v) for k, v in sd.items())
        for key, t in sd.items():
            if t.dtype not in FLOAT_DTYPES:
                raise ConvertError("tensor %s.%s has dtype %s" % (name, key, t.dtype), "in %s" % source,
                                   "only float16, bfloat16, float32 and float64 tensors can be converted")
        modules.append((name, sd, reconcile(name, sd, kwargs, opts, source)))

    metadata = collections.OrderedDict([("sgan.arch", "stylegan2"), ("sgan.format", FORMAT_VERSION),
                                        ("sgan.source", os.path.basename(source))])
    by_name = {name: kwargs for name, _sd, kwargs in modules}
    if "G" in by_name and "G_ema" in by_name and json.dumps(by_name["G"]) != json.dumps(by_name["G_ema"]):
        raise ConvertError("G and G_ema have different settings", "in %s" % source,
                           "convert them one at a time with --module G and --module G_ema")
    for kind, names in (("G", ("G_ema", "G")), ("D", ("D",))):
        for name in names:
            if name in by_name:
                metadata["sgan.%s_kwargs" % kind] = json.dumps(by_name[name], allow_nan=False)
                break
    tensors = [("%s.%s" % (name, key), t) for name, sd, _kw in modules for key, t in sd.items()]
    bare = [name for name, value in found if not _is_module(value)]
    if bare and getattr(opts, "conv_clamp", None) is None:
        sys.stderr.write(
            "warning: %s holds a bare state_dict (%s) and --conv-clamp was not given, so it is converted "
            "with conv_clamp none; the official train.py trains with conv_clamp 256 (unless --fp32), and a "
            "network trained with it renders up to 255 levels apart without it: give --conv-clamp 256 for "
            "such a network, or --conv-clamp none to silence this\n" % (source, ", ".join(bare)))
    size = write_safetensors(dest, tensors, metadata, source)
    lines = []
    for name, sd, kwargs in modules:
        res = kwargs.get("img_resolution")
        count = sum(t.numel for t in sd.values())
        lines.append("%s: %dx%d, %d tensors, %d parameters" % (name, res, res, len(sd), count))
    return "wrote %s (%.1f MB): %s" % (dest, size / 1e6, "; ".join(lines))


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("error: %s, on the command line, run with --help for the usage\n" % _short(message, 200))
        sys.exit(1)


def _clamp(text):
    if text.lower() in ("none", "null", "off"):
        return "none"
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return int(value) if value.is_integer() else value


_clamp.__name__ = "number-or-none"  # argparse names the type in its message


def build_parser():
    p = _Parser(
        prog="convert_official.py",
        description="Convert a stylegan2-ada-pytorch network pickle (network-snapshot-*.pkl) or a "
                    "torch.save'd state_dict to the sgan-gpu network file (safetensors), or pytorch-fid's "
                    "Inception-v3 weights (pt_inception-2015-12-05-6726825d.pth) to the Inception file "
                    "for FID and KID. Needs no torch.",
        epilog="For a bare state_dict, settings you leave out are read from the tensor shapes where "
               "they determine them, else take the official defaults; settings you give must agree "
               "with the tensors. A network pickle carries its own settings (its _init_kwargs).")
    p.add_argument("source", help="network-snapshot-*.pkl, a .pt/.pth file written by torch.save, or "
                                  "pt_inception-2015-12-05-6726825d.pth")
    p.add_argument("dest", help="the .safetensors file to write")
    p.add_argument("--module", choices=MODULES,
                   help="a bare state_dict: which network it is (default G_ema); a pickle: convert only this one")
    a = p.add_argument_group("network settings (for a bare state_dict)")
    a.add_argument("--z-dim", dest="z_dim", type=int, metavar="N", help="G: latent Z size (default 512)")
    a.add_argument("--c-dim", dest="c_dim", type=int, metavar="N", help="label size (default 0)")
    a.add_argument("--w-dim", dest="w_dim", type=int, metavar="N", help="G: latent W size (default 512)")
    a.add_argument("--resolution", type=int, metavar="N", help="image resolution (read from the tensors)")
    a.add_argument("--channels", type=int, metavar="N", help="image channels (default 3)")
    a.add_argument("--channel-base", dest="channel_base", type=int, metavar="N", help="default 32768")
    a.add_argument("--channel-max", dest="channel_max", type=int, metavar="N", help="default 512")
    a.add_argument("--mapping-layers", dest="mapping_layers", type=int, metavar="N", help="mapping layers (default 8)")
    a.add_argument("--num-fp16-res", dest="num_fp16_res", type=int, metavar="N",
                   help="default 0; train.py used 4")
    a.add_argument("--conv-clamp", dest="conv_clamp", type=_clamp, metavar="X",
                   help="a number or none (default none; train.py used 256)")
    a.add_argument("--architecture", choices=("orig", "skip", "resnet"),
                   help="default skip for G, resnet for D")
    a.add_argument("--cmap-dim", dest="cmap_dim", type=int, metavar="N", help="D: label embedding size")
    a.add_argument("--mbstd-group-size", dest="mbstd_group_size", type=int, metavar="N", help="D: default 4")
    a.add_argument("--mbstd-num-channels", dest="mbstd_num_channels", type=int, metavar="N", help="D: default 1")
    return p


def main(argv=None):
    opts = build_parser().parse_args(argv)
    try:
        print(convert(opts.source, opts.dest, opts))
        return 0
    except ConvertError as e:
        message = str(e)
    except OSError as e:
        message = "%s, %s, check the path and the permissions" % (
            e.strerror or type(e).__name__, "file %s" % e.filename if e.filename else "while reading or writing")
    except MemoryError:
        message = "out of memory, while converting %s, free some memory and try again" % opts.source
    except Exception as e:  # a bug, or input damaged in a way not foreseen
        if os.environ.get("SGAN_CONVERT_DEBUG"):
            raise
        message = "internal error (%s: %s), while converting %s, rerun with SGAN_CONVERT_DEBUG=1 and report it" % (
            type(e).__name__, _short(e, 100), opts.source)
    sys.stderr.write("error: %s\n" % " ".join(message.split()))
    return 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Tests for tools/convert_official.py; standard library only, no torch.

Builds torch-format files itself with a small pickler that writes the opcodes torch
writes (a GLOBAL for torch._utils._rebuild_tensor_v2, persistent ids for storages
of type torch.FloatStorage, collections.OrderedDict for the state_dict), converts
them, and reads the safetensors back.

Run: python3 -m unittest tools/test_convert_official.py   (or python3 tools/test_convert_official.py)
"""

import ast
import collections
import contextlib
import hashlib
import importlib.util
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "convert_official.py")

_spec = importlib.util.spec_from_file_location("convert_official", TOOL)
conv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conv)


# ---------------------------------------------------------------------------
# A small pickler: values in, pickle opcodes out (no memo, like a fresh torch pickle).

class Global:
    def __init__(self, module, name):
        self.module, self.name = module, name


class Reduce:
    def __init__(self, func, args, state=None):
        self.func, self.args, self.state = func, args, state


class NewObj:
    """cls.__new__(cls) then SETITEMS (a dict subclass such as dnnlib.EasyDict)."""

    def __init__(self, cls, items):
        self.cls, self.items = cls, items


class PersId:
    def __init__(self, pid):
        self.pid = pid


class ODict:
    """collections.OrderedDict as torch pickles it: REDUCE with () then SETITEMS."""

    def __init__(self, items):
        self.items = list(items.items()) if isinstance(items, dict) else list(items)


def emit(value, proto=2):
    return bytes([0x80, proto]) + _emit(value) + b"."


def _emit(v):
    if v is None:
        return b"N"
    if v is True:
        return b"\x88"
    if v is False:
        return b"\x89"
    if isinstance(v, int):
        if 0 <= v < 256:
            return b"K" + bytes([v])
        if 0 <= v < 65536:
            return b"M" + struct.pack("<H", v)
        if -2 ** 31 <= v < 2 ** 31:
            return b"J" + struct.pack("<i", v)
        data = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
        return b"\x8a" + bytes([len(data)]) + data
    if isinstance(v, float):
        return b"G" + struct.pack(">d", v)
    if isinstance(v, str):
        data = v.encode("utf-8")
        return b"X" + struct.pack("<I", len(data)) + data
    if isinstance(v, bytes):
        return b"B" + struct.pack("<I", len(v)) + v  # BINBYTES, protocol 3+
    if isinstance(v, tuple):
        if not v:
            return b")"
        body = b"".join(_emit(x) for x in v)
        return body + {1: b"\x85", 2: b"\x86", 3: b"\x87"}[len(v)] if len(v) <= 3 else b"(" + body + b"t"
    if isinstance(v, list):
        return b"]" + (b"(" + b"".join(_emit(x) for x in v) + b"e" if v else b"")
    if isinstance(v, ODict):
        out = _emit(Global("collections", "OrderedDict")) + b")R"
        return out + _setitems(v.items)
    if isinstance(v, dict):
        return b"}" + _setitems(list(v.items()))
    if isinstance(v, Global):
        return b"c" + v.module.encode() + b"\n" + v.name.encode() + b"\n"
    if isinstance(v, Reduce):
        out = _emit(v.func) + _emit(v.args) + b"R"
        return out + (_emit(v.state) + b"b" if v.state is not None else b"")
    if isinstance(v, NewObj):
        return _emit(v.cls) + b")\x81" + _setitems(list(v.items.items()))
    if isinstance(v, PersId):
        return _emit(v.pid) + b"Q"
    raise TypeError(type(v))


def _setitems(items):
    if not items:
        return b""
    return b"(" + b"".join(_emit(k) + _emit(x) for k, x in items) + b"u"


# ---------------------------------------------------------------------------
# Tensors as the tests describe them, and how torch would store them.

FORMATS = {"FloatStorage": ("f", 4), "HalfStorage": ("e", 2), "DoubleStorage": ("d", 8),
           "BFloat16Storage": (None, 2), "LongStorage": ("q", 8)}


class T:
    """A test tensor: values (row-major), shape, storage type, layout in its storage. raw: the
    storage's bytes as given (values None), for large tensors."""

    def __init__(self, shape, values, stype="FloatStorage", transposed=False, raw=None):
        self.shape, self.stype, self.transposed, self.raw = tuple(shape), stype, transposed, raw
        self.values = None if raw is not None else list(values)
        n = 1
        for s in shape:
            n *= s
        if raw is not None:
            assert not transposed and len(raw) == n * FORMATS[stype][1], (shape, len(raw))
        else:
            assert len(self.values) == n, (shape, len(values))

    def storage_values(self):
        if not self.transposed:
            return self.values
        rows, cols = self.shape
        return [self.values[r * cols + c] for c in range(cols) for r in range(rows)]

    def storage_bytes(self):
        if self.raw is not None:
            return self.raw
        fmt, _ = FORMATS[self.stype]
        vals = self.storage_values()
        if self.stype == "BFloat16Storage":
            return b"".join(struct.pack("<f", v)[2:] for v in vals)
        return struct.pack("<%d%s" % (len(vals), fmt), *vals)

    def layout(self):
        if self.transposed:
            return self.shape, (1, self.shape[0])
        stride, acc = [], 1
        for s in reversed(self.shape):
            stride.insert(0, acc)
            acc *= s
        return self.shape, tuple(stride)


def rebuild(storage, t, offset=0):
    size, stride = t.layout()
    return Reduce(Global("torch._utils", "_rebuild_tensor_v2"),
                  (storage, offset, size, stride, False, ODict([])))


def write_zip_state_dict(path, tensors, shared=None):
    """torch.save(state_dict) in the zip format. shared: {name: (other name, offset)} puts
    a tensor into another tensor's storage at an element offset."""
    shared = shared or {}
    items, records, keys = [], {}, {}
    for name, t in tensors.items():
        if name in shared:
            continue
        key = str(len(keys))
        keys[name] = key
        records[key] = bytearray(t.storage_bytes())
    for name, (other, offset) in shared.items():
        t = tensors[name]
        _, itemsize = FORMATS[t.stype]
        data = records[keys[other]]
        assert len(data) == offset * itemsize
        data += t.storage_bytes()
        keys[name] = keys[other]
    for name, t in tensors.items():
        key = keys[name]
        numel = len(records[key]) // FORMATS[t.stype][1]
        storage = PersId(("storage", Global("torch", t.stype), key, "cpu", numel))
        offset = shared[name][1] if name in shared else 0
        items.append((name, rebuild(storage, t, offset)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", emit(ODict(items)))
        z.writestr("archive/byteorder", "little")
        for key, data in records.items():
            z.writestr("archive/data/%s" % key, data)
        z.writestr("archive/version", "3\n")


def legacy_storage_bytes(t):
    """What torch.storage._load_from_bytes receives: torch.save(storage) in the pre-zip format."""
    fmt, _ = FORMATS[t.stype]
    vals = t.storage_values()
    out = emit(conv.MAGIC_NUMBER) + emit(1001)
    out += emit({"protocol_version": 1001, "little_endian": True,
                 "type_sizes": {"short": 2, "int": 4, "long": 4}})
    out += emit(PersId(("storage", Global("torch", t.stype), "94", "cuda:0", len(vals), None)))
    out += emit(["94"])
    return out + struct.pack("<q", len(vals)) + t.storage_bytes()


def write_legacy_state_dict(path, tensors):
    """torch.save(state_dict, _use_new_zipfile_serialization=False)."""
    items, datas = [], []
    for i, (name, t) in enumerate(tensors.items()):
        data = t.storage_bytes()
        numel = len(data) // FORMATS[t.stype][1]
        storage = PersId(("storage", Global("torch", t.stype), str(i), "cpu", numel, None))
        items.append((name, rebuild(storage, t)))
        datas += [struct.pack("<q", numel), data]
    out = emit(conv.MAGIC_NUMBER) + emit(1001)
    out += emit({"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}})
    out += emit(ODict(items)) + emit([str(i) for i in range(len(tensors))]) + b"".join(datas)
    with open(path, "wb") as f:
        f.write(out)


# ---------------------------------------------------------------------------
# A tiny but complete stylegan2 G and D: resolution 8, 3 colours, channel_base 32,
# channel_max 8 (8 channels at 4x4, 4 at 8x8), z_dim 3, w_dim 4, 2 mapping layers.

G_SHAPES = [
    ("synthesis.b4.const", (8, 4, 4)),
    ("synthesis.b4.resample_filter", (4, 4)),
    ("synthesis.b4.conv1.weight", (8, 8, 3, 3)),
    ("synthesis.b4.conv1.noise_strength", ()),
    ("synthesis.b4.conv1.bias", (8,)),
    ("synthesis.b4.conv1.resample_filter", (4, 4)),
    ("synthesis.b4.conv1.noise_const", (4, 4)),
    ("synthesis.b4.conv1.affine.weight", (8, 4)),
    ("synthesis.b4.conv1.affine.bias", (8,)),
    ("synthesis.b4.torgb.weight", (3, 8, 1, 1)),
    ("synthesis.b4.torgb.bias", (3,)),
    ("synthesis.b4.torgb.affine.weight", (8, 4)),
    ("synthesis.b4.torgb.affine.bias", (8,)),
    ("synthesis.b8.resample_filter", (4, 4)),
    ("synthesis.b8.conv0.weight", (4, 8, 3, 3)),
    ("synthesis.b8.conv0.noise_strength", ()),
    ("synthesis.b8.conv0.bias", (4,)),
    ("synthesis.b8.conv0.resample_filter", (4, 4)),
    ("synthesis.b8.conv0.noise_const", (8, 8)),
    ("synthesis.b8.conv0.affine.weight", (8, 4)),
    ("synthesis.b8.conv0.affine.bias", (8,)),
    ("synthesis.b8.conv1.weight", (4, 4, 3, 3)),
    ("synthesis.b8.conv1.noise_strength", ()),
    ("synthesis.b8.conv1.bias", (4,)),
    ("synthesis.b8.conv1.resample_filter", (4, 4)),
    ("synthesis.b8.conv1.noise_const", (8, 8)),
    ("synthesis.b8.conv1.affine.weight", (4, 4)),
    ("synthesis.b8.conv1.affine.bias", (4,)),
    ("synthesis.b8.torgb.weight", (3, 4, 1, 1)),
    ("synthesis.b8.torgb.bias", (3,)),
    ("synthesis.b8.torgb.affine.weight", (4, 4)),
    ("synthesis.b8.torgb.affine.bias", (4,)),
    ("mapping.w_avg", (4,)),  # a module's own buffers come before its submodules
    ("mapping.fc0.weight", (4, 3)),
    ("mapping.fc0.bias", (4,)),
    ("mapping.fc1.weight", (4, 4)),
    ("mapping.fc1.bias", (4,)),
]

D_SHAPES = [
    ("b8.resample_filter", (4, 4)),
    ("b8.fromrgb.weight", (4, 3, 1, 1)),
    ("b8.fromrgb.bias", (4,)),
    ("b8.fromrgb.resample_filter", (4, 4)),
    ("b8.conv0.weight", (4, 4, 3, 3)),
    ("b8.conv0.bias", (4,)),
    ("b8.conv0.resample_filter", (4, 4)),
    ("b8.conv1.weight", (8, 4, 3, 3)),
    ("b8.conv1.bias", (8,)),
    ("b8.conv1.resample_filter", (4, 4)),
    ("b8.skip.weight", (8, 4, 1, 1)),
    ("b8.skip.resample_filter", (4, 4)),
    ("b4.conv.weight", (8, 9, 3, 3)),
    ("b4.conv.bias", (8,)),
    ("b4.conv.resample_filter", (4, 4)),
    ("b4.fc.weight", (8, 128)),
    ("b4.fc.bias", (8,)),
    ("b4.out.weight", (1, 8)),
    ("b4.out.bias", (1,)),
]

BUFFERS = ("resample_filter", "noise_const", "w_avg")


def make_tensors(shapes, seed, special=True):
    """Values k/8 (exact in float16 and bfloat16), distinct per tensor."""
    out = collections.OrderedDict()
    for i, (name, shape) in enumerate(shapes):
        n = 1
        for s in shape:
            n *= s
        values = [((seed * 31 + i * 7 + j * 3) % 41 - 20) / 8.0 for j in range(n)]
        out[name] = T(shape, values)
    if special:
        out["synthesis.b4.const"].stype = "HalfStorage"           # float16
        out["mapping.fc0.weight"].transposed = True               # non-contiguous [4,3] view
        out["synthesis.b8.conv1.affine.weight"].transposed = True
        out["mapping.w_avg"].stype = "DoubleStorage"              # float64
        out["synthesis.b8.torgb.bias"].stype = "BFloat16Storage"  # bfloat16
    return out


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    meta = header.pop("__metadata__")
    tensors = collections.OrderedDict()
    for name, info in header.items():
        b, e = info["data_offsets"]
        tensors[name] = (info, struct.unpack("<%df" % ((e - b) // 4), data[b:e]))
    return n, meta, tensors, header, len(data)


def f32(values):
    return tuple(struct.unpack("<%df" % len(values), struct.pack("<%df" % len(values), *values)))


def run_tool(*args):
    p = subprocess.run([sys.executable, TOOL] + [str(a) for a in args],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


class Base(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def assertOneLineError(self, result, *needles):
        code, out, err = result
        self.assertEqual(code, 1, (out, err))
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("error: "), err)
        self.assertNotIn("Traceback", err)
        self.assertGreaterEqual(lines[0].count(", "), 2, err)  # what, where, what to do
        for needle in needles:
            self.assertIn(needle, lines[0])
        return lines[0]

    def assertNoLeftovers(self):
        self.assertEqual([f for f in os.listdir(self.dir) if f.endswith(".tmp")], [])

    def assertTensors(self, tensors, module, expected):
        names = [n for n in tensors if n.startswith(module + ".")]
        self.assertEqual(names, ["%s.%s" % (module, k) for k in expected])
        for key, t in expected.items():
            info, values = tensors["%s.%s" % (module, key)]
            self.assertEqual(info["dtype"], "F32")
            self.assertEqual(tuple(info["shape"]), t.shape, key)
            self.assertEqual(values, f32(t.values), key)


class StateDictTests(Base):
    def convert_g(self, *options, write=write_zip_state_dict):
        tensors = make_tensors(G_SHAPES, 1)
        src, dst = self.path("G_ema.pt"), self.path("out.safetensors")
        write(src, tensors)
        return tensors, run_tool(src, dst, *options), dst

    def test_zip_state_dict(self):
        tensors, (code, out, err), dst = self.convert_g()
        self.assertEqual(code, 0, err)
        self.assertIn("G_ema: 8x8", out)
        n, meta, got, header, data_len = read_safetensors(dst)
        self.assertEqual(n % 8, 0)
        self.assertEqual((8 + n) % 8, 0)
        self.assertTensors(got, "G_ema", tensors)
        # contiguous offsets in header order, data section exactly filled
        offset = 0
        for name, info in header.items():
            self.assertEqual(info["data_offsets"][0], offset, name)
            offset = info["data_offsets"][1]
        self.assertEqual(offset, data_len)
        self.assertEqual(got["G_ema.synthesis.b4.conv1.noise_strength"][0]["shape"], [])
        self.assertEqual(meta["sgan.arch"], "stylegan2")
        self.assertEqual(meta["sgan.format"], "1")
        self.assertEqual(meta["sgan.source"], "G_ema.pt")
        self.assertNotIn("sgan.D_kwargs", meta)
        self.assertTrue(all(isinstance(v, str) for v in meta.values()))
        kw = json.loads(meta["sgan.G_kwargs"])
        self.assertEqual(kw, {
            "z_dim": 3, "c_dim": 0, "w_dim": 4, "img_resolution": 8, "img_channels": 3,
            "mapping_kwargs": {"num_layers": 2},
            "synthesis_kwargs": {"channel_base": 32, "channel_max": 512, "num_fp16_res": 0,
                                 "conv_clamp": None, "architecture": "skip"}})
        self.assertNoLeftovers()

    def test_bare_state_dict_without_conv_clamp_warns(self):
        # The official train.py trains with conv_clamp 256: converting without saying which value
        # the network had is allowed, with a warning naming the official value.
        _tensors, (code, _out, err), _dst = self.convert_g()
        self.assertEqual(code, 0, err)
        self.assertIn("warning:", err)
        self.assertIn("--conv-clamp 256", err)
        for value in ("256", "none"):
            _tensors, (code, _out, err), _dst = self.convert_g("--conv-clamp", value)
            self.assertEqual(code, 0, err)
            self.assertNotIn("warning:", err)

    def test_legacy_state_dict(self):
        tensors, (code, _out, err), dst = self.convert_g(write=write_legacy_state_dict)
        self.assertEqual(code, 0, err)
        self.assertTensors(read_safetensors(dst)[2], "G_ema", tensors)

    def test_shared_storage_and_options(self):
        tensors = make_tensors(G_SHAPES, 2, special=False)
        src, dst = self.path("g.pt"), self.path("g.safetensors")
        # fc1.bias lives in fc0.bias's storage, after its 4 elements
        write_zip_state_dict(src, tensors, shared={"mapping.fc1.bias": ("mapping.fc0.bias", 4)})
        code, _out, err = run_tool(src, dst, "--module", "G", "--resolution", "8", "--z-dim", "3",
                                   "--channel-max", "8", "--conv-clamp", "256", "--num-fp16-res", "2")
        self.assertEqual(code, 0, err)
        _n, meta, got, _h, _l = read_safetensors(dst)
        self.assertTensors(got, "G", tensors)
        kw = json.loads(meta["sgan.G_kwargs"])
        self.assertEqual(kw["synthesis_kwargs"]["channel_max"], 8)
        self.assertEqual(kw["synthesis_kwargs"]["conv_clamp"], 256)
        self.assertEqual(kw["synthesis_kwargs"]["num_fp16_res"], 2)

    def test_discriminator_state_dict(self):
        tensors = make_tensors(D_SHAPES, 3, special=False)
        src, dst = self.path("d.pt"), self.path("d.safetensors")
        write_zip_state_dict(src, tensors)
        self.assertOneLineError(run_tool(src, dst), "--module D")
        code, _out, err = run_tool(src, dst, "--module", "D", "--mbstd-group-size", "2")
        self.assertEqual(code, 0, err)
        _n, meta, got, _h, _l = read_safetensors(dst)
        self.assertTensors(got, "D", tensors)
        kw = json.loads(meta["sgan.D_kwargs"])
        self.assertEqual(kw["img_resolution"], 8)
        self.assertEqual(kw["architecture"], "resnet")
        self.assertEqual(kw["epilogue_kwargs"], {"mbstd_group_size": 2, "mbstd_num_channels": 1})
        self.assertNotIn("sgan.G_kwargs", meta)

    def test_contradicting_options(self):
        _t, result, dst = self.convert_g("--resolution", "16")
        self.assertOneLineError(result, "--resolution 16", "--resolution 8")
        self.assertFalse(os.path.exists(dst))
        self.assertNoLeftovers()
        _t, result, _dst = self.convert_g("--channels", "4")
        self.assertOneLineError(result, "--channels 4")
        _t, result, _dst = self.convert_g("--channel-base", "64")
        self.assertOneLineError(result, "--channel-base 64", "--channel-base 32")
        _t, result, _dst = self.convert_g("--mapping-layers", "8")
        self.assertOneLineError(result, "--mapping-layers 8")

    def test_missing_tensor(self):
        tensors = make_tensors(G_SHAPES, 4, special=False)
        del tensors["synthesis.b8.conv0.noise_const"]
        src = self.path("g.pt")
        write_zip_state_dict(src, tensors)
        self.assertOneLineError(run_tool(src, self.path("o.safetensors")), "synthesis.b8.conv0.noise_const")

    def test_integer_tensor_refused(self):
        tensors = make_tensors(G_SHAPES, 5, special=False)
        tensors["mapping.w_avg"].stype = "LongStorage"
        tensors["mapping.w_avg"].values = [1, 2, 3, 4]
        src = self.path("g.pt")
        write_zip_state_dict(src, tensors)
        self.assertOneLineError(run_tool(src, self.path("o.safetensors")), "int64", "mapping.w_avg")

    def test_missing_file(self):
        self.assertOneLineError(run_tool(self.path("nope.pkl"), self.path("o.safetensors")), "nope.pkl")

    def test_garbage_files(self):
        for name, data in (("garbage.pkl", bytes(range(256)) * 7), ("text.pt", b"hello, world\n" * 20),
                           ("empty.pkl", b""),
                           ("proto.pkl", b"\x80\x02" + bytes(random.Random(7).getrandbits(8) for _ in range(500))),
                           ("broken.zip", b"PK\x03\x04" + b"\0" * 100)):
            with open(self.path(name), "wb") as f:
                f.write(data)
            self.assertOneLineError(run_tool(self.path(name), self.path("o.safetensors")), name)
        self.assertFalse(os.path.exists(self.path("o.safetensors")))
        self.assertNoLeftovers()

    def test_truncated_zip_storage(self):
        tensors = make_tensors(G_SHAPES, 6, special=False)
        src = self.path("g.pt")
        write_zip_state_dict(src, tensors)
        with zipfile.ZipFile(src) as z:
            records = {n: z.read(n) for n in z.namelist()}
        records["archive/data/3"] = records["archive/data/3"][:-4]
        with zipfile.ZipFile(src, "w") as z:
            for n, d in records.items():
                z.writestr(n, d)
        self.assertOneLineError(run_tool(src, self.path("o.safetensors")), "archive/data/3")

    def test_plain_pickle_of_other_things(self):
        with open(self.path("list.pkl"), "wb") as f:
            f.write(emit([1, 2, 3]))
        self.assertOneLineError(run_tool(self.path("list.pkl"), self.path("o.safetensors")), "list")
        with open(self.path("rosinality.pt"), "wb") as f:
            f.write(emit({"g_ema": {}, "g": {}, "d": {}}))
        self.assertOneLineError(run_tool(self.path("rosinality.pt"), self.path("o.safetensors")), "rosinality")

    def test_destination_problems(self):
        tensors = make_tensors(G_SHAPES, 7)
        src = self.path("g.pt")
        write_zip_state_dict(src, tensors)
        self.assertOneLineError(run_tool(src, self.path("no/such/dir/o.safetensors")), "destination")
        self.assertOneLineError(run_tool(src, self.dir), "folder")

    def test_bad_command_line(self):
        self.assertOneLineError(run_tool("a.pt"), "command line")
        self.assertOneLineError(run_tool("a.pt", "b.safetensors", "--module", "X"), "command line")


# ---------------------------------------------------------------------------
# A network pickle as stylegan2-ada-pytorch writes it (pickle.dump of a dict whose
# modules pickle through torch_utils.persistence).

def easydict(**items):
    return NewObj(Global("dnnlib.util", "EasyDict"), items)


def numpy_float64(value):
    dtype = Reduce(Global("numpy", "dtype"), ("f8", False, True), state=(3, "<", None, None, None, -1, -1, 0))
    return Reduce(Global("numpy.core.multiarray", "scalar"), (dtype, struct.pack("<d", value)))


def parameter(t):
    storage = Reduce(Global("torch.storage", "_load_from_bytes"), (legacy_storage_bytes(t),))
    return Reduce(Global("torch._utils", "_rebuild_parameter"), (rebuild(storage, t), True, ODict([])))


def buffer(t):
    storage = Reduce(Global("torch.storage", "_load_from_bytes"), (legacy_storage_bytes(t),))
    return rebuild(storage, t)


def persistent_tree(class_name, tensors, init_kwargs):
    """Nests flat state_dict keys into persistent modules, as torch_utils.persistence pickles them."""
    def node(prefix, names, kwargs, cls):
        params, buffers, children = [], [], collections.OrderedDict()
        for name in names:
            head, _, rest = name.partition(".")
            if rest:
                children.setdefault(head, []).append(rest)
            elif head in BUFFERS:
                buffers.append((head, buffer(tensors[prefix + name])))
            else:
                params.append((head, parameter(tensors[prefix + name])))
        state = {
            "training": False,
            "_parameters": ODict(params),
            "_buffers": ODict(buffers),
            "_non_persistent_buffers_set": Reduce(Global("builtins", "set"), ([],)),
            "_modules": ODict([(k, node(prefix + k + ".", v, {}, "Layer")) for k, v in children.items()]),
            "_init_args": (),
            "_init_kwargs": kwargs,
            "weight_gain": numpy_float64(0.5),
        }
        meta = {"type": "class", "version": 6, "module_src": "# source of training/networks.py\n",
                "class_name": cls, "state": state}
        return Reduce(Global("torch_utils.persistence", "_reconstruct_persistent_obj"), (meta,))

    return node("", list(tensors), init_kwargs, class_name)


G_KWARGS = {"z_dim": 3, "w_dim": 4,
            "mapping_kwargs": easydict(num_layers=2),
            "synthesis_kwargs": easydict(channel_base=32, channel_max=8, num_fp16_res=1, conv_clamp=256),
            "c_dim": 0, "img_resolution": 8, "img_channels": 3}
D_KWARGS = {"c_dim": 0, "img_resolution": 8, "img_channels": 3, "architecture": "resnet",
            "channel_base": 32, "channel_max": 8, "num_fp16_res": 1, "conv_clamp": 256,
            "block_kwargs": easydict(), "mapping_kwargs": easydict(),
            "epilogue_kwargs": easydict(mbstd_group_size=4)}


def plain_kwargs(kwargs):
    return json.loads(json.dumps(kwargs, default=lambda o: o.items))


class PickleTests(Base):
    def write_pkl(self, g_kwargs=G_KWARGS, name="network-snapshot-000100.pkl"):
        g = make_tensors(G_SHAPES, 11)
        d = make_tensors(D_SHAPES, 12, special=False)
        g_ema = make_tensors(G_SHAPES, 13)
        snapshot = {
            "training_set_kwargs": {"class_name": "training.dataset.ImageFolderDataset", "path": "x.zip"},
            "G": persistent_tree("Generator", g, g_kwargs),
            "D": persistent_tree("Discriminator", d, D_KWARGS),
            "G_ema": persistent_tree("Generator", g_ema, g_kwargs),
            "augment_pipe": None,
        }
        src = self.path(name)
        with open(src, "wb") as f:
            f.write(emit(snapshot, proto=4))
        return src, g, d, g_ema

    def test_network_pickle(self):
        src, g, d, g_ema = self.write_pkl()
        dst = self.path("net.safetensors")
        code, out, err = run_tool(src, dst)
        self.assertEqual(code, 0, err)
        self.assertIn("G_ema: 8x8", out)
        n, meta, got, _h, _l = read_safetensors(dst)
        self.assertEqual(n % 8, 0)
        self.assertEqual([k.split(".")[0] for k in got][:1], ["G"])
        self.assertTensors(got, "G", g)
        self.assertTensors(got, "D", d)
        self.assertTensors(got, "G_ema", g_ema)
        self.assertEqual(len(got), len(g) + len(d) + len(g_ema))
        self.assertEqual(got["G_ema.synthesis.b8.conv0.noise_strength"][0]["shape"], [])
        self.assertEqual(meta["sgan.source"], "network-snapshot-000100.pkl")
        self.assertEqual(json.loads(meta["sgan.G_kwargs"]), plain_kwargs(G_KWARGS))
        self.assertEqual(json.loads(meta["sgan.D_kwargs"]), plain_kwargs(D_KWARGS))

    def test_module_selection(self):
        src, _g, _d, g_ema = self.write_pkl()
        dst = self.path("g_ema.safetensors")
        code, _out, err = run_tool(src, dst, "--module", "G_ema")
        self.assertEqual(code, 0, err)
        _n, meta, got, _h, _l = read_safetensors(dst)
        self.assertEqual(len(got), len(g_ema))
        self.assertTensors(got, "G_ema", g_ema)
        self.assertNotIn("sgan.D_kwargs", meta)

    def test_option_against_pickle(self):
        src, _g, _d, _ge = self.write_pkl()
        self.assertOneLineError(run_tool(src, self.path("o.safetensors"), "--conv-clamp", "none"),
                                "--conv-clamp none", "conv_clamp = 256")
        code, _out, err = run_tool(src, self.path("o.safetensors"), "--channel-base", "32")
        self.assertEqual(code, 0, err)

    def test_inconsistent_pickle(self):
        bad = dict(G_KWARGS, img_resolution=16)
        src, _g, _d, _ge = self.write_pkl(g_kwargs=bad)
        self.assertOneLineError(run_tool(src, self.path("o.safetensors")), "img_resolution = 16")
        bad = dict(G_KWARGS, synthesis_kwargs=easydict(channel_base=64, channel_max=8))
        src, _g, _d, _ge = self.write_pkl(g_kwargs=bad)
        self.assertOneLineError(run_tool(src, self.path("o.safetensors")), "channel_base 64")
        self.assertNoLeftovers()


# ---------------------------------------------------------------------------
# pytorch-fid's FID Inception-v3 state_dict (torchvision Inception3, num_classes=1008,
# aux_logits=False): full size, 23.8M floats, storages written as raw bytes.

def brief_inception_convs():
    """The BasicConv2d list as pytorch-fid's network has it: (name, in, out, (KH, KW))."""
    out = [("Conv2d_1a_3x3", 3, 32, (3, 3)), ("Conv2d_2a_3x3", 32, 32, (3, 3)),
           ("Conv2d_2b_3x3", 32, 64, (3, 3)), ("Conv2d_3b_1x1", 64, 80, (1, 1)),
           ("Conv2d_4a_3x3", 80, 192, (3, 3))]
    for n, c, pool in (("Mixed_5b", 192, 32), ("Mixed_5c", 256, 64), ("Mixed_5d", 288, 64)):
        out += [(n + "." + b, i, o, k) for b, i, o, k in (
            ("branch1x1", c, 64, (1, 1)), ("branch5x5_1", c, 48, (1, 1)), ("branch5x5_2", 48, 64, (5, 5)),
            ("branch3x3dbl_1", c, 64, (1, 1)), ("branch3x3dbl_2", 64, 96, (3, 3)),
            ("branch3x3dbl_3", 96, 96, (3, 3)), ("branch_pool", c, pool, (1, 1)))]
    out += [("Mixed_6a." + b, i, o, k) for b, i, o, k in (
        ("branch3x3", 288, 384, (3, 3)), ("branch3x3dbl_1", 288, 64, (1, 1)),
        ("branch3x3dbl_2", 64, 96, (3, 3)), ("branch3x3dbl_3", 96, 96, (3, 3)))]
    for n, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        out += [(n + "." + b, i, o, k) for b, i, o, k in (
            ("branch1x1", 768, 192, (1, 1)), ("branch7x7_1", 768, c7, (1, 1)), ("branch7x7_2", c7, c7, (1, 7)),
            ("branch7x7_3", c7, 192, (7, 1)), ("branch7x7dbl_1", 768, c7, (1, 1)),
            ("branch7x7dbl_2", c7, c7, (7, 1)), ("branch7x7dbl_3", c7, c7, (1, 7)),
            ("branch7x7dbl_4", c7, c7, (7, 1)), ("branch7x7dbl_5", c7, 192, (1, 7)),
            ("branch_pool", 768, 192, (1, 1)))]
    out += [("Mixed_7a." + b, i, o, k) for b, i, o, k in (
        ("branch3x3_1", 768, 192, (1, 1)), ("branch3x3_2", 192, 320, (3, 3)),
        ("branch7x7x3_1", 768, 192, (1, 1)), ("branch7x7x3_2", 192, 192, (1, 7)),
        ("branch7x7x3_3", 192, 192, (7, 1)), ("branch7x7x3_4", 192, 192, (3, 3)))]
    for n, c in (("Mixed_7b", 1280), ("Mixed_7c", 2048)):
        out += [(n + "." + b, i, o, k) for b, i, o, k in (
            ("branch1x1", c, 320, (1, 1)), ("branch3x3_1", c, 384, (1, 1)),
            ("branch3x3_2a", 384, 384, (1, 3)), ("branch3x3_2b", 384, 384, (3, 1)),
            ("branch3x3dbl_1", c, 448, (1, 1)), ("branch3x3dbl_2", 448, 384, (3, 3)),
            ("branch3x3dbl_3a", 384, 384, (1, 3)), ("branch3x3dbl_3b", 384, 384, (3, 1)),
            ("branch_pool", c, 192, (1, 1)))]
    return out


SWIFT_INCEPTION = os.path.join(os.path.dirname(HERE), "Sources", "Metrics", "InceptionV3.swift")


def swift_inception_convs(text):
    """InceptionV3.convs as the Swift source builds it: its add(...) calls, loops expanded."""
    body = text[text.index("static let convs"):]
    body = body[:body.index("return specs")]
    add = re.compile(r'^\s*add\("([^"]+)", (\w+), (\w+), \((\d+), (\d+)\)')
    loop = re.compile(r'^\s*for \(([^)]*)\) in (\[.*\]) \{\s*$')
    out, current = [], None

    def expand(template, env):
        name, i, o, kh, kw = template
        for var, value in env.items():
            name = name.replace("\\(%s)" % var, str(value))
        return (name, env.get(i, i if not i.isdigit() else int(i)),
                env.get(o, o if not o.isdigit() else int(o)), (int(kh), int(kw)))

    for line in body.splitlines():
        m = loop.match(line)
        if m:
            current = ([v.strip() for v in m.group(1).split(",")], ast.literal_eval(m.group(2)), [])
            continue
        m = add.match(line)
        if m:
            if current:
                current[2].append(m.groups())
            else:
                out.append(expand(m.groups(), {}))
        elif line.strip() == "}" and current:
            names, rows, templates = current
            for row in rows:
                out += [expand(t, dict(zip(names, row))) for t in templates]
            current = None
    return out


def inception_state_dict(num_batches_tracked=True, fc=True):
    """Every tensor in torchvision's state_dict order; float values k + 0.5, -k - 0.25, k / 64,
    1 + k repeated (k: the tensor's index), so that each tensor's bytes are its own."""
    out = collections.OrderedDict()
    k = 0

    def add(name, shape):
        nonlocal k
        n = 1
        for s in shape:
            n *= s
        pattern = struct.pack("<4f", k + 0.5, -k - 0.25, k / 64.0, 1.0 + k)
        out[name] = T(shape, None, raw=(pattern * (n // 4 + 1))[:4 * n])
        k += 1

    for name, n_in, n_out, (kh, kw) in brief_inception_convs():
        add(name + ".conv.weight", (n_out, n_in, kh, kw))
        for part in ("weight", "bias", "running_mean", "running_var"):
            add("%s.bn.%s" % (name, part), (n_out,))
        if num_batches_tracked:
            out[name + ".bn.num_batches_tracked"] = T((), [0], "LongStorage")
    if fc:
        add("fc.weight", (1008, 2048))
        add("fc.bias", (1008,))
    return out


def write_zip_views(path, tensors):
    """torch.save of float32 tensors that are all views at offset 0 of one storage (as large as
    the largest): a valid file of a twelfth of the size, for the tests that are refused before
    any data is read."""
    numel = max(len(t.raw) // 4 for t in tensors.values())
    storage = PersId(("storage", Global("torch", "FloatStorage"), "0", "cpu", numel))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", emit(ODict((name, rebuild(storage, t)) for name, t in tensors.items())))
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/data/0", bytes(4 * numel))
        z.writestr("archive/version", "3\n")


def read_safetensors_raw(path):
    """(metadata, {name: (info, bytes)}) without unpacking the floats."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__")
    data = memoryview(blob)[8 + n:]
    tensors = collections.OrderedDict()
    for name, info in header.items():
        b, e = info["data_offsets"]
        tensors[name] = (info, data[b:e])
    return meta, tensors, len(data)


class InceptionTests(Base):
    @classmethod
    def setUpClass(cls):
        cls.tensors = inception_state_dict()

    def kept(self, tensors):
        return collections.OrderedDict((k, t) for k, t in tensors.items() if not (
            k.startswith("fc.") or k.startswith("AuxLogits.") or k.endswith(".num_batches_tracked")))

    def assertConverted(self, src, dst, tensors, check_digest=True):
        meta, got, data_len = read_safetensors_raw(dst)
        kept = self.kept(tensors)
        self.assertEqual(list(got), list(kept))
        offset = 0
        for name, (info, data) in got.items():
            self.assertEqual(info["dtype"], "F32", name)
            self.assertEqual(tuple(info["shape"]), kept[name].shape, name)
            self.assertEqual(info["data_offsets"][0], offset, name)
            offset = info["data_offsets"][1]
            self.assertTrue(data == kept[name].raw, name)
        self.assertEqual(offset, data_len)
        digest = meta.get("source_sha256", "")
        if check_digest:
            with open(src, "rb") as f:
                self.assertEqual(digest, hashlib.sha256(f.read()).hexdigest())
        self.assertRegex(digest, "^[0-9a-f]{64}$")
        self.assertEqual(meta, {"format": "pytorch-fid-inception-v3", "format_version": "1",
                                "source": os.path.basename(src), "source_sha256": digest})
        self.assertNoLeftovers()
        return meta

    def test_tables_agree(self):
        self.assertEqual(conv.INCEPTION_CONVS, brief_inception_convs())
        self.assertEqual(len(conv.INCEPTION_CONVS), 94)
        if not os.path.exists(SWIFT_INCEPTION):
            self.skipTest("no %s" % SWIFT_INCEPTION)
        with open(SWIFT_INCEPTION, encoding="utf-8") as f:
            self.assertEqual(swift_inception_convs(f.read()), conv.INCEPTION_CONVS)

    def test_full_state_dict(self):
        src, dst = self.path("pt_inception-2015-12-05-6726825d.pth"), self.path("inception.safetensors")
        write_zip_state_dict(src, self.tensors)
        code, out, err = run_tool(src, dst)
        self.assertEqual(code, 0, err)
        self.assertIn("pytorch-fid Inception-v3, 94 convolutions, 470 tensors", out)
        self.assertIn("96 unused tensors left out", out)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)  # a made-up file is not the published one
        self.assertTrue(lines[0].startswith("warning: "), err)
        for needle in ("6726825d", "not comparable"):
            self.assertIn(needle, lines[0])
        prefix = self.assertConverted(src, dst, self.tensors)["source_sha256"][:8]

        # The published file's hash prefix: no warning, and the summary says it matched.
        saved, conv.INCEPTION_SHA256_PREFIX = conv.INCEPTION_SHA256_PREFIX, prefix
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = conv.main([src, dst])
        finally:
            conv.INCEPTION_SHA256_PREFIX = saved
        self.assertEqual((code, err.getvalue()), (0, ""))
        self.assertIn("SHA-256 begins %s" % prefix, out.getvalue())
        self.assertIn("pytorch-fid's weights", out.getvalue())

    def test_legacy_file_without_num_batches_tracked(self):
        tensors = inception_state_dict(num_batches_tracked=False)
        tensors["AuxLogits.conv0.conv.weight"] = T((2, 2), [1, 2, 3, 4])
        src, dst = self.path("old.pth"), self.path("inception.safetensors")
        write_legacy_state_dict(src, tensors)
        code, out, err = run_tool(src, dst)
        self.assertEqual(code, 0, err)
        self.assertIn("3 unused tensors left out (fc.*, AuxLogits.*)", out)
        self.assertConverted(src, dst, tensors, check_digest=False)

    def assertRefused(self, tensors, *needles, options=()):
        src, dst = self.path("bad.pth"), self.path("inception.safetensors")
        write_zip_views(src, collections.OrderedDict((k, t) for k, t in tensors.items() if t.raw is not None))
        line = self.assertOneLineError(run_tool(src, dst, *options), *needles)
        self.assertFalse(os.path.exists(dst))
        self.assertNoLeftovers()
        return line

    def test_missing_tensor(self):
        tensors = collections.OrderedDict(self.tensors)
        del tensors["Mixed_7c.branch_pool.bn.running_var"]
        self.assertRefused(tensors, "tensor Mixed_7c.branch_pool.bn.running_var is missing", "bad.pth",
                           "pt_inception-2015-12-05-6726825d.pth")

    def test_wrong_shape(self):
        tensors = collections.OrderedDict(self.tensors)
        t = tensors["Mixed_6b.branch7x7_2.conv.weight"]  # a 1x7 kernel stored as 7x1
        tensors["Mixed_6b.branch7x7_2.conv.weight"] = T((128, 128, 7, 1), None, raw=t.raw)
        self.assertRefused(tensors, "tensor Mixed_6b.branch7x7_2.conv.weight has shape [128, 128, 7, 1]",
                           "[128, 128, 1, 7]", "bad.pth")

    def test_unexpected_tensor(self):
        tensors = collections.OrderedDict(self.tensors)
        tensors["Mixed_7c.branch_extra.conv.weight"] = T((2, 2), None, raw=bytes(16))
        self.assertRefused(tensors, "tensor Mixed_7c.branch_extra.conv.weight is not part of", "bad.pth")

    def test_stylegan_options_refused(self):
        # The options are checked first: one Inception tensor is enough to be recognised.
        tensors = collections.OrderedDict([("Conv2d_1a_3x3.conv.weight", self.tensors["Conv2d_1a_3x3.conv.weight"])])
        self.assertRefused(tensors, "--module", "Inception-v3", "command line", options=("--module", "G_ema"))
        self.assertRefused(tensors, "--conv-clamp and --resolution", "leave",
                           options=("--resolution", "256", "--conv-clamp", "256"))


class UnitTests(unittest.TestCase):
    def test_decoders(self):
        self.assertEqual(list(conv._decode(struct.pack("<2e", 1.5, -0.25), "float16", "little")), [1.5, -0.25])
        self.assertEqual(list(conv._decode(struct.pack(">2e", 1.5, -0.25), "float16", "big")), [1.5, -0.25])
        self.assertEqual(list(conv._decode(struct.pack("<f", 3.0)[2:], "bfloat16", "little")), [3.0])
        self.assertEqual(list(conv._decode(struct.pack("<2d", 0.1, 1e300), "float64", "little")),
                         [f32([0.1])[0], float("inf")])
        self.assertEqual(list(conv._decode(struct.pack(">f", 2.5), "float32", "big")), [2.5])

    def test_gather(self):
        from array import array
        storage = array("f", range(24))  # a [2,3,4] tensor permuted to [4,3,2]
        got = conv._gather(storage, (4, 3, 2), (1, 4, 12))
        want = [float(k * 1 + j * 4 + i * 12) for k in range(4) for j in range(3) for i in range(2)]
        self.assertEqual(list(got), want)
        self.assertEqual(list(conv._gather(array("f", [7.0]), (3,), (0,))), [7.0, 7.0, 7.0])
        self.assertTrue(conv._contiguous((1, 3), (99, 1)))
        self.assertFalse(conv._contiguous((3, 2), (1, 3)))

    def test_expected_shapes_match_test_layout(self):
        g = conv.expected_shapes("G", plain_kwargs(G_KWARGS), "G", "test")
        self.assertEqual(dict(g), dict(G_SHAPES))
        d = conv.expected_shapes("D", plain_kwargs(D_KWARGS), "D", "test")
        self.assertEqual(dict(d), dict(D_SHAPES))


if __name__ == "__main__":
    unittest.main()

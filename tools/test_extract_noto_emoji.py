#!/usr/bin/env python3
"""Tests for tools/extract_noto_emoji.py; standard library only.

Builds small fonts itself (sfnt header and table directory, cmap with format 4 and 12
subtables, a GSUB ligature, CBLC with one strike, CBDT holding PNGs this file encodes with
every filter type), runs the extractor on them, and reads the PNGs it writes back with a
decoder of its own. If Debian's fonts-noto-color-emoji is installed, it also extracts five
glyphs of the real font.

Run: python3 -m unittest tools/test_extract_noto_emoji.py   (or python3 tools/test_extract_noto_emoji.py)
"""

import importlib.util
import os
import random
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "extract_noto_emoji.py")
NOTO = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"

_spec = importlib.util.spec_from_file_location("extract_noto_emoji", TOOL)
ex = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ex)


# ---------------------------------------------------------------------------
# PNG writing and reading, independent of the tool


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter(kind, line, prev, bpp):
    out = bytearray([kind])
    for i, x in enumerate(line):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = (0, a, b, (a + b) >> 1, _paeth(a, b, c))[kind]
        out.append((x - pred) & 0xFF)
    return out


def make_png(width, height, color, depth, rows, palette=None, trns=None, filters=(0, 1, 2, 3, 4)):
    """A PNG of packed sample rows (bytes each); row y uses filter filters[y % len(filters)]."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    bpp = max(1, channels * depth // 8)
    raw, prev = bytearray(), bytes(len(rows[0]))
    for y, line in enumerate(rows):
        raw += _filter(filters[y % len(filters)], line, prev, bpp)
        prev = line
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0))
    if palette is not None:
        png += _chunk(b"PLTE", b"".join(bytes(p) for p in palette))
    if trns is not None:
        png += _chunk(b"tRNS", bytes(trns))
    data = zlib.compress(bytes(raw))
    png += _chunk(b"IDAT", data[:5]) + _chunk(b"IDAT", data[5:])  # two IDAT chunks
    return png + _chunk(b"IEND", b"")


def pack(samples, depth):
    """Sub-byte samples packed into bytes, most significant first."""
    out, per = bytearray(), 8 // depth
    for i in range(0, len(samples), per):
        byte = 0
        for k in range(per):
            v = samples[i + k] if i + k < len(samples) else 0
            byte |= v << (8 - depth * (k + 1))
        out.append(byte)
    return bytes(out)


def read_png(data):
    """(width, height, colour type, bit depth, interlace, pixels) of an 8-bit PNG without a palette."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack_from(">I", data, pos + 8 + length)[0]
        assert crc == zlib.crc32(kind + body), "bad CRC"
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = ihdr
    assert depth == 8 and color in (0, 2, 4, 6)
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw, stride = zlib.decompress(idat), width * bpp
    out, prev = bytearray(), bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            c = prev[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + (0, a, prev[i], (a + prev[i]) >> 1, _paeth(a, prev[i], c))[kind]) & 0xFF
        out += line
        prev = line
    return width, height, color, depth, interlace, bytes(out)


def png_dims(data):
    return struct.unpack_from(">II", data, 16)


# The glyphs of the test fonts ------------------------------------------------

RED, CLEAR = (255, 0, 0, 255), (0, 0, 0, 0)
# glyph 1: 8x6 RGBA, left half opaque red, right half fully transparent
G1_PIXELS = [[RED if x < 4 else CLEAR for x in range(8)] for y in range(6)]
G1 = make_png(8, 6, 6, 8, [bytes(v for p in row for v in p) for row in G1_PIXELS])
# glyph 2: 4x4 palette, 2 bits a pixel; entry 0 orange at a quarter opacity, 1 blue, 2 transparent,
# 3 green (no tRNS entry: opaque)
G2_PALETTE = [(200, 100, 0), (0, 0, 255), (10, 20, 30), (0, 255, 0)]
G2_INDEX = [[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]]
G2 = make_png(4, 4, 3, 2, [pack(row, 2) for row in G2_INDEX], palette=G2_PALETTE, trns=[64, 255, 0])
# over white: c * 64/255 + 255 * 191/255, rounded
G2_RGB = {0: (241, 216, 191), 1: (0, 0, 255), 2: (255, 255, 255), 3: (0, 255, 0)}
# glyph 3: 6x6 RGB gradient; glyph 4: 2x4 gray at 4 bits
G3 = make_png(6, 6, 2, 8, [bytes(v for x in range(6) for v in (40 * x, 40 * y, 200)) for y in range(6)])
G4 = make_png(2, 4, 0, 4, [pack([y * 4, 15], 4) for y in range(4)])
GLYPHS = {1: G1, 2: G2, 3: G3, 4: G4}
CMAP4 = {0x263A: 1}
CMAP12 = {0x1F600: 2}
LIGATURES = [((2, 1), 3)]
NAMES = {1: "263A.png", 2: "1F600.png", 3: "1F600_263A.png", 4: "glyph00004.png"}


# ---------------------------------------------------------------------------
# Font building


def cmap_table(cmap4, cmap12):
    subtables = []
    if cmap4 is not None:
        # one segment per code (idDelta; the first through idRangeOffset), then the 0xFFFF segment
        codes = sorted(cmap4)
        segs = len(codes) + 1
        ends = codes + [0xFFFF]
        deltas = [0] + [(cmap4[c] - c) & 0xFFFF for c in codes[1:]] + [1]
        glyph_array_at = 16 + 8 * segs  # offset of glyphIdArray in the subtable
        ranges = []
        for i in range(segs):
            if i == 0 and codes:
                ranges.append(glyph_array_at - (16 + 6 * segs + 2 * i))
            else:
                ranges.append(0)
        glyph_array = [cmap4[codes[0]]] if codes else []
        body = struct.pack(">HHHH", 2 * segs, 0, 0, 0)
        body += struct.pack(">%dH" % segs, *ends) + b"\0\0" + struct.pack(">%dH" % segs, *ends)
        body += struct.pack(">%dH" % segs, *deltas) + struct.pack(">%dH" % segs, *ranges)
        body += struct.pack(">%dH" % len(glyph_array), *glyph_array)
        subtables.append((3, 1, struct.pack(">HHH", 4, 6 + len(body), 0) + body))
    if cmap12 is not None:
        groups = b"".join(struct.pack(">III", c, c, g) for c, g in sorted(cmap12.items()))
        subtables.append((3, 10, struct.pack(">HHIII", 12, 0, 16 + len(groups), 0, len(cmap12)) + groups))
    head = struct.pack(">HH", 0, len(subtables))
    offset, records, bodies = 4 + 8 * len(subtables), b"", b""
    for platform, encoding, body in subtables:
        records += struct.pack(">HHI", platform, encoding, offset + len(bodies))
        bodies += body
    return head + records + bodies


def gsub_table(ligatures, extension=False):
    by_first = {}
    for components, glyph in ligatures:
        by_first.setdefault(components[0], []).append((components, glyph))
    firsts = sorted(by_first)
    coverage = struct.pack(">HH%dH" % len(firsts), 1, len(firsts), *firsts)
    sets = []
    for first in firsts:
        ligs = [struct.pack(">HH", g, len(c)) + struct.pack(">%dH" % (len(c) - 1), *c[1:]) for c, g in by_first[first]]
        at, offs = 2 + 2 * len(ligs), []
        for lig in ligs:
            offs.append(at)
            at += len(lig)
        sets.append(struct.pack(">H%dH" % len(ligs), len(ligs), *offs) + b"".join(ligs))
    head_len = 6 + 2 * len(sets)
    cov_at = head_len
    at, set_offs = cov_at + len(coverage), []
    for s in sets:
        set_offs.append(at)
        at += len(s)
    subtable = struct.pack(">HHH%dH" % len(sets), 1, cov_at, len(sets), *set_offs) + coverage + b"".join(sets)
    if extension:
        subtable = struct.pack(">HHI", 1, 4, 8) + subtable
    lookup = struct.pack(">HHHH", 7 if extension else 4, 0, 1, 8) + subtable
    lookup_list = struct.pack(">HH", 1, 4) + lookup
    script_list, feature_list = struct.pack(">H", 0), struct.pack(">H", 0)
    return (struct.pack(">HHHHH", 1, 0, 10, 12, 14) + script_list + feature_list + lookup_list)


def glyph_record(image_format, png):
    if image_format == 17:
        w, h = png_dims(png)
        return struct.pack(">BBbbB", h, w, 0, h, w) + struct.pack(">I", len(png)) + png
    if image_format == 18:
        w, h = png_dims(png)
        return struct.pack(">BBbbBbbB", h, w, 0, h, w, 0, 0, h) + struct.pack(">I", len(png)) + png
    if image_format == 19:
        return struct.pack(">I", len(png)) + png
    return png  # any other format: the bytes as given


def bitmap_tables(subtables):
    """(CBLC, CBDT) of one strike; subtables: [(index format, image format, {gid: png})]."""
    cbdt = bytearray(struct.pack(">HH", 3, 0))
    bodies = []
    for index_format, image_format, glyphs in subtables:
        gids = sorted(glyphs)
        records = [glyph_record(image_format, glyphs[g]) for g in gids]
        if index_format in (2, 5):  # constant image size: pad every record to the largest
            size = max(len(r) for r in records)
            records = [r + b"\0" * (size - len(r)) for r in records]
        data_at = len(cbdt)
        offs, at = [], 0
        for r in records:
            offs.append(at)
            at += len(r)
        offs.append(at)
        cbdt += b"".join(records)
        head = struct.pack(">HHI", index_format, image_format, data_at)
        metrics = struct.pack(">BBbbBbbB", 6, 8, 0, 6, 8, 0, 0, 6)
        if index_format == 1:
            body = struct.pack(">%dI" % len(offs), *offs)
        elif index_format == 3:
            body = struct.pack(">%dH" % len(offs), *offs)
            if len(body) % 4:
                body += b"\0\0"
        elif index_format == 2:
            assert gids == list(range(gids[0], gids[-1] + 1))
            body = struct.pack(">I", size) + metrics
        elif index_format == 4:
            pairs = [v for g, o in zip(gids + [0], offs) for v in (g, o)]
            body = struct.pack(">I", len(gids)) + struct.pack(">%dH" % len(pairs), *pairs)
        elif index_format == 5:
            body = struct.pack(">I", size) + metrics + struct.pack(">I%dH" % len(gids), len(gids), *gids)
            if len(body) % 4:
                body += b"\0\0"
        bodies.append((gids[0], gids[-1], head + body))
    array_at = 8 + 48
    at = 8 * len(bodies)
    array, subs = b"", b""
    for first, last, body in bodies:
        array += struct.pack(">HHI", first, last, at + len(subs))
        subs += body
    all_gids = [g for _, _, glyphs in subtables for g in glyphs]
    line_metrics = struct.pack(">bbBbbbbbbbbb", 100, -9, 136, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    size_record = (struct.pack(">IIII", array_at, len(array) + len(subs), len(bodies), 0) + line_metrics * 2
                   + struct.pack(">HHBBBb", min(all_gids), max(all_gids), 109, 109, 32, 1))
    assert len(size_record) == 48
    cblc = struct.pack(">HHI", 3, 0, 1) + size_record + array + subs
    return bytes(cblc), bytes(cbdt)


def sfnt(tables, base=0):
    """A font file of {tag: bytes}; base: where it starts in the file (inside a .ttc)."""
    tags = sorted(tables)
    n = len(tags)
    power = 1 << (n.bit_length() - 1)
    head = struct.pack(">IHHHH", 0x00010000, n, 16 * power, power.bit_length() - 1, 16 * n - 16 * power)
    offset = base + 12 + 16 * n
    directory, body = b"", b""
    for tag in tags:
        data = tables[tag]
        padded = data + b"\0" * (-len(data) % 4)
        checksum = sum(struct.unpack(">%dI" % (len(padded) // 4), padded)) & 0xFFFFFFFF
        directory += struct.pack(">4sIII", tag.encode("latin-1"), checksum, offset + len(body), len(data))
        body += padded
    return head + directory + body


def build_font(subtables=None, cmap4=CMAP4, cmap12=CMAP12, ligatures=LIGATURES, extension=False, omit=(),
               collection=False):
    if subtables is None:
        subtables = [(1, 17, GLYPHS)]
    cblc, cbdt = bitmap_tables(subtables)
    tables = {"cmap": cmap_table(cmap4, cmap12), "CBLC": cblc, "CBDT": cbdt,
              "head": b"\0" * 54, "maxp": struct.pack(">IH", 0x5000, 5)}
    if ligatures:
        tables["GSUB"] = gsub_table(ligatures, extension)
    for tag in omit:
        tables.pop(tag, None)
    if collection:  # a .ttc holding this one font
        return struct.pack(">4sHHII", b"ttcf", 1, 0, 1, 16) + sfnt(tables, 16)
    return sfnt(tables)


# ---------------------------------------------------------------------------


def run_tool(*args):
    p = subprocess.run([sys.executable, TOOL] + [str(a) for a in args],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


class Temp(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.tmp = self._dir.name

    def tearDown(self):
        self._dir.cleanup()

    def font(self, data, name="test.ttf"):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def listing(self, out):
        return sorted(os.listdir(out))


class TestExtract(Temp):
    def test_as_stored(self):
        font, out = self.font(build_font()), os.path.join(self.tmp, "out")
        rc, stdout, stderr = run_tool("--font", font, "--out", out)
        self.assertEqual((rc, stderr), (0, ""))
        self.assertEqual(self.listing(out), sorted(NAMES.values()))
        for gid, name in NAMES.items():
            with open(os.path.join(out, name), "rb") as f:
                self.assertEqual(f.read(), GLYPHS[gid], name)
        self.assertIn("wrote 4 PNG files", stdout)
        self.assertIn("as stored", stdout)
        self.assertIn("8x6: 1", stdout)
        self.assertIn("named by code point: 2, by sequence: 1, by glyph id: 1", stdout)
        self.assertIn("skipped 0", stdout)

    def test_resolution(self):
        font, out = self.font(build_font()), os.path.join(self.tmp, "out")
        rc, stdout, stderr = run_tool("--font", font, "--out", out, "--resolution", 4)
        self.assertEqual((rc, stderr), (0, ""))
        self.assertEqual(self.listing(out), sorted(NAMES.values()))
        self.assertIn("4x4 RGB on white", stdout)
        images = {}
        for name in NAMES.values():
            with open(os.path.join(out, name), "rb") as f:
                w, h, color, depth, interlace, pixels = read_png(f.read())
            self.assertEqual((w, h, color, depth, interlace), (4, 4, 2, 8, 0), name)
            images[name] = [tuple(pixels[i:i + 3]) for i in range(0, len(pixels), 3)]
        # glyph 1: 8x6 padded to 8x8 (a white row above and below), halved: left red, right white,
        # the top and bottom rows half white
        white, red, pink = (255, 255, 255), (255, 0, 0), (255, 128, 128)
        self.assertEqual(images["263A.png"], [pink, pink, white, white, red, red, white, white,
                                              red, red, white, white, pink, pink, white, white])
        # glyph 2: 4x4 palette, already square: composited over white, not resized
        self.assertEqual(images["1F600.png"], [G2_RGB[i] for row in G2_INDEX for i in row])
        # glyph 3: 6x6 RGB resized to 4x4 by area: output pixel 0 covers 1.5x1.5 source pixels
        r = round((0 * 1.0 + 40 * 0.5) / 1.5)
        self.assertEqual(images["1F600_263A.png"][0], (r, r, 200))
        # glyph 4: 2x4 gray (0, 4, 8, 12 of 15 on the left; 15 on the right) padded to 4x4
        col = [v * 17 for v in (0, 4, 8, 12)]
        expected = [(255,) * 3 if x in (0, 3) else ((col[y],) * 3 if x == 1 else (255,) * 3)
                    for y in range(4) for x in range(4)]
        self.assertEqual(images["glyph00004.png"], expected)

    def test_index_and_image_formats(self):
        consecutive = {g: GLYPHS[g] for g in (1, 2, 3, 4)}
        for index_format in (1, 2, 3, 4, 5):
            for image_format in (17, 18, 19):
                with self.subTest(index_format=index_format, image_format=image_format):
                    font = self.font(build_font([(index_format, image_format, consecutive)]),
                                     "f%d_%d.ttf" % (index_format, image_format))
                    out = os.path.join(self.tmp, "out%d_%d" % (index_format, image_format))
                    rc, stdout, stderr = run_tool("--font", font, "--out", out)
                    self.assertEqual((rc, stderr), (0, ""))
                    self.assertEqual(self.listing(out), sorted(NAMES.values()))
                    for gid, name in NAMES.items():
                        with open(os.path.join(out, name), "rb") as f:
                            self.assertEqual(f.read(), GLYPHS[gid])

    def test_two_subtables_and_a_bitmap_that_is_not_png(self):
        subtables = [(3, 17, {1: G1, 2: G2}), (1, 1, {3: b"\x01\x02\x03\x04\x05\x06\x07\x08"}), (5, 19, {4: G4})]
        font, out = self.font(build_font(subtables)), os.path.join(self.tmp, "out")
        rc, stdout, stderr = run_tool("--font", font, "--out", out)
        self.assertEqual((rc, stderr), (0, ""))
        self.assertEqual(self.listing(out), ["1F600.png", "263A.png", "glyph00004.png"])
        self.assertIn("skipped 1: 1 image format 1 (not PNG)", stdout)

    def test_gsub_extension_lookup(self):
        font, out = self.font(build_font(extension=True)), os.path.join(self.tmp, "out")
        rc, stdout, stderr = run_tool("--font", font, "--out", out)
        self.assertEqual((rc, stderr), (0, ""))
        self.assertIn("1F600_263A.png", self.listing(out))

    def test_font_collection(self):
        font, out = self.font(build_font(collection=True), "test.ttc"), os.path.join(self.tmp, "out")
        rc, stdout, stderr = run_tool("--font", font, "--out", out)
        self.assertEqual((rc, stderr), (0, ""))
        self.assertEqual(self.listing(out), sorted(NAMES.values()))

    def test_without_cmap_names_by_glyph_id(self):
        font = self.font(build_font(cmap4=None, cmap12=None, ligatures=None, omit=("cmap",)))
        out = os.path.join(self.tmp, "out")
        rc, stdout, stderr = run_tool("--font", font, "--out", out)
        self.assertEqual((rc, stderr), (0, ""))
        self.assertEqual(self.listing(out), ["glyph00001.png", "glyph00002.png", "glyph00003.png", "glyph00004.png"])
        self.assertIn("note: the font maps no code points", stdout)

    def test_limit_and_skip_unnamed(self):
        font, out = self.font(build_font()), os.path.join(self.tmp, "out")
        rc, stdout, stderr = run_tool("--font", font, "--out", out, "--limit", 2)
        self.assertEqual((rc, stderr), (0, ""))
        self.assertEqual(self.listing(out), ["1F600.png", "263A.png"])  # glyphs 1 and 2
        self.assertIn("stopped at --limit 2 (the strike has 4 bitmaps)", stdout)
        out2 = os.path.join(self.tmp, "out2")
        rc, stdout, stderr = run_tool("--font", font, "--out", out2, "--skip-unnamed")
        self.assertEqual((rc, stderr), (0, ""))
        self.assertEqual(self.listing(out2), ["1F600.png", "1F600_263A.png", "263A.png"])
        self.assertIn("skipped 1: 1 no code point (--skip-unnamed)", stdout)

    def test_rerun_overwrites_and_notes_other_files(self):
        font, out = self.font(build_font()), os.path.join(self.tmp, "out")
        os.makedirs(out)
        with open(os.path.join(out, "old.png"), "wb") as f:
            f.write(b"x")
        self.assertEqual(run_tool("--font", font, "--out", out)[0], 0)
        rc, stdout, stderr = run_tool("--font", font, "--out", out, "--resolution", 8)
        self.assertEqual((rc, stderr), (0, ""))
        self.assertEqual(self.listing(out), sorted(list(NAMES.values()) + ["old.png"]))  # no temp files left
        with open(os.path.join(out, "263A.png"), "rb") as f:
            self.assertEqual(read_png(f.read())[:2], (8, 8))
        self.assertIn("also holds 1 other .png files", stdout)


class TestErrors(Temp):
    def assertFails(self, args, *fragments):
        out = os.path.join(self.tmp, "out")
        rc, stdout, stderr = run_tool(*(list(args) + (["--out", out] if "--out" not in args else [])))
        self.assertEqual(rc, 1, stderr)
        self.assertEqual(stdout, "")
        self.assertEqual(len(stderr.splitlines()), 1, stderr)
        self.assertTrue(stderr.startswith("error: "), stderr)
        for fragment in fragments:
            self.assertIn(fragment, stderr)
        return stderr

    def test_missing_font(self):
        self.assertFails(["--font", os.path.join(self.tmp, "nope.ttf")], "not found",
                         "apt-get install fonts-noto-color-emoji")

    def test_garbage_file(self):
        self.assertFails(["--font", self.font(b"this is not a font at all, just text\n" * 10)], "is not a font")

    def test_empty_file(self):
        self.assertFails(["--font", self.font(b"")], "is not a font")

    def test_font_without_cbdt(self):
        self.assertFails(["--font", self.font(build_font(omit=("CBDT", "CBLC")))], "has no CBDT table")

    def test_truncated_font(self):
        data = build_font()
        self.assertFails(["--font", self.font(data[:len(data) // 2])], "damaged")

    def test_out_is_a_file(self):
        target = self.font(b"x", "file")
        self.assertFails(["--font", self.font(build_font()), "--out", target], "is a file, not a folder")

    def test_out_cannot_be_created(self):
        target = os.path.join(self.font(b"x", "file"), "sub")
        self.assertFails(["--font", self.font(build_font()), "--out", target], "cannot write into --out")

    @unittest.skipIf(hasattr(os, "geteuid") and os.geteuid() == 0, "root can write anywhere")
    def test_out_not_writable(self):
        out = os.path.join(self.tmp, "ro")
        os.makedirs(out)
        os.chmod(out, 0o500)
        try:
            self.assertFails(["--font", self.font(build_font()), "--out", out], "cannot write into --out")
        finally:
            os.chmod(out, 0o700)

    def test_bad_options(self):
        font = self.font(build_font())
        self.assertFails(["--font", font, "--resolution", "48"], "power of two")
        self.assertFails(["--font", font, "--resolution", "2048"], "power of two")
        self.assertFails(["--font", font, "--limit", "0"], "positive integer")
        rc, stdout, stderr = run_tool("--font", font)
        self.assertEqual(rc, 1)
        self.assertTrue(stderr.startswith("error: ") and "--out" in stderr and len(stderr.splitlines()) == 1)


class TestPNG(unittest.TestCase):
    def test_decode_every_filter_and_colour_type(self):
        width, height = 5, 7
        rnd = random.Random(7)  # noisy, so that Paeth picks each of its three predictors
        rgba = [tuple(rnd.randrange(256) for _ in range(4)) for _ in range(width * height)]
        flat = bytes(v for p in rgba for v in p)
        for filters in ((0,), (1,), (2,), (3,), (4,), (4, 3, 2, 1, 0)):
            png = make_png(width, height, 6, 8, [flat[y * 4 * width:(y + 1) * 4 * width] for y in range(height)],
                           filters=filters)
            self.assertEqual(ex.decode_png(png), (width, height, flat), filters)
        rgb_rows = [bytes(v for p in rgba[y * width:(y + 1) * width] for v in p[:3]) for y in range(height)]
        expect_rgb = bytes(v for p in rgba for v in p[:3] + (255,))
        self.assertEqual(ex.decode_png(make_png(width, height, 2, 8, rgb_rows))[2], expect_rgb)
        gray = [p[0] for p in rgba]
        ga_rows = [bytes(v for g, a in zip(gray[y * width:(y + 1) * width], [p[3] for p in rgba[y * width:]])
                         for v in (g, a)) for y in range(height)]
        got = ex.decode_png(make_png(width, height, 4, 8, ga_rows))[2]
        self.assertEqual(got[0::4], bytes(gray))
        self.assertEqual(got[3::4], bytes(p[3] for p in rgba))
        # 16 bits a sample: the high bytes count
        rows16 = [bytes(v for p in rgba[y * width:(y + 1) * width] for c in p for v in (c, 0x5A))
                  for y in range(height)]
        self.assertEqual(ex.decode_png(make_png(width, height, 6, 16, rows16))[2], flat)

    def test_decode_palette_and_low_bit_depths(self):
        for depth in (1, 2, 4, 8):
            n = 1 << depth
            palette = [(i * 3 % 256, i * 7 % 256, 255 - i) for i in range(n)]
            index = [[(x + y) % n for x in range(9)] for y in range(3)]
            rows = [pack(r, depth) if depth < 8 else bytes(r) for r in index]
            png = make_png(9, 3, 3, depth, rows, palette=palette, trns=[7] if n > 1 else None)
            w, h, got = ex.decode_png(png)
            want = bytes(v for r in index for i in r for v in palette[i] + ((7,) if i == 0 else (255,)))
            self.assertEqual((w, h, got), (9, 3, want), depth)
            grey = make_png(9, 3, 0, depth, rows)
            scale = 255 // (n - 1)
            want = bytes(v for r in index for i in r for v in (i * scale,) * 3 + (255,))
            self.assertEqual(ex.decode_png(grey)[2], want, depth)

    def test_refuses_interlaced_and_damaged(self):
        png = bytearray(G1)
        png[28] = 1  # interlace method in IHDR
        png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
        with self.assertRaisesRegex(ex.PNGError, "interlaced"):
            ex.decode_png(bytes(png))
        broken = bytearray(G1)
        broken[40] ^= 0xFF
        with self.assertRaises(ex.PNGError):
            ex.decode_png(bytes(broken))

    def test_encode_round_trip(self):
        rgb = bytes((i * 37) % 256 for i in range(3 * 6 * 5))
        self.assertEqual(read_png(ex.encode_png(6, 5, rgb)), (6, 5, 2, 8, 0, rgb))
        w, h, rgba = ex.decode_png(ex.encode_png(6, 5, rgb))
        self.assertEqual(bytes(v for i in range(0, len(rgba), 4) for v in rgba[i:i + 3]), rgb)

    def test_box_resize(self):
        # 3x3 to 2x2: output pixel 0 weighs source 0 twice as much as source 1 (in each direction)
        gray = [0, 90, 180, 30, 120, 210, 60, 150, 240]
        rgb = bytes(v for g in gray for v in (g, g, g))
        out = ex.box_resize(3, rgb, 2)
        w = [[2, 1, 0], [0, 1, 2]]
        for oy in range(2):
            for ox in range(2):
                total = sum(w[oy][y] * w[ox][x] * gray[3 * y + x] for y in range(3) for x in range(3))
                self.assertEqual(out[3 * (2 * oy + ox)], int(total / 9 + 0.5))
        # upscaling repeats pixels
        self.assertEqual(ex.box_resize(1, b"\x01\x02\x03", 4), b"\x01\x02\x03" * 16)

    def test_over_white_and_pad(self):
        self.assertEqual(ex.over_white(bytes([10, 20, 30, 255, 10, 20, 30, 0, 0, 0, 0, 128, 200, 100, 0, 64])),
                         bytes([10, 20, 30, 255, 255, 255, 127, 127, 127, 241, 216, 191]))
        side, square = ex.pad_square(1, 2, bytes([1, 1, 1, 2, 2, 2]))
        self.assertEqual((side, square), (2, bytes([1, 1, 1, 255, 255, 255, 2, 2, 2, 255, 255, 255])))


class TestNames(unittest.TestCase):
    def test_sequence_names(self):
        zwj, man, woman, boy, tone, sign = 0x200D, 0x1F468, 0x1F469, 0x1F466, 0x1F3FD, 0x2640
        cmap = {zwj: 1, man: 2, woman: 3, boy: 4, tone: 5, sign: 6, 0xFE4E5: 9, 0x1F1EB: 11, 0x1F1F7: 12}
        ligs = [((4, 1, 2), 7), ((2, 1, 4), 7),              # reversed alias: man, boy wins
                ((2, 5, 1, 6), 8), ((6, 1, 2, 5), 8),        # skin tone on the first element
                ((11, 12), 9),                               # flag also mapped to a private-use code point
                ((6, 1, 3), 10), ((3, 1, 6), 10),
                ((3, 5, 1, 6), 13)]
        names = ex.glyph_names(cmap, ligs)
        self.assertEqual(names[7], (man, zwj, boy))
        self.assertEqual(names[8], (man, tone, zwj, sign))
        self.assertEqual(names[9], (0x1F1EB, 0x1F1F7))
        self.assertEqual(names[10], (woman, zwj, sign))
        self.assertEqual(names[2], (man,))


@unittest.skipUnless(os.path.exists(NOTO), "fonts-noto-color-emoji is not installed")
class TestRealNoto(Temp):
    def test_five_glyphs(self):
        out = os.path.join(self.tmp, "stored")
        rc, stdout, stderr = run_tool("--out", out, "--limit", 5)
        self.assertEqual((rc, stderr), (0, ""))
        files = self.listing(out)
        self.assertEqual(len(files), 5)
        for name in files:
            with open(os.path.join(out, name), "rb") as f:
                data = f.read()
            self.assertEqual(png_dims(data), (136, 128))
        out32 = os.path.join(self.tmp, "r32")
        rc, stdout, stderr = run_tool("--out", out32, "--limit", 5, "--resolution", 32)
        self.assertEqual((rc, stderr), (0, ""))
        self.assertEqual(self.listing(out32), files)
        for name in files:
            with open(os.path.join(out32, name), "rb") as f:
                w, h, color, depth, interlace, pixels = read_png(f.read())
            self.assertEqual((w, h, color, depth), (32, 32, 2, 8))
            self.assertEqual(pixels[:3], b"\xff\xff\xff")  # a corner: white background
            self.assertNotEqual(len(set(pixels)), 1)       # something drawn

    def test_named_sequences(self):
        names = ex.glyph_names(*(lambda t: (ex.read_cmap(t["cmap"]), ex.read_ligatures(t["GSUB"])))(
            ex.read_tables(ex.read_font(NOTO), NOTO)))
        values = set(names.values())
        self.assertIn((0x1F600,), values)
        self.assertIn((0x1F469, 0x200D, 0x1F52C), values)           # woman scientist
        self.assertIn((0x1F44D, 0x1F3FD), values)                   # thumbs up, medium skin tone
        self.assertIn((0x1F3F3, 0x200D, 0x1F308), values)           # rainbow flag


if __name__ == "__main__":
    unittest.main()

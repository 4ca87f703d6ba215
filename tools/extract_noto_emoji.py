#!/usr/bin/env python3
"""Extract the colour emoji of Noto Color Emoji into a folder of PNG files.

Reads a font with colour bitmaps in the CBDT/CBLC tables (Debian's
fonts-noto-color-emoji: /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf) and
writes one PNG per glyph bitmap, named by code point: 1F600.png, or, for glyphs
reached only through a ligature (flags, skin tones, ZWJ sequences), by the
code point sequence joined with underscores: 1F468_200D_1F469.png. A glyph
that neither the cmap nor a GSUB ligature reaches is written as
glyph01234.png (its glyph id), or skipped with --skip-unnamed.

Without --resolution the PNG bytes are written exactly as the font stores them
(136x128 for Noto: not square). With --resolution R (a power of two, 4 to
1024) every image is decoded, composited over white, padded to a square
(centred, white) and resized with a box filter (area average) to RxR, then
written as an 8-bit RGB PNG that `sgan-gpu train --data DIR` reads directly.

Python 3.9 or newer, standard library only.

Usage: extract_noto_emoji.py [--font PATH] --out DIR [--resolution R] [--limit N]
Run with --help for the options. Noto Color Emoji is under the SIL Open Font
License 1.1.
"""

import argparse
import os
import struct
import sys
import zlib

DEFAULT_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_RESOLUTION = 1024


class ExtractError(Exception):
    """Bad input or output: the message is the whole `error:` line."""


class PNGError(Exception):
    """A PNG this tool cannot read; the glyph is skipped."""


class GlyphSkip(Exception):
    """A glyph whose bitmap cannot be written; the message is the reason."""


# ---------------------------------------------------------------------------
# Reading binary data


def _u8(data, off):
    if off < 0 or off >= len(data):
        raise struct.error("read past the end")
    return data[off]


def _u16(data, off):
    if off < 0 or off + 2 > len(data):
        raise struct.error("read past the end")
    return (data[off] << 8) | data[off + 1]


def _u32(data, off):
    if off < 0 or off + 4 > len(data):
        raise struct.error("read past the end")
    return struct.unpack_from(">I", data, off)[0]


# ---------------------------------------------------------------------------
# The font file: table directory


def read_tables(data, path):
    """{tag: bytes of the table} of an sfnt font (TrueType, OpenType, or the first font of a .ttc)."""
    if len(data) < 12:
        raise ExtractError("%s is not a font (%d bytes, too short), give a .ttf or .otf file with --font"
                           % (path, len(data)))
    start = 0
    tag = data[:4]
    if tag == b"ttcf":
        if len(data) < 16 or _u32(data, 8) < 1:
            raise ExtractError("%s is a damaged font collection (no fonts in it), give another font with --font" % path)
        start = _u32(data, 12)
        tag = data[start:start + 4]
    if tag in (b"wOFF", b"wOF2"):
        raise ExtractError("%s is a WOFF web font, which this tool does not read; "
                           "give the .ttf (fonts-noto-color-emoji)"
                           % path)
    if tag not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        raise ExtractError("%s is not a font (it does not start with an OpenType or TrueType header), "
                           "give NotoColorEmoji.ttf with --font" % path)
    try:
        count = _u16(data, start + 4)
        tables = {}
        for i in range(count):
            rec = start + 12 + 16 * i
            if rec + 16 > len(data):
                raise struct.error("directory")
            name = bytes(data[rec:rec + 4]).decode("latin-1")
            offset, length = _u32(data, rec + 8), _u32(data, rec + 12)
            if offset + length > len(data):
                if name in ("CBDT", "CBLC", "cmap", "GSUB"):
                    raise ExtractError("%s is damaged: its %s table lies past the end of the file (truncated "
                                       "download?), reinstall it (apt-get install --reinstall fonts-noto-color-emoji)"
                                       % (path, name))
                continue
            tables[name] = memoryview(data)[offset:offset + length]
    except struct.error:
        raise ExtractError("%s is damaged (its table directory is cut short), give a complete font with --font" % path)
    return tables


# ---------------------------------------------------------------------------
# cmap: code point -> glyph id (formats 4 and 12)


def _cmap4(sub, mapping):
    seg2 = _u16(sub, 6)
    ends, starts, deltas, ranges = 14, 16 + seg2, 16 + 2 * seg2, 16 + 3 * seg2
    for i in range(seg2 // 2):
        end, first = _u16(sub, ends + 2 * i), _u16(sub, starts + 2 * i)
        delta, range_offset = _u16(sub, deltas + 2 * i), _u16(sub, ranges + 2 * i)
        if first == 0xFFFF or end < first:
            continue
        for code in range(first, end + 1):
            if range_offset == 0:
                gid = (code + delta) & 0xFFFF
            else:
                where = ranges + 2 * i + range_offset + 2 * (code - first)
                if where + 2 > len(sub):
                    continue
                gid = _u16(sub, where)
                if gid:
                    gid = (gid + delta) & 0xFFFF
            if gid:
                mapping.setdefault(code, gid)


def _cmap12(sub, mapping):
    groups = _u32(sub, 12)
    for i in range(groups):
        rec = 16 + 12 * i
        first, last, gid = _u32(sub, rec), _u32(sub, rec + 4), _u32(sub, rec + 8)
        if last < first or last > 0x10FFFF:
            continue
        for code in range(first, last + 1):
            mapping.setdefault(code, gid + code - first)


def read_cmap(table):
    """{code point: glyph id} from the Unicode subtables of format 12 and 4."""
    mapping = {}
    if table is None:
        return mapping
    subtables = []
    for i in range(_u16(table, 2)):
        platform, encoding, offset = _u16(table, 4 + 8 * i), _u16(table, 6 + 8 * i), _u32(table, 8 + 8 * i)
        if platform == 0 or (platform == 3 and encoding in (1, 10)):
            if offset + 2 <= len(table):
                subtables.append((_u16(table, offset), offset))
    # format 12 (full Unicode) first, then format 4 fills in what it lacks
    for fmt, offset in sorted(set(subtables), key=lambda s: (s[0] != 12, s[1])):
        sub = table[offset:]
        if fmt == 12:
            _cmap12(sub, mapping)
        elif fmt == 4:
            _cmap4(sub, mapping)
    return mapping


# ---------------------------------------------------------------------------
# GSUB: ligatures (lookup type 4, or 7 wrapping 4) name the sequences


def _coverage(table, off):
    fmt = _u16(table, off)
    if fmt == 1:
        return [_u16(table, off + 4 + 2 * i) for i in range(_u16(table, off + 2))]
    if fmt == 2:
        glyphs = []
        for i in range(_u16(table, off + 2)):
            rec = off + 4 + 6 * i
            glyphs.extend(range(_u16(table, rec), _u16(table, rec + 2) + 1))
        return glyphs
    return []


def _ligature_subtable(table, off, out):
    if _u16(table, off) != 1:
        return
    firsts = _coverage(table, off + _u16(table, off + 2))
    for i in range(min(_u16(table, off + 4), len(firsts))):
        lig_set = off + _u16(table, off + 6 + 2 * i)
        for j in range(_u16(table, lig_set)):
            lig = lig_set + _u16(table, lig_set + 2 + 2 * j)
            glyph, count = _u16(table, lig), _u16(table, lig + 2)
            rest = tuple(_u16(table, lig + 4 + 2 * k) for k in range(count - 1))
            out.append(((firsts[i],) + rest, glyph))


def read_ligatures(table):
    """[(component glyph ids, ligature glyph id)] of every ligature substitution in GSUB."""
    out = []
    if table is None:
        return out
    lookups = _u16(table, 8)
    for i in range(_u16(table, lookups)):
        lookup = lookups + _u16(table, lookups + 2 + 2 * i)
        kind = _u16(table, lookup)
        for j in range(_u16(table, lookup + 4)):
            sub = lookup + _u16(table, lookup + 6 + 2 * j)
            if kind == 4:
                _ligature_subtable(table, sub, out)
            elif kind == 7 and _u16(table, sub) == 1 and _u16(table, sub + 2) == 4:
                _ligature_subtable(table, sub + _u32(table, sub + 4), out)
    return out


def _private(code):
    return 0xE000 <= code <= 0xF8FF or code >= 0xF0000


ZWJ = 0x200D


def _modifier(code):
    return 0x1F3FB <= code <= 0x1F3FF


def _tag(code):
    return 0xE0020 <= code <= 0xE007F


# Code points that, in the ZWJ sequences Unicode recommends, come after the first element
# (gender and direction signs, objects of professions, hair styles, colours, ...). Noto also accepts
# each ZWJ sequence with its elements reversed; these tell the two orders apart where nothing else does.
_TRAILING = frozenset([
    0x2194, 0x2195, 0x2620, 0x2640, 0x2642, 0x2695, 0x2696, 0x26A7, 0x2708, 0x27A1, 0x2744, 0x2764,
    0x2B1B, 0x1F308, 0x1F32B, 0x1F33E, 0x1F373, 0x1F37C, 0x1F384, 0x1F393, 0x1F3A4, 0x1F3A8, 0x1F3EB,
    0x1F3ED, 0x1F466, 0x1F467, 0x1F48B, 0x1F4A5, 0x1F4A8, 0x1F4AB, 0x1F4BB, 0x1F4BC, 0x1F525, 0x1F527,
    0x1F52C, 0x1F5E8, 0x1F680, 0x1F692, 0x1F7E9, 0x1F7EB, 0x1F91D, 0x1F9AF, 0x1F9B0, 0x1F9B1, 0x1F9B2,
    0x1F9B3, 0x1F9BA, 0x1F9BC, 0x1F9BD, 0x1F9D2, 0x1FA79])


def _rank(seq):
    """Order of preference among the code point sequences that reach one glyph (lower is better):
    first those the emoji grammar allows (no skin tone at the start or after a ZWJ, no ZWJ at either
    end or doubled, no tag first), then those in the order Unicode recommends as far as these rules
    tell (a skin tone on the first element, the first element not one that usually trails), then
    shorter, then lower code points."""
    invalid = sum(1 for i, cp in enumerate(seq)
                  if (_modifier(cp) and (i == 0 or seq[i - 1] == ZWJ))
                  or (cp == ZWJ and (i == 0 or i == len(seq) - 1 or seq[i + 1] == ZWJ))
                  or (_tag(cp) and i == 0))
    order = 0
    if len(seq) > 1 and any(_modifier(cp) for cp in seq) and not _modifier(seq[1]):
        order += 1
    if ZWJ in seq and seq[0] in _TRAILING:
        order += 1
    return invalid, order, len(seq), seq


def glyph_names(cmap, ligatures):
    """{glyph id: tuple of code points}. A glyph is named by the lowest code point that maps to it,
    else by the best code point sequence (see _rank) a ligature of named glyphs makes it from;
    private-use code points (Noto maps some flags there too) are used only where nothing else names
    a glyph. Among a sequence without skin tones and its reordered aliases, the order the same
    sequence has with skin tones wins."""
    names, choices = {}, {}

    def add_ligatures():
        for _ in range(4):  # ligatures whose components are ligatures themselves
            found = {}
            for components, glyph in ligatures:
                if glyph in names or not all(c in names for c in components):
                    continue
                found.setdefault(glyph, set()).add(tuple(cp for c in components for cp in names[c]))
            if not found:
                break
            for glyph, seqs in found.items():
                names[glyph] = min(seqs, key=_rank)
                choices[glyph] = seqs

    for code in sorted(cmap):
        if not _private(code):
            names.setdefault(cmap[code], (code,))
    add_ligatures()
    for code in sorted(cmap):
        if _private(code):
            names.setdefault(cmap[code], (code,))
    add_ligatures()

    toned = {tuple(cp for cp in seq if not _modifier(cp)) for seq in names.values()
             if ZWJ in seq and any(_modifier(cp) for cp in seq)}
    for glyph, seqs in choices.items():
        known = [seq for seq in seqs if seq in toned]
        if len(seqs) > 1 and known:
            names[glyph] = min(known, key=_rank)
    return names


# ---------------------------------------------------------------------------
# CBLC / CBDT: where each glyph's bitmap is


def read_strike(cblc, cbdt, path):
    """(ppem, [(glyph id, image format, bytes of the glyph's CBDT record)]) of the strike with the
    largest ppem, in glyph id order. Index subtable formats 1 to 5."""
    try:
        if _u16(cblc, 0) not in (2, 3):
            raise ExtractError("%s has a CBLC table of version %d.%d, which this tool does not know, "
                               "give Noto Color Emoji's CBDT build with --font" % (path, _u16(cblc, 0), _u16(cblc, 2)))
        sizes = _u32(cblc, 4)
        if sizes == 0:
            raise ExtractError("%s has no bitmap strikes in its CBLC table, give a font with colour bitmaps" % path)
        best = None
        for s in range(sizes):
            rec = 8 + 48 * s
            if rec + 48 > len(cblc):
                raise struct.error("BitmapSize")
            ppem = _u8(cblc, rec + 45)
            if best is None or ppem > best[0]:
                best = (ppem, rec)
        ppem, rec = best
        array, subtables = _u32(cblc, rec), _u32(cblc, rec + 8)
        located = {}
        for k in range(subtables):
            first, last = _u16(cblc, array + 8 * k), _u16(cblc, array + 8 * k + 2)
            head = array + _u32(cblc, array + 8 * k + 4)
            index_format, image_format, data_offset = _u16(cblc, head), _u16(cblc, head + 2), _u32(cblc, head + 4)
            for gid, start, end in _index_subtable(cblc, head, index_format, first, last, path):
                if end > start:
                    located.setdefault(gid, (image_format, data_offset + start, data_offset + end))
    except struct.error:
        raise ExtractError("%s is damaged (its CBLC table is cut short), reinstall the font "
                           "(apt-get install --reinstall fonts-noto-color-emoji)" % path)
    glyphs = []
    for gid in sorted(located):
        image_format, start, end = located[gid]
        glyphs.append((gid, image_format, cbdt[start:end] if end <= len(cbdt) else None))
    return ppem, glyphs


def _index_subtable(cblc, head, index_format, first, last, path):
    """(glyph id, start, end) of each glyph, offsets relative to the subtable's image data."""
    body = head + 8
    if last < first:
        return []
    count = last - first + 1
    if index_format == 1:
        offs = struct.unpack_from(">%dI" % (count + 1), cblc, body)
        return [(first + i, offs[i], offs[i + 1]) for i in range(count)]
    if index_format == 3:
        offs = struct.unpack_from(">%dH" % (count + 1), cblc, body)
        return [(first + i, offs[i], offs[i + 1]) for i in range(count)]
    if index_format == 2:
        size = _u32(cblc, body)
        return [(first + i, size * i, size * (i + 1)) for i in range(count)]
    if index_format == 4:
        n = _u32(cblc, body)
        if body + 4 + 4 * (n + 1) > len(cblc):
            raise struct.error("format 4")
        pairs = struct.unpack_from(">%dH" % (2 * (n + 1)), cblc, body + 4)
        return [(pairs[2 * i], pairs[2 * i + 1], pairs[2 * i + 3]) for i in range(n)]
    if index_format == 5:
        size, n = _u32(cblc, body), _u32(cblc, body + 12)
        if body + 16 + 2 * n > len(cblc):
            raise struct.error("format 5")
        ids = struct.unpack_from(">%dH" % n, cblc, body + 16)
        return [(gid, size * i, size * (i + 1)) for i, gid in enumerate(ids)]
    raise ExtractError("%s uses CBLC index subtable format %d, which this tool does not know (it reads 1 to 5)"
                       % (path, index_format))


def glyph_png(image_format, record):
    """The PNG bytes of one CBDT glyph record (image formats 17, 18, 19)."""
    if record is None:
        raise GlyphSkip("bitmap data outside the CBDT table")
    header = {17: 5, 18: 8, 19: 0}.get(image_format)
    if header is None:
        raise GlyphSkip("image format %d (not PNG)" % image_format)
    if len(record) < header + 4:
        raise GlyphSkip("bitmap record cut short")
    length = _u32(record, header)
    png = bytes(record[header + 4:header + 4 + length])
    if len(png) != length:
        raise GlyphSkip("bitmap record cut short")
    if not png.startswith(PNG_SIGNATURE):
        raise GlyphSkip("bitmap is not a PNG")
    return png


# ---------------------------------------------------------------------------
# PNG decoding (non-interlaced; all colour types and bit depths) and encoding (8-bit RGB)


def png_size(png):
    if len(png) < 24 or png[12:16] != b"IHDR":
        raise PNGError("no IHDR chunk")
    return struct.unpack_from(">II", png, 16)


def _unfilter(raw, width, height, bpp, row_bytes):
    out = bytearray(height * row_bytes)
    prev = bytearray(row_bytes)
    pos = 0
    for y in range(height):
        kind = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + row_bytes])
        pos += 1 + row_bytes
        if kind == 1:
            for i in range(bpp, row_bytes):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(row_bytes):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(row_bytes):
                if i >= bpp:
                    a, c = line[i - bpp], prev[i - bpp]
                else:
                    a = c = 0
                b = prev[i]
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                if pa <= pb and pa <= pc:
                    pred = a
                elif pb <= pc:
                    pred = b
                else:
                    pred = c
                line[i] = (line[i] + pred) & 0xFF
        elif kind != 0:
            raise PNGError("unknown filter type %d" % kind)
        out[y * row_bytes:(y + 1) * row_bytes] = line
        prev = line
    return out


def decode_png(png):
    """(width, height, RGBA bytes, 8 bits a channel) of a non-interlaced PNG."""
    if not png.startswith(PNG_SIGNATURE):
        raise PNGError("not a PNG")
    pos, ihdr, palette, trns, idat = 8, None, None, None, []
    while True:
        if pos + 8 > len(png):
            raise PNGError("cut short")
        length, kind = struct.unpack_from(">I4s", png, pos)
        body = png[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(png):
            raise PNGError("cut short")
        if zlib.crc32(png[pos + 4:pos + 8 + length]) != struct.unpack_from(">I", png, pos + 8 + length)[0]:
            raise PNGError("bad CRC in %s chunk" % kind.decode("latin-1"))
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if ihdr is None:
        raise PNGError("no IHDR chunk")
    width, height, depth, color, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color)
    if channels is None or depth not in (1, 2, 4, 8, 16) or (color in (2, 4, 6) and depth < 8) or \
            (color == 3 and depth == 16):
        raise PNGError("colour type %d with bit depth %d is not valid" % (color, depth))
    if interlace:
        raise PNGError("interlaced PNG (not supported)")
    if color == 3 and not palette:
        raise PNGError("palette image without a palette")
    if width == 0 or height == 0:
        raise PNGError("empty image")
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        raise PNGError("image data does not decompress (%s)" % e)
    bits = channels * depth
    row_bytes = (width * bits + 7) // 8
    if len(raw) < height * (row_bytes + 1):
        raise PNGError("image data cut short")
    data = _unfilter(raw, width, height, max(1, bits // 8), row_bytes)

    # samples, 8 bits each
    if depth == 16:
        samples = data[0::2]
    elif depth == 8:
        samples = data
    else:
        samples = bytearray()
        per_byte, mask = 8 // depth, (1 << depth) - 1
        for y in range(height):
            row = data[y * row_bytes:(y + 1) * row_bytes]
            unpacked = [(byte >> (8 - depth * (k + 1))) & mask for byte in row for k in range(per_byte)]
            samples.extend(unpacked[:width])
        if color == 0:  # scale gray to 0..255
            scale = 255 // mask
            samples = bytearray(v * scale for v in samples)

    n = width * height
    rgba = bytearray(4 * n)
    if color == 6:
        rgba[:] = samples[:4 * n]
    elif color == 2:
        rgba[0::4], rgba[1::4], rgba[2::4] = samples[0:3 * n:3], samples[1:3 * n:3], samples[2:3 * n:3]
        rgba[3::4] = b"\xff" * n
        if trns is not None and len(trns) == 6:
            key = bytes(trns[1::2])  # 8-bit samples: the low bytes of the three 16-bit values
            key16 = struct.unpack(">HHH", trns)
            for i in range(n):
                if depth == 8 and bytes(rgba[4 * i:4 * i + 3]) == key:
                    rgba[4 * i + 3] = 0
                elif depth == 16 and struct.unpack_from(">HHH", data, 6 * i) == key16:
                    rgba[4 * i + 3] = 0
    elif color == 3:
        colours = len(palette) // 3
        table = []
        for i in range(256):
            if i < colours:
                alpha = trns[i] if trns is not None and i < len(trns) else 255
                table.append(bytes(palette[3 * i:3 * i + 3]) + bytes((alpha,)))
            else:
                table.append(None)
        out = []
        for v in samples[:n]:
            entry = table[v]
            if entry is None:
                raise PNGError("pixel index %d outside the palette" % v)
            out.append(entry)
        rgba = bytearray(b"".join(out))
    elif color == 4:
        gray, alpha = samples[0:2 * n:2], samples[1:2 * n:2]
        rgba[0::4], rgba[1::4], rgba[2::4], rgba[3::4] = gray, gray, gray, alpha
    else:  # gray
        gray = samples[:n]
        rgba[0::4], rgba[1::4], rgba[2::4] = gray, gray, gray
        rgba[3::4] = b"\xff" * n
        if trns is not None and len(trns) == 2:
            key = struct.unpack(">H", trns)[0]
            for i in range(n):
                raw_value = struct.unpack_from(">H", data, 2 * i)[0] if depth == 16 else None
                if depth == 16:
                    hit = raw_value == key
                elif depth == 8:
                    hit = gray[i] == key
                else:
                    hit = gray[i] == key * (255 // ((1 << depth) - 1))
                if hit:
                    rgba[4 * i + 3] = 0
    return width, height, bytes(rgba)


def encode_png(width, height, rgb):
    """An 8-bit RGB PNG of `rgb` (rows top to bottom, RGB interleaved)."""
    row = 3 * width
    raw = b"".join(b"\x00" + rgb[y * row:(y + 1) * row] for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


# ---------------------------------------------------------------------------
# Compositing, padding, resizing


def over_white(rgba):
    """RGB bytes of straight-alpha RGBA composited over white."""
    out = bytearray(len(rgba) // 4 * 3)
    j = 0
    for i in range(0, len(rgba), 4):
        a = rgba[i + 3]
        if a == 255:
            out[j:j + 3] = rgba[i:i + 3]
        elif a == 0:
            out[j:j + 3] = b"\xff\xff\xff"
        else:
            w = 255 * (255 - a)
            out[j] = (rgba[i] * a + w + 127) // 255
            out[j + 1] = (rgba[i + 1] * a + w + 127) // 255
            out[j + 2] = (rgba[i + 2] * a + w + 127) // 255
        j += 3
    return out


def pad_square(width, height, rgb):
    """(side, RGB bytes): the image centred on a white square (an odd margin's extra pixel goes
    right or below)."""
    side = max(width, height)
    if width == height:
        return side, bytes(rgb)
    out = bytearray(b"\xff" * (3 * side * side))
    left, top = (side - width) // 2, (side - height) // 2
    for y in range(height):
        dst = 3 * ((top + y) * side + left)
        out[dst:dst + 3 * width] = rgb[3 * y * width:3 * (y + 1) * width]
    return side, bytes(out)


def _box_taps(src, dst):
    """For each output index: [(source index, weight)], weights summing to `src`
    (output pixel i covers [i*src, (i+1)*src) in units where a source pixel is `dst` long)."""
    taps = []
    for i in range(dst):
        lo, hi = i * src, (i + 1) * src
        row = []
        for j in range(lo // dst, (hi - 1) // dst + 1):
            w = min(hi, (j + 1) * dst) - max(lo, j * dst)
            if w > 0:
                row.append((j, w))
        taps.append(row)
    return taps


def box_resize(side, rgb, size):
    """RGB bytes of the side x side image `rgb` resized to size x size by area averaging."""
    if side == size:
        return bytes(rgb)
    taps = _box_taps(side, size)
    # horizontal: side rows of size pixels, integer sums weighted to total `side`
    rows = []
    for y in range(side):
        base = 3 * side * y
        line = []
        for tap in taps:
            r = g = b = 0
            for j, w in tap:
                k = base + 3 * j
                r += rgb[k] * w
                g += rgb[k + 1] * w
                b += rgb[k + 2] * w
            line.extend((r, g, b))
        rows.append(line)
    # vertical, then divide by side * side with rounding
    total, half = side * side, side * side // 2
    out = bytearray(3 * size * size)
    for i, tap in enumerate(taps):
        acc = [0] * (3 * size)
        for j, w in tap:
            src = rows[j]
            for k in range(3 * size):
                acc[k] += src[k] * w
        out[3 * size * i:3 * size * (i + 1)] = bytes((v + half) // total for v in acc)
    return bytes(out)


def to_dataset_png(png, resolution):
    """The glyph's PNG as an 8-bit RGB PNG of resolution x resolution."""
    width, height, rgba = decode_png(png)
    side, square = pad_square(width, height, over_white(rgba))
    return encode_png(resolution, resolution, box_resize(side, square, resolution))


# ---------------------------------------------------------------------------
# Writing


def write_atomic(folder, name, data):
    path = os.path.join(folder, name)
    temp = os.path.join(folder, ".%s.%d.tmp" % (name, os.getpid()))  # not *.png: never read as an image
    try:
        with open(temp, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException as e:  # an interrupted write leaves no temporary file behind either
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise ExtractError("cannot write %s (%s), check the folder's permissions and free space"
                               % (path, e.strerror or e))
        raise


def prepare_out(out):
    if os.path.exists(out) and not os.path.isdir(out):
        raise ExtractError("--out %s is a file, not a folder, give a folder (it is created if missing)" % out)
    try:
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, ".extract_noto_emoji.%d.probe" % os.getpid())
        with open(probe, "wb"):
            pass
        os.unlink(probe)
    except OSError as e:
        raise ExtractError("cannot write into --out %s (%s), give a folder you can write to"
                           % (out, e.strerror or e))
    return {n for n in os.listdir(out) if n.lower().endswith(".png")}


def read_font(path):
    if not os.path.exists(path):
        if path == DEFAULT_FONT:
            raise ExtractError("font %s not found, install it with `apt-get install fonts-noto-color-emoji` "
                               "or give another with --font PATH" % path)
        raise ExtractError("font %s not found, give the path of NotoColorEmoji.ttf (`apt-get install "
                           "fonts-noto-color-emoji` puts it at %s)" % (path, DEFAULT_FONT))
    if os.path.isdir(path):
        raise ExtractError("font %s is a folder, give the .ttf file (%s)" % (path, DEFAULT_FONT))
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ExtractError("cannot read font %s (%s), check the permissions" % (path, e.strerror or e))


def file_name(gid, names):
    seq = names.get(gid)
    if seq is None:
        return None
    return "_".join("%04X" % cp for cp in seq) + ".png"


def extract(font, out, resolution=None, limit=None, skip_unnamed=False):
    """Writes the PNGs; returns the summary lines."""
    data = read_font(font)
    tables = read_tables(data, font)
    if "CBDT" not in tables or "CBLC" not in tables:
        missing = "CBDT" if "CBDT" not in tables else "CBLC"
        raise ExtractError("%s has no %s table, so no colour bitmaps to extract (an SVG or COLR emoji font?), "
                           "give Noto Color Emoji's CBDT build (apt-get install fonts-noto-color-emoji)"
                           % (font, missing))
    notes = []
    try:
        cmap = read_cmap(tables.get("cmap"))
    except struct.error:
        cmap = {}
        notes.append("the font's cmap table could not be read, so glyphs are named by glyph id")
    if not cmap and not notes:
        notes.append("the font maps no code points (no cmap format 4 or 12), so glyphs are named by glyph id")
    try:
        ligatures = read_ligatures(tables.get("GSUB"))
    except struct.error:
        ligatures = []
        notes.append("the font's GSUB table could not be read, so sequences are named by glyph id")
    names = glyph_names(cmap, ligatures)
    ppem, glyphs = read_strike(tables["CBLC"], tables["CBDT"], font)
    before = prepare_out(out)

    written, skipped, used, sizes, stopped = [], {}, set(), {}, False
    by_kind = {"code point": 0, "sequence": 0, "glyph id": 0}
    for gid, image_format, record in glyphs:
        if limit is not None and len(written) >= limit:
            stopped = True
            break
        name = file_name(gid, names)
        if name is None or name in used:
            if skip_unnamed:
                reason = "no code point (--skip-unnamed)"
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            name = "glyph%05d.png" % gid
        try:
            png = glyph_png(image_format, record)
            if resolution:
                png = to_dataset_png(png, resolution)
                size = (resolution, resolution)
            else:
                size = png_size(png)
        except (GlyphSkip, PNGError) as e:
            reason = str(e) if isinstance(e, GlyphSkip) else "PNG not readable: %s" % e
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        write_atomic(out, name, png)
        used.add(name)
        written.append(name)
        sizes[size] = sizes.get(size, 0) + 1
        kind = "glyph id" if name.startswith("glyph") else ("sequence" if "_" in name else "code point")
        by_kind[kind] += 1

    shape = ", ".join("%dx%d: %d" % (w, h, c) for (w, h), c in sorted(sizes.items()))
    lines = ["wrote %d PNG files to %s (%s%s) from %s, strike %d ppem"
             % (len(written), out, "%dx%d RGB on white" % (resolution, resolution) if resolution else "as stored",
                "" if resolution or not shape else "; " + shape, font, ppem)]
    lines.append("named by code point: %d, by sequence: %d, by glyph id: %d"
                 % (by_kind["code point"], by_kind["sequence"], by_kind["glyph id"]))
    if stopped:
        lines.append("stopped at --limit %d (the strike has %d bitmaps)" % (limit, len(glyphs)))
    if skipped:
        lines.append("skipped %d: %s" % (sum(skipped.values()),
                                         "; ".join("%d %s" % (c, r) for r, c in sorted(skipped.items()))))
    else:
        lines.append("skipped 0")
    lines.extend("note: " + n for n in notes)
    others = len(before - set(written))
    if others:
        lines.append("note: %s also holds %d other .png files; training reads every .png in the folder, "
                     "so use an empty folder for a dataset" % (out, others))
    return lines


# ---------------------------------------------------------------------------
# Command line


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("error: %s, on the command line, run with --help for the usage\n" % message)
        sys.exit(1)


def _resolution(text):
    value = int(text)
    if value < 4 or value > MAX_RESOLUTION or value & (value - 1):
        raise ValueError(text)
    return value


_resolution.__name__ = "power of two from 4 to %d" % MAX_RESOLUTION


def _positive(text):
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


_positive.__name__ = "positive integer"


def build_parser():
    p = _Parser(
        prog="extract_noto_emoji.py",
        description="Extract the colour emoji bitmaps of Noto Color Emoji (CBDT/CBLC tables) into a folder "
                    "of PNG files, named by code point (1F600.png) or code point sequence "
                    "(1F469_200D_1F52C.png); glyphs with neither are named by glyph id (glyph01234.png).",
        epilog="Noto Color Emoji is under the SIL Open Font License 1.1. "
               "Install it with: apt-get install fonts-noto-color-emoji")
    p.add_argument("--font", default=DEFAULT_FONT, metavar="PATH", help="the font (default %(default)s)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the PNGs to (created if missing)")
    p.add_argument("--resolution", type=_resolution, metavar="R",
                   help="write R x R RGB images (composited over white, padded to square, box-filtered) "
                        "that sgan-gpu train reads; without it the PNGs are written as stored (136x128)")
    p.add_argument("--limit", type=_positive, metavar="N", help="write at most N images (in glyph id order)")
    p.add_argument("--skip-unnamed", dest="skip_unnamed", action="store_true",
                   help="skip glyphs no code point or sequence reaches instead of writing glyphNNNNN.png")
    return p


def main(argv=None):
    opts = build_parser().parse_args(argv)
    try:
        for line in extract(opts.font, opts.out, opts.resolution, opts.limit, opts.skip_unnamed):
            print(line)
        return 0
    except ExtractError as e:
        message = str(e)
    except KeyboardInterrupt:
        message = "interrupted, the files already written in %s are complete; run again to write them all" % opts.out
    except MemoryError:
        message = "out of memory, while reading %s, free some memory and try again" % opts.font
    except Exception as e:  # a bug, or a font damaged in a way not foreseen
        if os.environ.get("EXTRACT_EMOJI_DEBUG"):
            raise
        message = "internal error (%s: %s), while reading %s, rerun with EXTRACT_EMOJI_DEBUG=1 and report it" % (
            type(e).__name__, e, opts.font)
    sys.stderr.write("error: %s\n" % " ".join(message.split()))
    return 1


if __name__ == "__main__":
    sys.exit(main())

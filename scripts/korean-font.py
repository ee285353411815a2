#!/usr/bin/env python3
"""Makes assets/NotoSansKR-gdlab.ttf, the font of the Korean figures (src/report/plot.rs).

Noto Sans CJK KR (Debian's fonts-noto-cjk, SIL Open Font License 1.1) cut down to what a
figure can hold: the 2,350 Hangul syllables of KS X 1001, compatibility jamo, Latin-1, Greek,
punctuation, arrows and mathematical operators. Greek, punctuation, sub- and superscripts,
arrows and mathematical symbols come from DejaVu Sans (assets/DejaVuSans.ttf, its own free
licence), scaled to Noto's 1000 units per em: Noto has no subscript digits (b₀, w₁), and its
CJK forms of ‖, ∇ or … are full-width, which sets formulas apart in a Latin line. The outlines are converted from CFF to TrueType
quadratics, which plotters' font reader draws like any other; hinting and layout tables go.

    pip install fonttools
    apt-get install fonts-noto-cjk
    python3 scripts/korean-font.py       # writes assets/NotoSansKR-gdlab.ttf

The figures' Korean words are checked against this font's characters by a unit test
(src/report/plot.rs), so a word it cannot draw fails the tests instead of printing boxes.
"""
import os
import sys

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.transformPen import TransformPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DEJAVU = os.path.join(ROOT, "assets", "DejaVuSans.ttf")
OUT = os.path.join(ROOT, "assets", "NotoSansKR-gdlab.ttf")

# Code point ranges kept besides the Hangul syllables (inclusive).
RANGES = [
    (0x0020, 0x007E), (0x00A0, 0x00FF), (0x0370, 0x03FF), (0x2010, 0x2027), (0x2030, 0x205E),
    (0x2070, 0x209F), (0x2100, 0x214F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2300, 0x23FF),
    (0x25A0, 0x25FF), (0x3000, 0x303F), (0x3131, 0x318E),
]


def ks_x_1001_hangul():
    """The 2,350 syllables of KS X 1001 (EUC-KR rows 0xB0-0xC8), in code order."""
    out = []
    for hi in range(0xB0, 0xC9):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("euc-kr")
            except UnicodeDecodeError:
                continue
            if 0xAC00 <= ord(ch) <= 0xD7A3:
                out.append(ord(ch))
    return out


def wanted():
    return sorted(set(ks_x_1001_hangul()) | {c for a, b in RANGES for c in range(a, b + 1)})


def cut(codes):
    font = TTFont(NOTO, fontNumber=1)  # 1: Noto Sans CJK KR in the collection
    assert font["name"].getDebugName(4) == "Noto Sans CJK KR", "fontNumber 1 is not the KR face"
    opts = subset.Options()
    opts.layout_features = []
    opts.hinting = False
    opts.desubroutinize = True
    opts.name_IDs = ["*"]
    s = subset.Subsetter(opts)
    s.populate(unicodes=codes)
    s.subset(font)
    return font


def to_truetype(font):
    """CFF outlines to TrueType quadratics (max error 1 unit of 1000)."""
    order = font.getGlyphOrder()
    gs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        gs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    font["maxp"] = newTable("maxp")
    font["maxp"].tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                 "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions"):
        setattr(font["maxp"], attr, 0)
    font["maxp"].maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 2.0
    font["post"].extraNames = []
    font["post"].mapping = {}
    font["post"].glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"
    return font


# Ranges whose glyphs DejaVu Sans draws even where Noto has them (proportional forms).
FROM_DEJAVU = [(0x0370, 0x03FF), (0x2000, 0x23FF), (0x25A0, 0x25FF)]


def add_from_dejavu(font, codes):
    """Glyphs Noto lacks, and those of FROM_DEJAVU, from DejaVu Sans, scaled to Noto's units
    per em."""
    dv = TTFont(DEJAVU)
    dv_cmap, dv_gs = dv.getBestCmap(), dv.getGlyphSet()
    scale = font["head"].unitsPerEm / dv["head"].unitsPerEm
    cmap = font.getBestCmap()
    order = list(font.getGlyphOrder())
    added = []
    for code in codes:
        preferred = any(a <= code <= b for a, b in FROM_DEJAVU)
        if code not in dv_cmap or (code in cmap and not preferred):
            continue
        name = "dv_%04X" % code
        # Composite glyphs (accents over a base) are drawn out into plain outlines.
        rec = DecomposingRecordingPen(dv_gs)
        dv_gs[dv_cmap[code]].draw(rec)
        pen = TTGlyphPen(None)
        rec.replay(TransformPen(pen, (scale, 0, 0, scale, 0, 0)))
        font["glyf"].glyphs[name] = pen.glyph()
        width = round(dv["hmtx"][dv_cmap[code]][0] * scale)
        font["hmtx"].metrics[name] = (width, 0)
        order.append(name)
        for table in font["cmap"].tables:
            if table.isUnicode():
                table.cmap[code] = name
        added.append(chr(code))
    font.setGlyphOrder(order)
    font["glyf"].glyphOrder = order
    font["post"].glyphOrder = order
    # Vertical metrics and layout tables are not used by plotters (no kerning, no shaping).
    for t in ("vhea", "vmtx", "BASE", "GPOS", "GSUB"):
        if t in font:
            del font[t]
    return added


def main():
    codes = wanted()
    font = to_truetype(cut(codes))
    added = add_from_dejavu(font, codes)
    # Only the format-4 and format-12 Unicode subtables: nothing here needs the others.
    font["cmap"].tables = [t for t in font["cmap"].tables if t.isUnicode() and t.format in (4, 12)]
    font.save(OUT)
    print(f"{OUT}: {os.path.getsize(OUT)} bytes, {len(font.getBestCmap())} characters, "
          f"{len(added)} from DejaVu Sans: {''.join(added[:40])}...", file=sys.stderr)


if __name__ == "__main__":
    main()

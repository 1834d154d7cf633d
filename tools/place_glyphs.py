#!/usr/bin/env python3
"""Renders the glyph prototypes of the characters of place names (models/places/).

tesseract's chi_sim reads rare characters of place names as common ones of similar
shape (赣 as 六, 总, 蒜), or cannot read them at all (the model lacks 儋 and 邕). Where
the divisions of GB/T 2260 leave a few characters possible at a misread place in an
agency's name, nianbao compares the glyph on the page with these prototypes of those
characters only (src/ocr/place_glyphs.rs).

Each prototype is a character drawn in one font at 64 px, binarised, cut to its ink's
box and reduced to GRID x GRID shares of ink (one hex digit each, 0-15). Fonts: the Song
(Ming), Kai and Hei faces reports and their titles are set in (Debian packages
fonts-arphic-uming, fonts-arphic-ukai, fonts-noto-cjk).

Usage: tools/place_glyphs.py models/gazetteer/divisions.tsv models/places/prototypes.txt
Needs Python 3 with Pillow.
"""
import sys

from PIL import Image, ImageDraw, ImageFont

GRID = 12
SIZE = 64
FONTS = [
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2),  # SC
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # SC
]


def chars(divisions):
    out = set()
    for line in open(divisions, encoding="utf-8"):
        if line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) > 1:
            out.update(c for c in parts[1] if "\u3400" <= c <= "\u9fff")
    return sorted(out)


def features(img):
    """Shares of ink in GRID x GRID cells of the ink's box, 0-15 (None: no ink)."""
    w, h = img.size
    px = img.load()
    ink = [[px[x, y] < 128 for x in range(w)] for y in range(h)]
    ys = [y for y in range(h) if any(ink[y])]
    xs = [x for x in range(w) if any(ink[y][x] for y in range(h))]
    if not ys:
        return None
    x0, x1, y0, y1 = xs[0], xs[-1] + 1, ys[0], ys[-1] + 1
    out = []
    for gy in range(GRID):
        for gx in range(GRID):
            a0 = x0 + (x1 - x0) * gx / GRID
            a1 = x0 + (x1 - x0) * (gx + 1) / GRID
            b0 = y0 + (y1 - y0) * gy / GRID
            b1 = y0 + (y1 - y0) * (gy + 1) / GRID
            n = s = 0
            for y in range(int(b0), max(int(b0) + 1, int(b1 + 0.999))):
                for x in range(int(a0), max(int(a0) + 1, int(a1 + 0.999))):
                    if y < h and x < w:
                        n += 1
                        s += ink[y][x]
            out.append(round(15 * s / max(n, 1)))
    return out


def main():
    divisions, out = sys.argv[1], sys.argv[2]
    cs = chars(divisions)
    lines = [f"# place-name glyph prototypes: {len(cs)} characters x {len(FONTS)} fonts, "
             f"{GRID}x{GRID} ink shares (hex), by tools/place_glyphs.py"]
    for fi, (path, index) in enumerate(FONTS):
        font = ImageFont.truetype(path, SIZE, index=index)
        for c in cs:
            img = Image.new("L", (SIZE * 2, SIZE * 2), 255)
            ImageDraw.Draw(img).text((SIZE // 2, SIZE // 2), c, font=font, fill=0)
            f = features(img)
            if f is None:
                continue
            lines.append(f"{c}\t{fi}\t" + "".join(f"{v:x}" for v in f))
    open(out, "w", encoding="utf-8").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

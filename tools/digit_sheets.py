#!/usr/bin/env python3
"""Renders the training sheets of nianbao's digit classifier (models/digits/).

Each sheet is one font under one degradation: the digits 0-9, ten times over, each in
a square slot of SLOT px, as a table picture would show them after nianbao brought it
to its working scale. A digit is drawn at a source size (the pixel height a 90-300 dpi
picture gives a 10.5 pt digit), degraded there (blur, JPEG, speckle), and then scaled up
or down to the working digit height with bilinear filtering, the way `scale.rs` does.

`cargo run --release --example digit_model -- SHEETS_DIR models/digits/glyphs.txt`
then binarises the sheets with the pipeline's own Sauvola pass and stores the glyphs.

Usage: tools/digit_sheets.py OUT_DIR [--fonts-from FILE]
The shipped model was made with `--fonts-from tools/digit_fonts.txt` (its Debian packages
are named in it); `digit_model SHEETS x --check MODEL` judges a model on any sheets.
Needs Python 3 with Pillow. Fonts: every Latin font found under /usr/share/fonts
(symbol and dingbat fonts skipped), or those listed in FILE (one path per line).
"""
import glob
import io
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFilter, ImageFont

SLOT = 48  # px per digit slot at the working scale
WORK_DIGIT_H = (15, 18, 21, 24)  # digit heights at the working scale (glyph 25 px)
SOURCE_DIGIT_H = (8, 10, 12, 15, 20, 28)  # at the source: ~90 dpi to ~300 dpi
BLUR = (0.0, 0.6, 1.1)
JPEG = (None, 50, 25)
SKIP = ("Symbol", "D050000L", "Z003", "MathTeX", "ExtraLight")


def fonts(listing=None):
    if listing:
        lines = (l.split("#")[0].strip() for l in open(listing))
        return [l for l in lines if l]
    found = []
    for pat in ("/usr/share/fonts/**/*.ttf", "/usr/share/fonts/**/*.otf", "/usr/share/fonts/**/*.ttc"):
        found += glob.glob(pat, recursive=True)
    return sorted(f for f in found if not any(s in f for s in SKIP) and has_digits(f))


def has_digits(font_path):
    """False for fonts that draw every digit alike (no Latin digits: a missing-glyph box)."""
    f = ImageFont.truetype(font_path, 40)
    drawn = set()
    for d in "0123456789":
        img = Image.new("L", (60, 60), 255)
        ImageDraw.Draw(img).text((5, 0), d, font=f, fill=0)
        drawn.add(img.tobytes())
    return len(drawn) == 10


def digit_image(font_path, d, src_h, blur, jpeg, rng):
    """One digit, `src_h` px high at the source, degraded, on white."""
    # Find the font size whose digit "0" is src_h px high.
    size = src_h
    for _ in range(6):
        f = ImageFont.truetype(font_path, size)
        box = f.getbbox("0")
        h = box[3] - box[1]
        if h <= 0:
            return None
        size = max(4, round(size * src_h / h))
    f = ImageFont.truetype(font_path, size)
    box = f.getbbox(d)
    if box[2] <= box[0] or box[3] <= box[1]:
        return None
    pad = src_h
    # Sub-pixel placement: the same digit falls differently on the pixel grid.
    ox, oy = rng.random(), rng.random()
    img = Image.new("L", (box[2] - box[0] + 2 * pad, src_h * 2 + 2 * pad), 255)
    ImageDraw.Draw(img).text((pad - box[0] + ox, pad - f.getbbox("0")[1] + oy), d, font=f, fill=0)
    if blur > 0:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if jpeg:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=jpeg)
        img = Image.open(buf).convert("L")
    return img


def sheet(font_path, src_h, work_h, blur, jpeg, rng):
    cols, reps = 10, 6
    out = Image.new("L", (cols * SLOT, reps * SLOT), 255)
    k = work_h / src_h
    for r in range(reps):
        for d in range(cols):
            img = digit_image(font_path, str(d), src_h, blur, jpeg, rng)
            if img is None:
                return None
            img = img.resize((max(1, round(img.width * k)), max(1, round(img.height * k))), Image.BILINEAR)
            # The digit's top sits about a quarter slot down, centred across.
            x = d * SLOT + (SLOT - img.width) // 2
            y = r * SLOT + SLOT // 4 - round(src_h * k)
            crop_box = (max(0, -x), max(0, -y), img.width, img.height)
            out.paste(img.crop(crop_box), (max(0, x), max(0, y)), None)
    # Speckle, as scans have it.
    px = out.load()
    for _ in range(out.width * out.height // 400):
        px[rng.randrange(out.width), rng.randrange(out.height)] = rng.randrange(0, 160)
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    out_dir = sys.argv[1]
    listing = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--fonts-from" else None
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(20261202)
    n = 0
    for fp in fonts(listing):
        name = os.path.splitext(os.path.basename(fp))[0]
        for src_h in SOURCE_DIGIT_H:
            for blur in BLUR:
                for jpeg in JPEG:
                    work_h = rng.choice(WORK_DIGIT_H)
                    s = sheet(fp, src_h, work_h, blur * src_h / 12, jpeg, rng)
                    if s is None:
                        continue
                    tag = f"{name}__s{src_h}_w{work_h}_b{blur}_j{jpeg or 0}"
                    s.save(os.path.join(out_dir, tag + ".png"))
                    n += 1
    print(f"{n} sheets in {out_dir}")


if __name__ == "__main__":
    main()

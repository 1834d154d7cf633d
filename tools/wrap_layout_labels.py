#!/usr/bin/env python3
"""Makes a space-aligned text sample whose wrapped row labels have their numbers on the
label's first or last line, from one whose numbers sit on a middle line (as
`pdftotext -layout` prints a vertically centred cell): a top-aligned cell prints the
values beside the label's first line, a bottom-aligned one beside its last.

    tools/wrap_layout_labels.py IN.txt OUT.txt   (GBK in and out, as the sample is)

Rows alternate: the first wrapped row found gets its values on the first line, the
next on the last, and so on. A row is taken when the line above its values holds the
start of its numbered label (`3、危及"三安全一稳`) and the line below its end (`定"`),
both left of the values; other lines are copied as they are.
"""
import re
import sys
import unicodedata

VALUE = re.compile(r"^[0-9０-９]+$")


def width(c):
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


def cols(line):
    """(display column, char) for each character."""
    out, x = [], 0
    for c in line:
        out.append((x, c))
        x += width(c)
    return out


def tokens(line):
    """Tokens parted by two or more columns of space: (start column, text)."""
    out, cur, start, gap = [], "", 0, 2
    for x, c in cols(line):
        if c.isspace():
            gap += width(c)
            continue
        if gap >= 2 and cur:
            out.append((start, cur))
            cur = ""
        if not cur:
            start = x
        elif gap:
            cur += " "
        cur += c
        gap = 0
    if cur:
        out.append((start, cur))
    return out


def values_from(line):
    """The display column where the line's trailing run of 7 or more values starts."""
    toks = tokens(line)
    n = 0
    for _, t in reversed(toks):
        if not VALUE.match(t):
            break
        n += 1
    return toks[-n][0] if n >= 7 else None


def cut(line, at):
    """The line's text left of display column `at`, and from it on."""
    left, right = "", ""
    for x, c in cols(line):
        if x < at:
            left += c
        else:
            right += c
    return left.rstrip(), right


def pad_to(text, at):
    w = sum(width(c) for c in text)
    return text + " " * (at - w)


def numbered(text):
    return re.match(r"^([0-9]+|[一二三四五六七八九十]+)[、.．]", text) is not None


def main(src, dst):
    lines = open(src, encoding="gbk").read().split("\n")
    out, i, mode, done = [], 0, 0, 0
    while i < len(lines):
        line = lines[i]
        at = values_from(line)
        if at is not None and out and i + 1 < len(lines):
            left, right = cut(line, at)
            above, below = out[-1], lines[i + 1]
            above_toks, below_toks = tokens(above), tokens(below)
            own = [t for x, t in tokens(left)]
            if (
                not any(numbered(t) for t in own)
                and above_toks
                and numbered(above_toks[-1][1])
                and values_from(above) is None
                and below_toks
                and values_from(below) is None
                and not numbered(below_toks[-1][1])
                and sum(width(c) for c in above.rstrip()) < at - 1
                and sum(width(c) for c in below.rstrip()) < at - 1
            ):
                if mode == 0:
                    out[-1] = pad_to(above.rstrip(), at) + right
                    if left.strip():
                        out.append(left)
                    out.append(below)
                else:
                    if left.strip():
                        out.append(left)
                    out.append(pad_to(below.rstrip(), at) + right)
                mode ^= 1
                done += 1
                i += 2
                continue
        out.append(line)
        i += 1
    open(dst, "w", encoding="gbk").write("\n".join(out))
    print(f"{done} rows moved", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

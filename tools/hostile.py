#!/usr/bin/env python3
"""Hostile-input run: builds a set of damaged and adversarial files from samples/, runs
`nianbao extract` on it with the default settings, and reports what issue #11 asks of it:
every file has its record, no document ran past the time limit, and the run's peak RSS.

    python3 tools/hostile.py [--nianbao target/release/nianbao] [--out DIR] [--seed N]
                             [--keep] [--only-make]

The set (deterministic for a seed): every born-digital and scanned sample truncated at
three points and with random bytes flipped (twice); DOCX whose document.xml is damaged
inside an intact zip; zip bombs (a 1 GiB member, a member whose header lies about its
size, a zip of zip bombs, a DOCX whose document.xml inflates to 1 GiB, a tar.gz of a
1 GiB member); 200,000 zip entries; path tricks and duplicate names; deep nesting (HTML
divs and tables, DOCX tables and runs, PDF arrays and dictionaries); huge declared sizes
(PNG and JPEG headers of 65,535 pixels square, alone and inside a DOCX; a tar member
declaring 64 GiB; a PDF stream declaring a terabyte); a 200 MB text file.

Exit status 1 when a file has no record, a document ran past the limit, or the peak RSS
is over --max-rss-mb (600).
"""
import argparse, io, json, os, random, resource, shutil, struct, subprocess, sys, tarfile
import tempfile, time, zipfile, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GIB = 1 << 30


def samples():
    out = []
    for d in ["docx", "html", "pdf", "txt", "doc", "formats", "png", "pdf-scan", "harsh"]:
        p = os.path.join(ROOT, "samples", d)
        if not os.path.isdir(p):
            continue
        for f in sorted(os.listdir(p)):
            if not f.endswith(".json") and os.path.isfile(os.path.join(p, f)):
                out.append(os.path.join(p, f))
    return out


def zeros_deflated(size):
    """Raw deflate of `size` zero bytes, streamed (never held whole)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    parts = [c.compress(chunk) for _ in range(size >> 20)]
    parts.append(c.flush())
    return b"".join(parts)


def zip_raw(members):
    """A zip of (name, deflated bytes, crc, declared uncompressed size) members, written by
    hand so that sizes and CRCs may lie."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in members:
        name = name.encode()
        off = out.tell()
        big = size >= 0xFFFFFFFF or len(data) >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, size, len(data)) if big else b""
        csize, usize = (0xFFFFFFFF, 0xFFFFFFFF) if big else (len(data), size)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0, crc, csize, usize,
                              len(name), len(extra)) + name + extra + data)
        cextra = struct.pack("<HHQQQ", 1, 24, size, len(data), off) if big else b""
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0, crc,
                                  csize, usize, len(name), len(cextra), 0, 0, 0, 0,
                                  0xFFFFFFFF if big else off) + name + cextra)
    cd = central.getvalue()
    n = len(members)
    out.write(cd)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(cd), out.tell() - len(cd), 0))
    return out.getvalue()


def bomb_zip(name, size):
    data = zeros_deflated(size)
    return zip_raw([(name, data, zlib.crc32(b"") if size == 0 else crc_zeros(size), size)])


def crc_zeros(size):
    crc, chunk = 0, bytes(1 << 20)
    for _ in range(size >> 20):
        crc = zlib.crc32(chunk, crc)
    return crc


def docx_with(document_xml, extra=()):
    """A minimal DOCX (the parts Word needs) with this document.xml."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Default Extension="png" ContentType="image/png"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", document_xml)
        for name, data in extra:
            z.writestr(name, data)
    return b.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def png_header(w, h):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes(1 << 16))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_header(w, h):
    sof = struct.pack(">BHHHB", 8, h, w, 3, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return (b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9")


def pdf_with(body_obj):
    """A one-page PDF whose content stream object 4 is `body_obj` (bytes)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            body_obj]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    x = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for o in offs:
        out.write(b"%010d 00000 n \n" % o)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x))
    return out.getvalue()


def tar_bytes(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return b.getvalue()


def make(out, seed):
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    made = []

    def put(name, data):
        p = os.path.join(out, name)
        with open(p, "wb") as f:
            f.write(data)
        made.append(name)

    for src in samples():
        base = os.path.basename(src)
        stem, ext = os.path.splitext(base)
        data = open(src, "rb").read()
        for frac in (0.1, 0.5, 0.9):
            put(f"trunc{int(frac * 100):02d}-{stem}{ext}", data[: int(len(data) * frac)])
        for k in range(2):
            b = bytearray(data)
            for _ in range(rng.choice([1, 8, 64])):
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)
            put(f"flip{k}-{stem}{ext}", bytes(b))
        if ext == ".docx":
            # Damage inside an intact zip: the XML parser sees it, not the zip reader.
            try:
                z = zipfile.ZipFile(io.BytesIO(data))
                xml = bytearray(z.read("word/document.xml"))
                for _ in range(32):
                    i = rng.randrange(len(xml))
                    xml[i] = rng.randrange(256)
                o = io.BytesIO()
                with zipfile.ZipFile(o, "w", zipfile.ZIP_DEFLATED) as w:
                    for n in z.namelist():
                        w.writestr(n, bytes(xml) if n == "word/document.xml" else z.read(n))
                put(f"xmlflip-{stem}.docx", o.getvalue())
            except Exception:
                pass

    # Zip bombs.
    put("bomb-1gib.zip", bomb_zip("zeros.docx", GIB))
    lying = zeros_deflated(GIB)
    put("bomb-lying-size.zip", zip_raw([("small.html", lying, crc_zeros(GIB), 100)]))
    inner = bomb_zip("zeros.txt", 256 << 20)
    put("bomb-nested.zip", zip_raw([(f"b{i}.zip", zlib.compress(inner)[2:-4], zlib.crc32(inner), len(inner))
                                    for i in range(10)]))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    para = b"<w:p><w:r><w:t>" + "统计".encode() * 64 + b"</w:t></w:r></w:p>"
    head = f'<?xml version="1.0"?><w:document {W}><w:body>'.encode()
    n = GIB // len(para)
    parts, crc = [c.compress(head)], zlib.crc32(head)
    block = para * 4096
    for _ in range(n // 4096):
        parts.append(c.compress(block))
        crc = zlib.crc32(block, crc)
    tail = b"</w:body></w:document>"
    parts.append(c.compress(tail))
    crc = zlib.crc32(tail, crc)
    parts.append(c.flush())
    size = len(head) + (n // 4096) * len(block) + len(tail)
    ct = docx_with("x")
    zin = zipfile.ZipFile(io.BytesIO(ct))
    members = [(nm, zlib.compress(zin.read(nm))[2:-4], zlib.crc32(zin.read(nm)), len(zin.read(nm)))
               for nm in zin.namelist() if nm != "word/document.xml"]
    members.append(("word/document.xml", b"".join(parts), crc, size))
    put("bomb-document-xml.docx", zip_raw(members))
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode="w:gz") as t:
        info = tarfile.TarInfo("zeros.txt")
        info.size = GIB

        class Zeros(io.RawIOBase):
            left = GIB

            def readinto(self, b):
                k = min(len(b), self.left)
                b[:k] = bytes(k)
                self.left -= k
                return k
        t.addfile(info, Zeros())
    put("bomb-1gib.tar.gz", tgz.getvalue())

    # Many entries, path tricks, duplicates.
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        for i in range(200_000):
            z.writestr(f"e{i}.txt", b"")
    put("entries-200000.zip", b.getvalue())
    html = open(os.path.join(ROOT, "samples/html", sorted(
        f for f in os.listdir(os.path.join(ROOT, "samples/html")) if f.endswith(".html"))[0]), "rb").read()
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ["../../escape.html", "/etc/absolute.html", "a/../../up.html", "dup.html", "dup.html",
                     "C:\\windows\\drive.html", "ok.html"]:
            z.writestr(name, html)
    put("path-tricks.zip", b.getvalue())

    # Deep nesting.
    put("deep-div-200000.html", b"<html><body>" + b"<div>" * 200_000 + b"x" + b"</div>" * 200_000 + b"</body></html>")
    put("deep-table-50000.html", b"<html><body>" + b"<table><tr><td>" * 50_000 + b"1" + b"</td></tr></table>" * 50_000 + b"</body></html>")
    put("deep-unclosed-500000.html", b"<html><body>" + b"<span><b><i>" * 500_000)
    cell = "<w:tbl><w:tr><w:tc>"
    put("deep-tables-20000.docx", docx_with(f'<w:document {W}><w:body>' + cell * 20_000 + "<w:p/>"
                                            + "</w:tc></w:tr></w:tbl>" * 20_000 + "</w:body></w:document>"))
    put("deep-xml-1000000.docx", docx_with(f'<w:document {W}><w:body>' + "<w:r>" * 1_000_000 + "</w:body></w:document>"))
    put("deep-array-100000.pdf", pdf_with(b"<< /Length 10 /X " + b"[" * 100_000 + b"]" * 100_000 + b" >>\nstream\nBT ET\n    \nendstream"))
    put("deep-dict-100000.pdf", pdf_with(b"<< /Length 10 /X " + b"<< /A " * 100_000 + b" >>" * 100_000 + b" >>\nstream\nBT ET\n    \nendstream"))
    put("deep-content-ops.pdf", pdf_with(b"<< /Length 2000000 >>\nstream\n" + b"q " * 1_000_000 + b"\nendstream"))

    # Huge declared sizes.
    put("huge-png-65535.png", png_header(65535, 65535))
    put("huge-jpeg-65500.jpg", jpeg_header(65500, 65500))
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/></Relationships>')
    pic = (f'<w:document {W} xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
           'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body><w:p><w:r><w:drawing>'
           '<a:blip r:embed="rId9"/></w:drawing></w:r></w:p></w:body></w:document>')
    put("huge-picture.docx", docx_with(pic, [("word/_rels/document.xml.rels", rels),
                                             ("word/media/image1.png", png_header(65535, 65535))]))
    t = bytearray(tar_bytes([("report.txt", b"2021 " * 100)]))
    size_field = b"%011o\0" % (64 * GIB)
    t[124:136] = size_field
    chk = sum(t[:148]) + 8 * 32 + sum(t[156:512])
    t[148:156] = b"%06o\0 " % chk
    put("huge-tar-member.tar", bytes(t))
    put("huge-stream-length.pdf", pdf_with(b"<< /Length 1000000000000 >>\nstream\nBT ET\nendstream"))
    put("huge-xref-count.pdf", pdf_with(b"<< /Length 5 >>\nstream\nBT ET\nendstream").replace(b"xref\n0 5", b"xref\n0 999999999"))
    line = "二、主动公开政府信息情况 第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数\n".encode()
    with open(os.path.join(out, "huge-text-200mb.txt"), "wb") as f:
        for _ in range((200 << 20) // len(line)):
            f.write(line)
    made.append("huge-text-200mb.txt")
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nianbao", default=os.path.join(ROOT, "target/release/nianbao"))
    ap.add_argument("--out", help="folder for the files (default: a temporary one)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--keep", action="store_true", help="keep the files and outputs")
    ap.add_argument("--only-make", action="store_true")
    ap.add_argument("--max-rss-mb", type=float, default=600)
    a = ap.parse_args()
    work = a.out or tempfile.mkdtemp(prefix="nianbao-hostile-")
    files = os.path.join(work, "files")
    t0 = time.time()
    made = make(files, a.seed)
    size = sum(os.path.getsize(os.path.join(files, f)) for f in made)
    print(f"{len(made)} hostile files ({size / 1e6:.0f} MB) made in {time.time() - t0:.0f} s in {files}")
    if a.only_make:
        return 0
    jsonl, stats, db = (os.path.join(work, n) for n in ("out.jsonl", "stats.json", "out.sqlite"))
    for p in (jsonl, stats, db):
        if os.path.exists(p):
            os.remove(p)
    t0 = time.time()
    # Default settings: no --config, and run where no pipeline.toml is found.
    r = subprocess.run([a.nianbao, "extract", files, "--db", db, "--jsonl", jsonl, "--stats", stats,
                        "--quiet"], cwd=work, stderr=subprocess.PIPE, text=True)
    wall = time.time() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "(no summary)")
    records = [json.loads(l) for l in open(jsonl, encoding="utf-8")]
    by_file = {}
    for rec in records:
        path = rec["source"]["path"]
        top = os.path.basename(path.split("!")[0])
        by_file.setdefault(top, []).append(rec)
    missing = [f for f in made if f not in by_file]
    st = json.load(open(stats))
    limit = 120.0
    slowest = st.get("slowest", [])
    over = [s for s in slowest if s.get("seconds", 0) > limit + 5]
    timeouts = sum(1 for rec in records for e in rec.get("errors", []) if "time limit" in e.get("message", "")
                   or e.get("stage") == "timeout")
    status = {}
    for rec in records:
        status[rec["status"]] = status.get(rec["status"], 0) + 1
    rss = ru.ru_maxrss / 1024
    print(f"files {len(made)}, records {len(records)} ({status}), files without a record {len(missing)}"
          f"{': ' + ', '.join(missing[:10]) if missing else ''}")
    print(f"run {wall:.1f} s wall, {ru.ru_utime + ru.ru_stime:.1f} s CPU, peak RSS {rss:.0f} MB, "
          f"exit status {r.returncode}; timeouts {timeouts}")
    print("slowest: " + "; ".join(f"{os.path.basename(s.get('path', '?'))} {s.get('seconds', 0):.1f} s"
                                  for s in slowest[:10]))
    if not a.keep and not a.out:
        shutil.rmtree(work, ignore_errors=True)
    bad = missing or over or rss > a.max_rss_mb or r.returncode not in (0, 1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

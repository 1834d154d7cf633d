#!/usr/bin/env python3
"""Held-out variants of HTML reports, for measuring the PDF and layout-text decoders on
producers and layouts the samples do not hold: each page is printed by headless Chromium
(header and footer on) under a CSS variant (paper size, zoom, no rules, 三线表, cells
aligned to the bottom or top, a narrow label column), and the PDF is turned into
`pdftotext -layout` text; each gets the HTML's truth file with its file and format.

    tools/print_variants.py OUTDIR VARIANT[,VARIANT...] REPORT.html...

Then: nianbao extract OUTDIR --no-db --jsonl out.jsonl; score.py --truth OUTDIR
--records out.jsonl --by perturbation. samples/formats/fm-030.pdf was printed this way
(dev-023, rules off, table 二 with a 4.5em label column and cells aligned to the bottom,
A4 landscape).
"""
import json, os, subprocess, sys, re

VARIANTS = {
    "plain": "",
    "a5": "@page{size:A5}",
    "letter-zoom": "@page{size:Letter} body{zoom:1.35}",
    "a4-small": "@page{size:A4} body{zoom:0.7}",
    "unruled-bottom": "td,th{border:none!important;vertical-align:bottom!important} td *{margin:0!important;line-height:1.5!important} table tr td:first-child{width:4.2em!important}",
    "unruled-top": "td,th{border:none!important;vertical-align:top!important} td *{margin:0!important;line-height:1.5!important} table tr td:first-child{width:4.2em!important}",
    "unruled-middle": "td,th{border:none!important;vertical-align:middle!important} td *{margin:0!important;line-height:1.5!important} table tr td:first-child{width:4.2em!important}",
    "unruled": "td,th{border:none!important}",
    "unruled-b": "td,th{border:none!important;vertical-align:bottom!important}",
    "threeline": "table{border-top:1.5pt solid #000!important;border-bottom:1.5pt solid #000!important} td,th{border:none!important}",
    "narrow-a5-bottom": "@page{size:A5} td,th{border:none!important;vertical-align:bottom!important} td *{margin:0!important} table tr td:first-child{width:3.2em!important}",
}

out, names, htmls = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
os.makedirs(out, exist_ok=True)
for h in htmls:
    base = os.path.basename(h)[:-5]
    truth = json.load(open(h[:-5] + ".truth.json", encoding="utf-8"))
    src = open(h, encoding="utf-8", errors="replace").read()
    for v in names:
        css = "<style>" + VARIANTS[v] + "</style>"
        page = src.replace("</head>", css + "</head>", 1) if "</head>" in src else css + src
        hp = os.path.join(out, f"{base}-{v}.html.src")
        open(hp, "w", encoding="utf-8").write(page)
        pdf = os.path.join(out, f"{base}-{v}.pdf")
        # file:// needs an .html name for Chromium to render it as HTML
        tmp_html = os.path.join(out, f".{base}-{v}.html")
        os.replace(hp, tmp_html)
        subprocess.run(["timeout", "120", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        f"--print-to-pdf={pdf}", "file://" + os.path.abspath(tmp_html)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.remove(tmp_html)
        txt = pdf[:-4] + ".txt"
        subprocess.run(["pdftotext", "-layout", pdf, txt])
        for f, fmt in ((pdf, "pdf-text"), (txt, "txt-layout")):
            t = dict(truth)
            t["id"] = os.path.basename(f).rsplit(".", 1)[0] + ("-t" if fmt == "txt-layout" else "")
            t["file"] = os.path.basename(f)
            t["format"] = fmt
            t["perturbations"] = [v]
            json.dump(t, open(f + ".truth.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)

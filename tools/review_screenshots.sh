#!/usr/bin/env bash
# Makes the README's pictures of `nianbao review`, docs/review-overview.png,
# docs/review-document.png and docs/review-source.png (1280×800, headless Chromium), from
# samples/ extracted by the release binary: the overview, the scanned sample hv-011.pdf
# opened on its least sure OCR'd cell (its crop in the panel), and the source view of the
# born-digital dev-005.docx on one value's row. Run after the page or the extraction changed:
#   cargo build --release && tools/review_screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/nianbao
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
[ -x "$chromium" ] || { echo "no $chromium (apt-get install chromium)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "no sqlite3 (apt-get install sqlite3)" >&2; exit 2; }

tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

db=$tmp/review.sqlite
"$bin" extract --quiet --db "$db" samples/ 2>/dev/null
"$bin" review --db "$db" --port 0 >"$tmp/address" &
pid=$!
for _ in $(seq 100); do
    grep -q token= "$tmp/address" 2>/dev/null && break
    sleep 0.1
done
url=$(grep -o 'http://[^ ]*' "$tmp/address")
base=${url%%/?token=*}
token=${url##*token=}

id=$(sqlite3 "$db" "SELECT id FROM reports WHERE path LIKE '%/hv-011.pdf'")
# The least sure cell of table 三's first rows: in view without scrolling (a headless
# screenshot of a scrolled page comes out blank at the top).
key=$(sqlite3 "$db" "SELECT key FROM report_values WHERE report_id = $id AND origin = 'ocr'
                     AND (key LIKE 'requests/new/%' OR key LIKE 'requests/carried_in/%')
                     ORDER BY confidence, key LIMIT 1")

shoot() {
    "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$tmp/profile" --hide-scrollbars --window-size=1280,800 \
        --virtual-time-budget=5000 --screenshot="$1" "$2" 2>/dev/null
}
shoot docs/review-overview.png "$url"
shoot docs/review-document.png "$base/doc/$id?token=$token#cell=$key"
# The source view of a born-digital DOCX, opened on table 三's new requests in total.
docx=$(sqlite3 "$db" "SELECT id FROM reports WHERE path LIKE '%/dev-005.docx'")
cell=$(sqlite3 "$db" "SELECT 't' || (cell_table + 1) || 'r' || (cell_row + 1) FROM report_values
                      WHERE report_id = $docx AND key = 'requests/new/total'")
shoot docs/review-source.png "$base/doc/$docx/source?token=$token&key=requests%2Fnew%2Ftotal#$cell"
echo "docs/review-overview.png, docs/review-document.png (hv-011.pdf, cell $key)," \
     "docs/review-source.png (dev-005.docx, requests/new/total at #$cell)"

#!/usr/bin/env bash
# The main job on the shipped samples: installs what is missing, builds, and extracts
# every sample into the embedded SQLite database ./nianbao.sqlite (and samples.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo build --release --quiet
# Every sample document (the *.truth.json files beside them are the expected records).
mapfile -t DOCS < <(find samples -type f ! -name '*.json' ! -name '*.tsv' ! -name '*.md' | sort)
./target/release/nianbao extract "${DOCS[@]}" --db nianbao.sqlite --jsonl samples.jsonl --force
echo
echo "Table 三 of one report, as printed (sqlite3 nianbao.sqlite):"
sqlite3 -header -column nianbao.sqlite "
  SELECT row_label, natural_person AS 自然人, business AS 商业企业, total AS 总计
  FROM requests_table WHERE path LIKE '%dev-009.html' ORDER BY row_order LIMIT 6;" 2>/dev/null || true
echo
echo "Requests received and carried forward, one row per report (view report_wide):"
sqlite3 -header -column nianbao.sqlite "
  SELECT agency, year, status, new_total, carried_forward_total FROM report_wide
  WHERE status != 'failed' ORDER BY new_total DESC LIMIT 5;" 2>/dev/null || true
echo
echo "Failed checks (the reports' own arithmetic errors):"
sqlite3 -header -column nianbao.sqlite "
  SELECT r.agency, c.rule_id, c.detail FROM checks c JOIN reports r ON r.id = c.report_id
  WHERE c.ok = 0 LIMIT 8;" 2>/dev/null || true

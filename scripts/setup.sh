#!/usr/bin/env bash
# Installs what nianbao needs to build and run on Debian/Ubuntu, when it is missing.
# Safe to run again: it only installs what is absent. Uses sudo when not root.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "setup: not root and no sudo: install the packages below by hand" >&2
    fi
fi

# Debian packages: a C compiler for the bundled SQLite, pkg-config, the sqlite3 shell
# for querying the results; for reading tables in pictures (OCR), libtesseract with its
# Chinese (chi_sim) and English data, and clang for the bindings to it; headless
# Chromium and its WebDriver for the review page's tests (tests/review.rs); the
# PostgreSQL server, whose initdb/pg_ctl the tests of the PostgreSQL sink and queue run
# on a temp dir.
PACKAGES=(build-essential pkg-config sqlite3 ca-certificates
    tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng libtesseract-dev libleptonica-dev
    clang libclang-dev chromium chromium-driver postgresql)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
    for c in "$HOME/.cargo/bin/cargo" /usr/local/cargo/bin/cargo; do
        [ -x "$c" ] && export PATH="$(dirname "$c"):$PATH" && break
    done
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: Rust (cargo, 1.80 or newer) is needed: see https://rustup.rs" >&2
    exit 1
fi

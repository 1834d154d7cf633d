#!/usr/bin/env bash
# The test suite: installs what is missing, checks formatting and lints, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
# One OpenMP thread per tesseract call: the tests run their own threads (see
# nianbao::ocr::limit_openmp_threads).
export OMP_THREAD_LIMIT=1
cargo test --release --lib --tests

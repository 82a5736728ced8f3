#!/usr/bin/env bash
# The layout checks of docs/ARCHITECTURE.md, on their own and quickly: no source file under
# crates/*/src over 450 lines or without a `//!` line, crates/http naming neither the store nor
# the carriers, no two files importing each other (crates/dialnexa/tests/layout.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -q -p dialnexa --test layout

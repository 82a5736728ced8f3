#!/usr/bin/env bash
# The project's test command: every test, on SQLite and on PostgreSQL.
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth) for the second pass, Prism and Twilio's
# OpenAPI document for the carrier contract tests (scripts/prism.sh install), and python3 for
# the official-SDK test, which installs its pinned SDKs itself (scripts/python-sdks.sh), and for
# schemathesis against the running service (scripts/schemathesis.sh, a pinned venv of its own).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== layout (file sizes, dependencies of crates/http, import cycles) =="
bash scripts/check-layout.sh

echo "== cargo test (SQLite) =="
cargo test --workspace --all-targets

if [ "${DIALNEXA_SKIP_POSTGRES:-0}" != "1" ]; then
  echo "== API, crash and operations tests on PostgreSQL =="
  DIALNEXA_TEST_DATABASE=postgres cargo test -p dialnexa --test api --test crash --test ops
fi

if [ "${DIALNEXA_SKIP_SCHEMATHESIS:-0}" != "1" ]; then
  echo "== schemathesis: our document (every check) and DialNexa's official one =="
  bash scripts/schemathesis.sh run
else
  echo "== schemathesis skipped (DIALNEXA_SKIP_SCHEMATHESIS=1) ==" >&2
fi

if [ "${DIALNEXA_SKIP_E2E:-0}" != "1" ]; then
  bash e2e/run.sh
fi

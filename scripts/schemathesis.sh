#!/usr/bin/env bash
# The running service checked by schemathesis (PyPI, pinned in scripts/schemathesis/
# requirements.txt, installed into its own virtual environment), twice:
#   1. against our own document (GET /openapi.json), every check schemathesis has, with the
#      statuses the seed's business rules answer to schema-valid requests declared per operation
#      in scripts/schemathesis/own.toml;
#   2. against DialNexa's official OpenAPI (docs/dialnexa-official.openapi.json, a verbatim
#      copy; its info.x-source names where it comes from) for the operations we implement,
#      response-schema and status checks, with the statuses the seed (our authority) adds to it
#      declared in scripts/schemathesis/official-overlay.json.
# Any failure fails the script. Examples per operation are bounded so a run takes minutes.
#
#   scripts/schemathesis.sh install    create or update the environment (idempotent)
#   scripts/schemathesis.sh run        build dialnexa, serve it on a fresh database, run both
#
# Environment: DIALNEXA_SCHEMATHESIS_VENV (default ~/.cache/dialnexa-schemathesis/venv),
# DIALNEXA_SCHEMATHESIS_EXAMPLES (default 25 per operation), DIALNEXA_SCHEMATHESIS_SEED.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUIREMENTS="scripts/schemathesis/requirements.txt"
VENV="${DIALNEXA_SCHEMATHESIS_VENV:-${HOME:-/root}/.cache/dialnexa-schemathesis/venv}"
STAMP="$VENV/.dialnexa-requirements.sha256"
EXAMPLES="${DIALNEXA_SCHEMATHESIS_EXAMPLES:-25}"
SEED="${DIALNEXA_SCHEMATHESIS_SEED:-20261201}"
ADMIN_TOKEN="schemathesis-admin-token"

die() { echo "schemathesis.sh: $*" >&2; exit 1; }

install() {
    local wanted
    wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
    if [[ -x "$VENV/bin/st" && -f "$STAMP" && "$(cat "$STAMP")" == "$wanted" ]]; then
        return 0
    fi
    command -v python3 >/dev/null || die "python3 is not installed (3.9 or newer is needed)"
    echo "schemathesis.sh: installing schemathesis into $VENV" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$VENV/bin/pip" install --quiet --no-input --disable-pip-version-check \
        -r "$REQUIREMENTS" </dev/null >&2
    echo "$wanted" >"$STAMP"
}

run() {
    install
    echo "== schemathesis: building dialnexa =="
    cargo build -p dialnexa --bin dialnexa
    local bin="${CARGO_TARGET_DIR:-target}/debug/dialnexa"
    work="$(mktemp -d)"
    # Port 0: the server binds a free port itself and prints it. No rate limit: the fuzzer is
    # one key sending as fast as it can (an unknown variable is ignored by builds without one).
    DIALNEXA_RATE_LIMIT_RPS=0 "$bin" serve --database-url "sqlite://$work/db.sqlite" \
        --emulator-state "$work/emu.db" --listen "127.0.0.1:0" --admin-token "$ADMIN_TOKEN" \
        >"$work/server.log" 2>&1 &
    server=$!
    trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

    local base=""
    for _ in $(seq 1 120); do
        base="$(sed -n 's/^DialNexa Numbers listening on \(http:[^ ]*\).*/\1/p' "$work/server.log" | head -n1)"
        if [[ -n "$base" ]] && "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/ready')" "$base" 2>/dev/null; then
            break
        fi
        kill -0 "$server" 2>/dev/null || { tail -n 30 "$work/server.log" >&2; die "the server exited at start"; }
        sleep 0.5
    done
    [[ -n "$base" ]] || { tail -n 30 "$work/server.log" >&2; die "the server never said where it listens"; }
    [[ -s "$work/dialnexa-demo-key.txt" ]] || die "the server did not write the demo key"
    export DIALNEXA_API_KEY="$(cat "$work/dialnexa-demo-key.txt")" DIALNEXA_ADMIN_TOKEN="$ADMIN_TOKEN"

    local common=(--max-examples "$EXAMPLES" --seed "$SEED" --workers 1 --no-shrink
        --request-timeout 30 --report junit --report-dir "$work/reports")
    local status=0
    echo "== schemathesis: our own document, every check =="
    "$VENV/bin/st" --config-file scripts/schemathesis/own.toml run "$base/openapi.json" \
        --checks all "${common[@]}" || status=1

    echo "== schemathesis: DialNexa's official document, response schemas and statuses =="
    "$VENV/bin/python" scripts/schemathesis/official.py "$base/openapi.json" \
        docs/dialnexa-official.openapi.json scripts/schemathesis/official-overlay.json \
        "$work/official.json"
    "$VENV/bin/st" --config-file scripts/schemathesis/official.toml run "$work/official.json" \
        --url "$base" --mode positive \
        --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
        "${common[@]}" || status=1

    if [[ "$status" != 0 ]]; then
        echo "schemathesis.sh: failures above; the server's log ends with:" >&2
        tail -n 20 "$work/server.log" >&2
    fi
    return "$status"
}

case "${1:-}" in
    install) install ;;
    run) run ;;
    *) die "usage: schemathesis.sh install | run" ;;
esac

#!/usr/bin/env bash
# A Python virtual environment with the reference Standard Webhooks library (`standardwebhooks`
# from PyPI, pinned in crates/dialnexa/tests/webhooks/requirements.txt), which the webhook
# tests verify deliveries with (crates/dialnexa/tests/api/webhooks.rs runs this itself).
#
#   scripts/webhook-verifier.sh install    create or update the environment (idempotent)
#   scripts/webhook-verifier.sh python     print the environment's python (installs first)
#
# Environment: DIALNEXA_WEBHOOK_VENV (default ~/.cache/dialnexa-webhooks/venv). Packages come
# from PyPI through pip, or from /opt/wheels when that folder exists. Never prompts.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUIREMENTS="crates/dialnexa/tests/webhooks/requirements.txt"
VENV="${DIALNEXA_WEBHOOK_VENV:-${HOME:-/root}/.cache/dialnexa-webhooks/venv}"
STAMP="$VENV/.dialnexa-requirements.sha256"

die() { echo "webhook-verifier.sh: $*" >&2; exit 1; }

install() {
    local wanted
    wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
    if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$wanted" ]]; then
        return 0
    fi
    command -v python3 >/dev/null || die "python3 is not installed (3.9 or newer is needed)"
    echo "webhook-verifier.sh: installing standardwebhooks into $VENV" >&2
    # Concurrent tests may install at once: one does it, the others wait for it.
    mkdir -p "$(dirname "$VENV")"
    exec 9>"$VENV.lock"
    flock 9
    if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$wanted" ]]; then
        return 0
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    local find_links=()
    [[ -d /opt/wheels ]] && find_links=(--find-links /opt/wheels)
    "$VENV/bin/pip" install --quiet --no-input --disable-pip-version-check \
        "${find_links[@]}" -r "$REQUIREMENTS" </dev/null >&2
    echo "$wanted" >"$STAMP"
}

case "${1:-}" in
    install) install ;;
    python) install; echo "$VENV/bin/python" ;;
    *) die "usage: webhook-verifier.sh install | python" ;;
esac

#!/usr/bin/env bash
# A Python virtual environment with the carriers' official SDKs (twilio, plivo, telnyx) at the
# versions pinned in crates/emulator/tests/sdk/requirements.txt, for the test that drives the
# emulator with them (crates/emulator/tests/official_sdks.rs runs this itself).
#
#   scripts/python-sdks.sh install    create or update the environment (idempotent)
#   scripts/python-sdks.sh python     print the environment's python (installs first)
#
# Environment: DIALNEXA_SDK_VENV (default ~/.cache/dialnexa-sdks/venv). Packages come from
# PyPI through pip, or from /opt/wheels when that folder exists. Never prompts (CI has no stdin).
set -euo pipefail
cd "$(dirname "$0")/.."

REQUIREMENTS="crates/emulator/tests/sdk/requirements.txt"
VENV="${DIALNEXA_SDK_VENV:-${HOME:-/root}/.cache/dialnexa-sdks/venv}"
STAMP="$VENV/.dialnexa-requirements.sha256"

die() { echo "python-sdks.sh: $*" >&2; exit 1; }

install() {
    local wanted
    wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
    if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$wanted" ]]; then
        return 0
    fi
    command -v python3 >/dev/null || die "python3 is not installed (3.9 or newer is needed)"
    echo "python-sdks.sh: installing the carriers' SDKs into $VENV" >&2
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
    *) die "usage: python-sdks.sh install | python" ;;
esac

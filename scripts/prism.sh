#!/usr/bin/env bash
# Prism (Stoplight's OpenAPI mock and validating proxy) for the carrier contract tests: the
# adapters and the emulator are checked against the carriers' documents, and Prism rejects any
# request or answer those documents do not allow. Twilio's own OpenAPI document comes from the
# npm registry too (the package @twilio-alpha/mcp ships Twilio's twilio-oai specs); Plivo and
# Telnyx are checked against the project's contracts in crates/carriers/contracts/.
#
#   scripts/prism.sh install                 install Prism and Twilio's document once (idempotent)
#   scripts/prism.sh twilio-spec             print the path of Twilio's api_v2010 document
#   scripts/prism.sh bin                     print the path of the prism binary (installs first)
#   scripts/prism.sh start NAME SPEC PORT    start a mock in the background, wait until it listens
#   scripts/prism.sh stop NAME               stop one mock started by this script
#   scripts/prism.sh stop-all                stop every mock started by this script
#
# Environment: PRISM_DIR (install dir, default ~/.cache/dialnexa-prism), PRISM_RUN_DIR (pid and
# log files, default $PRISM_DIR/run), PRISM_START_TIMEOUT (seconds, default 60).
# Runs with no stdin (CI): nothing here ever prompts.
set -euo pipefail

PRISM_VERSION="5.14.2"
PRISM_DIR="${PRISM_DIR:-${HOME:-/root}/.cache/dialnexa-prism}"
PRISM_RUN_DIR="${PRISM_RUN_DIR:-$PRISM_DIR/run}"
PRISM_BIN="$PRISM_DIR/node_modules/.bin/prism"
# Twilio's document, taken out of the package tarball (its dependencies are not needed) and
# checked against the registry's integrity hash for this exact version.
TWILIO_PACKAGE="@twilio-alpha/mcp"
TWILIO_PACKAGE_VERSION="0.7.0"
TWILIO_PACKAGE_INTEGRITY="sha512-YsUde1pMXwqHm8Cvq9JdtsyvclVCC/f/V+FmxTNN04u5Qt5aapkbQgcfqBYQ0xcmvATBNswgPDo3MPVaCtZK8Q=="
TWILIO_SPEC_IN_PACKAGE="package/twilio-oai/spec/json/twilio_api_v2010.json"
TWILIO_SPEC="$PRISM_DIR/twilio-$TWILIO_PACKAGE_VERSION/twilio_api_v2010.json"
# Where the tests look for it, whatever the pinned version.
TWILIO_SPEC_LINK="$PRISM_DIR/twilio_api_v2010.json"

die() { echo "prism.sh: $*" >&2; exit 1; }

installed_version() {
    # The package's own manifest, not `prism --version`, which takes a second to boot node.
    local manifest="$PRISM_DIR/node_modules/@stoplight/prism-cli/package.json"
    [[ -x "$PRISM_BIN" && -f "$manifest" ]] || return 1
    node -e 'process.stdout.write(require(process.argv[1]).version)' "$manifest"
}

install() {
    install_prism
    install_twilio_spec
}

install_prism() {
    if [[ "$(installed_version 2>/dev/null || true)" == "$PRISM_VERSION" ]]; then
        return 0
    fi
    command -v npm >/dev/null || die "npm is not installed (Node 20 or newer is needed)"
    mkdir -p "$PRISM_DIR"
    echo "prism.sh: installing @stoplight/prism-cli@$PRISM_VERSION into $PRISM_DIR" >&2
    # --no-fund/--no-audit keep it quiet and offline-friendly; </dev/null guarantees no prompt.
    npm install --prefix "$PRISM_DIR" --no-fund --no-audit --loglevel=error \
        "@stoplight/prism-cli@$PRISM_VERSION" </dev/null >&2
    [[ "$(installed_version)" == "$PRISM_VERSION" ]] || die "install finished but $PRISM_BIN is missing"
}

install_twilio_spec() {
    [[ -s "$TWILIO_SPEC" ]] || fetch_twilio_spec
    ln -sfn "$TWILIO_SPEC" "$TWILIO_SPEC_LINK"
}

fetch_twilio_spec() {
    command -v npm >/dev/null || die "npm is not installed (Node 20 or newer is needed)"
    local work
    work="$(mktemp -d)"
    echo "prism.sh: fetching Twilio's OpenAPI document ($TWILIO_PACKAGE@$TWILIO_PACKAGE_VERSION)" >&2
    # `npm pack` downloads the package tarball alone, through npm's own registry settings.
    (cd "$work" && npm pack --silent "$TWILIO_PACKAGE@$TWILIO_PACKAGE_VERSION" </dev/null >/dev/null)
    local tarball
    tarball="$(ls "$work"/*.tgz)"
    local integrity
    integrity="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
    [[ "$integrity" == "$TWILIO_PACKAGE_INTEGRITY" ]] \
        || { rm -rf "$work"; die "$TWILIO_PACKAGE@$TWILIO_PACKAGE_VERSION has integrity $integrity, expected $TWILIO_PACKAGE_INTEGRITY"; }
    tar -xzf "$tarball" -C "$work" "$TWILIO_SPEC_IN_PACKAGE"
    mkdir -p "$(dirname "$TWILIO_SPEC")"
    mv "$work/$TWILIO_SPEC_IN_PACKAGE" "$TWILIO_SPEC.tmp" && mv "$TWILIO_SPEC.tmp" "$TWILIO_SPEC"
    rm -rf "$work"
}

port_open() {
    # bash's /dev/tcp avoids depending on nc or curl being installed.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pid_alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

start() {
    local name="$1" spec="$2" port="$3"
    [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad mock name: $name"
    [[ "$port" =~ ^[0-9]+$ ]] || die "bad port: $port"
    [[ -f "$spec" ]] || die "no such spec: $spec"
    install
    mkdir -p "$PRISM_RUN_DIR"
    local pidfile="$PRISM_RUN_DIR/$name.pid" log="$PRISM_RUN_DIR/$name.log"
    if [[ -f "$pidfile" ]] && pid_alive "$(cat "$pidfile")"; then
        die "mock '$name' already runs (pid $(cat "$pidfile")); stop it first"
    fi
    port_open "$port" && die "port $port is already in use"

    # setsid gives the mock its own process group so `stop` can end node and its children
    # together; nohup and </dev/null detach it from this shell and from any terminal.
    setsid nohup "$PRISM_BIN" mock -h 127.0.0.1 -p "$port" "$spec" </dev/null >"$log" 2>&1 &
    local pid=$!
    echo "$pid" >"$pidfile"

    local deadline=$((SECONDS + ${PRISM_START_TIMEOUT:-60}))
    until port_open "$port"; do
        if ! pid_alive "$pid"; then
            rm -f "$pidfile"
            tail -n 20 "$log" >&2 || true
            die "mock '$name' exited before listening (log: $log)"
        fi
        if ((SECONDS >= deadline)); then
            stop "$name"
            die "mock '$name' did not listen on port $port in time (log: $log)"
        fi
        sleep 0.2
    done
    echo "prism.sh: mock '$name' ($spec) listens on http://127.0.0.1:$port (pid $pid)" >&2
}

stop() {
    local pidfile="$PRISM_RUN_DIR/$1.pid"
    [[ -f "$pidfile" ]] || return 0
    local pid
    pid="$(cat "$pidfile")"
    if pid_alive "$pid"; then
        # The pid leads its own process group (setsid), so signal the group.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
        pid_alive "$pid" && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
    fi
    rm -f "$pidfile"
}

stop_all() {
    [[ -d "$PRISM_RUN_DIR" ]] || return 0
    local pidfile
    for pidfile in "$PRISM_RUN_DIR"/*.pid; do
        [[ -e "$pidfile" ]] || continue
        stop "$(basename "$pidfile" .pid)"
    done
}

case "${1:-}" in
    install) install ;;
    bin) install; echo "$PRISM_BIN" ;;
    twilio-spec) install_twilio_spec; echo "$TWILIO_SPEC" ;;
    start) [[ $# -eq 4 ]] || die "usage: prism.sh start NAME SPEC PORT"; start "$2" "$3" "$4" ;;
    stop) [[ $# -eq 2 ]] || die "usage: prism.sh stop NAME"; stop "$2" ;;
    stop-all) stop_all ;;
    *) die "usage: prism.sh install | bin | twilio-spec | start NAME SPEC PORT | stop NAME | stop-all" ;;
esac

#!/usr/bin/env bash
# End-to-end tests of the dashboard in headless Chromium (Debian's `chromium`, driven by
# playwright-core; never a downloaded browser). Builds `dialnexa`, serves it on a loopback port
# it picks itself (port 0) with a fresh SQLite database and demo workspace, runs `node --test`
# over e2e/*.test.mjs, and stops the server. Screenshots of each page land in e2e/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium =="
  if [ "$(id -u)" != 0 ]; then
    echo "e2e: /usr/bin/chromium is missing; install it with: sudo apt-get install -y chromium" >&2
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
if [ ! -f e2e/node_modules/playwright-core/package.json ]; then
  echo "== installing playwright-core (npm ci) =="
  (cd e2e && npm ci --no-audit --no-fund)
fi

echo "== building dialnexa =="
cargo build -p dialnexa
bin="${CARGO_TARGET_DIR:-target}/debug/dialnexa"

work="$(mktemp -d)"
# Port 0: the server binds a free port itself and prints it (no port picked first and bound later).
"$bin" serve --database-url "sqlite://$work/db.sqlite" --emulator-state "$work/emu.db" \
  --listen "127.0.0.1:0" >"$work/server.log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

base=""
for _ in $(seq 1 120); do
  base="$(sed -n 's/^DialNexa Numbers listening on \(http:[^ ]*\).*/\1/p' "$work/server.log" | head -n1)"
  if [ -n "$base" ] && node -e "fetch('$base/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
    break
  fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "e2e: the server exited at start:" >&2
    tail -n 30 "$work/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
if [ -z "$base" ]; then
  echo "e2e: the server never said where it listens" >&2
  tail -n 30 "$work/server.log" >&2
  exit 1
fi
if [ ! -s "$work/dialnexa-demo-key.txt" ]; then
  echo "e2e: the server did not write the demo key" >&2
  tail -n 30 "$work/server.log" >&2
  exit 1
fi

# The embedded carrier emulator's test controls let a test play "another buyer".
emulator="$(sed -n 's/^carrier emulator .* on \(http:[^ ]*\).*/\1/p' "$work/server.log" | head -n1)"

echo "== dashboard end-to-end tests (headless Chromium) =="
status=0
DIALNEXA_URL="$base" DIALNEXA_EMULATOR_URL="$emulator" \
  DIALNEXA_KEY="$(tr -d '[:space:]' <"$work/dialnexa-demo-key.txt")" \
  node --test --test-concurrency=1 e2e/*.test.mjs || status=$?
if [ "$status" != 0 ]; then
  echo "e2e: failed; the server's last log lines:" >&2
  tail -n 40 "$work/server.log" >&2
fi
exit "$status"

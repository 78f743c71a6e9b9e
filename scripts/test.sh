#!/usr/bin/env bash
# Runs every test of openvidu-rs. Works on a fresh Debian machine: it installs what it
# needs (Debian's chromium for the browser tests, the npm packages of the test suites).
#
#   scripts/test.sh            everything
#   scripts/test.sh --no-e2e   skip the browser tests
#
# Order: everything that needs the package registries first (apt, npm ci, cargo build),
# then the tests; the browser tests run inside a private network namespace with only
# loopback, so media never leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
E2E=1
for arg in "$@"; do
  case "$arg" in
    --no-e2e) E2E=0 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

LOG_DIR=${OPENVIDU_RS_TEST_LOGS:-$ROOT/target/test-logs}
mkdir -p "$LOG_DIR"
SUMMARY=$LOG_DIR/summary.txt
: > "$SUMMARY"

step() { printf '\n==> %s\n' "$*"; }

# --- 1. Install (needs the registries) -------------------------------------------------
need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
APT_UPDATED=0
apt_install() {
  if [ $APT_UPDATED -eq 0 ]; then need_root apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive need_root apt-get install -y -qq --no-install-recommends "$@"
}
if [ $E2E -eq 1 ]; then
  step "System packages"
  command -v chromium >/dev/null || apt_install chromium
  command -v unshare >/dev/null || apt_install util-linux
  command -v ip >/dev/null || apt_install iproute2
fi

# The React tutorial is built (inside the namespace) by its browser test.
for suite in tests/contract tests/e2e apps/react-tutorial; do
  if [ -f "$suite/package-lock.json" ] && { [ $E2E -eq 1 ] || [ "$suite" = tests/contract ]; }; then
    step "npm ci ($suite)"
    (cd "$suite" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

step "cargo build --release"
cargo build --release --locked --workspace --all-targets

# --- 2. Tests ---------------------------------------------------------------------------
STATUS=0
step "Format and lints"
if cargo fmt --all -- --check && cargo clippy --release --locked --workspace --all-targets -- -D warnings; then
  echo "1 0" >> "$SUMMARY"
else
  echo "0 1" >> "$SUMMARY"; STATUS=1
fi

step "Rust tests"
cargo test --release --locked --workspace 2>&1 | tee "$LOG_DIR/cargo.log" || STATUS=1
grep -a -E '^test result:' "$LOG_DIR/cargo.log" |
  sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' >> "$SUMMARY"

export OPENVIDU_RS_BIN=$ROOT/target/release/openvidu-rs

node_suite() { # name dir [wrapper...]; NODE_TEST_ARGS adds runner options
  local name=$1 dir=$2; shift 2
  step "$name"
  # shellcheck disable=SC2086
  (cd "$dir" && "$@" node --test ${NODE_TEST_ARGS:-} --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$LOG_DIR/$name.tap") \
    2>&1 | tee "$LOG_DIR/$name.log" || STATUS=1
  local pass fail
  pass=$(grep -a -E '^# pass ' "$LOG_DIR/$name.tap" | awk '{print $3}')
  fail=$(grep -a -E '^# fail ' "$LOG_DIR/$name.tap" | awk '{print $3}')
  echo "${pass:-0} ${fail:-1}" >> "$SUMMARY"
}

[ -f tests/contract/package.json ] && node_suite contract tests/contract

if [ $E2E -eq 1 ] && [ -d tests/e2e ]; then
  # Browsers, server and Node share a network namespace that has only loopback.
  # One browser test file at a time: each starts its own Chromium on 2 cores.
  NODE_TEST_ARGS=--test-concurrency=1 node_suite e2e tests/e2e "$ROOT/scripts/loopback-netns.sh"
fi

# --- 3. Summary -------------------------------------------------------------------------
awk '{p+=$1; f+=$2} END {printf "\nopenvidu-rs: %d passed, %d failed\n", p, f; exit (f>0)}' "$SUMMARY" || STATUS=1
if [ $STATUS -ne 0 ]; then echo "openvidu-rs: some step failed (logs in $LOG_DIR)" >&2; fi
exit $STATUS

#!/usr/bin/env bash
# Runs every test of openvidu-rs. Works on a fresh Debian machine: it installs what it
# needs (Debian's chromium for the browser tests, the npm packages of the test suites).
#
#   scripts/test.sh              everything
#   scripts/test.sh --no-e2e     skip the browser tests (reported as not run, by request)
#   scripts/test.sh --self-test  check this script's summary logic against crafted logs
#
# Order: everything that needs the package registries first (apt, npm ci, cargo build),
# then the tests; the browser tests run inside a private network namespace with only
# loopback, so media never leaves the machine.
#
# The summary must not flatter: every suite starts from empty logs (a suite that never
# starts is not summarised from an older run), a suite without a summary of its own is
# reported by name as not run and fails the run, skipped / ignored / todo / cancelled
# tests are counted as not passed, compile-only doctests and the lint step are not counted
# as tests. The last line is one line for CI, e.g.
#
#   openvidu-rs: PASS: 812 passed, 0 failed, 2 not run (ignored 2, skipped 0, cancelled 0, todo 0); lints passed
#
# and the exit status is non-zero on any failed or cancelled test, failed step, or a suite
# that did not run.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

step() { printf '\n==> %s\n' "$*"; }

# --- Results ------------------------------------------------------------------------------
# One line per suite or step in $RESULTS, tab-separated:
#   suite <name> ran    <passed> <failed> <cancelled> <skipped> <todo> <ignored> <note>
#   suite <name> notrun <note>
#   check <name> passed|failed|notrun <note>
record() { local IFS=$'\t'; printf '%s\n' "$*" >> "$RESULTS"; }

# Records a cargo test log: `test result:` lines summed, minus compile-only doctests
# (rustdoc's `... - compile ... ok` / `- compile fail ... ok`: nothing was run), and a
# non-zero exit without a failed test (a crashed or unbuildable test binary) as a failure.
record_cargo() { # name log exit-status
  local name=$1 log=$2 rc=$3
  if [ ! -s "$log" ] || ! grep -a -q -E '^test result:' "$log"; then
    record suite "$name" notrun "no 'test result:' line in $log (cargo test exited $rc)"
    return
  fi
  local counts compile_only
  counts=$(grep -a -E '^test result:' "$log" | awk '{
      for (i = 1; i < NF; i++) {
        n = $i; w = $(i + 1); sub(/;$/, "", w)
        if (w == "passed") p += n; else if (w == "failed") f += n; else if (w == "ignored") g += n
      }
    } END { printf "%d %d %d", p, f, g }')
  compile_only=$(grep -a -c -E '^test .* - compile( fail)? \.\.\. ok$' "$log")
  local passed failed ignored note=""
  read -r passed failed ignored <<< "$counts"
  passed=$((passed - compile_only))
  [ "$compile_only" -gt 0 ] && note="$compile_only compile-only doctests not counted"
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
    note="${note:+$note; }cargo test exited $rc without a failed test in its log (counted as 1 failure)"
  fi
  record suite "$name" ran "$passed" "$failed" 0 0 0 "$ignored" "$note"
}

# Records a node --test TAP file from its closing `# pass/fail/cancelled/skipped/todo`
# lines (disjoint counts in Node 20: a timed-out test is `cancelled`, not `fail`).
record_tap() { # name tap exit-status
  local name=$1 tap=$2 rc=$3
  if [ ! -s "$tap" ] || ! grep -a -q -E '^# tests [0-9]+$' "$tap"; then
    record suite "$name" notrun "no TAP summary in $tap (node --test exited $rc)"
    return
  fi
  count() { grep -a -E "^# $1 [0-9]+\$" "$tap" | tail -1 | awk '{print $3}'; }
  local passed failed cancelled skipped todo note=""
  passed=$(count pass); failed=$(count fail); cancelled=$(count cancelled)
  skipped=$(count skipped); todo=$(count todo)
  passed=${passed:-0}; failed=${failed:-0}; cancelled=${cancelled:-0}; skipped=${skipped:-0}; todo=${todo:-0}
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && [ "$cancelled" -eq 0 ]; then
    failed=1; note="node --test exited $rc without a failed test in its TAP (counted as 1 failure)"
  fi
  record suite "$name" ran "$passed" "$failed" "$cancelled" "$skipped" "$todo" 0 "$note"
}

# Prints one line per suite and check, then the final line; returns 1 unless everything
# that should have run ran and passed.
summarize() { # results-file
  awk -F'\t' '
    function plural(n, w) { return n " " w }
    $1 == "suite" && $3 == "ran" {
      p += $4; f += $5; c += $6; s += $7; t += $8; g += $9
      line = sprintf("%s: %d passed, %d failed, %d not run (ignored %d, skipped %d, cancelled %d, todo %d)", $2, $4, $5, $6 + $7 + $8 + $9, $9, $7, $6, $8)
      if ($10 != "") line = line " [" $10 "]"
      print line
      next
    }
    $1 == "suite" { print $2 ": did not run (" $4 ")"; notrun = notrun (notrun == "" ? "" : ", ") $2; next }
    $1 == "check" {
      print $2 ": " $3 ($4 != "" ? " (" $4 ")" : "")
      if ($2 == "lints") lints = $3
      else if ($3 == "failed") steps = steps (steps == "" ? "" : ", ") $2
      else if ($3 == "notrun" && $4 != "--no-e2e") notrun = notrun (notrun == "" ? "" : ", ") $2
      else if ($3 == "notrun") skipped_by_option = skipped_by_option (skipped_by_option == "" ? "" : ", ") $2
      next
    }
    END {
      bad = (f > 0 || c > 0 || lints != "passed" || steps != "" || notrun != "")
      line = sprintf("openvidu-rs: %s: %d passed, %d failed, %d not run (ignored %d, skipped %d, cancelled %d, todo %d); lints %s",
                     bad ? "FAIL" : "PASS", p, f, c + s + t + g, g, s, c, t, lints == "" ? "not run" : lints)
      if (steps != "") line = line "; failed steps: " steps
      if (notrun != "") line = line "; did not run: " notrun
      if (skipped_by_option != "") line = line "; skipped by --no-e2e: " skipped_by_option
      print ""
      print line
      exit bad
    }' "$1"
}

# --- Running ----------------------------------------------------------------------------
# Every runner first deletes its own logs, so that what is summarised is this run's.

run_lints() {
  step "Format and lints (not counted as tests)"
  if cargo fmt --all -- --check && cargo clippy --release --locked --workspace --all-targets -- -D warnings; then
    record check lints passed ""
  else
    record check lints failed "cargo fmt --check / cargo clippy -D warnings"
  fi
}

run_cargo_tests() {
  local log=$LOG_DIR/cargo.log
  rm -f "$log"
  step "Rust tests"
  cargo test --release --locked --workspace --no-fail-fast 2>&1 | tee "$log"
  record_cargo "cargo test" "$log" "${PIPESTATUS[0]}"
}

# The browser code's JSDoc types (tsc --checkJs, no emit) and the SDK's generated .d.ts:
# a check, not counted as tests.
run_types() {
  step "Type check of the browser code (a check, not counted as tests)"
  local failed=""
  for dir in sdk/browser sdk/components; do
    if [ "${NPM_OK[$dir]}" -ne 1 ]; then failed="$failed $dir(npm ci)"; continue; fi
    (cd "$dir" && npx --no-install tsc -p . --noEmit) || failed="$failed $dir"
  done
  (cd sdk/browser && npm run --silent types) || failed="$failed sdk/browser(.d.ts)"
  if [ -z "$failed" ]; then record check "types (sdk)" passed "tsc --checkJs"; else record check "types (sdk)" failed "tsc failed in:$failed"; fi
}

# The short fuzz pass (scripts/fuzz.sh --short): a check, not counted as tests. It fails
# the run on a crash, a timeout or a target that does not build.
run_fuzz() {
  local log=$LOG_DIR/fuzz.log
  rm -f "$log"
  step "Fuzzing, short pass (a check, not counted as tests)"
  scripts/fuzz.sh --short 2>&1 | tee "$log"
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then
    record check "fuzz (short)" passed "$(grep -c ': passed in' "$log") targets"
  else
    record check "fuzz (short)" failed "$(grep -c ': FAILED' "$log") target(s) crashed or did not build; see $log"
  fi
}

node_suite() { # name dir [wrapper...]; NODE_TEST_ARGS adds runner options
  local name=$1 dir=$2; shift 2
  local tap=$LOG_DIR/$name.tap log=$LOG_DIR/$name.log
  rm -f "$tap" "$log"
  step "$name"
  # shellcheck disable=SC2086
  (cd "$dir" && "$@" node --test ${NODE_TEST_ARGS:-} --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$tap") 2>&1 | tee "$log"
  record_tap "$name" "$tap" "${PIPESTATUS[0]}"
}

# --- Self-test of the summary ---------------------------------------------------------------
# Crafted logs for each way a run can lie; `node` is a shell function here, so node_suite
# runs for real (stale files, missing TAP) without Node.
self_test() {
  local dir failures=0
  dir=$(mktemp -d)
  LOG_DIR=$dir
  local cargo_ok="$dir/cargo-ok.log" cargo_fail="$dir/cargo-fail.log" cargo_crash="$dir/cargo-crash.log"
  cat > "$cargo_ok" <<'EOF'
running 3 tests
test a ... ok
test b ... ok
test c ... ignored
test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s
   Doc-tests ov_client
running 2 tests
test crates/ov-client/src/lib.rs - (line 8) - compile ... ok
test crates/ov-client/src/client.rs - Client::new (line 31) ... ok
test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.20s
EOF
  cat > "$cargo_fail" <<'EOF'
running 2 tests
test a ... ok
test b ... FAILED
test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
error: test failed, to rerun pass `-p ov-media --lib`
EOF
  cat > "$cargo_crash" <<'EOF'
running 1 test
test a ... ok
test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
error: test failed, to rerun pass `-p ov-server --test it` (signal: 11, SIGSEGV)
EOF
  tap() { # pass fail cancelled skipped todo
    printf 'TAP version 13\nok 1 - x\n1..1\n# tests %d\n# suites 0\n# pass %d\n# fail %d\n# cancelled %d\n# skipped %d\n# todo %d\n# duration_ms 1\n' \
      $(($1 + $2 + $3 + $4 + $5)) "$1" "$2" "$3" "$4" "$5"
  }
  # A fake `node --test`: writes $FAKE_TAP (if set) to the TAP destination, exits $FAKE_RC.
  node() {
    local a dest=""
    for a in "$@"; do case "$a" in --test-reporter-destination=*.tap) dest=${a#*=} ;; esac; done
    if [ -n "${FAKE_TAP:-}" ]; then printf '%s' "$FAKE_TAP" > "$dest"; fi
    return "${FAKE_RC:-0}"
  }
  expect() { # description expected-exit pattern-of-last-line; runs on $RESULTS
    local out rc last
    out=$(summarize "$RESULTS"); rc=$?
    last=$(printf '%s\n' "$out" | tail -1)
    if [ "$rc" -eq "$2" ] && [[ "$last" =~ $3 ]]; then
      echo "ok   $1: exit $rc: $last"
    else
      echo "FAIL $1: exit $rc (want $2), last line: $last (want /$3/)"; printf '%s\n' "$out" | sed 's/^/     | /'
      failures=$((failures + 1))
    fi
  }
  fresh() { RESULTS=$dir/results-$1.tsv; : > "$RESULTS"; record check lints passed ""; }

  fresh all-good
  record_cargo "cargo test" "$cargo_ok" 0
  FAKE_TAP=$(tap 10 0 0 1 1) FAKE_RC=0 node_suite contract "$dir" > /dev/null
  expect "green run; compile-only doctest, ignored, skipped, todo not passed" 0 \
    '^openvidu-rs: PASS: 13 passed, 0 failed, 3 not run \(ignored 1, skipped 1, cancelled 0, todo 1\); lints passed$'

  fresh stale-tap
  tap 99 0 0 0 0 > "$dir/e2e.tap"   # left over from an earlier run
  record_cargo "cargo test" "$cargo_ok" 0
  FAKE_TAP="" FAKE_RC=1 node_suite e2e "$dir" > /dev/null
  expect "a suite that never writes its TAP file (a stale one is deleted first)" 1 \
    '^openvidu-rs: FAIL: 3 passed, .*; did not run: e2e$'

  fresh no-summary
  record_cargo "cargo test" "$cargo_ok" 0
  FAKE_TAP=$'TAP version 13\nok 1 - x\n' FAKE_RC=1 node_suite e2e "$dir" > /dev/null
  expect "a TAP file without its closing summary (interrupted run)" 1 'did not run: e2e$'

  fresh cancelled
  record_cargo "cargo test" "$cargo_ok" 0
  FAKE_TAP=$(tap 5 0 1 0 0) FAKE_RC=1 node_suite e2e "$dir" > /dev/null
  expect "a cancelled (timed-out) test" 1 \
    '^openvidu-rs: FAIL: 8 passed, 0 failed, 2 not run \(ignored 1, skipped 0, cancelled 1, todo 0\); lints passed$'

  fresh cargo-failed
  record_cargo "cargo test" "$cargo_fail" 101
  expect "a failed cargo test" 1 '^openvidu-rs: FAIL: 1 passed, 1 failed, '

  fresh cargo-crashed
  record_cargo "cargo test" "$cargo_crash" 101
  expect "cargo test exiting non-zero without a failed test (crashed binary)" 1 '^openvidu-rs: FAIL: 1 passed, 1 failed, '

  fresh cargo-no-output
  : > "$dir/cargo-empty.log"
  record_cargo "cargo test" "$dir/cargo-empty.log" 101
  expect "cargo test that never got to run a test (build error)" 1 'did not run: cargo test$'

  fresh node-rc
  FAKE_TAP=$(tap 5 0 0 0 0) FAKE_RC=1 node_suite contract "$dir" > /dev/null
  expect "node --test exiting non-zero with an all-pass TAP" 1 '^openvidu-rs: FAIL: 5 passed, 1 failed, '

  RESULTS=$dir/results-lints.tsv; : > "$RESULTS"
  record check lints failed "clippy"
  record_cargo "cargo test" "$cargo_ok" 0
  expect "failed lints, not counted as a test" 1 '^openvidu-rs: FAIL: 3 passed, 0 failed, .*; lints failed$'

  fresh step-failed
  record check "cargo build" failed ""
  record suite "cargo test" notrun "cargo build failed"
  expect "a failed build: its step and the suites it stopped" 1 'failed steps: cargo build; did not run: cargo test$'

  fresh no-e2e
  record_cargo "cargo test" "$cargo_ok" 0
  record check e2e notrun "--no-e2e"
  expect "--no-e2e: said so, not a failure" 0 '^openvidu-rs: PASS: .*; skipped by --no-e2e: e2e$'

  rm -rf "$dir"
  unset -f node
  if [ $failures -ne 0 ]; then echo "test.sh self-test: $failures case(s) failed"; return 1; fi
  echo "test.sh self-test: all cases passed"
}

# --- Main -------------------------------------------------------------------------------
E2E=1
for arg in "$@"; do
  case "$arg" in
    --no-e2e) E2E=0 ;;
    --self-test) self_test; exit $? ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

LOG_DIR=${OPENVIDU_RS_TEST_LOGS:-$ROOT/target/test-logs}
mkdir -p "$LOG_DIR"
RESULTS=$LOG_DIR/summary.tsv
rm -f "$LOG_DIR/summary.txt"
: > "$RESULTS"

# Runs a preparation step; records it as a check, returns its status.
prepare() { # name command...
  local name=$1; shift
  step "$name"
  if "$@"; then record check "$name" passed ""; return 0; fi
  record check "$name" failed ""; return 1
}

# --- 1. Install (needs the registries) -------------------------------------------------
need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
APT_UPDATED=0
apt_install() {
  if [ $APT_UPDATED -eq 0 ]; then need_root apt-get update -qq || return 1; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive need_root apt-get install -y -qq --no-install-recommends "$@"
}
system_packages() {
  { command -v chromium >/dev/null || apt_install chromium; } &&
    { command -v unshare >/dev/null || apt_install util-linux; } &&
    { command -v ip >/dev/null || apt_install iproute2; }
}
E2E_READY=$E2E
if [ $E2E -eq 1 ]; then prepare "system packages" system_packages || E2E_READY=0; fi

# The recorder (crates/ov-recorder) links GStreamer 1.22; its tests and the recording
# tests probe files with ffprobe/ffmpeg, as a player would read them.
GST_PACKAGES="pkg-config libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools ffmpeg"
recording_packages() {
  { pkg-config --exists gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0 gstreamer-pbutils-1.0 2>/dev/null &&
    command -v ffprobe >/dev/null && gst-inspect-1.0 x264enc >/dev/null 2>&1 &&
    gst-inspect-1.0 avenc_aac >/dev/null 2>&1; } ||
    # shellcheck disable=SC2086
    apt_install $GST_PACKAGES
}
prepare "GStreamer (recording)" recording_packages

# The React tutorial is built (inside the namespace) by its browser test.
declare -A NPM_OK=()
for suite in tests/contract tests/e2e apps/react-tutorial sdk/browser sdk/components; do
  NPM_OK[$suite]=1
  if [ -f "$suite/package-lock.json" ] && { [ $E2E -eq 1 ] || { [ "$suite" != tests/e2e ] && [ "$suite" != apps/react-tutorial ]; }; }; then
    prepare "npm ci ($suite)" sh -c "cd '$suite' && npm ci --no-audit --no-fund --loglevel=error" || NPM_OK[$suite]=0
  fi
done
[ "${NPM_OK[tests/e2e]}" -eq 1 ] && [ "${NPM_OK[apps/react-tutorial]}" -eq 1 ] || E2E_READY=0

BUILT=1
prepare "cargo build" cargo build --release --locked --workspace --all-targets || BUILT=0

# --- 2. Tests ---------------------------------------------------------------------------
run_lints

if [ $BUILT -eq 1 ]; then run_cargo_tests; else record suite "cargo test" notrun "cargo build failed"; fi

run_types

# Its own instrumented build (fuzz/ is outside the workspace), so it does not need BUILT.
run_fuzz

export OPENVIDU_RS_BIN=$ROOT/target/release/openvidu-rs
export APP_SERVER_BIN=$ROOT/target/release/app-server

if [ -f tests/contract/package.json ]; then
  if [ $BUILT -eq 1 ] && [ "${NPM_OK[tests/contract]}" -eq 1 ]; then
    node_suite contract tests/contract
  else
    rm -f "$LOG_DIR/contract.tap" "$LOG_DIR/contract.log"
    record suite contract notrun "cargo build or npm ci failed"
  fi
fi

if [ -d tests/e2e ]; then
  if [ $E2E -eq 0 ]; then
    rm -f "$LOG_DIR/e2e.tap" "$LOG_DIR/e2e.log"
    record check e2e notrun "--no-e2e"
  elif [ $BUILT -eq 1 ] && [ $E2E_READY -eq 1 ]; then
    # Browsers, server and Node share a network namespace that has only loopback.
    # One browser test file at a time: each starts its own Chromium on 2 cores.
    NODE_TEST_ARGS=--test-concurrency=1 node_suite e2e tests/e2e "$ROOT/scripts/loopback-netns.sh"
  else
    rm -f "$LOG_DIR/e2e.tap" "$LOG_DIR/e2e.log"
    record suite e2e notrun "cargo build, npm ci or the system packages failed"
  fi
fi

# --- 3. Summary -------------------------------------------------------------------------
step "Summary (logs in $LOG_DIR)"
summarize "$RESULTS" | tee "$LOG_DIR/summary.txt"
exit "${PIPESTATUS[0]}"

#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of untrusted input (libFuzzer through cargo fuzz;
# targets in fuzz/, see docs/fuzzing.md).
#
#   scripts/fuzz.sh --short            build, then every target for a fixed number of runs
#                                      from its committed corpus (CI; a few minutes)
#   scripts/fuzz.sh --runs N [TARGET]  a campaign: N executions of each target (or one),
#                                      growing a corpus under fuzz/corpus-run/<target>/
#   scripts/fuzz.sh --build            build only
#
# Works on the stable toolchain. With `--sanitizer none` (the default here) cargo fuzz passes
# rustc only stable `-C` flags (sancov passes, `--cfg fuzzing`); a sanitizer
# (FUZZ_SANITIZER=address) needs `-Zsanitizer`, which stable accepts with RUSTC_BOOTSTRAP=1,
# exported below. Without a sanitizer the fuzzer finds panics (out-of-bounds indexing
# included), aborts, stack overflows, timeouts and runaway memory, several times faster: the
# code is safe Rust.
# Exits non-zero if a target crashes, times out, runs out of memory or does not build; the
# crashing input is left in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TARGETS=(rpc_message rest_request token_url sdp datagrams)
# Executions per target in --short: each target's share of about a minute on one core.
declare -A SHORT_RUNS=([rpc_message]=200000 [rest_request]=200000 [token_url]=300000 [sdp]=5000 [datagrams]=50000)

MODE=""
RUNS=0
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --short) MODE=short ;;
    --build) MODE=build ;;
    --runs) MODE=campaign; RUNS=${2:?--runs needs a count}; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) if [ "$MODE" = campaign ] && [ -z "$ONLY" ]; then ONLY=$1; else echo "unknown option $1" >&2; exit 2; fi ;;
  esac
  shift
done
[ -n "$MODE" ] || { sed -n '2,19p' "$0"; exit 2; }
if [ -n "$ONLY" ]; then TARGETS=("$ONLY"); fi

export RUSTC_BOOTSTRAP=1
# Instrumented builds stay apart from the workspace's own artifacts.
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/fuzz}
FUZZ=(cargo fuzz)
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi
# Release code without debug assertions: the fuzzed code is what ships.
FLAGS=(--sanitizer "${FUZZ_SANITIZER:-none}" --release)

echo "==> building the fuzz targets ($(cargo fuzz --version))"
"${FUZZ[@]}" build "${FLAGS[@]}"
[ "$MODE" = build ] && exit 0

status=0
for t in "${TARGETS[@]}"; do
  if [ "$MODE" = short ]; then
    runs=${SHORT_RUNS[$t]}
    # A scratch copy: a short pass must not grow the committed corpus.
    corpus=$(mktemp -d)
    cp -r "fuzz/corpus/$t/." "$corpus/"
  else
    runs=$RUNS
    corpus=fuzz/corpus-run/$t
    mkdir -p "$corpus"
  fi
  echo "==> $t: $runs runs"
  start=$(date +%s)
  # Read too, never written: the seeds and the kept (minimized) corpus of earlier campaigns.
  inputs=("fuzz/corpus/$t")
  [ "$MODE" = campaign ] && [ -d "fuzz/corpus-campaign/$t" ] && inputs+=("fuzz/corpus-campaign/$t")
  if "${FUZZ[@]}" run "${FLAGS[@]}" "$t" "$corpus" "${inputs[@]}" -- \
      -runs="$runs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      2>&1 | tail -n 25; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    echo "==> $t: passed in $(( $(date +%s) - start )) s"
  else
    echo "==> $t: FAILED (crash input in fuzz/artifacts/$t/)" >&2
    status=1
  fi
  [ "$MODE" = short ] && rm -rf "$corpus"
done
exit $status

#!/usr/bin/env bash
# Try-out of the whole tutorial stack on this machine: the deployment (openvidu-rs on
# http://localhost:4443), the application server (apps/app-server on
# http://localhost:5000) serving the built React tutorial. Open http://localhost:5000 in
# two tabs. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p ov-server -p app-server
(cd apps/react-tutorial && npm ci --no-audit --no-fund --loglevel=error && npm run build)

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

./target/release/openvidu-rs &
pids+=($!)
SERVER_PORT=5000 OPENVIDU_URL=http://localhost:4443 OPENVIDU_SECRET=MY_SECRET \
  STATIC_DIR=apps/react-tutorial/dist ./target/release/app-server &
pids+=($!)

sleep 1
echo
echo "Ready: open http://localhost:5000 in two browser tabs and join the same session."
wait -n "${pids[@]}"

#!/usr/bin/env bash
# Runs a command inside a new network namespace whose only interface is loopback, so that
# browsers, servers and tests can only reach 127.0.0.1 / ::1. Fails loudly if the
# namespace cannot be created: never falls back to the machine's real network.
set -euo pipefail
if [ $# -eq 0 ]; then echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
exec $SUDO unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh "$@"

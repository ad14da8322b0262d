#!/usr/bin/env bash
# deskhook benchmark: deskhook against oha, curl and nginx on loopback.
#
#   scripts/bench.sh            full run (several minutes); rewrites BENCHMARKS.md
#   scripts/bench.sh --smoke    seconds-long check that the benchmark still works (CI)
#   scripts/bench.sh --check    full run, exit 1 when a target FAILs
#   scripts/bench.sh --help     every option and BENCH_* setting
#
# This script only gets a fresh Debian machine ready, then runs the harness in xtask/
# (`cargo xtask bench`), which measures and writes the report. It installs what is missing:
# nginx, time, curl and coreutils with apt-get (without starting nginx's system service), and
# oha with `cargo install oha --locked --root "$OHA_ROOT"` (a few minutes; not for --smoke).
#
#   OHA=PATH         use this oha
#   OHA_ROOT=DIR     where oha is installed when missing (default /opt/oha, or ~/.local/oha
#                    when /opt is not writable)
#   BENCH_NO_OHA=1   with --smoke: skip the oha parts even when oha is installed
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

SMOKE=0
for arg in "$@"; do
    case "$arg" in
        --smoke) SMOKE=1 ;;
        -h | --help) exec cargo xtask bench --help ;;
    esac
done

# apt-get, without letting the nginx package start a system nginx on port 80
apt_install() {
    local sudo="" policy=/usr/sbin/policy-rc.d made_policy=0 ok=0
    if [[ $(id -u) != 0 ]] && command -v sudo >/dev/null; then sudo=sudo; fi
    log "installing with apt-get: $*"
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod 755 "$policy"
        made_policy=1
    fi
    if $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$@"; then ok=1; fi
    if ((made_policy)); then $sudo rm -f "$policy"; fi
    ((ok)) || { log "ERROR: apt-get install $* failed"; exit 1; }
}

need=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
[[ -x /usr/bin/time ]] || need+=(time)
command -v curl >/dev/null || need+=(curl)
command -v timeout >/dev/null || need+=(coreutils)
if ((${#need[@]})); then apt_install "${need[@]}"; fi

# oha: the one given, one already installed, or (for a full run) a fresh install
for c in "${OHA:-}" "$(command -v oha || true)" "${OHA_ROOT:-/opt/oha}/bin/oha" /opt/oha/bin/oha \
    "$HOME/.local/oha/bin/oha" "${CARGO_HOME:-$HOME/.cargo}/bin/oha"; do
    if [[ -n $c && -x $c ]]; then export OHA=$c; break; fi
done
if [[ -z ${OHA:-} || ! -x ${OHA:-} ]] && ((!SMOKE)); then
    if [[ -z ${OHA_ROOT:-} ]]; then
        if [[ -w /opt || -w /opt/oha ]]; then OHA_ROOT=/opt/oha; else OHA_ROOT=$HOME/.local/oha; fi
    fi
    log "installing oha: cargo install oha --locked --root $OHA_ROOT (a few minutes)"
    cargo install oha --locked --root "$OHA_ROOT"
    export OHA=$OHA_ROOT/bin/oha
fi

exec cargo xtask bench "$@"

#!/usr/bin/env bash
# deskhook benchmark: deskhook against oha, curl and nginx on loopback.
#
#   scripts/bench.sh            full run (several minutes); rewrites BENCHMARKS.md
#   scripts/bench.sh --smoke    seconds-long check that this script still works (CI);
#                               tiny counts, one run each, oha parts skipped when oha is
#                               missing; writes its report to a temp file, not BENCHMARKS.md
#   scripts/bench.sh --check    full run, exit 1 when a target FAILs
#
# On a fresh Debian machine it installs what is missing: nginx, time, curl, python3 (apt-get),
# oha (cargo install oha --locked --root "$OHA_ROOT"), and builds deskhook with
# `cargo build --release`.
#
# Everything runs on 127.0.0.1 only: nginx as a non-daemon child with its own prefix, config,
# pid and logs under a temp dir, on a free port; `deskhook listen --port 0`. Every process the
# script starts is bounded by `timeout` and is stopped by the EXIT trap.
#
# Environment knobs (all optional):
#   DESKHOOK_BIN=PATH      use this binary instead of building (it is copied first)
#   OHA=PATH               use this oha
#   BENCH_NO_OHA=1         smoke mode: behave as if oha were missing (skip the oha parts)
#   OHA_ROOT=DIR           where `cargo install oha` puts oha when missing (default /opt/oha,
#                          or ~/.local/oha when /opt is not writable)
#   BENCH_RUNS=N           runs per throughput measurement (full: 5, smoke: 1; full needs >= 3)
#   BENCH_PAIRS=N          deskhook/curl pairs for the single-send test (full: 21, smoke: 3)
#   BENCH_REPLAY_LINES=N   capture lines to replay (full: 1000000, smoke: 1000)
#   BENCH_REPLAY_RUNS=N    replay runs (default: 3 when the first run takes < 90 s, else 1)
#   BENCH_NGINX_WORKERS=N  nginx worker_processes (default 1; "auto" allowed)
#   BENCH_OUT=FILE         where the report goes (default BENCHMARKS.md; smoke: a temp file)
#   BENCH_KEEP=1           keep the temp dir (logs, captures, oha JSON) for inspection
#   BENCH_WAIT_QUIET=S     before measuring, wait up to S seconds for the machine to be idle
#                          (other processes < 10% of the CPUs; full: 120, smoke: 0)
#   BENCH_QUIET_MAX=P      a throughput run during which other processes used more than P% of
#                          the CPUs is discarded and repeated, up to 3x BENCH_RUNS attempts in
#                          all (default 15; full mode only)
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

MODE=full
CHECK=0
for arg in "$@"; do
    case "$arg" in
        --smoke) MODE=smoke ;;
        --check) CHECK=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOKEN=T
C=32
if [[ $MODE == full ]]; then
    N=20000
    RUNS=${BENCH_RUNS:-5}
    PAIRS=${BENCH_PAIRS:-21}
    REPLAY_LINES=${BENCH_REPLAY_LINES:-1000000}
    if ((RUNS < 3)); then echo "bench.sh: BENCH_RUNS must be >= 3 for a full run" >&2; exit 2; fi
    if ((PAIRS < 15)); then echo "bench.sh: BENCH_PAIRS must be >= 15 for a full run" >&2; exit 2; fi
else
    N=500
    RUNS=${BENCH_RUNS:-1}
    PAIRS=${BENCH_PAIRS:-3}
    REPLAY_LINES=${BENCH_REPLAY_LINES:-1000}
fi
NGINX_WORKERS=${BENCH_NGINX_WORKERS:-1}
STEP_TIMEOUT=600 # seconds: no single measured process may run longer
if [[ $MODE == full ]]; then WAIT_QUIET=${BENCH_WAIT_QUIET:-120}; else WAIT_QUIET=${BENCH_WAIT_QUIET:-0}; fi
NPROC=$(nproc)
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# temp dir, children, cleanup
W=$(mktemp -d "${TMPDIR:-/tmp}/deskhook-bench.XXXXXX")
chmod 755 "$W" # nginx workers may run as nobody
NGINX_PID=""   # the `timeout` wrapping nginx
LISTEN_PID=""  # the `timeout` wrapping a deskhook listener
CHILD_PID=""   # the `timeout` wrapping the measured process of the moment

stop_pid() { # PID: TERM it (timeout passes the signal on to its process group), then KILL
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$CHILD_PID"
    stop_pid "$LISTEN_PID"
    stop_pid "$NGINX_PID"
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        log "temp dir kept: $W"
    else
        rm -rf "$W"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A high-resolution wall clock without forking: T_NOW in microseconds.
if [[ -n ${EPOCHREALTIME:-} ]]; then
    clock() { T_NOW=${EPOCHREALTIME//[!0-9]/}; }
else
    clock() { T_NOW=$(($(date +%s%N) / 1000)); }
fi

# ---------------------------------------------------------------------------------------------
# tools
SUDO=""
if [[ $(id -u) != 0 ]]; then
    if command -v sudo >/dev/null; then SUDO=sudo; fi
fi

apt_install() { # PKG...: install Debian packages without starting their services
    log "installing with apt-get: $*"
    local policy=/usr/sbin/policy-rc.d made_policy=0
    # The nginx package would start a system nginx on port 80; policy-rc.d exit 101 stops that.
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
        $SUDO chmod 755 "$policy"
        made_policy=1
    fi
    local ok=0
    if $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "$@"; then ok=1; fi
    if ((made_policy)); then $SUDO rm -f "$policy"; fi
    ((ok)) || die "apt-get install $* failed"
}

find_nginx() {
    NGINX_BIN=$(command -v nginx || true)
    if [[ -z $NGINX_BIN && -x /usr/sbin/nginx ]]; then NGINX_BIN=/usr/sbin/nginx; fi
}

find_oha() {
    OHA_BIN=""
    local c
    for c in "${OHA:-}" "$(command -v oha || true)" "${OHA_ROOT:-/opt/oha}/bin/oha" /opt/oha/bin/oha \
        "$HOME/.local/oha/bin/oha" "${CARGO_HOME:-$HOME/.cargo}/bin/oha"; do
        if [[ -n $c && -x $c ]]; then OHA_BIN=$c; return 0; fi
    done
}

need=()
find_nginx
[[ -n $NGINX_BIN ]] || need+=(nginx)
[[ -x /usr/bin/time ]] || need+=(time)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
command -v timeout >/dev/null || need+=(coreutils)
if ((${#need[@]})); then apt_install "${need[@]}"; fi
find_nginx
[[ -n $NGINX_BIN ]] || die "nginx is still not found after installing it"
TIME_BIN=/usr/bin/time

find_oha
if [[ $MODE == smoke && ${BENCH_NO_OHA:-0} == 1 ]]; then OHA_BIN=""; fi
if [[ -z $OHA_BIN ]]; then
    if [[ $MODE == smoke ]]; then
        log "oha not found: smoke mode skips the oha parts"
    else
        command -v cargo >/dev/null || die "cargo is needed to install oha"
        if [[ -z ${OHA_ROOT:-} ]]; then
            if [[ -w /opt || -w /opt/oha ]]; then OHA_ROOT=/opt/oha; else OHA_ROOT=$HOME/.local/oha; fi
        fi
        log "oha not found: cargo install oha --locked --root $OHA_ROOT (a few minutes)"
        cargo install oha --locked --root "$OHA_ROOT"
        OHA_BIN=$OHA_ROOT/bin/oha
        [[ -x $OHA_BIN ]] || die "oha install failed"
    fi
fi
HAVE_OHA=0
[[ -n $OHA_BIN ]] && HAVE_OHA=1

# deskhook: build it, then benchmark a private copy (src/ may be rebuilt while this runs)
if [[ -n ${DESKHOOK_BIN:-} ]]; then
    SRC_BIN=$DESKHOOK_BIN
else
    command -v cargo >/dev/null || die "cargo is needed to build deskhook"
    log "cargo build --release"
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
    SRC_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/deskhook
fi
[[ -x $SRC_BIN ]] || die "no deskhook binary at $SRC_BIN"
DH=$W/deskhook
cp "$SRC_BIN" "$DH"

# ---------------------------------------------------------------------------------------------
# results: one "key<TAB>value" per line; python computes medians and writes the report
R=$W/results.tsv
STAGE=$W/stage.tsv
: >"$R"
STAGING=0
put() {
    if ((STAGING)); then printf '%s\t%s\n' "$1" "$2" >>"$STAGE"; else printf '%s\t%s\n' "$1" "$2" >>"$R"; fi
}
QUIET_MAX=${BENCH_QUIET_MAX:-15}
if [[ $MODE == full ]]; then MAX_ATTEMPTS=$((3 * RUNS)); else MAX_ATTEMPTS=$RUNS; fi

# A throughput run's values are staged, then kept, or discarded when other processes used more
# than QUIET_MAX% of the CPUs during it -- unless the attempts left are needed to reach RUNS.
stage_begin() { : >"$STAGE"; STAGING=1; RUN_OTHER=0; }
put_other() { # KEY PCT: record the other-process share of a run, remember the run's worst
    put "$1" "$2"
    RUN_OTHER=$(awk -v a="$RUN_OTHER" -v b="$2" 'BEGIN {print (b > a) ? b : a}')
}
stage_end() { # SECTION ATTEMPT: sets KEPT (running count of kept runs)
    local section=$1 attempt=$2
    STAGING=0
    if awk -v o="$RUN_OTHER" -v m="$QUIET_MAX" 'BEGIN {exit !(o <= m)}' ||
        ((MAX_ATTEMPTS - attempt < RUNS - KEPT)); then
        cat "$STAGE" >>"$R"
        KEPT=$((KEPT + 1))
    else
        put "discarded.$section" "$RUN_OTHER"
        log "$section attempt $attempt discarded: other processes used $RUN_OTHER% of the CPUs"
    fi
}

put meta.mode "$MODE"
put meta.date "$(date -u '+%Y-%m-%d %H:%M UTC')"
put meta.nproc "$(nproc)"
put meta.mem "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
put meta.cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
put meta.kernel "$(uname -sr)"
# shellcheck disable=SC1091
put meta.os "$( (. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}") || true)"
put ver.deskhook "$("$DH" --version) (binary sha256 $(sha256sum "$DH" | cut -c1-16), built $(date -u -r "$SRC_BIN" '+%Y-%m-%d %H:%M UTC'))"
put ver.oha "$(if ((HAVE_OHA)); then "$OHA_BIN" --version; else echo "not installed (skipped)"; fi)"
put ver.nginx "$("$NGINX_BIN" -v 2>&1)"
put ver.curl "$(curl --version | head -n 1)"
put ver.rustc "$(rustc --version 2>/dev/null || echo unknown)"
put cfg.n "$N"
put cfg.c "$C"
put cfg.runs "$RUNS"
put cfg.pairs "$PAIRS"
put cfg.replay_lines "$REPLAY_LINES"
put cfg.nginx_workers "$NGINX_WORKERS"
put cfg.quiet_max "$QUIET_MAX"
sum() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a + b}'; }

# ---------------------------------------------------------------------------------------------
# helpers

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# CPU seconds (user+sys) used so far by PID and all its descendants that are still alive.
tree_cpu() {
    python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
kids, ticks = {}, {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open(f"/proc/{d}/stat") as f:
            s = f.read()
    except OSError:
        continue
    rest = s[s.rindex(")") + 2:].split()
    pid, ppid = int(d), int(rest[1])
    kids.setdefault(ppid, []).append(pid)
    ticks[pid] = int(rest[11]) + int(rest[12])
total, todo = 0, [root]
while todo:
    p = todo.pop()
    total += ticks.get(p, 0)
    todo.extend(kids.get(p, []))
print(total / os.sysconf("SC_CLK_TCK"))
PY
}

# CPU ticks the whole machine has been busy (user, nice, system, irq, softirq, steal)
machine_busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }

# other_pct BUSY_TICKS OWN_CPU_S WALL_S: % of the machine's CPUs used by processes other than
# the ones measured (another build, a test run...) during a run; 0 when the machine was quiet
other_pct() {
    awk -v b="$1" -v own="$2" -v w="$3" -v hz="$CLK_TCK" -v n="$NPROC" \
        'BEGIN {x = (b / hz - own) / (w * n) * 100; if (x < 0) x = 0; if (x > 100) x = 100; printf "%.1f", x}'
}

# wait (at most WAIT_QUIET seconds) until other processes use < 10% of the CPUs over 2 s
wait_quiet() {
    local waited=0 b0 b1 pct
    while :; do
        b0=$(machine_busy)
        sleep 2
        b1=$(machine_busy)
        pct=$(awk -v d="$((b1 - b0))" -v hz="$CLK_TCK" -v n="$NPROC" 'BEGIN {printf "%.0f", d / hz / (2 * n) * 100}')
        if ((pct < 10)); then
            ((waited == 0)) || log "machine quiet after ${waited} s"
            return 0
        fi
        if ((waited >= WAIT_QUIET)); then
            log "WARNING: other processes use ${pct}% of the CPUs; measuring anyway (numbers will be noisy)"
            return 0
        fi
        ((waited == 0)) && log "machine busy (${pct}% of the CPUs): waiting up to ${WAIT_QUIET} s for it to calm down"
        waited=$((waited + 2))
    done
}

start_nginx() {
    local ng=$W/nginx attempt code i
    mkdir -p "$ng/logs" "$ng/tmp"
    chmod -R 755 "$ng"
    for ((attempt = 1; attempt <= 5; attempt++)); do
        NGINX_PORT=$(free_port)
        cat >"$ng/nginx.conf" <<EOF
# generated by scripts/bench.sh: answers every POST with the documented OK envelope
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
pid $ng/nginx.pid;
error_log $ng/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $ng/tmp/body;
    proxy_temp_path $ng/tmp/proxy;
    fastcgi_temp_path $ng/tmp/fastcgi;
    uwsgi_temp_path $ng/tmp/uwsgi;
    scgi_temp_path $ng/tmp/scgi;
    keepalive_timeout 75s;
    keepalive_requests 10000000;
    server_tokens off;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            if (\$request_method != POST) { return 405; }
            default_type application/json;
            return 200 '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';
        }
    }
}
EOF
        timeout -k 5 6h "$NGINX_BIN" -p "$ng/" -c "$ng/nginx.conf" -e "$ng/logs/error.log" \
            >"$ng/logs/stdout.log" 2>&1 &
        NGINX_PID=$!
        for ((i = 0; i < 100; i++)); do
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -X POST \
                -H 'Content-Type: application/json' --data-binary '{}' \
                "http://127.0.0.1:$NGINX_PORT/" || true)
            [[ $code == 200 ]] && break
            kill -0 "$NGINX_PID" 2>/dev/null || break
            sleep 0.05
        done
        if [[ $code == 200 ]]; then
            NGINX_URL="http://127.0.0.1:$NGINX_PORT/desk/callback"
            log "nginx up at $NGINX_URL (worker_processes $NGINX_WORKERS)"
            return 0
        fi
        log "nginx did not come up on port $NGINX_PORT (attempt $attempt): $(tail -n 3 "$ng/logs/error.log" 2>/dev/null)"
        stop_pid "$NGINX_PID"
        NGINX_PID=""
    done
    die "could not start nginx"
}

# run_timed NAME CMD...: CMD under timeout and /usr/bin/time -v, stdout to $W/NAME.out,
# stderr to $W/NAME.err; sets RC, WALL_S (wall seconds around the process), CPU_S (user+sys),
# RSS_KB, NG_CPU_S (CPU nginx used meanwhile), BUSY_T (machine busy ticks meanwhile).
# RUN_TIMEOUT=S run_timed ... allows a longer step than STEP_TIMEOUT (the 1M-line replay).
run_timed() {
    local name=$1 t0 t1 ng0=0 ng1=0 b0 b1
    shift
    [[ -n $NGINX_PID ]] && ng0=$(tree_cpu "$NGINX_PID")
    b0=$(machine_busy)
    clock
    t0=$T_NOW
    timeout -k 5 "${RUN_TIMEOUT:-$STEP_TIMEOUT}" "$TIME_BIN" -v -o "$W/$name.time" "$@" >"$W/$name.out" 2>"$W/$name.err" &
    CHILD_PID=$!
    set +e
    wait "$CHILD_PID"
    RC=$?
    set -e
    CHILD_PID=""
    clock
    t1=$T_NOW
    b1=$(machine_busy)
    BUSY_T=$((b1 - b0))
    [[ -n $NGINX_PID ]] && ng1=$(tree_cpu "$NGINX_PID")
    WALL_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", (b - a) / 1e6}')
    NG_CPU_S=$(awk -v a="$ng0" -v b="$ng1" 'BEGIN {printf "%.3f", b - a}')
    read_time "$W/$name.time"
}

read_time() { # FILE: sets CPU_S and RSS_KB from /usr/bin/time -v output
    CPU_S=$(awk -F': ' '/User time \(seconds\)/ {u = $2} /System time \(seconds\)/ {s = $2}
        END {printf "%.3f", u + s}' "$1" 2>/dev/null || echo nan)
    RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$1" 2>/dev/null || echo nan)
}

# dry_run BASEURL PREFIX: a freshly signed SessionBegin: PREFIX.url (full URL), PREFIX.body
# (the exact bytes deskhook sends: compact JSON, key order kept), PREFIX.pq (path?query)
dry_run() {
    "$DH" send SessionBegin --dry-run --format json --token "$TOKEN" --to "$1" >"$2.json"
    python3 - "$2" <<'PY'
import json, sys, urllib.parse
p = sys.argv[1]
with open(p + ".json", encoding="utf-8") as f:
    d = json.loads(f.readline())
assert d["type"] == "request" and d["method"] == "POST", d
body = json.dumps(d["body"], separators=(",", ":"), ensure_ascii=False)
with open(p + ".body", "w", encoding="utf-8") as f:
    f.write(body)
with open(p + ".url", "w") as f:
    f.write(d["url"])
u = urllib.parse.urlsplit(d["url"])
with open(p + ".pq", "w") as f:
    f.write(u.path + ("?" + u.query if u.query else ""))
PY
}

# oha_run NAME URL BODYFILE: oha load (N requests, C connections) -> $W/NAME.out (JSON);
# sets OHA_RPS (oha's own requests/s), plus run_timed's variables. Fails unless all N got 200.
oha_run() {
    local name=$1 url=$2 body
    body=$(<"$3")
    run_timed "$name" "$OHA_BIN" -n "$N" -c "$C" -m POST -H 'Content-Type: application/json' \
        -d "$body" --no-tui --output-format json "$url"
    ((RC == 0)) || die "oha failed (rc $RC): $(tail -n 5 "$W/$name.err")"
    OHA_RPS=$(python3 - "$W/$name.out" "$N" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
codes = d.get("statusCodeDistribution", {})
errs = d.get("errorDistribution", {})
if codes != {"200": n} or errs:
    sys.exit(f"oha: expected {n} x 200, got status {codes} errors {errs}")
print(d["summary"]["requestsPerSec"])
PY
    ) || die "oha run $name did not get $N OK answers"
}

# send_summary FILE N: checks deskhook's --format json summary (last line); prints p50 p99
send_summary() {
    python3 - "$1" "$2" <<'PY'
import json, sys
with open(sys.argv[1], "rb") as f:
    f.seek(0, 2)
    f.seek(max(0, f.tell() - 4096))
    last = f.read().decode("utf-8", "replace").strip().splitlines()[-1]
s = json.loads(last)
n = int(sys.argv[2])
if s.get("type") != "summary" or s.get("sent") != n or s.get("ok") != n:
    sys.exit(f"deskhook summary is not {n} sent / {n} ok: {last}")
lat = s.get("latency_ms") or {}
print(lat.get("p50", "nan"), lat.get("p99", "nan"))
PY
}

start_listener() { # NAME: deskhook listen --port 0 --max-requests N; sets LISTEN_URL
    local name=$1 i
    rm -f "$W/$name.cap.jsonl"
    timeout -s INT -k 5 "$STEP_TIMEOUT" "$TIME_BIN" -v -o "$W/$name.time" \
        "$DH" listen --port 0 --save "$W/$name.cap.jsonl" --token "$TOKEN" --max-requests "$N" \
        >"$W/$name.out" 2>"$W/$name.err" &
    LISTEN_PID=$!
    LISTEN_URL=""
    for ((i = 0; i < 200; i++)); do
        LISTEN_URL=$(grep -m1 -o 'listening on http://127\.0\.0\.1:[0-9]*/' "$W/$name.out" 2>/dev/null || true)
        [[ -n $LISTEN_URL ]] && break
        kill -0 "$LISTEN_PID" 2>/dev/null || die "deskhook listen exited early: $(cat "$W/$name.err")"
        sleep 0.05
    done
    [[ -n $LISTEN_URL ]] || die "deskhook listen printed no ready line in 10 s"
    LISTEN_URL=${LISTEN_URL#listening on }
}

stop_listener() { # NAME [BODYFILE]: wait (bounded) for the listener to stop by itself, then check
    # the capture (and, given BODYFILE, that every captured body is byte-for-byte that file)
    local name=$1 bodyfile=${2:-} i
    for ((i = 0; i < 300; i++)); do
        kill -0 "$LISTEN_PID" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$LISTEN_PID" 2>/dev/null; then
        log "listener still running 15 s after the load: sending SIGINT"
        kill -INT "$LISTEN_PID" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$LISTEN_PID" 2>/dev/null || break
            sleep 0.05
        done
    fi
    if kill -0 "$LISTEN_PID" 2>/dev/null; then stop_pid "$LISTEN_PID"; fi
    set +e
    wait "$LISTEN_PID"
    LRC=$?
    set -e
    LISTEN_PID=""
    ((LRC == 0)) || die "deskhook listen exited with $LRC: $(tail -n 5 "$W/$name.err")"
    read_time "$W/$name.time"
    python3 - "$W/$name.cap.jsonl" "$N" "$bodyfile" <<'PY' || die "capture check failed for $name"
import json, sys
path, n, bodyfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
body = open(bodyfile, encoding="utf-8").read() if bodyfile else None
count = 0
with open(path, "rb") as f:
    data = f.read()
if data and not data.endswith(b"\n"):
    sys.exit(f"{path}: last line is not whole")
for i, line in enumerate(data.splitlines(), 1):
    rec = json.loads(line)
    if rec.get("v") != 1 or rec.get("verdict") != "accepted" or rec.get("status") != 200:
        sys.exit(f"{path}:{i}: not an accepted exchange: {line[:300]!r}")
    if body is not None and rec.get("body") != body:
        sys.exit(f"{path}:{i}: the body received is not the body file sent")
    count += 1
if count != n:
    sys.exit(f"{path}: {count} lines, expected exactly {n}")
PY
}

# =============================================================================================
start_nginx
wait_quiet
put meta.load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
clock
T_START=$T_NOW

# 1. send throughput ---------------------------------------------------------------------------
log "1/4 send throughput: $RUNS run(s) of $N requests, concurrency $C"
KEPT=0
for ((r = 1; KEPT < RUNS && r <= MAX_ATTEMPTS; r++)); do
    stage_begin
    dh_rps="" oha_rps=""
    dry_run "$NGINX_URL" "$W/send$r"
    for who in oha dh; do
        # alternate which goes first
        if ((r % 2 == 0)); then who=$([[ $who == oha ]] && echo dh || echo oha); fi
        if [[ $who == oha ]]; then
            ((HAVE_OHA)) || continue
            oha_run "send$r.oha" "$(<"$W/send$r.url")" "$W/send$r.body"
            put send.oha.rps "$OHA_RPS"
            oha_rps=$OHA_RPS
            put send.oha.wall_rps "$(awk -v n="$N" -v w="$WALL_S" 'BEGIN {printf "%.1f", n / w}')"
            put send.oha.cpu_s "$CPU_S"
            put send.oha.nginx_cpu_s "$NG_CPU_S"
            put_other other.send "$(other_pct "$BUSY_T" "$(sum "$CPU_S" "$NG_CPU_S")" "$WALL_S")"
        else
            run_timed "send$r.dh" "$DH" send SessionBegin --count "$N" --concurrency "$C" \
                --token "$TOKEN" --to "$NGINX_URL" --format json
            ((RC == 0)) || die "deskhook send exited with $RC: $(tail -n 5 "$W/send$r.dh.err")"
            summ=$(send_summary "$W/send$r.dh.out" "$N") || die "bad deskhook summary"
            read -r p50 p99 <<<"$summ"
            dh_rps=$(awk -v n="$N" -v w="$WALL_S" 'BEGIN {printf "%.1f", n / w}')
            put send.dh.rps "$dh_rps"
            put send.dh.wall_s "$WALL_S"
            put send.dh.cpu_s "$CPU_S"
            put send.dh.rss_kb "$RSS_KB"
            put send.dh.nginx_cpu_s "$NG_CPU_S"
            put_other other.send "$(other_pct "$BUSY_T" "$(sum "$CPU_S" "$NG_CPU_S")" "$WALL_S")"
            put send.dh.p50_ms "$p50"
            put send.dh.p99_ms "$p99"
        fi
    done
    if [[ -n $dh_rps && -n $oha_rps ]]; then
        put send.ratio "$(awk -v a="$dh_rps" -v b="$oha_rps" 'BEGIN {printf "%.4f", a / b}')"
    fi
    stage_end send "$r"
done

# 2. receiver throughput -----------------------------------------------------------------------
log "2/4 receiver throughput: $RUNS run(s) of $N requests into deskhook listen and nginx"
KEPT=0
for ((r = 1; KEPT < RUNS && r <= MAX_ATTEMPTS; r++)); do
    stage_begin
    dh_rps="" ng_rps=""
    for who in dh nginx; do
        if ((r % 2 == 0)); then who=$([[ $who == dh ]] && echo nginx || echo dh); fi
        if [[ $who == dh ]]; then
            start_listener "recv$r.listen"
            # signed right before the load: RequestTime must be within the 60 s tolerance
            dry_run "${LISTEN_URL}desk/callback" "$W/recv$r.dh"
            if ((HAVE_OHA)); then
                oha_run "recv$r.dh.oha" "$(<"$W/recv$r.dh.url")" "$W/recv$r.dh.body"
                put recv.dh.rps "$OHA_RPS"
                dh_rps=$OHA_RPS
                put recv.dh.oha_cpu_s "$CPU_S"
                load_cpu=$CPU_S load_busy=$BUSY_T load_wall=$WALL_S
            else
                # smoke without oha: deskhook itself is the load, to exercise listen + capture checks
                run_timed "recv$r.dh.send" "$DH" send SessionBegin --count "$N" --concurrency "$C" \
                    --token "$TOKEN" --to "${LISTEN_URL}desk/callback" --format json
                ((RC == 0)) || die "deskhook send into listen exited with $RC"
                send_summary "$W/recv$r.dh.send.out" "$N" >/dev/null || die "bad deskhook summary"
                put recv.dh.send_rps "$(awk -v n="$N" -v w="$WALL_S" 'BEGIN {printf "%.1f", n / w}')"
                load_cpu=$CPU_S load_busy=$BUSY_T load_wall=$WALL_S
            fi
            if ((HAVE_OHA)); then stop_listener "recv$r.listen" "$W/recv$r.dh.body"; else stop_listener "recv$r.listen"; fi
            put recv.dh.listen_cpu_s "$CPU_S"
            put recv.dh.listen_rss_kb "$RSS_KB"
            put recv.dh.capture_lines "$N"
            # the listener's CPU covers its whole life (start-up and idle wait included)
            put_other other.recv "$(other_pct "$load_busy" "$(sum "$load_cpu" "$CPU_S")" "$load_wall")"
        else
            ((HAVE_OHA)) || continue
            dry_run "$NGINX_URL" "$W/recv$r.ng"
            oha_run "recv$r.ng.oha" "http://127.0.0.1:$NGINX_PORT$(<"$W/recv$r.ng.pq")" "$W/recv$r.ng.body"
            put recv.ng.rps "$OHA_RPS"
            ng_rps=$OHA_RPS
            put recv.ng.oha_cpu_s "$CPU_S"
            put recv.ng.nginx_cpu_s "$NG_CPU_S"
            put_other other.recv "$(other_pct "$BUSY_T" "$(sum "$CPU_S" "$NG_CPU_S")" "$WALL_S")"
        fi
    done
    if [[ -n $dh_rps && -n $ng_rps ]]; then
        put recv.ratio "$(awk -v a="$dh_rps" -v b="$ng_rps" 'BEGIN {printf "%.4f", a / b}')"
    fi
    stage_end recv "$r"
done

# 3. single send -------------------------------------------------------------------------------
log "3/4 single send: $PAIRS pairs of one deskhook send process against one curl process"
dry_run "$NGINX_URL" "$W/single"
SINGLE_URL=$(<"$W/single.url")
single_dh() { "$DH" send SessionBegin --to "$NGINX_URL" >/dev/null 2>&1; }
single_curl() {
    curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$W/single.body" \
        --max-time 5 "$SINGLE_URL" >/dev/null
}
single_dh || die "deskhook send SessionBegin --to $NGINX_URL failed" # warm-up, not counted
single_curl || die "curl to nginx failed"
children_cpu() { # CH_CPU = user+sys seconds of this shell and its reaped children so far
    # bash `times`, run in this shell: in a pipe or $(...) it would see a subshell's zeros
    times >"$W/times.txt"
    CH_CPU=$(awk 'NR <= 2 {for (i = 1; i <= 2; i++) {split($i, p, "m"); s += p[1] * 60 + p[2]}} END {printf "%.3f", s}' "$W/times.txt")
}
single_b0=$(machine_busy)
children_cpu
single_c0=$CH_CPU
single_n0=$(tree_cpu "$NGINX_PID")
clock
single_t0=$T_NOW
for ((p = 1; p <= PAIRS; p++)); do
    for who in dh curl; do
        if ((p % 2 == 0)); then who=$([[ $who == dh ]] && echo curl || echo dh); fi
        clock
        t0=$T_NOW
        if [[ $who == dh ]]; then single_dh || die "deskhook send failed in pair $p"; else single_curl || die "curl failed in pair $p"; fi
        clock
        t1=$T_NOW
        if [[ $who == dh ]]; then dh_us=$((t1 - t0)); else curl_us=$((t1 - t0)); fi
    done
    put single.dh_ms "$(awk -v a="$dh_us" 'BEGIN {printf "%.3f", a / 1000}')"
    put single.curl_ms "$(awk -v a="$curl_us" 'BEGIN {printf "%.3f", a / 1000}')"
    put single.ratio "$(awk -v a="$dh_us" -v b="$curl_us" 'BEGIN {printf "%.4f", a / b}')"
done
clock
single_b1=$(machine_busy)
children_cpu
single_c1=$CH_CPU
single_n1=$(tree_cpu "$NGINX_PID")
# our own CPU here: this shell, the timed processes and the awk/python helpers between pairs
put other.single "$(other_pct "$((single_b1 - single_b0))" \
    "$(awk -v a="$single_c0" -v b="$single_c1" -v c="$single_n0" -v d="$single_n1" 'BEGIN {print b - a + d - c}')" \
    "$(awk -v a="$single_t0" -v b="$T_NOW" 'BEGIN {print (b - a) / 1e6}')")"

# 4. replay memory -----------------------------------------------------------------------------
log "4/4 replay memory: capturing a seed line, writing $REPLAY_LINES capture lines"
start_listener_seed() {
    local saveN=$N
    N=3
    start_listener seed.listen
    "$DH" send SessionBegin --count 3 --token "$TOKEN" --to "${LISTEN_URL}desk/callback" >/dev/null 2>&1 ||
        die "deskhook send into the seed listener failed"
    stop_listener seed.listen
    N=$saveN
}
start_listener_seed
CAP=$W/replay.jsonl
python3 - "$W/seed.listen.cap.jsonl" "$CAP" "$REPLAY_LINES" <<'PY'
import json, sys
seed, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(seed, encoding="utf-8") as f:
    line = f.readline().rstrip("\n")
rec = json.loads(line)
key = '"seq":%d' % rec["seq"]
i = line.index(key)  # the top-level key: inside "body" quotes are escaped (\")
pre, post = line[: i] + '"seq":', line[i + len(key):]
assert json.loads(pre + "7" + post)["seq"] == 7
with open(out, "w", encoding="utf-8") as f:
    step = 20000
    for start in range(1, n + 1, step):
        f.write("".join(f"{pre}{k}{post}\n" for k in range(start, min(n, start + step - 1) + 1)))
PY
put replay.file_mb "$(awk -v b="$(stat -c %s "$CAP")" 'BEGIN {printf "%.0f", b / 1048576}')"

replay_once() { # RUN
    local r=$1
    # stdout to a file (about 0.5 kB per request), not a pipe: the trap can then stop it by pid
    RUN_TIMEOUT=1800 run_timed "replay$r" "$DH" replay "$CAP" --to "$NGINX_URL" \
        --token "$TOKEN" --concurrency "$C" --format json
    WALL_S=$(awk -v w="$WALL_S" 'BEGIN {printf "%.3f", w}')
    put other.replay "$(other_pct "$BUSY_T" "$(sum "$CPU_S" "$NG_CPU_S")" "$WALL_S")"
    ((RC == 0)) || die "deskhook replay exited with $RC: $(tail -n 5 "$W/replay$r.err")"
    send_summary "$W/replay$r.out" "$REPLAY_LINES" >/dev/null || die "replay did not get $REPLAY_LINES OK answers"
    rm -f "$W/replay$r.out"
    put replay.rss_kb "$RSS_KB"
    put replay.wall_s "$WALL_S"
    put replay.cpu_s "$CPU_S"
    put replay.rps "$(awk -v n="$REPLAY_LINES" -v w="$WALL_S" 'BEGIN {printf "%.1f", n / w}')"
    put replay.cpu_pct "$(awk -F': ' '/Percent of CPU/ {print $2}' "$W/replay$r.time")"
    log "replay run $r: $WALL_S s, max RSS $RSS_KB kB"
}
log "replaying $REPLAY_LINES lines to nginx"
replay_once 1
REPLAY_RUNS=${BENCH_REPLAY_RUNS:-$(awk -v w="$WALL_S" -v m="$MODE" 'BEGIN {print (m == "full" && w < 90) ? 3 : 1}')}
for ((r = 2; r <= REPLAY_RUNS; r++)); do replay_once "$r"; done
rm -f "$CAP"

# 5. where the time goes (diagnostics, not a target) -------------------------------------------
log "diagnostics: deskhook send without --token, and with human output to /dev/null"
for ((r = 1; r <= RUNS; r++)); do
    run_timed "diag$r.notoken" "$DH" send SessionBegin --count "$N" --concurrency "$C" \
        --to "$NGINX_URL" --format json
    ((RC == 0)) || die "deskhook send (no token) exited with $RC"
    send_summary "$W/diag$r.notoken.out" "$N" >/dev/null || die "bad deskhook summary"
    put diag.notoken.rps "$(awk -v n="$N" -v w="$WALL_S" 'BEGIN {printf "%.1f", n / w}')"
    put diag.notoken.cpu_s "$CPU_S"
    put diag.notoken.nginx_cpu_s "$NG_CPU_S"
    run_timed "diag$r.human" "$DH" send SessionBegin --count "$N" --concurrency "$C" \
        --token "$TOKEN" --to "$NGINX_URL" --format human
    ((RC == 0)) || die "deskhook send (human) exited with $RC"
    put diag.human.rps "$(awk -v n="$N" -v w="$WALL_S" 'BEGIN {printf "%.1f", n / w}')"
    put diag.human.cpu_s "$CPU_S"
    run_timed "diag$r.c1" "$DH" send SessionBegin --count "$((N / 10))" --concurrency 1 \
        --token "$TOKEN" --to "$NGINX_URL" --format json
    ((RC == 0)) || die "deskhook send (-c 1) exited with $RC"
    put diag.c1.rps "$(awk -v n="$((N / 10))" -v w="$WALL_S" 'BEGIN {printf "%.1f", n / w}')"
    put diag.c1.cpu_us_per_req "$(awk -v n="$((N / 10))" -v c="$CPU_S" 'BEGIN {printf "%.1f", c * 1e6 / n}')"
done
put meta.load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
clock
put meta.total_s "$(awk -v a="$T_START" -v b="$T_NOW" 'BEGIN {printf "%.0f", (b - a) / 1e6}')"

# =============================================================================================
# report
if [[ $MODE == smoke ]]; then
    OUT=${BENCH_OUT:-$(mktemp --suffix=.md "${TMPDIR:-/tmp}/deskhook-bench-smoke.XXXXXX")}
else
    OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
fi
set +e
python3 - "$R" "$OUT" "$CHECK" <<'PY'
import os, statistics, sys

res_path, out_path, check = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
vals, meta = {}, {}
for raw in open(res_path, encoding="utf-8"):
    k, _, v = raw.rstrip("\n").partition("\t")
    if k.startswith(("meta.", "ver.", "cfg.")):
        meta[k] = v
        continue
    try:
        vals.setdefault(k, []).append(float(v.rstrip("%")))
    except ValueError:
        pass


def med(k):
    xs = vals.get(k)
    return statistics.median(xs) if xs else None


def f(x, nd=0, unit=""):
    if x is None:
        return "n/a"
    return f"{x:,.{nd}f}{unit}"


def runs(k, nd=0):
    xs = vals.get(k)
    return ", ".join(f"{x:,.{nd}f}" for x in xs) if xs else "n/a"


smoke = meta["cfg.n"] != "20000" or meta.get("meta.mode") == "smoke"
N, C = int(meta["cfg.n"]), int(meta["cfg.c"])
pairs, lines = meta["cfg.pairs"], int(meta["cfg.replay_lines"])

send_dh, send_oha = med("send.dh.rps"), med("send.oha.rps")
recv_dh, recv_ng = med("recv.dh.rps"), med("recv.ng.rps")
ratio1 = send_dh / send_oha if send_dh and send_oha else None
ratio2 = recv_dh / recv_ng if recv_dh and recv_ng else None
ratio3 = med("single.ratio")
rss_kb = med("replay.rss_kb")
rss_mb = rss_kb / 1024 if rss_kb else None


def verdict(x, ok):
    if x is None:
        return "SKIPPED"
    return "PASS" if ok(x) else "FAIL"


targets = [
    ("1. send throughput", "deskhook ≥ 0.7× oha req/s", f(ratio1, 2, "×"), verdict(ratio1, lambda r: r >= 0.7)),
    ("2. receiver throughput", "deskhook listen ≥ 0.5× nginx req/s", f(ratio2, 2, "×"), verdict(ratio2, lambda r: r >= 0.5)),
    ("3. single send", "median deskhook/curl time ≤ 1.5", f(ratio3, 2, "×"), verdict(ratio3, lambda r: r <= 1.5)),
    ("4. replay memory", "max RSS ≤ 64 MB (MiB)", f(rss_mb, 1, " MiB"), verdict(rss_mb, lambda m: m <= 64)),
]


def per_req_us(cpu_key, n=N):
    x = med(cpu_key)
    return None if x is None else x * 1e6 / n


# keep the hand-written section "What was changed to get there" across reruns
CHANGED_HEAD = "## What was changed to get there"
changed = "_(placeholder: the engineer who optimises deskhook fills this in: what was changed, and the numbers before and after.)_\n"
if os.path.exists(out_path):
    text = open(out_path, encoding="utf-8").read()
    if CHANGED_HEAD in text:
        tail = text.split(CHANGED_HEAD, 1)[1]
        body = []
        for ln in tail.splitlines()[1:]:
            if ln.startswith("## "):
                break
            body.append(ln)
        kept = "\n".join(body).strip("\n")
        if kept.strip():
            changed = kept + "\n"

L = []
a = L.append
a("# deskhook benchmarks\n")
if smoke:
    a("> **SMOKE RUN** (`scripts/bench.sh --smoke`): tiny counts, one run each. These numbers only show the script works; they say nothing about the targets.\n")
a(f"Generated by `scripts/bench.sh` on {meta['meta.date']}; rerun it to regenerate this file (the section \"What was changed to get there\" is kept). Whole run: {meta.get('meta.total_s', '?')} s.\n")
others = {k: med("other." + k) for k in ("send", "recv", "single", "replay")}
# smoke runs last milliseconds: too short for the 10 ms ticks of /proc/stat to tell
busy = {} if smoke else {k: v for k, v in others.items() if v is not None and v >= 10}
if busy:
    a("> **WARNING: the machine was not quiet.** Other processes (a build, a test run...) used "
      + ", ".join(f"{v:.0f}% of the CPUs during the {k} runs" for k, v in busy.items())
      + " (median). Those numbers are noisy and pessimistic; rerun on an idle machine.\n")
a("## Results\n")
a("| target | goal | measured | verdict |")
a("| --- | --- | --- | --- |")
for t in targets:
    a(f"| {t[0]} | {t[1]} | {t[2]} | **{t[3]}** |")
a("")
a(f"1. **send throughput** (median of {len(vals.get('send.dh.rps', []))} run(s), {N:,} requests, concurrency {C}): deskhook **{f(send_dh)} req/s** ({N} / wall time of the whole process) against oha **{f(send_oha)} req/s** (oha's own `requestsPerSec`) → **{f(ratio1, 2, '×')}**.")
a(f"2. **receiver throughput** (median of {len(vals.get('recv.dh.rps', vals.get('recv.dh.listen_cpu_s', [])))} run(s), oha `-n {N} -c {C}`): into `deskhook listen --token T --save FILE` **{f(recv_dh)} req/s** against into nginx **{f(recv_ng)} req/s** → **{f(ratio2, 2, '×')}**. Every capture had exactly {N:,} whole JSON lines, each `accepted` with status 200.")
a(f"3. **single send** (median of {len(vals.get('single.ratio', []))} alternating pair(s)): one `deskhook send` process **{f(med('single.dh_ms'), 2)} ms** against one `curl` process **{f(med('single.curl_ms'), 2)} ms**; median per-pair ratio **{f(ratio3, 2, '×')}**.")
a(f"4. **replay memory** ({lines:,}-line capture, {f(med('replay.file_mb'))} MB; {len(vals.get('replay.rss_kb', []))} run(s)): maximum resident set size **{f(rss_mb, 1)} MiB** (median; runs: {runs('replay.rss_kb')} kB); wall time **{f(med('replay.wall_s'), 1)} s** ({f(med('replay.rps'))} req/s), CPU {f(med('replay.cpu_s'), 1)} s user+sys.")
a("")
a("### Every run\n")
a("| measurement | median | runs |")
a("| --- | --- | --- |")
rows = [
    ("send: deskhook req/s (N / wall)", "send.dh.rps", 0),
    ("send: oha req/s (oha's requestsPerSec)", "send.oha.rps", 0),
    ("send: oha req/s (N / wall of the oha process)", "send.oha.wall_rps", 0),
    ("send: ratio deskhook/oha within each run", "send.ratio", 3),
    ("send: deskhook p50 latency ms (its summary)", "send.dh.p50_ms", 3),
    ("send: deskhook p99 latency ms (its summary)", "send.dh.p99_ms", 3),
    ("send: deskhook max RSS kB", "send.dh.rss_kb", 0),
    ("receiver: oha into deskhook listen req/s", "recv.dh.rps", 0),
    ("receiver: deskhook send into deskhook listen req/s (smoke without oha)", "recv.dh.send_rps", 0),
    ("receiver: oha into nginx req/s", "recv.ng.rps", 0),
    ("receiver: ratio listen/nginx within each run", "recv.ratio", 3),
    ("receiver: deskhook listen max RSS kB", "recv.dh.listen_rss_kb", 0),
    ("single: deskhook ms", "single.dh_ms", 2),
    ("single: curl ms", "single.curl_ms", 2),
    ("single: ratio deskhook/curl", "single.ratio", 3),
    ("replay: max RSS kB", "replay.rss_kb", 0),
    ("replay: wall s", "replay.wall_s", 2),
    ("replay: req/s", "replay.rps", 0),
    ("replay: CPU % (of one core)", "replay.cpu_pct", 0),
]
for label, k, nd in rows:
    if k in vals:
        a(f"| {label} | {f(med(k), nd)} | {runs(k, nd)} |")
a("")

a("## Where the time goes\n")
a("CPU time (user+sys, from `/usr/bin/time -v` for the client, `/proc/<pid>/stat` of the nginx master and workers for nginx) per request, medians; the machine has "
  f"{meta['meta.nproc']} cores, shared by the load generator and the server.\n")
a("| run | req/s | client CPU µs/req | server CPU µs/req |")
a("| --- | --- | --- | --- |")
diag = [
    ("oha → nginx (send baseline)", med("send.oha.rps"), per_req_us("send.oha.cpu_s"), per_req_us("send.oha.nginx_cpu_s")),
    ("deskhook send --token T --format json → nginx", send_dh, per_req_us("send.dh.cpu_s"), per_req_us("send.dh.nginx_cpu_s")),
    ("deskhook send (no --token) --format json → nginx", med("diag.notoken.rps"), per_req_us("diag.notoken.cpu_s"), per_req_us("diag.notoken.nginx_cpu_s")),
    ("deskhook send --token T --format human >/dev/null → nginx", med("diag.human.rps"), per_req_us("diag.human.cpu_s"), None),
    (f"deskhook send --token T -c 1 -n {N // 10} → nginx", med("diag.c1.rps"), med("diag.c1.cpu_us_per_req"), None),
    ("oha → nginx (receiver baseline)", recv_ng, per_req_us("recv.ng.oha_cpu_s"), per_req_us("recv.ng.nginx_cpu_s")),
    ("oha → deskhook listen --token T --save FILE", recv_dh, per_req_us("recv.dh.oha_cpu_s"), per_req_us("recv.dh.listen_cpu_s")),
    (f"deskhook replay ({lines:,} lines) → nginx", med("replay.rps"), per_req_us("replay.cpu_s", lines), None),
]
for label, rps, cu, su in diag:
    if rps is None and cu is None:
        continue
    a(f"| {label} | {f(rps)} | {f(cu, 1)} | {f(su, 1)} |")
a("")

a("## How quiet the machine was\n")
a("Share of the machine's CPUs used by processes other than the measured ones during the runs "
  "(from `/proc/stat`, minus the measured processes' own CPU time; median per section). "
  f"Load average at the start: {meta.get('meta.load_start', '?')}; at the end: {meta.get('meta.load_end', '?')}.\n")
a("| section | other processes |")
a("| --- | --- |")
for k, label in (("send", "1. send throughput"), ("recv", "2. receiver throughput"), ("single", "3. single send"), ("replay", "4. replay")):
    a(f"| {label} | {f(others[k], 1, '%')} (runs: {runs('other.' + k, 1)}) |")
a("")
for k, label in (("send", "send throughput"), ("recv", "receiver throughput")):
    if vals.get("discarded." + k):
        a(f"- {label}: {len(vals['discarded.' + k])} run(s) discarded and repeated because other processes used more than {meta['cfg.quiet_max']}% of the CPUs during them (worst side: {runs('discarded.' + k, 1)}%).")
if any(vals.get("discarded." + k) for k in ("send", "recv")):
    a("")
a("## Machine\n")
a(f"- nproc: {meta['meta.nproc']}")
a(f"- memory: {meta['meta.mem']}")
a(f"- CPU: {meta['meta.cpu']}")
a(f"- kernel: {meta['meta.kernel']}")
if meta.get("meta.os"):
    a(f"- OS: {meta['meta.os']}")
a("")
a("## Versions\n")
for k in ("deskhook", "oha", "nginx", "curl", "rustc"):
    a(f"- {k}: `{meta['ver.' + k]}`")
a("")
a("## Commands\n")
a(f"nginx: a non-daemon child (`nginx -p TMP/ -c TMP/nginx.conf -e TMP/logs/error.log`, config generated by the script) on 127.0.0.1 and a free port, `worker_processes {meta['cfg.nginx_workers']}`, keepalive on (`keepalive_requests 10000000`), `access_log off`, answering every POST with `200 application/json {{\"ActionStatus\":\"OK\",\"ErrorInfo\":\"\",\"ErrorCode\":0}}`. "
  "`URL` below is `http://127.0.0.1:PORT/desk/callback`. The body used for oha and curl is a freshly signed SessionBegin from `deskhook send SessionBegin --dry-run --format json --token T --to URL`, compact JSON as deskhook sends it, posted to the signed URL (path and query) from the same dry run. deskhook is built with `cargo build --release` and a copy of the binary is benchmarked. Within every run the two sides alternate which goes first.\n")
a("```sh")
a(f"# 1. send throughput ({meta['cfg.runs']} run(s) each)")
a(f"deskhook send SessionBegin --count {N} --concurrency {C} --token T --to URL --format json > out.jsonl   # wall time around the process; summary = last line")
a(f"oha -n {N} -c {C} -m POST -H 'Content-Type: application/json' -d \"$BODY\" --no-tui --output-format json 'URL?<signed query>'")
a(f"# 2. receiver throughput ({meta['cfg.runs']} run(s) each; body and URL signed right before each run)")
a(f"deskhook listen --port 0 --save FILE --token T --max-requests {N} > listen.out   # wait for 'listening on http://127.0.0.1:PORT/'")
a(f"oha -n {N} -c {C} -m POST -H 'Content-Type: application/json' -d \"$BODY\" --no-tui --output-format json 'http://127.0.0.1:PORT/desk/callback?<signed query>'")
a(f"#   then: FILE must hold exactly {N} whole JSON lines, each parsed, verdict accepted, status 200")
a(f"oha -n {N} -c {C} -m POST -H 'Content-Type: application/json' -d \"$BODY\" --no-tui --output-format json 'URL?<signed query>'   # into nginx")
a(f"# 3. single send ({pairs} pairs, alternating order; wall time from bash $EPOCHREALTIME)")
a("deskhook send SessionBegin --to URL")
a("curl -s -X POST -H 'Content-Type: application/json' --data-binary @body --max-time 5 'URL?<signed query>'")
a(f"# 4. replay memory: a {lines}-line capture = one `listen --save` line with seq 1..{lines}")
a(f"/usr/bin/time -v deskhook replay FILE --to URL --token T --concurrency {C} --format json > out.jsonl   # summary = last line")
a("```\n")
a("Req/s for deskhook send is N / wall time of the whole process (start-up included); for oha it is oha's own `requestsPerSec` (start-up excluded), which is the stricter comparison; oha's N / wall is in the table above too. MB in target 4 is read as MiB (kB / 1024).\n")
a(CHANGED_HEAD + "\n")
a(changed)

os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
with open(out_path, "w", encoding="utf-8") as fh:
    fh.write("\n".join(L))

print()
print("deskhook benchmark" + (" (SMOKE: numbers are meaningless)" if smoke else ""))
print(f"  1. send      deskhook {f(send_dh)} req/s vs oha {f(send_oha)} req/s  -> {f(ratio1, 2, 'x')} (>= 0.7)  {targets[0][3]}")
print(f"  2. receiver  listen   {f(recv_dh)} req/s vs nginx {f(recv_ng)} req/s -> {f(ratio2, 2, 'x')} (>= 0.5)  {targets[1][3]}")
print(f"  3. single    deskhook {f(med('single.dh_ms'), 2)} ms vs curl {f(med('single.curl_ms'), 2)} ms -> median ratio {f(ratio3, 2)} (<= 1.5)  {targets[2][3]}")
print(f"  4. replay    {lines:,} lines: max RSS {f(rss_mb, 1)} MiB (<= 64), {f(med('replay.wall_s'), 1)} s  {targets[3][3]}")
if busy:
    print("  WARNING: the machine was busy during: " + ", ".join(f"{k} ({v:.0f}% of CPUs)" for k, v in busy.items()))
print(f"  report: {out_path}")
if check and any(t[3] == "FAIL" for t in targets):
    sys.exit(1)
PY
PY_RC=$?
set -e
exit "$PY_RC"

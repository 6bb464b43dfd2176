#!/usr/bin/env bash
# HTTP throughput/latency benchmark of `lionrock serve --demo` on loopback.
#
# Builds the release binary, starts it on 127.0.0.1:18080 with a throw-away
# data directory, and runs wrk against a few paths. The output starts with the
# machine description so it can be pasted into BENCHMARKS.md as is.
#
# Usage: bench/http.sh
#   BENCH_DURATION     seconds per path       (default 20)
#   BENCH_CONNECTIONS  open connections       (default 50)
#   BENCH_THREADS      wrk threads            (default 2)
#   CARGO_TARGET_DIR   respected for the build (default: target/)
#
# Traffic goes only to 127.0.0.1, and every load run is bounded in time. Note
# that wrk and the server share the machine's cores, so the numbers measure
# the pair, not the server alone; compare runs on the same machine only.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly HOST=127.0.0.1
readonly PORT=18080
readonly BASE="http://${HOST}:${PORT}"
readonly PATHS=(/healthz /en/)
readonly DURATION="${BENCH_DURATION:-20}"
readonly CONNECTIONS="${BENCH_CONNECTIONS:-50}"
readonly THREADS="${BENCH_THREADS:-2}"

die() {
    echo "error: $*" >&2
    exit 1
}

# ---- what machine this is (first, for BENCHMARKS.md) ------------------------

cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)"
echo "## lionrock HTTP benchmark"
echo
echo "date:     $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
echo "uname:    $(uname -a)"
echo "nproc:    $(nproc)"
echo "cpu:      ${cpu_model:-unknown}"
echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo 'none')$(git diff --quiet HEAD -- 2>/dev/null || echo ' (dirty)')"
echo "rustc:    $(rustc --version)"
echo

# ---- build ------------------------------------------------------------------

echo "==> cargo build --release --bin lionrock"
cargo build --release --bin lionrock
bin="${CARGO_TARGET_DIR:-target}/release/lionrock"
[[ -x "$bin" ]] || die "built binary not found at ${bin}"

# ---- load generator -----------------------------------------------------------

# Prefer Debian's wrk; fall back to oha only if wrk can't be installed.
if ! command -v wrk >/dev/null 2>&1; then
    if [[ "$(id -u)" == "0" ]]; then
        echo "==> installing wrk (apt-get)"
        apt_log="$(mktemp)"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq update &&
            DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq install -y wrk; } \
            >"$apt_log" 2>&1; then
            tail -n 20 "$apt_log" >&2
        fi
        rm -f "$apt_log"
    fi
fi
if command -v wrk >/dev/null 2>&1; then
    tool=wrk
elif command -v oha >/dev/null 2>&1; then
    tool=oha
else
    die "neither wrk nor oha is available (apt-get install wrk)"
fi
command -v curl >/dev/null 2>&1 || die "curl is needed to check the server (apt-get install curl)"

# ---- server -------------------------------------------------------------------

# Something else on the port would be benchmarked instead of us: refuse.
if (exec 3<>"/dev/tcp/${HOST}/${PORT}") 2>/dev/null; then
    die "${HOST}:${PORT} is already in use"
fi

tmpdir="$(mktemp -d "${TMPDIR:-/tmp}/lionrock-bench.XXXXXX")"
mkdir "${tmpdir}/data"
server_log="${tmpdir}/server.log"
server_pid=""

# Stop the server (SIGTERM, then SIGKILL after 10 s) and remove the data dir,
# however the script ends.
cleanup() {
    local rc=$? i
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "server did not stop within 10 s of SIGTERM; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    if ((rc != 0)) && [[ -s "$server_log" ]]; then
        echo "--- last lines of the server log ---" >&2
        tail -n 30 "$server_log" >&2
    fi
    rm -rf "$tmpdir"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> starting ${bin} serve --demo --listen ${HOST}:${PORT}"
# Default logging (LIONROCK_LOG unset) so runs are comparable; the data dir
# (config key server.data_dir) is a fresh temporary folder.
# The per-IP load-shaping limit would answer most of this load with 429 (all
# of it comes from one address): lift it, since the limiter is not what is
# being measured here.
start_ns=$(date +%s%N)
env -u LIONROCK_LOG LIONROCK_SERVER__DATA_DIR="${tmpdir}/data" \
    LIONROCK_LIMITS__GLOBAL_PER_IP_PER_SECOND=1000000 \
    "$bin" serve --demo --listen "${HOST}:${PORT}" </dev/null >"$server_log" 2>&1 &
server_pid=$!

# Wait up to 30 s for /healthz to answer 200.
ready=0
for ((i = 0; i < 60; i++)); do
    kill -0 "$server_pid" 2>/dev/null || die "server exited during startup"
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${BASE}/healthz" || true)"
    if [[ "$code" == "200" ]]; then
        ready=1
        break
    fi
    sleep 0.5
done
((ready)) || die "${BASE}/healthz did not answer 200 within 30 s (last: ${code:-none})"
echo "startup: $((($(date +%s%N) - start_ns) / 1000000)) ms from launch (fresh data dir: keys, migrations) to /healthz 200"
rss() { ps -o rss= -p "$server_pid" | tr -d ' '; }
echo "rss idle: $(rss) KiB"

# A benchmark of an error page would be meaningless: check each path first.
for path in "${PATHS[@]}"; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${BASE}${path}" || true)"
    [[ "$code" == "200" ]] || die "${BASE}${path} answered ${code:-nothing}, not 200"
done

# ---- load -----------------------------------------------------------------------

echo
echo "tool: $("$tool" --version 2>&1 | head -n 1)"
echo "load: ${THREADS} threads, ${CONNECTIONS} connections, ${DURATION} s per path"
for path in "${PATHS[@]}"; do
    echo
    echo "### GET ${path}"
    echo
    # timeout: a hung load generator can't make the run unbounded.
    case "$tool" in
    wrk)
        timeout $((DURATION + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" \
            --latency "${BASE}${path}"
        ;;
    oha)
        timeout $((DURATION + 30)) oha --no-tui -c "$CONNECTIONS" -z "${DURATION}s" \
            "${BASE}${path}"
        ;;
    esac
done

echo
echo "rss after load: $(rss) KiB"
echo
echo "==> stopping server"

#!/usr/bin/env bash
# Open data search benchmark (issue 15): `package_search` p50/p95/p99 latency and requests/s over
# a catalogue of 100,000 generated datasets (`lionrock opendata generate`, trilingual, the demo's
# topics with numbers, districts and years), and the time `lionrock opendata reindex` takes to
# build the index from the database. The issue aims at p95 under 20 ms; CKAN's reported figures
# are about 220-290 ms per search on Solr.
#
# The load is a mix of queries (bench/opendata-search.lua takes them in turn): everything with
# five facets, English words, a stem, a typo, Traditional and Simplified Chinese, fq filters,
# sorting by name and paging. The same-run reference is `status_show` on the same server (same
# HTTP stack, CKAN envelope, no search): search requests/s over status_show requests/s is the
# figure to compare across machines; the machine is shared, so absolute numbers drift.
#
# Usage (from anywhere in the repository):
#   bash bench/opendata-search.sh [--no-build]
# Knobs (environment): LIONROCK_BENCH_DATASETS (100000) LIONROCK_BENCH_CONC (8)
#   LIONROCK_BENCH_SECONDS (20 per window) LIONROCK_BENCH_BIN (default: the release build)
#   LIONROCK_BENCH_DATABASE_URL (default: SQLite in the throw-away data directory; a
#   postgres://… URL to an empty database measures PostgreSQL)
# Needs: cargo, wrk (installed with apt-get when missing), curl.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATASETS=${LIONROCK_BENCH_DATASETS:-100000} CONC=${LIONROCK_BENCH_CONC:-8} SECONDS_PER=${LIONROCK_BENCH_SECONDS:-20}
BUILD=1
for arg in "$@"; do
  case $arg in
    --no-build) BUILD=0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
die() { echo "error: $*" >&2; exit 1; }

cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)"
echo "## open data search benchmark"
echo "date:     $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
echo "nproc:    $(nproc)    cpu: ${cpu_model:-unknown}    load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit:   $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- 2>/dev/null || echo ' (dirty)')"
echo "datasets: $DATASETS   connections: $CONC   window: ${SECONDS_PER}s"

if [[ $BUILD == 1 && -z ${LIONROCK_BENCH_BIN:-} ]]; then
  (cd "$REPO" && cargo build --release --locked --bin lionrock) || die "build failed"
fi
BIN=${LIONROCK_BENCH_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/lionrock}
[[ -x $BIN ]] || die "no binary at $BIN"
if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1; } \
    || die "wrk is missing and could not be installed"
fi

WORK=$(mktemp -d)
SERVER=
cleanup() { [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK" || die "no work directory"
export LIONROCK_LOG=warn
# All load comes from one address: lift the per-address load shaping (as the tests do).
export LIONROCK_LIMITS__GLOBAL_PER_IP_PER_SECOND=1000000
[[ -n ${LIONROCK_BENCH_DATABASE_URL:-} ]] && export LIONROCK_DATABASE__URL=$LIONROCK_BENCH_DATABASE_URL
echo "database: ${LIONROCK_BENCH_DATABASE_URL:+PostgreSQL}${LIONROCK_BENCH_DATABASE_URL:-SQLite}"
"$BIN" keys init >/dev/null || die "keys init failed"

start=$(date +%s.%N)
"$BIN" opendata generate --count "$DATASETS" --json >generate.json 2>/dev/null || die "generate failed"
echo "generate: $(python3 -c "import json;d=json.load(open('generate.json'));print(f\"{d['datasets']} datasets in {d['seconds']:.1f} s\")")"

"$BIN" opendata reindex --json >reindex.json 2>reindex.err || die "reindex failed: $(tail -c 300 reindex.err)"
echo "reindex:  $(python3 -c "import json;d=json.load(open('reindex.json'));print(f\"{d['datasets']} datasets in {d['seconds']:.1f} s ({d['datasets']/d['seconds']:.0f} datasets/s)\")")"
echo "index:    $(du -sh lionrock-data/opendata/search | cut -f1) on disk"

"$BIN" serve --json --listen 127.0.0.1:0 >serve.out 2>serve.err &
SERVER=$!
for _ in $(seq 1 600); do [[ -s serve.out ]] && break; sleep 0.1; done
BASE=$(python3 -c "import json;print(json.loads(open('serve.out').readline())['url'].rstrip('/'))") || die "serve did not start: $(tail -c 300 serve.err)"

# The mix: each line is one package_search query string.
cat >queries.txt <<'Q'
facet.field=%5B%22organization%22,%22groups%22,%22res_format%22,%22tags%22,%22language%22%5D
q=rainfall&facet.field=%5B%22organization%22,%22res_format%22%5D
q=population%20district
q=temperatures&rows=20
q=parkng%20vacancy
q=%E7%A9%BA%E6%B0%A3%E8%B3%AA%E7%B4%A0
q=%E7%A9%BA%E6%B0%94%E8%B4%A8%E9%87%8F&facet.field=%5B%22tags%22%5D
q=%E9%9B%A8%E9%87%8F%20%E6%B2%99%E7%94%B0
fq=organization:hko%20res_format:csv&sort=name%20asc&rows=20
fq=groups:population%20-tags:trade&facet.field=%5B%22tags%22%5D&start=100
q=air%20quality&fq=tags:series-42&sort=metadata_modified%20desc
q=museum&sort=title_string%20asc&rows=50
Q
for q in $(cat queries.txt); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/3/action/package_search?$q")
  [[ $code == 200 ]] || die "warm-up $q answered $code"
done
echo "status_show" >status.txt

window() { # label file path-prefix
  SEARCH_QUERIES_FILE=$2 SEARCH_PATH=$3 wrk -t2 -c"$CONC" -d"${SECONDS_PER}s" --timeout 10s \
    -s "$REPO/bench/opendata-search.lua" "$BASE" 2>&1 | grep '^search-ok' | sed "s/^search-ok/$1/"
}
# Windows alternate reference and search; each figure is printed.
for round in 1 2; do
  window "reference(status_show)" status.txt "/api/3/action/" | tee -a results.txt
  window "package_search" queries.txt "/api/3/action/package_search?" | tee -a results.txt
done
python3 - results.txt <<'PY'
import re, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def fig(row, key): return float(next(x.split('=')[1] for x in row if x.startswith(key + '=')))
ref = max(fig(r, 'rps') for r in rows if r[0].startswith('reference'))
search = [r for r in rows if r[0] == 'package_search']
best = max(search, key=lambda r: fig(r, 'rps'))
p95 = sorted(fig(r, 'p95_ms') for r in search)[len(search) // 2]
bad = sum(fig(r, 'non200') + fig(r, 'errors') for r in search)
print(f"verdict: package_search {fig(best, 'rps'):.0f} req/s (best window), p50 {fig(best, 'p50_ms'):.1f} ms, "
      f"p95 {p95:.1f} ms (median window), ratio to status_show {fig(best, 'rps') / ref:.2f}, non-200/errors {bad:.0f}; "
      f"goal p95 < 20 ms: {'met' if p95 < 20 and bad == 0 else 'NOT met'}")
sys.exit(0 if p95 < 20 and bad == 0 else 1)
PY

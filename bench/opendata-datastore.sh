#!/usr/bin/env bash
# Open data DataStore load benchmark (issue 15): rows/s of `lionrock opendata datastore load` for a
# generated CSV of 1,000,000 rows (seven columns: date, timestamp, district, station code, an int,
# a numeric, a bool), loaded in batches inside one transaction (never a half table). Every tenth
# of the file ends in a row with `n/a` in the int column, which `--type pm25=int` makes a bad row:
# the report must list those ten rows by number and load the rest (the script fails otherwise). The load reads the file twice (types come
# from every value, then the rows go in), so rows/s covers both passes.
#
# Usage (from anywhere in the repository):
#   bash bench/opendata-datastore.sh [--no-build]
# Knobs (environment): LIONROCK_BENCH_ROWS (1000000) LIONROCK_BENCH_BIN (default: the release
#   build) LIONROCK_BENCH_DATABASE_URL (default: SQLite in the throw-away data directory; a
#   postgres://… URL to an empty database measures PostgreSQL)
# Needs: cargo, curl, python3.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${LIONROCK_BENCH_ROWS:-1000000}
BUILD=1
for arg in "$@"; do
  case $arg in
    --no-build) BUILD=0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
die() { echo "error: $*" >&2; exit 1; }

cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)"
echo "## open data DataStore load benchmark"
echo "date:     $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
echo "nproc:    $(nproc)    cpu: ${cpu_model:-unknown}    load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit:   $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- 2>/dev/null || echo ' (dirty)')"
echo "rows:     $ROWS"

if [[ $BUILD == 1 && -z ${LIONROCK_BENCH_BIN:-} ]]; then
  (cd "$REPO" && cargo build --release --locked --bin lionrock) || die "build failed"
fi
BIN=${LIONROCK_BENCH_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/lionrock}
[[ -x $BIN ]] || die "no binary at $BIN"

WORK=$(mktemp -d)
SERVER=
cleanup() { [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK" || die "no work directory"
export LIONROCK_LOG=warn
[[ -n ${LIONROCK_BENCH_DATABASE_URL:-} ]] && export LIONROCK_DATABASE__URL=$LIONROCK_BENCH_DATABASE_URL
echo "database: ${LIONROCK_BENCH_DATABASE_URL:+PostgreSQL}${LIONROCK_BENCH_DATABASE_URL:-SQLite}"
"$BIN" keys init >/dev/null || die "keys init failed"
"$BIN" opendata generate --count 2 --json >/dev/null 2>&1 || die "generate failed"

# A resource to load into: a public generated dataset's first (number 0 is private), found
# through the CKAN API.
"$BIN" serve --json --listen 127.0.0.1:0 >serve.out 2>serve.err &
SERVER=$!
for _ in $(seq 1 600); do [[ -s serve.out ]] && break; sleep 0.1; done
BASE=$(python3 -c "import json;print(json.loads(open('serve.out').readline())['url'].rstrip('/'))") || die "serve did not start: $(tail -c 300 serve.err)"
RESOURCE=$(curl -fsS "$BASE/api/3/action/package_search?rows=1" |
  python3 -c "import json,sys;print(json.load(sys.stdin)['result']['results'][0]['resources'][0]['id'])") || die "no resource found"
kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; SERVER=
echo "resource: $RESOURCE"

start=$(date +%s.%N)
python3 - "$ROWS" >data.csv <<'PY'
import sys
rows = int(sys.argv[1])
bad = max(1, rows // 10)
districts = ["Central and Western", "Wan Chai", "Eastern", "Southern", "Yau Tsim Mong", "Sham Shui Po",
             "Kowloon City", "Wong Tai Sin", "Kwun Tong", "Kwai Tsing", "Tsuen Wan", "Tuen Mun", "Yuen Long",
             "North", "Tai Po", "Sha Tin", "Sai Kung", "Islands"]
out = sys.stdout
out.write("day,read_at,district,station,pm25,no2,exceeded\n")
for i in range(1, rows + 1):
    day = 1 + i % 28
    pm25 = "n/a" if i % bad == 0 else str(i % 180)
    out.write(f"2026-01-{day:02d},2026-01-{day:02d}T{i % 24:02d}:00:00+08:00,{districts[i % 18]},S{i % 97:03d},"
              f"{pm25},{(i % 997) / 10:.1f},{'yes' if i % 180 > 150 else 'no'}\n")
PY
echo "csv:      $(du -h data.csv | cut -f1), made in $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s"

start=$(date +%s.%N)
"$BIN" opendata datastore load "$RESOURCE" data.csv --type pm25=int --json >load.json 2>load.err || die "load failed: $(tail -c 300 load.err)"
wall=$(python3 -c "print($(date +%s.%N) - $start)")
python3 - "$wall" "$ROWS" <<'PY' || exit 1
import json, sys
wall, rows = float(sys.argv[1]), int(sys.argv[2])
r = json.load(open("load.json"))
print(f"load:     {r['rows_loaded']} of {r['rows_total']} rows in {r['seconds']:.1f} s "
      f"({r['rows_loaded'] / r['seconds']:.0f} rows/s; {wall:.1f} s wall with start-up)")
print(f"rejected: {r['rows_rejected']} (rows {', '.join(str(p['row']) for p in r['problems'][:10])})")
print("columns:  " + ", ".join(f"{f['id']} {f['type']}" for f in r['fields']))
bad = rows // max(1, rows // 10)
ok = r['rows_total'] == rows and r['rows_rejected'] == bad and r['rows_loaded'] == rows - bad
sys.exit(0 if ok else 1)
PY

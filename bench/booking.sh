#!/usr/bin/env bash
# Booking benchmark (issue 17): sustained bookings per second and p50/p99 latency at ten times more
# demand than places, on SQLite then on PostgreSQL, with zero overbooking checked by counting rows.
# lionrock is set beside a minimal reference measured in the same run: bench/booking-reference, a
# few dozen lines of axum + sqlx doing only the same transaction (conditional UPDATE of the slot,
# INSERT of the booking, commit; BEGIN IMMEDIATE on SQLite; lionrock's SQLite settings and pool
# size). The machine is shared, so the verdict is a same-run ratio, as in
# ../shared/bench/oidc-anchor/ratio.sh: windows alternate reference, lionrock, reference, ...
#
# A window: fresh places (SLOTS slots of CAPACITY places: for lionrock a new programme through
# `lionrock booking import`, for the reference POST /slots), then DEMAND x places booking attempts
# from CONC connections (wrk + bench/booking.lua), each for a new person with a valid HKID, on a
# slot drawn at random (the same draw and people for both servers in a round). When the last
# answer is in:
#   bookings/s  201 answers / time from the first attempt to the last answer
#   answers/s   every answer (201 and 409 full) over the same time
#   p50, p99    latency over every answer
# Then the database is counted (sqlite3 / psql): no slot above its capacity, every slot's `taken`
# equal to its active bookings, and the window's places taken = its bookings (zero overbooking).
# Every figure is printed per window; each server's best window counts for the rate (noise on a
# shared machine only lowers a window), the median window for p99.
# Exit 0 only when, on both databases: lionrock >= GOAL_RATIO x the reference's bookings/s,
# lionrock's p99 < GOAL_P99_MS, no overbooking, and at most MAX_BAD_PCT% answers other than
# 201 or 409 full. With --reference-only (lionrock has no booking yet): the reference windows
# only, exit 0 when they are clean.
#
# Usage (from anywhere in the repository; ~4 min with the defaults):
#   bash bench/booking.sh [--reference-only] [--sqlite-only|--postgres-only] [--no-build]
# Needs: cargo, wrk (installed with apt-get when missing), python3 >= 3.11, curl, sqlite3, psql and
# PostgreSQL (scripts/services.sh ensure_postgres starts it and makes the fresh databases).
# lionrock's load is a signed-in resident: by default CONC browser sessions of one account made
# with `lionrock users create` (password sign-in on /en/sign-in), each request with its session
# cookie and the CSRF header read from <meta name="csrf-token"> as the pages do, the sessions
# taken in turn; with LIONROCK_BENCH_BEARER=1 an OIDC access token with scope `booking` instead
# (needs the API to accept them, and ../shared/bench/oidc-anchor/load.py to sign in for one).
# Knobs (environment; LIONROCK_BENCH_* is never read as configuration):
#   LIONROCK_BENCH_SLOTS (500) LIONROCK_BENCH_CAPACITY (10) LIONROCK_BENCH_DEMAND (10)
#   LIONROCK_BENCH_CONC (8) LIONROCK_BENCH_ROUNDS (3) LIONROCK_BENCH_POOL (10: both servers' pool)
#   LIONROCK_BENCH_BIN (lionrock binary; default: the release build)
#   LIONROCK_BENCH_REFERENCE_TARGET_DIR (cargo target dir of the reference; default target/booking-reference)
#   LIONROCK_BENCH_REFERENCE_WRITE_LOCK=1  the reference queues SQLite writers in process (a mutex)
#                                          instead of in SQLite's busy handler: lionrock does not (yet)
#   LIONROCK_BENCH_BEARER=1  lionrock's load authenticates with a bearer access token (scope booking)
#   LIONROCK_BENCH_LOAD_PY (default ../shared/bench/oidc-anchor/load.py; only with LIONROCK_BENCH_BEARER=1)
GOAL_RATIO=0.5 GOAL_P99_MS=50 MAX_BAD_PCT=1
SLOTS=${LIONROCK_BENCH_SLOTS:-500} CAPACITY=${LIONROCK_BENCH_CAPACITY:-10} DEMAND=${LIONROCK_BENCH_DEMAND:-10}
CONC=${LIONROCK_BENCH_CONC:-8} ROUNDS=${LIONROCK_BENCH_ROUNDS:-3} POOL=${LIONROCK_BENCH_POOL:-10}
WINDOW_MAX_S=300   # wrk's -d: only a bound, a window ends at its last answer
ATTEMPTS=$((SLOTS * CAPACITY * DEMAND))
# lionrock's tables (crates/booking: programmes/store.rs, bookings/store.rs); a booking holds a
# place until it is cancelled.
LR_SLOT_TABLE=booking_slot LR_BOOKING_TABLE=booking_booking LR_ACTIVE="status <> 'cancelled'"
REDIRECT=http://127.0.0.1:9/callback

set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$REPO/bench
REFERENCE_ONLY=0 BACKENDS="sqlite postgres" BUILD=1
for arg in "$@"; do
  case $arg in
    --reference-only) REFERENCE_ONLY=1 ;;
    --sqlite-only) BACKENDS=sqlite ;;
    --postgres-only) BACKENDS=postgres ;;
    --no-build) BUILD=0 ;;
    *) sed -n '2,/^GOAL_RATIO/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
  esac
done
fail() { echo "FAIL: $*"; exit 1; }
((ATTEMPTS >= 1 && ATTEMPTS <= 1000000)) || fail "SLOTS x CAPACITY x DEMAND must be 1..1,000,000 (six HKID digits a window)"
((ROUNDS >= 1 && ROUNDS <= 20)) || fail "ROUNDS must be 1..20"

# ---- tools
command -v wrk >/dev/null || { SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  { $SUDO apt-get install -y -qq wrk || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk; }; } >/dev/null 2>&1; }
command -v wrk >/dev/null || fail "wrk is missing and 'apt-get install wrk' failed"
for tool in cargo curl python3 sqlite3; do command -v $tool >/dev/null || fail "$tool is needed"; done
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || fail "python3 >= 3.11 is needed"
LOAD_PY=${LIONROCK_BENCH_LOAD_PY:-$REPO/../shared/bench/oidc-anchor/load.py}
BEARER=${LIONROCK_BENCH_BEARER:-0}
((REFERENCE_ONLY)) || [ "$BEARER" != 1 ] || [ -f "$LOAD_PY" ] || fail "no $LOAD_PY (it gets lionrock's access token): set LIONROCK_BENCH_LOAD_PY"

# ---- builds: the reference in its own target dir (its own Cargo.lock), lionrock as usual
REF_TARGET=${LIONROCK_BENCH_REFERENCE_TARGET_DIR:-$REPO/target/booking-reference}
REF_BIN=$REF_TARGET/release/booking-reference
BIN=${LIONROCK_BENCH_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/lionrock}
if ((BUILD)); then
  echo "building the reference (release) into $REF_TARGET"
  CARGO_TARGET_DIR=$REF_TARGET cargo build --release --locked --quiet --manifest-path "$BENCH/booking-reference/Cargo.toml" \
    || fail "could not build bench/booking-reference"
  if ((!REFERENCE_ONLY)) && [ -z "${LIONROCK_BENCH_BIN:-}" ]; then
    echo "building lionrock (release)"
    (cd "$REPO" && cargo build --release --locked --quiet -p lionrock) || fail "could not build lionrock"
  fi
fi
[ -x "$REF_BIN" ] || fail "no reference binary at $REF_BIN"
((REFERENCE_ONLY)) || [ -x "$BIN" ] || fail "no lionrock binary at $BIN"

# ---- run state and clean-up (only what this script started)
WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/lionrock-booking-bench.XXXXXX")
PIDS=() PG_DBS=()
stop_pid() {  # PID: stop a server this script started (SIGTERM, up to 5 s) and forget it
  local p keep=()
  kill "$1" 2>/dev/null && for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
cleanup() {
  local p db
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  for db in "${PG_DBS[@]}"; do _svc_psql -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; done
  rm -rf "$WORKDIR"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP
# shellcheck source=../scripts/services.sh
. "$REPO/scripts/services.sh"
RES=$WORKDIR/windows.tsv; : >"$RES"
TCK=$(getconf CLK_TCK)
ticks() { local s; read -r s <"/proc/$1/stat" 2>/dev/null || { echo 0; return; }; s=${s##*) }; set -- $s; echo $(( ${12} + ${13} )); }
busy() { local a b c d e f g h; read -r _ a b c d e f g h _ </proc/stat; echo $(( a + b + c + f + g + h )); }
json() {  # EXPR FILE: a Python expression over j, the first JSON object or array in FILE (after any log lines)
  python3 - "$@" <<'PY'
import json, re, sys
t, j = open(sys.argv[2]).read(), {}
for m in re.finditer(r"[{[]", t):
    try:
        j = json.JSONDecoder().raw_decode(t[m.start():])[0]
        break
    except ValueError:
        pass
def walk(o):
    yield o
    for v in (o.values() if isinstance(o, dict) else o if isinstance(o, list) else []):
        yield from walk(v)
v = eval(sys.argv[1], {"j": j, "walk": walk})
print("\n".join(map(str, v)) if isinstance(v, list) else "" if v is None else v)
PY
}
start() {  # NAME LOG CMD...: start a server that prints {"url": ...} on stdout; sets URL and PID
  local name=$1 log=$2; shift 2
  "$@" >"$log.out" 2>"$log.err" </dev/null &
  PID=$! PIDS+=("$PID") URL=
  for _ in $(seq 150); do
    URL=$(json 'j.get("url")' "$log.out" 2>/dev/null)   # printed once it listens
    [ -n "$URL" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.2
  done
  [ -n "$URL" ] || fail "$name did not start: $(tail -c 400 "$log.err")"
}

# ---- what machine and code this is (for BENCHMARKS.md)
echo "date $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
  "load $(cut -d' ' -f1-3 /proc/loadavg); commit $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- 2>/dev/null || echo ' (dirty)')"
echo "$SLOTS slots x $CAPACITY places, $ATTEMPTS attempts a window (${DEMAND}x demand), c=$CONC, pool $POOL, $ROUNDS rounds;" \
  "reference writers queue in $([ "${LIONROCK_BENCH_REFERENCE_WRITE_LOCK:-0}" = 1 ] && echo "process (mutex)" || echo "SQLite's busy handler, as lionrock")"

# ---- the reference
start_reference() {  # BACKEND DBURL
  start "reference ($1)" "$WORKDIR/reference-$1" env POOL_SIZE="$POOL" WRITE_LOCK="${LIONROCK_BENCH_REFERENCE_WRITE_LOCK:-0}" "$REF_BIN" "$2"
  REF_PID=$PID REF_BASE=$URL
}
reference_places() {  # COUNT CAPACITY FILE: new slots, their IDs into FILE
  curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"count\": $1, \"capacity\": $2}" "$REF_BASE/slots" >"$3.json" \
    || fail "reference: POST /slots failed"
  json '[s for s in j["slot_ids"]]' "$3.json" >"$3"
}

# ---- lionrock
LR_EMAIL="booking-bench-$RANDOM$RANDOM@example.org"
LR_PASSWORD=$(python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(20)))')
lr() {  # ARGS...: the CLI on this backend's data directory and database; stdout in $out
  out=$( (cd "$LR_DIR" && env "${LR_ENV[@]}" timeout 120 "$BIN" "$@") 2>"$LR_DIR/cli.err"); local rc=$?
  err=$( { cat "$LR_DIR/cli.err"; printf '%s' "$out"; } | tr -s '\n ' ' ' | tail -c 300); return $rc
}
start_lionrock() {  # BACKEND DBURL(empty: SQLite in the data directory)
  LR_DIR=$WORKDIR/lionrock-$1; mkdir -p "$LR_DIR/data"
  # All load comes from one address, as from a load balancer: lift the per-IP and per-account limits.
  LR_ENV=(LIONROCK_LOG=warn LIONROCK_SERVER__DATA_DIR="$LR_DIR/data" LIONROCK_DATABASE__MAX_CONNECTIONS="$POOL"
    LIONROCK_LIMITS__GLOBAL_PER_IP_PER_SECOND=1000000 LIONROCK_LIMITS__SENSITIVE_PER_IP_PER_MINUTE=100000000
    LIONROCK_LIMITS__SENSITIVE_PER_ACCOUNT_PER_MINUTE=100000000)
  [ -n "$2" ] && LR_ENV+=(LIONROCK_DATABASE__URL="$2")
  LR_SQLITE=$LR_DIR/data/lionrock.db
  lr keys init || fail "lionrock keys init: $err"
  out=$(printf '%s\n' "$LR_PASSWORD" | (cd "$LR_DIR" && env "${LR_ENV[@]}" timeout 120 "$BIN" users create --email "$LR_EMAIL" --password-stdin --json) 2>&1) \
    || fail "lionrock users create --password-stdin --json: $(tail -c 300 <<<"$out")"
  printf '%s' "$out" >"$LR_DIR/user.json"
  LR_ACCOUNT=$(json 'j["account_id"]' "$LR_DIR/user.json")
  [ -n "$LR_ACCOUNT" ] || fail "lionrock users create --json printed no account_id: $(tail -c 300 <<<"$out")"
  if [ "$BEARER" = 1 ]; then
    lr clients create --name "booking bench" --redirect-uri "$REDIRECT" --scope booking --json \
      || fail "lionrock clients create ... --scope booking --json: $err"
    printf '%s' "$out" >"$LR_DIR/client.json"
    LR_CID=$(json 'j.get("client_id")' "$LR_DIR/client.json") LR_SECRET=$(json 'j.get("client_secret")' "$LR_DIR/client.json")
    [ -n "$LR_CID" ] && [ -n "$LR_SECRET" ] || fail "lionrock clients create --json printed no client_id and client_secret: $err"
  fi
  start "lionrock ($1)" "$LR_DIR/server" bash -c 'cd "$1" && shift && exec env "$@"' _ "$LR_DIR" "${LR_ENV[@]}" "$BIN" serve --json --listen 127.0.0.1:0
  LR_PID=$PID LR_BASE=$URL
}
lionrock_token() {  # one sign-in (authorization code + PKCE, login form, consent): sets LR_AUTH
  local f=$LR_DIR/token.json
  timeout 60 python3 "$LOAD_PY" "$LR_BASE" --print-tokens --client-id="$LR_CID" --client-secret="$LR_SECRET" \
    --redirect-uri "$REDIRECT" --scope "openid booking" --username "$LR_EMAIL" --password="$LR_PASSWORD" >"$f" 2>"$f.err" \
    || fail "lionrock sign-in for a bearer token failed at $(json 'j.get("step")' "$f"): $(json 'j.get("error")' "$f") $(tail -c 200 "$f.err")"
  [[ " $(json 'j.get("scope")' "$f") " == *" booking "* ]] || fail "lionrock's access token was not granted scope booking: $(json 'j.get("scope")' "$f")"
  LR_AUTH="Bearer $(json 'j["access_token"]' "$f")"
}
lionrock_sessions() {  # COUNT FILE: COUNT password sign-ins as a browser makes them; "cookie<TAB>csrf token" lines into FILE
  timeout 120 python3 - "$LR_BASE" "$LR_EMAIL" "$LR_PASSWORD" "$1" "$2" <<'PY' || fail "lionrock: password sign-in for a session failed (above)"
import http.cookiejar, re, sys, urllib.error, urllib.parse, urllib.request
base, email, password, count, path = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None
def meta(html, name):
    m = re.search(r'<meta name="%s" content="([^"]+)"' % name, html)
    return m and m.group(1)
lines = []
for _ in range(count):
    jar = http.cookiejar.CookieJar()
    web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Stay)
    form = web.open(base + "/en/sign-in").read().decode()
    token = re.search(r'name="_csrf" value="([^"]+)"', form) or re.search(r'value="([^"]+)" name="_csrf"', form)
    data = {"email": email, "password": password, "_csrf": token.group(1) if token else meta(form, "csrf-token")}
    try:
        answer = web.open(base + "/en/sign-in", urllib.parse.urlencode(data).encode())
        status = answer.status
    except urllib.error.HTTPError as e:
        status = e.code
    if status != 303:
        sys.exit(f"POST /en/sign-in answered {status}, not 303")
    csrf = meta(web.open(base + "/en/").read().decode(), "csrf-token")
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if not csrf or "lr_session=" not in cookies:
        sys.exit(f"signed in, but no session cookie or CSRF token: cookies {sorted(c.name for c in jar)}")
    lines.append(f"{cookies}\t{csrf}")
open(path, "w").write("\n".join(lines) + "\n")
PY
}
lionrock_places() {  # COUNT CAPACITY FILE: a new programme through the CLI; its slot IDs (from the API) into FILE
  local n=$1 cap=$2 f=$3
  # crates/booking/src/setup: slots come from each centre's opening hours. Tomorrow (Hong Kong
  # time), ceil(n / 20) centres, each with 20 half-hour slots from 08:00, the last with the rest.
  python3 - "$n" "$cap" "$f.import.json" "$(basename "$f" | tr -c 'a-z0-9\n' '-')" <<'PY'
import json, sys
n, cap, path, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4].strip("-")
names = lambda text: {"en": text, "zh-HK": text, "zh-CN": text}
centres = []
for c in range((n + 19) // 20):
    k = min(20, n - 20 * c)
    end = 8 * 60 + 30 * k
    hours = [f"08:00-{end // 60:02d}:{end % 60:02d}"]
    centres.append({"slug": f"bench-centre-{c + 1}", "name": names(f"Bench centre {c + 1}"),
                    "address": names(f"{c + 1} Bench Road"), "district": "sha-tin",
                    "latitude": 22.38, "longitude": 114.19,
                    "hours": {d: hours for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}})
plan = {"programme": [{"slug": f"bench-{tag}", "kind": "testing", "name": names(f"Booking benchmark {tag}"),
                       "eligibility": {"level": "basic"},
                       "product": [{"code": "pcr", "name": names("PCR test")}],
                       "centre": centres,
                       "slots": [{"from": "today+1", "days": 1, "minutes": 30, "capacity": cap}]}]}
json.dump(plan, open(path, "w"), indent=1)
PY
  lr booking import "$f.import.json" --json || fail "lionrock booking import FILE --json: $err"
  printf '%s' "$out" >"$f.imported.json"
  local prog; prog=$(json 'j["programmes"][0]["id"]' "$f.imported.json")
  [ -n "$prog" ] || fail "lionrock booking import --json printed no programme id: $(tail -c 300 "$f.imported.json")"
  local day; day=$(TZ=Asia/Hong_Kong date -d tomorrow +%F)
  curl -fsS "$LR_BASE/api/v1/booking/programmes/$prog/availability?from=$day&to=$day" >"$f.availability.json" \
    || fail "lionrock GET /api/v1/booking/programmes/$prog/availability?from=$day&to=$day failed: $(tail -c 300 "$f.availability.json")"
  json '[o["slot_id"] for o in walk(j) if isinstance(o, dict) and "slot_id" in o and o.get("free", 0) > 0]' "$f.availability.json" >"$f"
  local free; free=$(json 'sum(o.get("free", 0) for o in walk(j) if isinstance(o, dict) and "slot_id" in o)' "$f.availability.json")
  [ "$(wc -l <"$f")" = "$n" ] && [ "$free" = $((n * cap)) ] \
    || fail "lionrock's availability for the imported programme shows $(wc -l <"$f") slots with $free free places, not $n with $((n * cap))"
}
lionrock_people() {  # COUNT FILE: COUNT new dependants of the bench account (one per attempt), their person IDs into FILE
  # Booking allows one booking per person and programme step, so every attempt books for a person of its own:
  # a dependant the account looks after (identity's `person` and `guardian` rows), written straight into the
  # database in one transaction (making 50,000 through identity's pages would take longer than the window).
  python3 -c 'import sys, uuid; print("\n".join(str(uuid.uuid4()) for _ in range(int(sys.argv[1]))))' "$1" >"$2"
  local at="2026-01-01 00:00:00.000000+00:00" sqlf="$2.sql"
  { echo "BEGIN;"
    awk -v a="$LR_ACCOUNT" -v t="$at" '{ printf "INSERT INTO person (id, created_at) VALUES ('"'"'%s'"'"', '"'"'%s'"'"');\nINSERT INTO guardian (person_id, account_id, relation, created_at) VALUES ('"'"'%s'"'"', '"'"'%s'"'"', '"'"'child'"'"', '"'"'%s'"'"');\n", $1, t, $1, a, t }' "$2"
    echo "COMMIT;"; } >"$sqlf"
  if [ "$BACKEND" = sqlite ]; then
    sqlite3 -batch "$LR_SQLITE" ".timeout 10000" ".read $sqlf" >/dev/null || fail "could not add the bench's dependants (SQLite)"
  else
    _svc_psql -d "$LR_PGDB" -q -v ON_ERROR_STOP=1 -f "$sqlf" >/dev/null || fail "could not add the bench's dependants (PostgreSQL)"
  fi
}
lionrock_auth() {  # sets LR_AUTH (bearer) or LR_SESSIONS (a file of sessions) for the next window
  LR_AUTH= LR_SESSIONS=
  if [ "$BEARER" = 1 ]; then lionrock_token; else LR_SESSIONS=$LR_DIR/sessions; lionrock_sessions "$CONC" "$LR_SESSIONS"; fi
}
lionrock_headers() {  # curl arguments that authenticate one request: the bearer token or the first session
  if [ -n "$LR_AUTH" ]; then printf '%s\n' -H "Authorization: $LR_AUTH"; return; fi
  local cookie csrf; IFS=$'\t' read -r cookie csrf <"$LR_SESSIONS"
  printf '%s\n' -H "Cookie: $cookie" -H "x-csrf-token: $csrf"
}

# ---- counting rows: zero overbooking
sql() {  # NAME QUERY...: one output line per query
  local name=$1 q; shift
  for q in "$@"; do
    if [ "$BACKEND" = sqlite ]; then
      sqlite3 -batch -noheader -separator ' ' "$( [ "$name" = lionrock ] && echo "$LR_SQLITE" || echo "$REF_SQLITE")" "$q"
    else
      _svc_psql -d "$( [ "$name" = lionrock ] && echo "$LR_PGDB" || echo "$REF_PGDB")" -At -F ' ' -c "$q"
    fi || return 1
  done
}
verify() {  # NAME SLOTSFILE CREATED: prints the counts; returns 1 on overbooking
  local name=$1 ids st bt act over mismatch taken cap booked
  ids=$(python3 -c 'import re, sys; ids = open(sys.argv[1]).read().split(); assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids); print(",".join(f"'"'"'{i}'"'"'" for i in ids))' "$2") \
    || { echo "slot IDs not plain"; return 1; }
  if [ "$name" = lionrock ]; then st=$LR_SLOT_TABLE bt=$LR_BOOKING_TABLE act=$LR_ACTIVE; else st=slot bt=booking act=TRUE; fi
  mapfile -t V < <(sql "$name" \
    "SELECT count(*) FROM $st WHERE taken > capacity OR taken < 0" \
    "SELECT count(*) FROM $st s WHERE s.taken <> (SELECT count(*) FROM $bt b WHERE b.slot_id = s.id AND $act)" \
    "SELECT coalesce(sum(taken), 0), coalesce(sum(capacity), 0) FROM $st WHERE id IN ($ids)" \
    "SELECT count(*) FROM $bt WHERE slot_id IN ($ids) AND $act")
  over=${V[0]:-?} mismatch=${V[1]:-?} taken=${V[2]% *} cap=${V[2]#* } booked=${V[3]:-?}
  echo "slots over capacity $over, slots whose taken differs from their bookings $mismatch; this window: $booked bookings, $taken of $cap places taken, $3 answered 201"
  # Answers cut off at the window's end may have committed: the rows can exceed the 201s by up to CONC.
  [ "$over" = 0 ] && [ "$mismatch" = 0 ] && [ "$taken" = "$booked" ] && [ "$taken" -le "$cap" ] \
    && [ "$booked" -ge "$3" ] && [ "$booked" -le $(($3 + CONC)) ]
}

# ---- one window
window() {  # NAME ROUND
  local name=$1 r=$2 f=$WORKDIR/$BACKEND.$1.$2 pid base auth= sessions= people= api path c0 b0 c1 b1
  if [ "$name" = lionrock ]; then
    lionrock_auth   # a fresh token or sessions every window: the run outlasts neither
    lionrock_places "$SLOTS" "$CAPACITY" "$f.slots"
    lionrock_people "$ATTEMPTS" "$f.people"; people=$f.people
    pid=$LR_PID base=$LR_BASE auth=$LR_AUTH sessions=$LR_SESSIONS api=lionrock path=/api/v1/booking/bookings
  else
    reference_places "$SLOTS" "$CAPACITY" "$f.slots"
    pid=$REF_PID base=$REF_BASE auth= api=reference path=/book
  fi
  sleep 1
  c0=$(ticks "$pid") b0=$(busy)
  BOOK_SLOTS_FILE=$f.slots BOOK_ATTEMPTS=$ATTEMPTS BOOK_API=$api BOOK_AUTH=$auth BOOK_SESSIONS_FILE=$sessions BOOK_PEOPLE_FILE=$people BOOK_SEED=$r \
    BOOK_PREFIX=$(printf "\\$(printf '%03o' $((65 + r)))B") \
    timeout $((WINDOW_MAX_S + 30)) wrk -t1 -c"$CONC" -d"${WINDOW_MAX_S}s" --timeout 10s -s "$BENCH/booking.lua" "$base$path" >"$f.wrk" 2>&1
  c1=$(ticks "$pid") b1=$(busy)
  kill -0 "$pid" 2>/dev/null || fail "$name ($BACKEND) died in round $r"
  grep -q '^booking-ok ' "$f.wrk" || fail "$name ($BACKEND): wrk gave no result: $(tail -c 300 "$f.wrk")"
  local created; created=$(sed -n 's/^booking-ok created=\([0-9]*\).*/\1/p' "$f.wrk" | tail -1)
  sleep 0.5   # answers cut off at the window's end finish
  local check ok=1; check=$(verify "$name" "$f.slots" "$created") || ok=0
  python3 - "$f.wrk" "$BACKEND" "$name" "$r" $((c1 - c0)) $((b1 - b0)) "$TCK" "$ok" "$check" "$ATTEMPTS" "$RES" <<'PY' || exit 1
import re, sys
f, backend, name, r, dsrv, dbox, tck, ok, check, attempts, res = sys.argv[1:12]
v = {k: int(x) for k, x in re.findall(r"(\w+)=(-?\d+)", [l for l in open(f) if l.startswith("booking-ok ")][-1])}
sec = v["duration_us"] / 1e6
core = lambda t: round(100 * int(t) / int(tck) / sec)
sock = v["connect"] + v["read"] + v["write"] + v["timeout"]
bad = v["duplicate"] + v["other"] + sock
note = [] if v["answered"] >= int(attempts) else [f"only {v['answered']} of {attempts} answered before wrk's -d"]
if bad:
    note.append(f"{v['duplicate']} 409 not full, {v['other']} other" + (f" (e.g. HTTP {v['bad_status']})" if v["bad_status"] else "") + f", {sock} socket errors")
row = [backend, name, r, f"{v['created'] / sec:.1f}", f"{v['answered'] / sec:.1f}", f"{v['p50_us'] / 1000:.1f}", f"{v['p99_us'] / 1000:.1f}",
       v["created"], v["full"], bad, v["answered"] + sock, core(dsrv), core(dbox), ok, check, "; ".join(note)]
print("\t".join(map(str, row)), file=open(res, "a"))
PY
  awk -F'\t' -v b="$BACKEND" -v n="$name" -v r="$r" '$1 == b && $2 == n && $3 == r {
    printf "  %-8s round %s %-9s %8.1f bookings/s %8.1f answers/s  p50 %6.1f ms  p99 %6.1f ms  201 %d, 409 full %d, other %d  server cpu %d%%, box %d%% of '"$(($(nproc) * 100))"'%%\n      %s: %s%s\n",
      b, r, n, $4, $5, $6, $7, $8, $9, $10, $12, $13, ($14 == 1 ? "no overbooking" : "OVERBOOKING OR MISCOUNT"), $15, ($16 == "" ? "" : "\n      note: " $16) }' "$RES"
  if [ "$name" = lionrock ] && [ "$(awk -F'\t' -v b="$BACKEND" -v r="$r" '$1 == b && $2 == "lionrock" && $3 == r { print $10 }' "$RES")" != 0 ]; then
    echo "      lionrock's log, last lines:"; tail -n 3 "$LR_DIR/server.err" | cut -c1-400 | sed 's/^/        /'
  fi
  ((ok)) || fail "$name ($BACKEND) round $r: the rows do not add up (above)"
}

# ---- per database: fresh databases, both servers, a sanity check, then alternating windows
sanity() {  # NAME: one slot of one place: the first booking 201 with a reference, the second 409 full
  local name=$1 f=$WORKDIR/$BACKEND.$1.sanity url body1 body2 auth=() a b
  if [ "$name" = lionrock ]; then
    lionrock_auth; lionrock_places 1 1 "$f.slots"; url=$LR_BASE/api/v1/booking/bookings; mapfile -t auth < <(lionrock_headers)
    body1="{\"slot_id\": \"$(cat "$f.slots")\", \"document\": {\"kind\": \"hkid\", \"number\": \"A1234563\"}}"
    body2="{\"slot_id\": \"$(cat "$f.slots")\", \"document\": {\"kind\": \"hkid\", \"number\": \"AB9876543\"}}"
  else
    reference_places 1 1 "$f.slots"; url=$REF_BASE/book
    body1="{\"slot_id\": \"$(cat "$f.slots")\", \"person_id\": \"A1234563\"}"
    body2="{\"slot_id\": \"$(cat "$f.slots")\", \"person_id\": \"AB9876543\"}"
  fi
  a=$(curl -sS -o "$f.1" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "${auth[@]}" -d "$body1" "$url")
  [ "$a" = 201 ] && grep -q '"reference"' "$f.1" || fail "$name ($BACKEND): a booking on a free slot answered $a, not 201 with a reference: $(head -c 300 "$f.1")"
  b=$(curl -sS -o "$f.2" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "${auth[@]}" -d "$body2" "$url")
  [ "$b" = 409 ] && grep -Eq '"type" *: *"[^"]*full"' "$f.2" || fail "$name ($BACKEND): a booking on a full slot answered $b, not 409 …full: $(head -c 300 "$f.2")"
}
T0=$SECONDS
for BACKEND in $BACKENDS; do
  if [ "$BACKEND" = sqlite ]; then
    REF_SQLITE=$WORKDIR/reference.db
    start_reference sqlite "sqlite://$REF_SQLITE"
    ((REFERENCE_ONLY)) || start_lionrock sqlite ""
    echo "SQLite $(sqlite3 --version | cut -d' ' -f1) (CLI; both servers bundle theirs through sqlx)"
  else
    command -v psql >/dev/null || fail "psql is needed for PostgreSQL"
    ensure_postgres 2>"$WORKDIR/pg.log"
    [ -n "${LIONROCK_TEST_POSTGRES_URL:-}" ] || fail "PostgreSQL unavailable: $(tail -c 300 "$WORKDIR/pg.log")"
    REF_PGDB=$LIONROCK_TEST_DB_NAME; PG_DBS+=("$REF_PGDB"); REF_PGURL=$LIONROCK_TEST_POSTGRES_URL
    if ((!REFERENCE_ONLY)); then
      sleep 1   # ensure_postgres names a database by the second
      ensure_postgres 2>>"$WORKDIR/pg.log"
      [ -n "${LIONROCK_TEST_POSTGRES_URL:-}" ] || fail "PostgreSQL unavailable: $(tail -c 300 "$WORKDIR/pg.log")"
      LR_PGDB=$LIONROCK_TEST_DB_NAME; PG_DBS+=("$LR_PGDB")
    fi
    LIONROCK_TEST_DB_NAME=
    start_reference postgres "$REF_PGURL"
    ((REFERENCE_ONLY)) || start_lionrock postgres "postgres://postgres@127.0.0.1:5432/$LR_PGDB"
    echo "$(_svc_psql -d postgres -At -c 'SELECT version()' | cut -d' ' -f1-2) on 127.0.0.1 (fresh databases $REF_PGDB${LR_PGDB:+, $LR_PGDB})"
  fi
  NAMES="reference"; ((REFERENCE_ONLY)) || NAMES="reference lionrock"
  for name in $NAMES; do sanity "$name"; done
  for r in $(seq "$ROUNDS"); do
    for name in $NAMES; do window "$name" "$r"; done
  done
  for p in "$REF_PID" ${LR_PID:+"$LR_PID"}; do stop_pid "$p"; done
  LR_PID=
done
echo "total $((SECONDS - T0)) s"

# ---- verdict
python3 - "$RES" "$GOAL_RATIO" "$GOAL_P99_MS" "$MAX_BAD_PCT" "$REFERENCE_ONLY" <<'PY'
import statistics, sys
res, goal_ratio, goal_p99, max_bad, ref_only = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
rows = [l.rstrip("\n").split("\t") for l in open(res) if l.strip()]
short = []
print(f"{'database':<9} {'server':<10} {'bookings/s best':>15} {'answers/s':>10} {'p50 ms':>7} {'p99 ms median':>14}   (every window: bookings/s, p99 ms)")
for backend in dict.fromkeys(r[0] for r in rows):
    best = {}
    for name in ("reference", "lionrock"):
        ws = [r for r in rows if r[0] == backend and r[1] == name]
        if not ws:
            continue
        top = max(ws, key=lambda r: float(r[3]))
        p99 = statistics.median(float(r[6]) for r in ws)
        bad = sum(int(r[9]) for r in ws); total = sum(int(r[10]) for r in ws)
        best[name] = (float(top[3]), p99)
        every = ", ".join(f"{float(r[3]):.0f} / {float(r[6]):.0f}" for r in ws)
        print(f"{backend:<9} {name:<10} {float(top[3]):>15.1f} {float(top[4]):>10.1f} {float(top[5]):>7.1f} {p99:>14.1f}   ({every})")
        if 100 * bad > max_bad * total:
            short.append(f"{backend}: {name} answered {bad} of {total} with neither 201 nor 409 full")
    if "lionrock" in best:
        ratio = round(best["lionrock"][0] / best["reference"][0], 2)
        p99 = best["lionrock"][1]
        print(f"{backend}: lionrock {ratio:.2f}x the reference's bookings/s (goal >= {goal_ratio}x), p99 {p99:.1f} ms (goal < {goal_p99:g} ms), zero overbooking")
        if ratio < goal_ratio:
            short.append(f"{backend}: rate {ratio:.2f}x < {goal_ratio}x")
        if p99 >= goal_p99:
            short.append(f"{backend}: p99 {p99:.1f} ms >= {goal_p99:g} ms")
if ref_only:
    print("reference only (--reference-only): lionrock not measured, goals not checked")
print(("reference windows clean" if ref_only else "goals met") if not short else "short: " + "; ".join(short))
sys.exit(1 if short else 0)
PY

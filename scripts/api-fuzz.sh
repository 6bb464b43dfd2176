#!/usr/bin/env bash
# Fuzzes the JSON API from its own OpenAPI document: starts `lionrock serve
# --demo` on 127.0.0.1 (a free port, a throw-away data directory), signs in as
# the demo administrator so the guarded operations answer with data too, and
# runs schemathesis against /api/v1/openapi.json with the checks that hold the
# server to its contract: no 5xx, no undocumented status, the documented
# content type, headers and response schemas. Requests go to loopback only.
#
#   bash scripts/api-fuzz.sh [path/to/lionrock]
#
# Needs LIONROCK_TEST_SCHEMATHESIS (scripts/services.sh ensure_schemathesis); the
# binary defaults to $CARGO_TARGET_DIR/debug/lionrock. Bounded: at most
# LIONROCK_TEST_FUZZ_EXAMPLES examples per operation (default 200) and
# LIONROCK_TEST_FUZZ_SECONDS for the whole run (default 600). The time box is
# a budget, not a verdict: when it ends the fuzzing phase after the examples
# and coverage phases, the run passes if every case so far passed and every
# operation was tested (a slow, shared machine gets fewer random cases). Schemathesis's
# cache (`.schemathesis/`) goes to the temporary work directory, never the clone.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${1:-${CARGO_TARGET_DIR:-${repo_root}/target}/debug/lionrock}"
st="${LIONROCK_TEST_SCHEMATHESIS:?run scripts/services.sh ensure_schemathesis first}"
if [[ "$st" == */* && "$st" != /* ]]; then st="${PWD}/${st}"; fi
examples="${LIONROCK_TEST_FUZZ_EXAMPLES:-200}"
seconds="${LIONROCK_TEST_FUZZ_SECONDS:-600}"

[[ -x "$binary" ]] || { echo "error: no lionrock binary at ${binary}" >&2; exit 1; }

work="$(mktemp -d)"
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop_server EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:${port}"

# The fuzzer is one client sending many requests: lift the per-IP load
# shaping so it exercises the handlers rather than the 429 (which stays
# documented and checked when it does happen).
(
    cd "$work"
    LIONROCK_SERVER__LISTEN="127.0.0.1:${port}" \
        LIONROCK_LIMITS__GLOBAL_PER_IP_PER_SECOND=100000 \
        LIONROCK_LIMITS__SENSITIVE_PER_IP_PER_MINUTE=100000 \
        exec "$binary" serve --demo
) >"${work}/server.log" 2>&1 </dev/null &
server_pid=$!

for _ in $(seq 1 120); do
    curl -fsS "${base}/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "${work}/server.log" >&2; echo "error: server exited" >&2; exit 1; }
    sleep 0.5
done
curl -fsS "${base}/readyz" >/dev/null || { cat "${work}/server.log" >&2; echo "error: server not ready" >&2; exit 1; }

# Sign in as the demo administrator (the demo prints the credentials).
admin_line="$(grep -m1 'demo administrator' "${work}/server.log" || true)"
credentials="${admin_line#*: }"
email="${credentials%% / *}"
password="${credentials#* / }"
[[ -n "$email" && -n "$password" && "$email" != "$admin_line" ]] || {
    echo "error: no demo administrator in the server's output" >&2
    exit 1
}
jar="${work}/cookies"
csrf="$(curl -fsS -c "$jar" -b "$jar" "${base}/en/sign-in" |
    sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)"
curl -sS -o /dev/null -c "$jar" -b "$jar" \
    --data-urlencode "_csrf=${csrf}" --data-urlencode "email=${email}" \
    --data-urlencode "password=${password}" --data-urlencode "next=/en/" "${base}/en/sign-in"
session="$(awk '$6 == "lr_session" { print $7 }' "$jar")"
[[ -n "$session" ]] || { echo "error: signing in as ${email} gave no session" >&2; exit 1; }
status="$(curl -s -o /dev/null -w '%{http_code}' -b "lr_session=${session}" "${base}/api/v1/admin/outbox")"
[[ "$status" == 200 ]] || { echo "error: the administrator's session gets ${status} from the outbox" >&2; exit 1; }

# Loaded from a file: loaded by URL, schemathesis would skip the operation
# that serves the document itself.
curl -fsS "${base}/api/v1/openapi.json" -o "${work}/openapi.json"
echo "fuzzing ${base}/api/v1/openapi.json (${examples} examples per operation, at most ${seconds} s)"
started=$SECONDS
rc=0
# Run from the work directory: schemathesis keeps its cache in `.schemathesis/`
# under the current directory.
(cd "$work" && exec timeout --signal=INT --kill-after=30 "$seconds" \
    "$st" --no-color run "${work}/openapi.json" --url "${base}/" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "$examples" \
    --workers 1 \
    --request-timeout 10 \
    --seed 20261130 \
    --header "Cookie: lr_session=${session}" \
    --report-dir "${work}/report" \
    --report junit --report-junit-path "${work}/report/junit.xml" </dev/null) 2>&1 | tee "${work}/schemathesis.log" || rc=$?
# Every documented operation must have been exercised.
operations="$(python3 -c 'import json, sys; d = json.load(sys.stdin); print(sum(len([m for m in p if m in ("get", "put", "post", "delete", "patch")]) for p in d["paths"].values()))' <"${work}/openapi.json")"
tested="$(grep -o '<testcase ' "${work}/report/junit.xml" 2>/dev/null | wc -l)"
echo "operations documented: ${operations}; tested: ${tested}"
if ((rc == 124)); then
    failed="$(grep -c -E '<(failure|error)[ >]' "${work}/report/junit.xml" 2>/dev/null || true)"
    # The coverage phase's summary line shows it ran to its end.
    if [[ "${failed:-1}" == 0 && "$tested" -ge "$operations" ]] && grep -q 'Coverage (in' "${work}/schemathesis.log"; then
        echo "time box of ${seconds} s reached with no failing case: passed (fewer random cases on a busy machine)"
        rc=0
    fi
fi
if ((rc == 0 && tested < operations)); then
    echo "error: schemathesis tested ${tested} of ${operations} operations" >&2
    rc=1
fi
echo "schemathesis finished in $((SECONDS - started)) s (exit ${rc})"
if ((rc != 0)); then
    echo "--- server log (last 40 lines)" >&2
    tail -n 40 "${work}/server.log" >&2
fi
exit "$rc"

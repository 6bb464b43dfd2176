#!/usr/bin/env bash
# Helpers that make the external things the test suite can use available, and
# export the LIONROCK_TEST_* variables the test binaries look for:
#
#   ensure_postgres  LIONROCK_TEST_POSTGRES_URL  a fresh, empty database
#   ensure_browser   LIONROCK_TEST_BROWSER       chromedriver
#                    LIONROCK_TEST_CHROMIUM      chromium
#   ensure_axe       LIONROCK_TEST_AXE           axe.min.js
#   ensure_schemathesis LIONROCK_TEST_SCHEMATHESIS    the `st` command (API fuzzer)
#   ensure_poppler   LIONROCK_TEST_PDFTOPPM      pdftoppm (pdftotext, pdfinfo beside it)
#   ensure_dcc_python LIONROCK_TEST_DCC_PYTHON   a python3 with pycose, cbor2 and base45
#   ensure_ckanapi   LIONROCK_TEST_CKANAPI       a python3 with ckanapi (CKAN's own client)
#   ensure_rdflib    LIONROCK_TEST_RDFLIB        a python3 with rdflib (reads the DCAT exports)
#                                                (an independent DCC verifier for interop tests)
#   ensure_qr_decoder LIONROCK_BUILD_QR_DECODER        jsQR.js, which the build embeds
#                                                in the credentials scanner page
#   drop_test_database                           drops the database again
#
# Under CI=true a missing service is fatal: the function prints
#   error: <what> unavailable: <why>
# and exits 1, so CI can never pass by silently skipping tests. Otherwise it
# prints `skip: <what>: <why>`, leaves the variable unset (the tests that need
# it then skip themselves) and returns 0.
#
# Two ways to use it:
#   source scripts/services.sh; ensure_postgres; ensure_browser; ensure_axe
#   eval "$(scripts/services.sh ensure_postgres ensure_axe)"
# When run, it calls the named functions (all three if none are named) and
# prints `export VAR=...` lines on stdout; all notes go to stderr. (A database
# created that way is not dropped at exit; a later ensure_postgres drops it
# once it is older than LIONROCK_CI_DB_MAX_AGE.)
#
# The functions are written to work whether or not the caller has
# `set -euo pipefail`: sourcing must not change an interactive shell's options.

# Repository root, from this file's own location (works when sourced too).
LIONROCK_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Where apt output goes; shown only when an install fails.
_LIONROCK_APT_LOG="${TMPDIR:-/tmp}/lionrock-apt.$$.log"

# _svc_unavailable WHAT WHY: fatal under CI, a note otherwise.
_svc_unavailable() {
    if [[ "${CI:-}" == "true" ]]; then
        echo "error: $1 unavailable: $2" >&2
        exit 1
    fi
    echo "skip: $1: $2" >&2
    return 0
}

# _svc_apt_install PKG...: install Debian packages without prompts. Runs
# `apt-get update` first because a fresh machine's package lists may be empty
# or stale. Waits for a dpkg lock held by another apt rather than failing.
_svc_apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "apt-get not found; install $* by hand" >&2
        return 1
    fi
    if [[ "$(id -u)" != "0" ]]; then
        echo "not root; run: sudo apt-get install -y $*" >&2
        return 1
    fi
    echo "installing Debian packages: $*" >&2
    if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq update \
        >"$_LIONROCK_APT_LOG" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq \
            install -y "$@" >>"$_LIONROCK_APT_LOG" 2>&1; then
        rm -f "$_LIONROCK_APT_LOG"
        return 0
    fi
    tail -n 20 "$_LIONROCK_APT_LOG" >&2
    rm -f "$_LIONROCK_APT_LOG"
    return 1
}

# psql as the postgres superuser over TCP (the machine trusts 127.0.0.1), with
# no ~/.psqlrc, stopping at the first error, and a connect timeout so a hung
# server cannot stall CI.
_svc_psql() {
    PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres "$@"
}

# Newest PostgreSQL major version that has a cluster config (e.g. "15").
_svc_pg_version() {
    [[ -d /etc/postgresql ]] || return 1
    local v
    v="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n 1)"
    [[ -n "$v" ]] || return 1
    echo "$v"
}

# Age in seconds after which leftover lionrock_ci_* databases are dropped.
# Longer than CI's 90-minute limit, so a database still in use by another run
# on this machine is never dropped (DROP DATABASE without FORCE also refuses
# while anyone is connected).
: "${LIONROCK_CI_DB_MAX_AGE:=7200}"

ensure_postgres() {
    local what="PostgreSQL" version db now i stale name stamp installed=0
    unset LIONROCK_TEST_POSTGRES_URL

    if ! command -v pg_isready >/dev/null 2>&1 || [[ ! -d /etc/postgresql ]]; then
        _svc_apt_install postgresql || {
            _svc_unavailable "$what" "apt-get install postgresql failed"
            return 0
        }
        installed=1
    fi
    version="$(_svc_pg_version)" || {
        _svc_unavailable "$what" "no cluster under /etc/postgresql"
        return 0
    }

    if [[ "$installed" == 1 ]]; then
        # Debian's default pg_hba.conf asks for a password over TCP; the tests
        # connect as postgres@127.0.0.1 without one, as on the prepared
        # machines. Only done for a server this script itself just installed.
        local hba="/etc/postgresql/${version}/main/pg_hba.conf"
        if [[ -f "$hba" ]] && ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
            sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
            # Reload if it is already running; a stopped one reads it at start.
            pg_ctlcluster --skip-systemctl-redirect "$version" main reload >/dev/null 2>&1 || true
        fi
    fi

    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
        echo "starting PostgreSQL ${version}" >&2
        pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
        for ((i = 0; i < 30; i++)); do
            pg_isready -q -h 127.0.0.1 -p 5432 && break
            sleep 1
        done
        if ! pg_isready -q -h 127.0.0.1 -p 5432; then
            _svc_unavailable "$what" "not ready on 127.0.0.1:5432 after 30 s"
            return 0
        fi
    fi

    # One fresh database per run, so runs never see each other's data and a
    # crashed run's leftovers can't break the next one.
    now="$(date +%s)"
    db="lionrock_ci_${now}_$$"
    if ! _svc_psql -d postgres -c "CREATE DATABASE ${db}" >&2; then
        _svc_unavailable "$what" "CREATE DATABASE ${db} as postgres@127.0.0.1 failed"
        return 0
    fi

    # Best-effort: drop databases left by earlier runs (killed runs skip their
    # EXIT trap). The name carries its creation time.
    stale="$(_svc_psql -d postgres -At -c \
        "SELECT datname FROM pg_database WHERE datname LIKE 'lionrock\_ci\_%'" 2>/dev/null)" || stale=""
    while IFS= read -r name; do
        [[ "$name" =~ ^lionrock_ci_([0-9]+)_[0-9]+$ ]] || continue
        stamp="${BASH_REMATCH[1]}"
        if ((now - stamp > LIONROCK_CI_DB_MAX_AGE)); then
            if _svc_psql -d postgres -c "DROP DATABASE IF EXISTS ${name}" >/dev/null 2>&1; then
                echo "dropped stale database ${name}" >&2
            fi
        fi
    done <<<"$stale"

    LIONROCK_TEST_DB_NAME="$db"
    export LIONROCK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/${db}"
    echo "PostgreSQL ${version}: database ${db}" >&2
}

# Drop the database ensure_postgres created in this shell (best-effort; meant
# for an EXIT trap). WITH (FORCE) disconnects test connections left open.
drop_test_database() {
    local db="${LIONROCK_TEST_DB_NAME:-}"
    [[ -n "$db" ]] || return 0
    if _svc_psql -d postgres -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1; then
        echo "dropped database ${db}" >&2
    else
        echo "warning: could not drop database ${db}" >&2
    fi
    LIONROCK_TEST_DB_NAME=""
    return 0
}

ensure_browser() {
    local what="Chromium/ChromeDriver" chromium=/usr/bin/chromium driver=/usr/bin/chromedriver
    local v
    unset LIONROCK_TEST_BROWSER LIONROCK_TEST_CHROMIUM

    # Collect what is missing so apt runs (and updates its lists) once.
    local -a pkgs=()
    if [[ ! -x "$chromium" || ! -x "$driver" ]]; then
        pkgs+=(chromium chromium-driver)
    fi
    # Pages in Chinese render as boxes without a CJK font, which breaks
    # screenshots and text-layout checks; Debian's chromium doesn't pull one in.
    if [[ -z "$(fc-list :lang=zh 2>/dev/null)" ]]; then
        pkgs+=(fonts-noto-cjk)
    fi
    if ((${#pkgs[@]} > 0)); then
        _svc_apt_install "${pkgs[@]}" || {
            _svc_unavailable "$what" "apt-get install ${pkgs[*]} failed"
            return 0
        }
    fi
    if [[ -z "$(fc-list :lang=zh 2>/dev/null)" ]]; then
        _svc_unavailable "$what" "no CJK font: fc-list :lang=zh finds none after installing fonts-noto-cjk"
        return 0
    fi
    # Check that both binaries actually run (a broken install or missing
    # shared library shows up here, not halfway through the tests).
    # (Debian's chromium wrapper script may print a shell warning first;
    # only the last line is the version.)
    if ! v="$("$chromium" --version 2>&1)"; then
        _svc_unavailable "$what" "${chromium} --version failed: ${v}"
        return 0
    fi
    tail -n 1 <<<"$v" >&2
    if ! v="$("$driver" --version 2>&1)"; then
        _svc_unavailable "$what" "${driver} --version failed: ${v}"
        return 0
    fi
    tail -n 1 <<<"$v" >&2

    export LIONROCK_TEST_BROWSER="$driver"
    export LIONROCK_TEST_CHROMIUM="$chromium"
}

# poppler-utils: the credentials PDF tests rasterise each PDF (pdftoppm) to
# read its QR code back, extract its text (pdftotext) and check its page
# (pdfinfo). The tests find the other two beside pdftoppm.
ensure_poppler() {
    local what="poppler-utils" tool
    unset LIONROCK_TEST_PDFTOPPM
    # poppler-data: the CJK CMaps, so the PDFs' Chinese text renders with
    # the predefined (non-embedded) fonts instead of warnings.
    if [[ ! -x /usr/bin/pdftoppm || ! -x /usr/bin/pdftotext || ! -x /usr/bin/pdfinfo ||
        ! -d /usr/share/poppler/cMap ]]; then
        _svc_apt_install poppler-utils poppler-data || {
            _svc_unavailable "$what" "apt-get install poppler-utils poppler-data failed"
            return 0
        }
    fi
    for tool in pdftoppm pdftotext pdfinfo; do
        if ! /usr/bin/"$tool" -v >/dev/null 2>&1; then
            _svc_unavailable "$what" "/usr/bin/${tool} -v failed"
            return 0
        fi
    done
    export LIONROCK_TEST_PDFTOPPM=/usr/bin/pdftoppm
}

ensure_axe() {
    local what="axe-core" out path
    unset LIONROCK_TEST_AXE
    # install-axe.sh prints notes on stderr and the path as its last stdout line.
    if ! out="$(bash "${LIONROCK_REPO_ROOT}/scripts/install-axe.sh")"; then
        _svc_unavailable "$what" "scripts/install-axe.sh failed"
        return 0
    fi
    path="$(tail -n 1 <<<"$out")"
    if [[ "$path" != /* || ! -f "$path" ]]; then
        _svc_unavailable "$what" "install-axe.sh gave no usable path ('${path}')"
        return 0
    fi
    export LIONROCK_TEST_AXE="$path"
}

ensure_qr_decoder() {
    local what="QR decoder (jsQR)" out path
    unset LIONROCK_BUILD_QR_DECODER
    # install-qr-decoder.sh prints notes on stderr and the path as its last stdout line.
    if ! out="$(bash "${LIONROCK_REPO_ROOT}/scripts/install-qr-decoder.sh")"; then
        _svc_unavailable "$what" "scripts/install-qr-decoder.sh failed"
        return 0
    fi
    path="$(tail -n 1 <<<"$out")"
    if [[ "$path" != /* || ! -f "$path" ]]; then
        _svc_unavailable "$what" "install-qr-decoder.sh gave no usable path ('${path}')"
        return 0
    fi
    export LIONROCK_BUILD_QR_DECODER="$path"
}

# schemathesis, the OpenAPI-driven fuzzer scripts/api-fuzz.sh runs, pinned,
# from PyPI into a virtual environment outside the clone (kept between runs).
SCHEMATHESIS_VERSION="4.32.5"

# _svc_pip_venv WHAT VENV PACKAGE...: a fresh virtual environment at VENV
# (python3 and python3-venv installed first when missing) with the pinned
# PACKAGEs from PyPI. On failure it reports WHAT unavailable (an error under
# CI=true), leaves no half-made VENV, and returns 1.
_svc_pip_venv() {
    local what="$1" venv="$2" python
    shift 2
    python="$(command -v python3 || true)"
    if [[ -z "$python" ]]; then
        _svc_apt_install python3 python3-venv || true
        python="$(command -v python3 || true)"
    fi
    if [[ -z "$python" ]]; then
        _svc_unavailable "$what" "no python3"
        return 1
    fi
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
        # Debian's python3 needs python3-venv for ensurepip.
        _svc_apt_install python3-venv || true
        rm -rf "$venv"
        if ! "$python" -m venv "$venv" >&2; then
            _svc_unavailable "$what" "cannot create a virtual environment at ${venv}"
            return 1
        fi
    fi
    echo "installing ${what} into ${venv}" >&2
    if ! "${venv}/bin/pip" install --quiet --disable-pip-version-check "$@" >&2; then
        rm -rf "$venv"
        _svc_unavailable "$what" "pip install failed"
        return 1
    fi
}

ensure_schemathesis() {
    local what="schemathesis ${SCHEMATHESIS_VERSION}"
    local venv="${LIONROCK_TOOLS_DIR:-/var/cache/lionrock-tools}/schemathesis-${SCHEMATHESIS_VERSION}"
    unset LIONROCK_TEST_SCHEMATHESIS
    if [[ ! -x "${venv}/bin/st" ]]; then
        _svc_pip_venv "$what" "$venv" "schemathesis==${SCHEMATHESIS_VERSION}" || return 0
    fi
    export LIONROCK_TEST_SCHEMATHESIS="${venv}/bin/st"
}

# An independent DCC implementation for the interoperability test
# (crates/credentials/tests/it/interop.rs runs scripts/dcc-verify.py with it):
# pycose, cbor2 and base45 pinned, from PyPI into a virtual environment
# outside the clone (kept between runs).
DCC_PYTHON_PACKAGES="pycose==1.1.0 cbor2==5.6.5 base45==0.4.4"

ensure_dcc_python() {
    local what="python DCC verifier (${DCC_PYTHON_PACKAGES})"
    local tag
    tag="$(printf '%s' "$DCC_PYTHON_PACKAGES" | sha256sum | cut -c1-12)"
    local venv="${LIONROCK_TOOLS_DIR:-/var/cache/lionrock-tools}/dcc-python-${tag}"
    unset LIONROCK_TEST_DCC_PYTHON
    if [[ ! -x "${venv}/bin/python" ]] || ! "${venv}/bin/python" -c "import pycose, cbor2, base45" 2>/dev/null; then
        # shellcheck disable=SC2086 # the pinned list is split on purpose
        _svc_pip_venv "$what" "$venv" $DCC_PYTHON_PACKAGES || return 0
    fi
    export LIONROCK_TEST_DCC_PYTHON="${venv}/bin/python"
}

# CKAN's Python client, the reference every CKAN-compatible API must serve
# unchanged (crates/opendata/tests/it/ckanapi.rs runs scripts/ckanapi-check.py
# with it against a running lionrock): pinned, from PyPI into a virtual
# environment outside the clone (kept between runs).
CKANAPI_VERSION="4.11"

ensure_ckanapi() {
    local what="ckanapi ${CKANAPI_VERSION}"
    local venv="${LIONROCK_TOOLS_DIR:-/var/cache/lionrock-tools}/ckanapi-${CKANAPI_VERSION}"
    unset LIONROCK_TEST_CKANAPI
    if [[ ! -x "${venv}/bin/python" ]] || ! "${venv}/bin/python" -c "import ckanapi" 2>/dev/null; then
        _svc_pip_venv "$what" "$venv" "ckanapi==${CKANAPI_VERSION}" || return 0
    fi
    export LIONROCK_TEST_CKANAPI="${venv}/bin/python"
}

# An RDF parser that is not ours, to read open data's DCAT-AP exports
# (crates/opendata/tests/it/dcat.rs runs scripts/dcat-check.py with it on
# the Turtle and JSON-LD a running lionrock serves): pinned, from PyPI into a
# virtual environment outside the clone (kept between runs).
RDFLIB_VERSION="7.6.0"

ensure_rdflib() {
    local what="rdflib ${RDFLIB_VERSION}"
    local venv="${LIONROCK_TOOLS_DIR:-/var/cache/lionrock-tools}/rdflib-${RDFLIB_VERSION}"
    unset LIONROCK_TEST_RDFLIB
    if [[ ! -x "${venv}/bin/python" ]] || ! "${venv}/bin/python" -c "import rdflib" 2>/dev/null; then
        _svc_pip_venv "$what" "$venv" "rdflib==${RDFLIB_VERSION}" || return 0
    fi
    export LIONROCK_TEST_RDFLIB="${venv}/bin/python"
}

# Run as a program: call the named functions, print the exports for eval.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    if [[ $# -eq 0 ]]; then
        set -- ensure_postgres ensure_browser ensure_axe
    fi
    for fn in "$@"; do
        case "$fn" in
        ensure_postgres | ensure_browser | ensure_axe | ensure_schemathesis | ensure_poppler | ensure_qr_decoder | \
            ensure_dcc_python | ensure_ckanapi | ensure_rdflib) "$fn" ;;
        *)
            echo "usage: $0 [ensure_postgres] [ensure_browser] [ensure_axe] [ensure_schemathesis] [ensure_poppler] [ensure_qr_decoder] [ensure_dcc_python] [ensure_ckanapi] [ensure_rdflib]" >&2
            exit 2
            ;;
        esac
    done
    for var in LIONROCK_TEST_POSTGRES_URL LIONROCK_TEST_BROWSER LIONROCK_TEST_CHROMIUM LIONROCK_TEST_AXE \
        LIONROCK_TEST_SCHEMATHESIS LIONROCK_TEST_PDFTOPPM LIONROCK_BUILD_QR_DECODER LIONROCK_TEST_DCC_PYTHON \
        LIONROCK_TEST_CKANAPI LIONROCK_TEST_RDFLIB; do
        if [[ -n "${!var:-}" ]]; then
            printf 'export %s=%q\n' "$var" "${!var}"
        fi
    done
fi
